"""Backstage catalog files (`catalog-info.yaml`, multi-document) to a service map.

Component, Resource, API and System entities become components; Systems become business
services that depend on the entities naming them in `spec.system`. `spec.dependsOn`,
`spec.consumesApis` and `spec.providesApis` become hard dependencies. `spec.owner` like
`group:default/team-a` becomes owner `team-a`. Entities referenced but not in the file are
created as components of the referenced kind (and never overwrite stored ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from impact.model import BUSINESS_KIND, Component, Dependency, ServiceMap, name_key
from store.errors import MapError, MapValidationError
from store.records import ImportedMap
from store.validation import name_problem
from store.yamlsafe import load_yaml_documents

SOURCE = "backstage"
ENTITY_KINDS = {
    "component": "service",
    "resource": "resource",
    "api": "api",
    "system": BUSINESS_KIND,
}


def ref_name(ref: str) -> tuple[str | None, str]:
    """`component:default/foo` -> ("component", "foo"); `foo` -> (None, "foo")."""
    kind, _, rest = ref.rpartition(":")
    return (kind.lower() or None), rest.rpartition("/")[2]


@dataclass
class _Catalog:
    components: dict[str, Component] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    edges: dict[tuple[str, str], Dependency] = field(default_factory=dict)
    referenced: dict[str, str] = field(default_factory=dict)  # key -> default kind
    names: dict[str, str] = field(default_factory=dict)
    errors: list[MapError] = field(default_factory=list)


def parse_backstage(text: str) -> ImportedMap:
    """Parse a Backstage catalog; raises `MapValidationError` listing every problem."""
    documents = load_yaml_documents(text)
    catalog = _Catalog()
    for index, document in enumerate(documents):
        if document is not None:
            _entity(catalog, f"document {index + 1}", document)
    implied = _implied(catalog)
    if catalog.errors:
        raise MapValidationError(catalog.errors)
    components = [*catalog.components.values(), *implied]
    service_map = ServiceMap.build(components, catalog.edges.values())
    return ImportedMap(service_map, frozenset(c.name for c in implied), SOURCE)


def _entity(catalog: _Catalog, where: str, document: Any) -> None:
    if not isinstance(document, dict) or not isinstance(document.get("kind"), str):
        catalog.errors.append(MapError(where, "not a Backstage entity (no `kind`)"))
        return
    kind = document["kind"].lower()
    if kind not in ENTITY_KINDS:
        return  # Groups, Users, Domains, Locations carry no dependencies
    metadata = document.get("metadata") or {}
    spec = document.get("spec") or {}
    name = metadata.get("name") if isinstance(metadata, dict) else None
    where = f"{where} ({document['kind']} {name or '?'})"
    if problem := name_problem(name):
        catalog.errors.append(MapError(f"{where}.metadata.name", problem))
        return
    assert isinstance(name, str)
    if name_key(name) in catalog.components:
        first = catalog.where[name_key(name)]
        message = f"duplicate entity name {name!r} (first at {first})"
        catalog.errors.append(MapError(f"{where}.metadata.name", message))
        return
    catalog.where[name_key(name)] = where
    catalog.names[name_key(name)] = name
    catalog.components[name_key(name)] = _component(name, kind, metadata, spec)
    _relations(catalog, where, name, spec if isinstance(spec, dict) else {})


def _component(name: str, kind: str, metadata: dict[str, Any], spec: Any) -> Component:
    spec = spec if isinstance(spec, dict) else {}
    entity_type = spec.get("type")
    labels = metadata.get("labels") or {}
    owner = spec.get("owner")
    return Component(
        name=name,
        kind=BUSINESS_KIND if kind == "system" else str(entity_type or ENTITY_KINDS[kind]),
        title=_text(metadata.get("title")),
        owner=ref_name(owner)[1] if isinstance(owner, str) else None,
        description=_text(metadata.get("description")),
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        runbook_url=_runbook(metadata.get("links")),
    )


def _relations(catalog: _Catalog, where: str, name: str, spec: dict[str, Any]) -> None:
    for field_name, default_kind, outgoing in (
        ("dependsOn", "component", True),
        ("consumesApis", "api", True),
        ("providesApis", "api", False),
    ):
        refs = spec.get(field_name) or []
        if not isinstance(refs, list):
            catalog.errors.append(
                MapError(f"{where}.spec.{field_name}", "must be a list of entity refs")
            )
            continue
        for index, ref in enumerate(refs):
            _relation(
                catalog, f"{where}.spec.{field_name}[{index}]", name, ref, default_kind, outgoing
            )
    if isinstance(spec.get("system"), str):
        _relation(catalog, f"{where}.spec.system", name, spec["system"], "system", False)


def _relation(
    catalog: _Catalog, where: str, name: str, ref: Any, default_kind: str, outgoing: bool
) -> None:
    if not isinstance(ref, str):
        catalog.errors.append(
            MapError(where, f"an entity ref like component:default/foo, got {ref!r}")
        )
        return
    kind, other = ref_name(ref)
    if problem := name_problem(other):
        catalog.errors.append(MapError(where, problem))
        return
    catalog.referenced.setdefault(
        name_key(other), ENTITY_KINDS.get(kind or default_kind, "service")
    )
    catalog.names.setdefault(name_key(other), other)
    source, target = (name, other) if outgoing else (other, name)
    if name_key(source) != name_key(target):
        catalog.edges.setdefault((name_key(source), name_key(target)), Dependency(source, target))


def _implied(catalog: _Catalog) -> list[Component]:
    """Components only referenced; dependency names are rewritten to the declared spelling."""
    implied = [
        Component(name=catalog.names[key], kind=kind)
        for key, kind in catalog.referenced.items()
        if key not in catalog.components
    ]
    catalog.edges = {
        edge: Dependency(catalog.names[edge[0]], catalog.names[edge[1]], dep.kind)
        for edge, dep in catalog.edges.items()
    }
    return implied


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _runbook(links: Any) -> str | None:
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and "runbook" in str(link.get("title", "")).lower():
            return _text(link.get("url"))
    return None
