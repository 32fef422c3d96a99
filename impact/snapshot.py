"""A compiled model as bytes: numpy arrays stored raw plus JSON (no pickle, ever).

    data = pack(arrays, meta)           # arrays: name -> ndarray; meta: JSON-able
    arrays, meta = unpack(data)         # raises SnapshotError on anything unexpected

The layout: `MAGIC`, the length of a JSON header (8 bytes, little-endian), the header
(the format, each array's name, dtype, shape and offset, the places in `meta` of its long
strings, and `meta` with "" there), then each array's bytes at an offset aligned to 64,
the long strings' UTF-8 among them (JSON reads a long string with escapes slowly: at 1M
components the name index tables). `unpack` accepts bytes or a memory-mapped file's view
and makes no copy: each array is a read-only view of `data` (`np.frombuffer`), so loading
a 100k-component model reads its arrays for the cost of checking their places. Only
plain numeric and boolean dtypes are accepted, never objects, so a snapshot read from a
database or a file can hold numbers and text only.

The format is what `impact.graph.CompiledGraph.to_arrays` writes; `FORMAT` moves whenever
that layout changes, and a snapshot of another format (an older .npz) is refused: the
caller compiles instead. Components and groups travel as columns of JSON values
(`component_columns`: the names and kinds as one text of lines each).
"""

from __future__ import annotations

import json
import math
import operator
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from impact.bulk import no_cycle_collection
from impact.model import Component, HealthCheck, RedundancyGroup

FORMAT = 4  # 3: the optional component fields as [positions, values]; 4: long texts raw
MAGIC = b"BSM-MODEL-SNAPSHOT\n"
ALIGN = 64
_LENGTH = 8  # bytes of the header's length
_KINDS = frozenset("biuf")  # bool, signed and unsigned integers, floats: nothing else
TEXT_MIN = 1 << 16  # characters: a string of meta this long is stored raw, not in the JSON
_TEXT_DEPTH, _TEXT_ITEMS = 6, 8  # where strings are looked for: dicts, lists this short
_LINE = "\n"
_FIELDS = [f.name for f in fields(Component)]
# each field's slot setter (Component has slots and no __post_init__: what __init__ sets)
_SLOTS = {name: getattr(Component, name).__set__ for name in _FIELDS}
_GETTERS = {name: operator.attrgetter(name) for name in _FIELDS}


class SnapshotError(ValueError):
    """The bytes are not a snapshot of this format."""


def pack(arrays: Mapping[str, npt.NDArray[Any]], meta: Mapping[str, Any]) -> bytes:
    """The bytes holding `arrays` (raw, each aligned) and `meta` (JSON; its long strings,
    in dicts and short lists, as raw UTF-8 beside the arrays: JSON reads them slowly)."""
    places, offset = [], 0
    texts: list[tuple[list[str | int], str]] = []
    meta = _texts_out(meta, [], texts)
    contiguous = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    for number, (_, string) in enumerate(texts):
        contiguous[f"text.{number}"] = np.frombuffer(string.encode(), dtype=np.uint8)
    for name, array in contiguous.items():
        if array.dtype.kind not in _KINDS:
            raise SnapshotError(f"array {name!r} of dtype {array.dtype} cannot be stored")
        places.append([name, array.dtype.str, list(array.shape), offset])
        offset += _aligned(array.nbytes)
    header = {
        "format": FORMAT,
        "arrays": places,
        "texts": [path for path, _ in texts],
        "meta": meta,
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    start = _aligned(len(MAGIC) + _LENGTH + len(text))
    parts: list[bytes | memoryview] = [MAGIC, len(text).to_bytes(_LENGTH, "little"), text]
    parts.append(bytes(start - len(MAGIC) - _LENGTH - len(text)))
    for array in contiguous.values():  # each array's own bytes: copied once, by the join
        parts += [
            array.reshape(-1).view(np.uint8).data,
            bytes(_aligned(array.nbytes) - array.nbytes),
        ]
    return b"".join(parts)


def unpack(data: bytes | memoryview) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """The arrays (read-only views of `data`: bytes, or a memory-mapped file's view) and
    meta of `pack`; SnapshotError for other bytes or another format."""
    data = memoryview(data).cast("B")
    if bytes(data[: len(MAGIC)]) != MAGIC:
        raise SnapshotError(f"not a model snapshot of format {FORMAT}")
    at = len(MAGIC) + _LENGTH
    size = int.from_bytes(data[len(MAGIC) : at], "little")
    if size > len(data) - at:
        raise SnapshotError(f"snapshot header of {size} bytes in {len(data)}")
    try:
        with no_cycle_collection():  # the component columns: ~10^5 strings in lists
            header = json.loads(bytes(data[at : at + size]))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            found = header.get("format") if isinstance(header, dict) else None
            raise SnapshotError(f"snapshot format {found!r}, expected {FORMAT}")
        start = _aligned(at + size)
        arrays = {}
        for name, kind, shape, offset in header["arrays"]:
            arrays[str(name)] = _view(data, start + int(offset), np.dtype(kind), shape)
        meta = header["meta"]
        for number, path in enumerate(header["texts"]):
            _text_in(meta, path, arrays.pop(f"text.{number}"))
    except SnapshotError:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise SnapshotError(f"not a model snapshot: {error!r}") from None
    if not isinstance(meta, dict):
        raise SnapshotError("snapshot meta is not an object")
    return arrays, meta


def _view(data: memoryview, offset: int, dtype: np.dtype[Any], shape: Any) -> npt.NDArray[Any]:
    """The array of `dtype` and `shape` at `offset` of `data`, without a copy."""
    if dtype.kind not in _KINDS or not isinstance(shape, list):
        raise SnapshotError(f"snapshot array of dtype {dtype} and shape {shape!r}")
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise SnapshotError(f"snapshot array of shape {shape!r}")
    count = math.prod(shape)
    if offset < 0 or offset + count * dtype.itemsize > len(data):
        raise SnapshotError(f"snapshot array at {offset} runs past {len(data)} bytes")
    return np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape)


def _texts_out(value: Any, path: list[str | int], texts: list[Any]) -> Any:
    """`value` with its long strings (in dicts and short lists, not deep) taken out into
    `texts` as (path, string), left as "" in copies of the containers holding them."""
    if isinstance(value, str) and len(value) >= TEXT_MIN:
        texts.append((path, value))
        return ""
    if len(path) >= _TEXT_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {key: _texts_out(item, [*path, key], texts) for key, item in value.items()}
    if isinstance(value, list | tuple) and len(value) <= _TEXT_ITEMS:
        return [_texts_out(item, [*path, index], texts) for index, item in enumerate(value)]
    return value


def _text_in(meta: Any, path: Any, raw: npt.NDArray[Any]) -> None:
    """Put the string of `raw` (UTF-8) back at `path` of `meta`, where "" holds its place."""
    if not isinstance(path, list) or not path or raw.dtype != np.uint8:
        raise SnapshotError(f"snapshot text at {path!r}")
    container = meta
    for step in path[:-1]:
        container = container[step]
    last = path[-1]
    if not isinstance(container, dict | list) or container[last] != "":
        raise SnapshotError(f"snapshot text at {path!r} has no place")
    container[last] = str(raw.data, "utf-8")


def _aligned(size: int) -> int:
    return -(-size // ALIGN) * ALIGN


def component_columns(components: Sequence[Component]) -> dict[str, Any]:
    """Per field: a dense list for name and kind, [positions, values] for the others (the
    positions, ascending, of the components setting the field; their values in order).

    Column by column, without a Python loop over the components: each field read by
    `attrgetter`, a field nobody sets seen by `list.count`, the set ones picked by numpy
    (1M components: 0.75 s in a loop)."""
    count = len(components)
    columns: dict[str, Any] = {"count": count}
    for name in ("name", "kind"):  # one text of lines when no value holds a line break
        values = list(map(_GETTERS[name], components))
        text = _LINE.join(values)
        columns[name] = text if text.count(_LINE) == max(count - 1, 0) else values
    for name in _FIELDS[2:]:
        values = list(map(_GETTERS[name], components))
        empty: dict[str, str] | None = {} if name == "labels" else None  # what unset holds
        if values.count(empty) == count:  # set by none (most fields of most maps): no scan
            columns[name] = [[], []]
            continue
        unset = (
            map(operator.not_, values)
            if name == "labels"
            else map(operator.is_, values, repeat(None))
        )
        positions = np.flatnonzero(~np.fromiter(unset, dtype=bool, count=count)).tolist()
        chosen = [values[p] for p in positions]
        if name == "check":
            chosen = list(map(_check_json, chosen))
        columns[name] = [positions, chosen]
    return columns


def dense_columns(columns: Mapping[str, Any]) -> dict[str, Any]:
    """`columns` of `component_columns` with the name and the kind as lists."""
    count = columns["count"]
    dense = dict(columns)
    for name in ("name", "kind"):
        column = columns[name]
        if isinstance(column, str):
            column = column.split(_LINE) if count else []
        if not isinstance(column, list) or len(column) != count:
            raise ValueError(f"{name!r} column of {count} components")
        dense[name] = column
    return dense


def components_from_columns(columns: Mapping[str, Any]) -> list[Component]:
    """The components of `dense_columns`, in the same order."""
    names, kinds = columns["name"], columns["kind"]
    if len(names) != len(kinds):
        raise ValueError(f"{len(names)} component names for {len(kinds)} kinds")
    count = len(names)
    values: dict[str, list[Any]] = {"name": names, "kind": kinds}
    for name in _FIELDS[2:]:
        column: list[Any] = (
            list(map(dict, repeat((), count))) if name == "labels" else [None] * count
        )
        positions, set_values = columns[name]
        if len(positions) != len(set_values):
            raise ValueError(f"{len(positions)} positions of {name!r} for {len(set_values)}")
        if name == "check":
            set_values = [HealthCheck(**value) for value in set_values]
        for position, value in zip(positions, set_values, strict=True):
            if not isinstance(position, int) or not 0 <= position < count:
                raise ValueError(f"{name!r} at position {position!r} of {count}")
            column[position] = value
        values[name] = column
    # Restored field by field, as `Component(**fields)` would hold them: a frozen dataclass
    # costs ~2 us per construction, ten times the slots it sets (100k components: 0.2 s)
    with no_cycle_collection():
        components = list(map(object.__new__, repeat(Component, count)))
        for name, column in values.items():
            deque(map(_SLOTS[name], components, column), maxlen=0)
    return components


def group_rows(groups: Iterable[RedundancyGroup]) -> list[list[Any]]:
    return [[g.name, g.dependant, list(g.members), g.min_up, g.min_percent] for g in groups]


def groups_from_rows(rows: Iterable[Sequence[Any]]) -> list[RedundancyGroup]:
    return [RedundancyGroup(n, d, tuple(m), up, pct) for n, d, m, up, pct in rows]


def _check_json(check: HealthCheck) -> dict[str, Any]:
    return {f.name: getattr(check, f.name) for f in fields(HealthCheck)}
