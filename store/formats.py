"""Map files in any supported format (YAML map, Backstage catalog, CSV edge list)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from impact.model import ServiceMap
from store.backstage import parse_backstage
from store.edgelist import parse_edge_list
from store.errors import StoreError
from store.mapfile import parse_map, read_text
from store.records import ImportedMap, Progress

FORMATS = ("auto", "yaml", "backstage", "csv")
YAML_SOURCE = ImportedMap(ServiceMap()).source  # what `read_map_file` gives YAML maps
BACKSTAGE = re.compile(r"^apiVersion:\s*backstage\.io/", re.MULTILINE)


def detect_format(path: str | Path, text: str) -> str:
    """csv by suffix, backstage by its `apiVersion`, else the YAML map format."""
    if Path(path).suffix.lower() in (".csv", ".tsv"):
        return "csv"
    return "backstage" if BACKSTAGE.search(text) else "yaml"


def read_map_file(
    path: str | Path,
    fmt: str = "auto",
    progress: Progress | None = None,
    known: Mapping[str, str] | None = None,
) -> ImportedMap:
    """Read and validate `path`; raises `MapValidationError` listing every problem.

    `known` (name key -> name): stored names a YAML map's references may use (a merge).

    `progress(done, total)` follows the entries of a YAML map as they are checked.
    """
    text = read_text(path)
    if fmt == "auto":
        fmt = detect_format(path, text)
    if fmt == "backstage":
        return parse_backstage(text)
    if fmt == "csv":
        return parse_edge_list(text)
    if fmt != "yaml":
        raise StoreError(f"unknown map format {fmt!r}: use one of {', '.join(FORMATS)}")
    return ImportedMap(parse_map(text, progress, known))


def fully_checked(imported: ImportedMap) -> bool:
    """True when the reader ran every check of `Store.import_map` already (YAML maps).

    Pass it as `import_map(..., checked=...)` to skip checking a big map twice.
    """
    return imported.source == YAML_SOURCE
