"""Backstage catalog files (`catalog-info.yaml`, multi-document) to a service map.

Entities are identified as Backstage does, by kind, namespace and name (`api:default/petstore`
and `component:default/petstore` are two entities). Their map names:

- an entity of the `default` namespace is named `name`; one of another namespace
  `namespace-name` (`component:alternative/x` -> `alternative-x`);
- when entities of several kinds would get the same map name, the first kind in
  Component, Resource, System, API keeps it and the others get `-kind` appended
  (`petstore` is the Component, `petstore-api` the API);
- two entities still sharing a map name (`component:a/b` and `component:default/a-b`)
  are an error naming both (dashes, not dots: sync name rules read `a.b` as namespaced);
- every component carries its entity ref in the label `backstage-ref`.

Component, Resource and API entities become components (kind: `spec.type`), Systems business
services that depend on the entities naming them in `spec.system`. Edges: `dependsOn`
(the entity depends on the ref), `dependencyOf` (the ref depends on the entity),
`consumesApis` (the consumer depends on the API), `providesApis` (the API depends on its
provider), `subcomponentOf` (the parent depends on its part). A System's `spec.domain`
becomes its label `domain` (Domains group Systems for people; they have no state of their
own, so they become no component). Refs without a kind take the field's usual one, refs
without a namespace the entity's own. Entities only referenced are created as components
of the referenced kind (and never overwrite stored ones). Groups, Users and Locations carry
no dependencies and are skipped (`store.mapsource` follows Locations' local targets);
any other kind (a scaffolder Template, ...) is skipped with a note. `spec.owner` like
`group:default/team-a` becomes owner `team-a`.

Every error names the entity (`component:default/petstore spec.dependsOn[0]`) and, for a
file, its file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from impact.model import BUSINESS_KIND, Component, Dependency, ServiceMap, name_key
from store.errors import MapError, MapValidationError, shown
from store.records import ImportedMap
from store.validation import name_problem
from store.yamlsafe import Marks, Path, load_yaml_marked

SOURCE = "backstage"
DEFAULT_NAMESPACE = "default"
REF_LABEL = "backstage-ref"
DOMAIN_LABEL = "domain"
# Kinds that become components, in the order that decides who keeps a shared name.
ENTITY_KINDS = {
    "component": "service",
    "resource": "resource",
    "system": BUSINESS_KIND,
    "api": "api",
}
SKIPPED_KINDS = ("group", "user", "location", "domain")  # known, and no part of a map
# field -> (default kind of its refs, True when the entity depends on the ref)
RELATIONS = {
    "dependsOn": ("component", True),
    "dependencyOf": ("component", False),
    "consumesApis": ("api", True),
    "providesApis": ("api", False),
}
EntityKey = tuple[str, str, str]  # kind, namespace, name; lower case


def ref_name(ref: str) -> tuple[str | None, str]:
    """`component:default/foo` -> ("component", "foo"); `foo` -> (None, "foo")."""
    kind, _, rest = ref.rpartition(":")
    return (kind.lower() or None), rest.rpartition("/")[2]


def parse_ref(ref: str, default_kind: str, default_namespace: str) -> EntityKey:
    """`[kind:][namespace/]name` with the defaults filled in, lower case."""
    kind, _, rest = ref.rpartition(":")
    namespace, _, name = rest.rpartition("/")
    return (
        (kind or default_kind).lower(),
        (namespace or default_namespace).lower(),
        name.lower(),
    )


def entity_ref(key: EntityKey) -> str:
    return f"{key[0]}:{key[1]}/{key[2]}"


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document of a catalog: its data, node marks and file (None: not a file)."""

    data: Any
    marks: Marks | None = None
    file: str | None = None

    def error(self, where: str, path: Path, message: str, *, key: bool = False) -> MapError:
        if self.marks is None or self.file is None:
            return MapError(where, message)
        line, column = self.marks.key(path) if key else self.marks.at(path)
        return MapError(where, message, file=self.file, line=line, column=column)

    def place(self, path: Path = ()) -> str:
        if self.marks is None or self.file is None:
            return ""
        line, _ = self.marks.at(path)
        return f"{self.file}:{line}"


@dataclass(frozen=True, slots=True)
class CatalogRead:
    """A parsed catalog and the notes for its reader (entities skipped)."""

    imported: ImportedMap
    notes: tuple[str, ...] = ()


@dataclass
class _Entity:
    key: EntityKey
    name: str  # as written
    namespace: str
    document: Document


@dataclass
class _Catalog:
    entities: dict[EntityKey, _Entity] = field(default_factory=dict)
    edges: dict[tuple[EntityKey, EntityKey], None] = field(default_factory=dict)
    referenced: dict[EntityKey, str] = field(default_factory=dict)  # key -> name as written
    errors: list[MapError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_backstage(text: str) -> ImportedMap:
    """Parse a Backstage catalog stream; raises `MapValidationError` listing every problem."""
    documents = [Document(marked.data, marked.marks) for marked in load_yaml_marked(text)]
    return parse_catalog(documents).imported


def is_catalog_document(data: Any) -> bool:
    """True for a Backstage entity: `apiVersion` of `backstage.io/...` or `*.backstage.io/...`."""
    version = data.get("apiVersion") if isinstance(data, dict) else None
    if not isinstance(version, str):
        return False
    group = version.partition("/")[0]
    return group == "backstage.io" or group.endswith(".backstage.io")


def location_targets(document: Document) -> list[tuple[str, Path]]:
    """The targets of a `Location` entity with where each is written; [] for other kinds."""
    data = document.data
    if not isinstance(data, dict) or str(data.get("kind", "")).lower() != "location":
        return []
    spec = _mapping(data.get("spec"))
    found: list[tuple[str, Path]] = []
    if isinstance(spec.get("target"), str):
        found.append((spec["target"], ("spec", "target")))
    targets = spec.get("targets")
    if isinstance(targets, list):
        found += [
            (target, ("spec", "targets", index))
            for index, target in enumerate(targets)
            if isinstance(target, str)
        ]
    return found


def parse_catalog(documents: Iterable[Document]) -> CatalogRead:
    """Entities of every document as one map; raises `MapValidationError` listing problems."""
    catalog = _Catalog()
    for index, document in enumerate(documents):
        if document.data is not None:
            _entity(catalog, index, document)
    for entity in list(catalog.entities.values()):
        _relations(catalog, entity)
    names = _names(catalog)
    if catalog.errors:
        raise MapValidationError(catalog.errors)
    components = [_component(entity, names[key]) for key, entity in catalog.entities.items()]
    implied = [
        _implied(key, names[key]) for key in catalog.referenced if key not in catalog.entities
    ]
    edges = [Dependency(names[source], names[target]) for source, target in catalog.edges]
    service_map = ServiceMap.build([*components, *implied], edges)
    imported = ImportedMap(service_map, frozenset(c.name for c in implied), SOURCE)
    return CatalogRead(imported, tuple(catalog.notes))


def _entity(catalog: _Catalog, index: int, document: Document) -> None:
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        where = f"document {index + 1}"
        catalog.errors.append(document.error(where, (), "not a Backstage entity (no `kind`)"))
        return
    kind = data["kind"].lower()
    metadata = _mapping(data.get("metadata"))
    name, namespace = metadata.get("name"), metadata.get("namespace") or DEFAULT_NAMESPACE
    shown_ref = f"{kind}:{namespace}/{name}" if isinstance(name, str) else f"{data['kind']} ?"
    if kind in SKIPPED_KINDS:
        return
    if kind not in ENTITY_KINDS:
        where = document.place()
        catalog.notes.append(
            f"skipped {data['kind']} {shown(shown_ref)}{f' ({where})' if where else ''}: "
            "not part of a service map"
        )
        return
    problems = [
        (path, problem)
        for path, value in ((("metadata", "name"), name), (("metadata", "namespace"), namespace))
        if (problem := name_problem(value))
    ]
    for path, problem in problems:
        catalog.errors.append(document.error(f"{shown_ref} {'.'.join(path)}", path, problem))
    if problems:
        return
    key: EntityKey = (kind, str(namespace).lower(), str(name).lower())
    if (first := catalog.entities.get(key)) is not None:
        message = f"duplicate entity {entity_ref(key)}"
        if place := first.document.place(("metadata", "name")):
            message += f" (first at {place})"
        catalog.errors.append(document.error(f"{entity_ref(key)}", ("metadata", "name"), message))
        return
    catalog.entities[key] = _Entity(key, str(name), str(namespace), document)


def _relations(catalog: _Catalog, entity: _Entity) -> None:
    data = entity.document.data
    spec = _mapping(data.get("spec"))
    for field_name, (default_kind, outgoing) in RELATIONS.items():
        refs = spec.get(field_name)
        if refs is None:
            continue
        if not isinstance(refs, list):
            catalog.errors.append(
                entity.document.error(
                    f"{entity_ref(entity.key)} spec.{field_name}",
                    ("spec", field_name),
                    "must be a list of entity refs",
                )
            )
            continue
        for index, ref in enumerate(refs):
            path: Path = ("spec", field_name, index)
            _relation(catalog, entity, path, ref, default_kind, outgoing)
    if spec.get("subcomponentOf") is not None:  # the parent depends on its part
        _relation(
            catalog, entity, ("spec", "subcomponentOf"), spec["subcomponentOf"], "component", False
        )
    if spec.get("system") is not None and entity.key[0] != "system":
        _relation(catalog, entity, ("spec", "system"), spec["system"], "system", False)


def _relation(
    catalog: _Catalog,
    entity: _Entity,
    path: Path,
    ref: Any,
    default_kind: str,
    outgoing: bool,
) -> None:
    where = f"{entity_ref(entity.key)} {_dotted(path)}"
    if not isinstance(ref, str):
        catalog.errors.append(
            entity.document.error(
                where, path, f"an entity ref like component:default/foo, got {shown(ref)}"
            )
        )
        return
    other = parse_ref(ref, default_kind, entity.namespace)
    written = ref.rpartition(":")[2].rpartition("/")
    if problem := name_problem(written[2]) or (written[0] and name_problem(written[0])):
        catalog.errors.append(entity.document.error(where, path, problem))
        return
    catalog.referenced.setdefault(other, written[2])
    source, target = (entity.key, other) if outgoing else (other, entity.key)
    if source != target:
        catalog.edges.setdefault((source, target), None)


def _names(catalog: _Catalog) -> dict[EntityKey, str]:
    """Map names of every entity, declared or referenced (see the module's rules)."""
    keys = [*catalog.entities, *(k for k in catalog.referenced if k not in catalog.entities)]
    order = list(ENTITY_KINDS)
    by_base: dict[str, list[tuple[EntityKey, str]]] = {}
    for key in keys:
        entity = catalog.entities.get(key)
        name = entity.name if entity else catalog.referenced[key]
        namespace = entity.namespace if entity else key[1]
        base = name if namespace.lower() == DEFAULT_NAMESPACE else f"{namespace}-{name}"
        by_base.setdefault(name_key(base), []).append((key, base))
    names: dict[EntityKey, str] = {}
    for group in by_base.values():
        group.sort(key=lambda item: order.index(item[0][0]) if item[0][0] in order else len(order))
        for position, (key, base) in enumerate(group):
            names[key] = base if position == 0 else f"{base}-{key[0]}"
    taken: dict[str, EntityKey] = {}
    for key, name in names.items():
        other = taken.setdefault(name_key(name), key)
        if other != key:
            message = (
                f"{entity_ref(key)} and {entity_ref(other)} would both be named {name!r} "
                "in the map: rename one"
            )
            entity = catalog.entities.get(key) or catalog.entities.get(other)
            catalog.errors.append(
                entity.document.error(entity_ref(key), ("metadata", "name"), message)
                if entity is not None
                else MapError(entity_ref(key), message)
            )
    return names


def _component(entity: _Entity, name: str) -> Component:
    data = entity.document.data
    kind = entity.key[0]
    metadata = _mapping(data.get("metadata"))
    spec = _mapping(data.get("spec"))
    entity_type = spec.get("type")
    labels = _mapping(metadata.get("labels"))
    labels = {str(k): str(v) for k, v in labels.items()}
    labels[REF_LABEL] = entity_ref(entity.key)
    if kind == "system" and isinstance(spec.get("domain"), str):
        labels[DOMAIN_LABEL] = ref_name(spec["domain"])[1]
    owner = spec.get("owner")
    return Component(
        name=name,
        kind=BUSINESS_KIND if kind == "system" else str(entity_type or ENTITY_KINDS[kind]),
        title=_text(metadata.get("title")),
        owner=ref_name(owner)[1] if isinstance(owner, str) else None,
        description=_text(metadata.get("description")),
        labels=labels,
        runbook_url=_runbook(metadata.get("links")),
    )


def _implied(key: EntityKey, name: str) -> Component:
    return Component(
        name=name, kind=ENTITY_KINDS.get(key[0], "service"), labels={REF_LABEL: entity_ref(key)}
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dotted(path: Path) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)[1:]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _runbook(links: Any) -> str | None:
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and "runbook" in str(link.get("title", "")).lower():
            return _text(link.get("url"))
    return None
