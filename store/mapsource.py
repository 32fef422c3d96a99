"""Maps kept as code: a map file or a directory of them, read as one map.

    read_map_source(path, fmt, progress, known) -> MapSource     raises MapValidationError

A directory is read recursively, `*.yaml`, `*.yml` and `*.json` in sorted path order. Each
file is a service-map file (names may be used across files; a name defined twice is an
error naming both places) or a Backstage catalog file (any document whose `apiVersion` is
`backstage.io/...` or `*.backstage.io/...`). A catalog's `Location` entities are followed:
their `target`/`targets` that are local paths (relative to the Location's file, globs
allowed) are read too, once each however often they are reached; remote targets (URLs) are
never fetched and each gives a note. A single `.csv`/`.tsv` file is an edge list.

Service-map files are first read without node marks (fast on big maps); only when something
is wrong are they read again with marks, so every error carries its file, line and column.
Catalog files are always read with marks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from impact.model import ServiceMap, name_key
from store.backstage import (
    Document,
    is_catalog_document,
    location_targets,
    parse_catalog,
)
from store.edgelist import parse_edge_list
from store.errors import MapError, MapValidationError, StoreError
from store.mapfile import parse_map_files, read_text
from store.records import ImportedMap, Progress
from store.validation import check_service_map
from store.yamlsafe import Marked, Marks, load_yaml_documents, load_yaml_marked

MAP_SUFFIXES = (".yaml", ".yml", ".json")
EDGE_LIST_SUFFIXES = (".csv", ".tsv")
FORMATS = ("auto", "yaml", "backstage", "csv")
MAX_FILES = 10_000  # files one source may read, Location targets included
NO_MARKS = Marks({}, {})
YAML_PLACE = re.compile(r"^line (\d+), column (\d+)$")


@dataclass(frozen=True, slots=True)
class MapSource:
    """A map read from files: the map, the files read and notes for the reader."""

    imported: ImportedMap
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def checked(self) -> bool:
        """True when every check of `Store.import_map` already ran (service-map files only)."""
        return self.imported.source == ImportedMap(ServiceMap()).source


def map_files(path: str | Path) -> list[Path]:
    """The map files of a directory, recursively, in sorted path order (or `[path]`)."""
    root = Path(path)
    if not root.is_dir():
        return [root]
    found = sorted(p for p in root.rglob("*") if p.suffix.lower() in MAP_SUFFIXES and p.is_file())
    if len(found) > MAX_FILES:
        raise StoreError(f"{root} holds more than {MAX_FILES} map files: split it")
    return found


def read_map_source(
    path: str | Path,
    fmt: str = "auto",
    progress: Progress | None = None,
    known: Mapping[str, str] | None = None,
) -> MapSource:
    """Read and validate a map file or directory; raises `MapValidationError` (every problem,
    each with file:line:column) or `StoreError` (unreadable, unknown format)."""
    if fmt not in FORMATS:
        raise StoreError(f"unknown map format {fmt!r}: use one of {', '.join(FORMATS)}")
    root = Path(path)
    if not root.exists():
        raise StoreError(f"no such file or directory: {str(path)!r}")
    if fmt == "csv" or (fmt == "auto" and root.suffix.lower() in EDGE_LIST_SUFFIXES):
        if root.is_dir():
            raise StoreError("an edge list is one .csv file, not a directory")
        return MapSource(_edge_list(str(path)), (str(path),))
    files = map_files(root)
    if not files:
        raise StoreError(f"{root} holds no map files (*.yaml, *.yml, *.json)")
    try:
        return _Reader(fmt, marks=False).read(files, progress, known)
    except MapValidationError:
        return _Reader(fmt, marks=True).read(files, progress, known)  # again, to place errors


def _edge_list(file: str) -> ImportedMap:
    try:
        return parse_edge_list(read_text(file))
    except MapValidationError as error:
        raise MapValidationError([replace(e, file=file) for e in error.errors]) from None


def _yaml_place(error: MapError, file: str) -> MapError:
    """A YAML reader's error (`line 3, column 5`) as one of `file`."""
    found = YAML_PLACE.match(error.location)
    if found is None:
        return replace(error, file=file)
    return replace(error, file=file, line=int(found[1]), column=int(found[2]))


@dataclass
class _Reader:
    fmt: str
    marks: bool
    errors: list[MapError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    catalog: list[Document] = field(default_factory=list)
    maps: list[tuple[str, Marked]] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)
    order: list[str] = field(default_factory=list)

    def read(
        self,
        files: Iterable[Path],
        progress: Progress | None,
        known: Mapping[str, str] | None,
    ) -> MapSource:
        queue = list(files)
        while queue:
            file = queue.pop(0)
            if file.resolve() in self.seen:
                continue
            if len(self.seen) >= MAX_FILES:
                raise StoreError(f"more than {MAX_FILES} files reached: stopped reading")
            self.seen.add(file.resolve())
            self.order.append(str(file))
            queue[0:0] = self._file(file)
        return self._build(progress, known)

    def _file(self, file: Path) -> list[Path]:
        """Read one file; returns the local Location targets it names."""
        name = str(file)
        try:
            documents = self._documents(read_text(file))
        except MapValidationError as error:
            self.errors += [_yaml_place(e, name) for e in error.errors]
            return []
        catalog = self.fmt == "backstage" or (
            self.fmt == "auto" and any(is_catalog_document(d.data) for d in documents)
        )
        if not catalog:
            if len(documents) > 1:
                message = "a map file holds one YAML document; this is a second one"
                line = documents[1].line if self.marks else None
                self.errors.append(MapError("", message, file=name, line=line))
            self.maps.append((name, documents[0] if documents else Marked(None, NO_MARKS, 1)))
            return []
        if not self.marks:  # catalog files are small: always placed, notes included
            documents = load_yaml_marked(read_text(file))
        targets: list[Path] = []
        for marked in documents:
            document = Document(marked.data, marked.marks, name)
            self.catalog.append(document)
            for target, path in location_targets(document):
                targets += self._target(file, document, target, path)
        return targets

    def _documents(self, text: str) -> list[Marked]:
        if self.marks:
            return load_yaml_marked(text)
        return [Marked(data, NO_MARKS, 1) for data in load_yaml_documents(text) if data is not None]

    def _target(
        self, file: Path, document: Document, target: str, path: tuple[str | int, ...]
    ) -> list[Path]:
        place = document.place(path) or str(file)
        if "://" in target:
            self.notes.append(
                f"not followed: remote Location target {target} ({place}); bsm import "
                "reads local files only: check it out and import that, or use bsm sync"
            )
            return []
        base = file.parent
        if any(char in target for char in "*?["):
            found = sorted(p for p in base.glob(target) if p.is_file())
        else:
            found = [base / target] if (base / target).is_file() else []
        if not found:
            message = f"{target!r} names no file (relative to {file.parent})"
            self.errors.append(document.error("Location target", path, message))
        return found

    def _build(self, progress: Progress | None, known: Mapping[str, str] | None) -> MapSource:
        parts: list[ImportedMap] = []
        if self.catalog:
            try:
                read = parse_catalog(self.catalog)
                parts.append(read.imported)
                self.notes += read.notes
            except MapValidationError as error:
                self.errors += error.errors
        if self.maps:
            names = {**(known or {})}
            for part in parts:
                names.update({name_key(n): n for n in part.service_map.components})
            try:
                parts.append(ImportedMap(parse_map_files(self.maps, progress, names)))
            except MapValidationError as error:
                self.errors += error.errors
        if not self.errors and len(parts) == 2:
            self._collisions(parts[0], parts[1])
        if self.errors:
            raise MapValidationError(self.errors)
        return MapSource(_union(parts), tuple(self.order), tuple(self.notes))

    def _collisions(self, catalog: ImportedMap, maps: ImportedMap) -> None:
        declared = {c.key for c in catalog.service_map.components.values()} - {
            name_key(n) for n in catalog.implied
        }
        for component in maps.service_map.components.values():
            if component.key in declared:
                self.errors.append(
                    MapError(
                        component.name,
                        "defined both in a service-map file and as a Backstage entity",
                    )
                )


def _union(parts: list[ImportedMap]) -> ImportedMap:
    if len(parts) == 1:
        return parts[0]
    catalog, maps = parts
    own = {c.key for c in maps.service_map.components.values()}
    components = [
        *(c for c in catalog.service_map.components.values() if c.key not in own),
        *maps.service_map.components.values(),
    ]
    service_map = ServiceMap.build(
        components,
        [*catalog.service_map.dependencies, *maps.service_map.dependencies],
        maps.service_map.groups,
        maps.service_map.policies,
    )
    implied = frozenset(n for n in catalog.implied if name_key(n) not in own)
    return ImportedMap(service_map, implied, catalog.source)


def validate_source(
    path: str | Path, fmt: str = "auto", known: Mapping[str, str] | None = None
) -> tuple[MapSource | None, list[MapError]]:
    """Every problem of a map file or directory, as `bsm import` would find them (each
    with its place when it has one); the source when there is none. Writes nothing."""
    try:
        source = read_map_source(path, fmt, known=known)
    except MapValidationError as error:
        return None, error.errors
    except StoreError as error:
        return None, [MapError("", str(error), file=str(path))]
    if not source.checked and (
        errors := check_service_map(source.imported.service_map, known or {})
    ):
        return None, errors
    return source, []
