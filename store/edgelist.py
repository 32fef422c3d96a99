"""CSV edge lists (`from,to[,kind]`, header optional) to a service map.

Every endpoint becomes a component of kind "service" when the store does not hold it yet;
stored components keep their attributes (the CSV only names them).
"""

from __future__ import annotations

import csv
import io

from impact.model import Component, Dependency, DependencyKind, ServiceMap, name_key
from store.errors import MapError, MapValidationError
from store.records import ImportedMap
from store.validation import name_problem

SOURCE = "csv"
HEADERS = ("from", "source")


def parse_edge_list(text: str) -> ImportedMap:
    """Parse `from,to[,kind]` rows; raises `MapValidationError` listing every bad line."""
    names: dict[str, str] = {}
    edges: dict[tuple[str, str], Dependency] = {}
    errors: list[MapError] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() in HEADERS:
            continue
        where = f"line {number}"
        if problem := _row_problem(cells):
            errors.append(MapError(where, problem))
            continue
        source, target = (names.setdefault(name_key(c), c) for c in cells[:2])
        kind = DependencyKind(cells[2].lower() if len(cells) > 2 and cells[2] else "hard")
        edge = (name_key(source), name_key(target))
        if edge in edges and edges[edge].kind != kind:
            errors.append(MapError(where, f"{source} -> {target} listed as both hard and soft"))
        edges.setdefault(edge, Dependency(source, target, kind))
    if errors:
        raise MapValidationError(errors)
    components = [Component(name=name) for name in names.values()]
    service_map = ServiceMap.build(components, edges.values())
    return ImportedMap(service_map, frozenset(names.values()), SOURCE)


def _row_problem(cells: list[str]) -> str | None:
    if len(cells) not in (2, 3):
        return f"expected from,to[,kind], got {len(cells)} columns: {','.join(cells)!r}"
    for cell in cells[:2]:
        if problem := name_problem(cell):
            return problem
    if name_key(cells[0]) == name_key(cells[1]):
        return f"{cells[0]!r} cannot depend on itself"
    if len(cells) == 3 and cells[2] and cells[2].lower() not in ("hard", "soft"):
        return f"kind must be hard or soft, got {cells[2]!r}"
    return None
