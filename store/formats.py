"""Map files in any supported format (YAML map, Backstage catalog, CSV edge list)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from impact.model import ServiceMap
from store.mapsource import read_map_source
from store.records import ImportedMap, Progress

YAML_SOURCE = ImportedMap(ServiceMap()).source  # what `read_map_file` gives YAML maps
# `backstage.io/v1alpha1`, also `scaffolder.backstage.io/v1beta3` and other API groups.
BACKSTAGE = re.compile(r"^apiVersion:\s*[\"']?(?:[\w-]+\.)*backstage\.io/", re.MULTILINE)


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
    """Read and validate a map file or directory (see `store.mapsource`); raises
    `MapValidationError` listing every problem, each with its file, line and column.

    `known` (name key -> name): stored names a YAML map's references may use (a merge).
    `progress(done, total)` follows the entries of a YAML map as they are checked.
    """
    return read_map_source(path, fmt, progress, known).imported


def fully_checked(imported: ImportedMap) -> bool:
    """True when the reader ran every check of `Store.import_map` already (YAML maps).

    Pass it as `import_map(..., checked=...)` to skip checking a big map twice.
    """
    return imported.source == YAML_SOURCE
