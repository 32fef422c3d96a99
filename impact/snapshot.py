"""A compiled model as bytes: numpy arrays plus JSON, in one .npz (no pickle, ever).

    data = pack(arrays, meta)           # arrays: name -> ndarray; meta: JSON-able
    arrays, meta = unpack(data)         # raises SnapshotError on anything unexpected

The format is what `impact.graph.CompiledGraph.to_arrays` writes; `FORMAT` moves whenever
that layout changes, and a snapshot of another format is refused (the caller recompiles).
Loading uses `allow_pickle=False`, so a snapshot read from a database or a file can hold
numbers and text only. Components and groups travel as columns of JSON values.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import numpy.typing as npt

from impact.bulk import no_cycle_collection
from impact.model import Component, HealthCheck, RedundancyGroup

FORMAT = 1
META = "meta.json"
_FIELDS = [f.name for f in fields(Component)]


class SnapshotError(ValueError):
    """The bytes are not a snapshot of this format."""


def pack(arrays: Mapping[str, npt.NDArray[Any]], meta: Mapping[str, Any]) -> bytes:
    """One .npz holding `arrays` and `meta` (as a uint8 array of its JSON)."""
    if META in arrays:
        raise SnapshotError(f"{META!r} is reserved")
    text = json.dumps({"format": FORMAT, **meta}, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    members: dict[str, Any] = {**arrays, META: np.frombuffer(text, dtype=np.uint8)}
    np.savez(buffer, **members)
    return buffer.getvalue()


def unpack(data: bytes) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """The arrays and meta of `pack`; SnapshotError for other bytes or another format."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as loaded:
            arrays = {name: loaded[name] for name in loaded.files}
        with no_cycle_collection():  # the component columns: ~10^5 strings in lists
            meta = json.loads(arrays.pop(META).tobytes())
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise SnapshotError(f"not a model snapshot: {error}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SnapshotError(f"snapshot format {meta.get('format')!r}, expected {FORMAT}")
    return arrays, meta


def component_columns(components: Sequence[Component]) -> dict[str, Any]:
    """Per field: a dense list for name and kind, {position: value} for the others."""
    columns: dict[str, Any] = {"name": [c.name for c in components]}
    columns["kind"] = [c.kind for c in components]
    for name in _FIELDS[2:]:
        sparse = {}
        for position, component in enumerate(components):
            value = getattr(component, name)
            if value is None or (name == "labels" and not value):
                continue
            sparse[str(position)] = _check_json(value) if name == "check" else value
        columns[name] = sparse
    return columns


def components_from_columns(columns: Mapping[str, Any]) -> list[Component]:
    """The components of `component_columns`, in the same order."""
    names, kinds = columns["name"], columns["kind"]
    extra: dict[int, dict[str, Any]] = {}
    for name in _FIELDS[2:]:
        for position, value in columns[name].items():
            extra.setdefault(int(position), {})[name] = (
                HealthCheck(**value) if name == "check" else value
            )
    if len(names) != len(kinds):
        raise ValueError(f"{len(names)} component names for {len(kinds)} kinds")
    # each built once (a frozen dataclass costs per construction): most with a name and a
    # kind only, in one pass of `map`; those with other fields again, with them
    with no_cycle_collection():
        components = list(map(Component, names, kinds))
        for position, values in extra.items():
            components[position] = Component(names[position], kinds[position], **values)
    return components


def group_rows(groups: Iterable[RedundancyGroup]) -> list[list[Any]]:
    return [[g.name, g.dependant, list(g.members), g.min_up, g.min_percent] for g in groups]


def groups_from_rows(rows: Iterable[Sequence[Any]]) -> list[RedundancyGroup]:
    return [RedundancyGroup(n, d, tuple(m), up, pct) for n, d, m, up, pct in rows]


def _check_json(check: HealthCheck) -> dict[str, Any]:
    return {f.name: getattr(check, f.name) for f in fields(HealthCheck)}
