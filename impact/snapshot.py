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
from bisect import bisect_left
from collections import deque
from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    Sequence,
    ValuesView,
)
from dataclasses import fields
from itertools import repeat
from typing import Any, cast, overload

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
_NAME, _KIND, _LABELS = _SLOTS["name"], _SLOTS["kind"], _SLOTS["labels"]
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
    """The components of `dense_columns`, in the same order (all of them built now)."""
    return list(ComponentColumns(columns))


class _Columns:
    """The dense columns of `dense_columns`, checked: what `ComponentColumns` decode from
    (never changed; shared by a sequence and its copies)."""

    __slots__ = ("_unset", "count", "kinds", "names", "sparse")

    def __init__(self, columns: Mapping[str, Any]) -> None:
        names, kinds = columns["name"], columns["kind"]
        if len(names) != len(kinds):
            raise ValueError(f"{len(names)} component names for {len(kinds)} kinds")
        count = self.count = len(names)
        self.names: Sequence[str] = names
        self.kinds: Sequence[str] = kinds
        # per optional field set by some component: (its positions, ascending; its values)
        self.sparse: dict[str, tuple[list[int], list[Any]]] = {}
        for name in _FIELDS[2:]:
            positions, values = columns[name]
            if not isinstance(positions, list) or not isinstance(values, list):
                raise ValueError(f"{name!r} column of {type(positions).__name__}")
            if len(positions) != len(values):
                raise ValueError(f"{len(positions)} positions of {name!r} for {len(values)}")
            if not positions:
                continue
            _check_positions(name, positions, count)
            if name == "check" and not all(map(_is_check_json, values)):
                raise ValueError("a health check of other fields")
            self.sparse[name] = (positions, values)
        # the fields set by none, but labels (each component's own empty dict)
        self._unset = [_SLOTS[n] for n in _FIELDS[2:] if n not in self.sparse and n != "labels"]

    def one(self, position: int) -> Component:
        """Component `position`, as `every` builds it."""
        component: Component = object.__new__(Component)
        _NAME(component, self.names[position])
        _KIND(component, self.kinds[position])
        for setter in self._unset:  # the fields no component sets
            setter(component, None)
        _LABELS(component, {})  # unless set below: a dict of its own, as a default
        for name, (positions, values) in self.sparse.items():
            at = bisect_left(positions, position)
            if at < len(positions) and positions[at] == position:
                value = values[at]
                _SLOTS[name](component, HealthCheck(**value) if name == "check" else value)
            elif name != "labels":
                _SLOTS[name](component, None)
        return component

    def every(self) -> list[Component]:
        """Every component, in order: field by field, as `Component(**fields)` would hold
        them (a frozen dataclass costs ~2 us per construction, ten times the slots it
        sets: 100k components, 0.2 s)."""
        count = self.count
        values: dict[str, Sequence[Any]] = {"name": self.names, "kind": self.kinds}
        for name in _FIELDS[2:]:
            column: list[Any] = (
                list(map(dict, repeat((), count))) if name == "labels" else [None] * count
            )
            positions, set_values = self.sparse.get(name, ((), ()))
            if name == "check":
                set_values = [HealthCheck(**value) for value in set_values]
            for position, value in zip(positions, set_values, strict=True):
                column[position] = value
            values[name] = column
        with no_cycle_collection():
            components = list(map(object.__new__, repeat(Component, count)))
            for name, each in values.items():
                deque(map(_SLOTS[name], components, each), maxlen=0)
        return components


def _check_positions(name: str, positions: list[Any], count: int) -> None:
    """ValueError unless `positions` are integers ascending strictly within [0, count)."""
    try:
        array = np.array(positions)
    except (OverflowError, TypeError) as error:
        raise ValueError(f"{name!r} positions: {error}") from None
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise ValueError(f"{name!r} positions of dtype {array.dtype}")
    if not 0 <= array[0] <= array[-1] < count:
        raise ValueError(f"{name!r} at positions {positions[0]!r}..{positions[-1]!r} of {count}")
    if len(array) > 1 and not bool((array[1:] > array[:-1]).all()):
        raise ValueError(f"{name!r} positions out of order")


_CHECK_FIELDS = frozenset(f.name for f in fields(HealthCheck))


def _is_check_json(value: Any) -> bool:
    return type(value) is dict and "url" in value and value.keys() <= _CHECK_FIELDS


class ComponentColumns(Sequence[Component]):
    """The components of a snapshot's columns (`dense_columns`), each built on first
    access (`seq[i]`: as `components_from_columns` builds it) and kept.

    The columns are checked when made (ValueError: a bad snapshot is refused at load, not
    at first use). Iterating builds, all at once, what is not built yet. An item set
    (`seq[i] = component`: an edit of the graph) replaces it; `copy` and `renumbered`
    share the columns and copy the list of what is built, never building anything.

    Two threads reading an item not built may both build it: a component is immutable
    and either one is kept; an item is stored whole, once built. Setting items is for an
    unpublished graph (one thread, like the list it stands for).
    """

    __slots__ = ("_columns", "_full", "_items", "_misses", "_rows", "_set")

    def __init__(self, columns: Mapping[str, Any]) -> None:
        self._columns = _Columns(columns)
        self._items: list[Component | None] = [None] * self._columns.count
        self._rows: list[int] | None = None  # item -> position in the columns (None: same)
        self._full = False  # every item built
        self._set: set[int] = set()  # the items set (or added): not the columns' own
        self._misses = 0  # items built one by one: past a quarter, the rest built at once

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Component: ...

    @overload
    def __getitem__(self, index: slice) -> list[Component]: ...

    def __getitem__(self, index: int | slice) -> Component | list[Component]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._items)))]
        items = self._items
        found = items[index]
        if found is None:
            self._misses += 1
            if self._misses > max(_BULK, len(items) >> 2):  # read one by one, all: `dict(map)`
                return self._built()[index]
            rows, at = self._rows, index if index >= 0 else index + len(items)
            found = self._columns.one(at if rows is None else rows[at])
            items[index] = found
        return found

    def __setitem__(self, index: int, component: Component) -> None:
        self._items[index] = component
        self._set.add(index if index >= 0 else index + len(self._items))

    def __iter__(self) -> Iterator[Component]:
        return iter(self._built())

    def _built(self) -> list[Component]:
        """Every item, those not built yet built now (all at once, column by column)."""
        if not self._full:
            items, rows = self._items, self._rows
            every: list[Component | None] = list(self._columns.every())
            if rows is not None:  # a row of -1: an item added, built already
                every = [every[row] if row >= 0 else None for row in rows]
            self._items = [c if c is not None else every[i] for i, c in enumerate(items)]
            self._full = True
        return cast("list[Component]", self._items)

    def copy(self) -> ComponentColumns:
        """An equal sequence whose items are set apart from this one's (nothing built)."""
        copied = object.__new__(ComponentColumns)
        copied._columns, copied._rows, copied._full = self._columns, self._rows, self._full
        copied._set, copied._items = set(self._set), list(self._items)
        copied._misses = self._misses
        return copied

    def renumbered(
        self, sources: Sequence[int], added: Mapping[int, Component]
    ) -> ComponentColumns:
        """The sequence whose item k is this one's item `sources[k]`, or `added[k]` where
        `sources[k]` is negative (nothing built: the columns are shared)."""
        items, rows, held = self._items, self._rows, self._set
        copied = object.__new__(ComponentColumns)
        copied._columns, copied._full, copied._misses = self._columns, False, self._misses
        copied._items = [items[s] if s >= 0 else added[k] for k, s in enumerate(sources)]
        own = sources if rows is None else [rows[s] if s >= 0 else -1 for s in sources]
        copied._rows = [s if s >= 0 else -1 for s in own]
        copied._set = set(added)
        if held:
            copied._set.update(k for k, s in enumerate(sources) if s in held)
        return copied

    def setting(self, name: str) -> list[str]:
        """The names of the items setting the optional field `name` (labels: not empty),
        in order: from the columns' positions, and the items set read (none built)."""
        names, rows, held = self._columns.names, self._rows, self._set
        positions = self._columns.sparse.get(name, ([], []))[0]
        if rows is None and not held:
            return [names[p] for p in positions]
        if rows is None:
            found = [p for p in positions if p not in held]
        else:
            chosen = np.isin(np.array(rows, dtype=np.int64), np.array(positions, dtype=np.int64))
            found = [k for k in np.flatnonzero(chosen).tolist() if k not in held]
        found += [k for k in held if _is_set(name, getattr(self._items[k], name))]
        return [self[k].name if k in held else names[_row(rows, k)] for k in sorted(found)]

    def kinds(self) -> Sequence[str]:
        """The kind of each item, in order (none built)."""
        kinds = self._columns.kinds
        if self._rows is None and not self._set:
            return kinds
        rows = self._rows
        return [
            c.kind if c is not None else kinds[i if rows is None else rows[i]]
            for i, c in enumerate(self._items)
        ]

    def column(self, name: str) -> list[Any] | None:
        """The values the components setting the optional field `name` hold in the
        columns, in order (JSON values: a check as a dict), while every item is the
        columns' (none set, the sequence not renumbered); else None."""
        if self._rows is not None or self._set:
            return None
        return self._columns.sparse.get(name, ([], []))[1]


_BULK = 1024  # components built one by one (or a quarter) before the rest are built at once


def _row(rows: list[int] | None, item: int) -> int:
    return item if rows is None else rows[item]


def _is_set(name: str, value: Any) -> bool:
    """Whether a component sets its field `name` to `value` (as `component_columns` says)."""
    return bool(value) if name == "labels" else value is not None


class ComponentMap(MutableMapping[str, Component]):
    """Name -> component over a graph's `index` (name -> position) and its components (a
    `ComponentColumns` or a list), in the index's order: no dict of every name is made
    and a component is read (built, for columns) only when asked for.

    What is written is kept aside, the components read are never changed: a name set
    (added, or re-described) or deleted; names added come after the index's, in the
    order they were first set. The components read are the graph's, so they must be
    those the map holds: an edit of the graph sets the component in both (`ImpactModel`).
    """

    __slots__ = ("_gone", "_index", "_items", "_own")

    def __init__(self, index: Mapping[str, int], items: Sequence[Component]) -> None:
        self._index, self._items = index, items
        self._own: dict[str, Component] = {}  # names set: added, or in place of the index's
        self._gone: set[str] = set()  # names of the index deleted

    def __getitem__(self, name: str) -> Component:
        own = self._own
        if own and name in own:
            return own[name]
        if name in self._gone:
            raise KeyError(name)
        return self._items[self._index[name]]

    def __setitem__(self, name: str, component: Component) -> None:
        at = self._index.get(name)
        if at is not None and name not in self._gone and self._items[at] is component:
            self._own.pop(name, None)  # what the graph holds (an edit sets it in both)
            return
        self._own[name] = component
        self._gone.discard(name)

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._own.pop(name, None)
        if name in self._index:
            self._gone.add(name)

    def __contains__(self, name: object) -> bool:
        return name in self._own or (name in self._index and name not in self._gone)

    def __iter__(self) -> Iterator[str]:
        if not self._own and not self._gone:
            return iter(self._index)
        return self._names()

    def _names(self) -> Iterator[str]:
        gone, index = self._gone, self._index
        yield from (name for name in index if name not in gone)
        yield from (name for name in self._own if name not in index)

    def __repr__(self) -> str:
        return f"<ComponentMap of {len(self)} components>"

    def __len__(self) -> int:
        index = self._index
        return len(index) - len(self._gone) + sum(name not in index for name in self._own)

    def values(self) -> ComponentValues:
        return ComponentValues(self)

    def items(self) -> ComponentItems:
        return ComponentItems(self)

    def pairs(self) -> Iterator[tuple[str, Component]]:
        """(name, component) in order, the components not built yet built all at once."""
        items, own, gone = list(self._items), self._own, self._gone
        for name, position in self._index.items():
            if own and name in own:
                yield name, own[name]
            elif name not in gone:
                yield name, items[position]
        index = self._index
        yield from ((name, c) for name, c in own.items() if name not in index)

    def over(
        self, index: Mapping[str, int], items: Sequence[Component], fresh: Iterable[str] = ()
    ) -> ComponentMap:
        """A map over another graph's `index` and `items` holding what was written to this
        one, but for the names `fresh` (those the other graph holds anew)."""
        fresh = set(fresh)
        moved = ComponentMap(index, items)
        moved._own = {n: c for n, c in self._own.items() if n not in fresh}
        moved._gone = {n for n in self._gone if n not in fresh and n in index}
        return moved

    def kinds(self) -> set[str]:
        """The kinds of the components, each once (none built while nothing was written)."""
        items = self._items
        if self._own or self._gone:
            return {c.kind for c in self.values()}
        if isinstance(items, ComponentColumns):
            return set(items.kinds())
        return {c.kind for c in items}

    def copy(self) -> ComponentMap:
        """The same map, written apart from this one (the graph's components are shared)."""
        return self.over(self._index, self._items)

    def column(self, name: str) -> list[Any] | None:
        """`ComponentColumns.column` of the components read, while nothing was written
        (else None, as for components of a list)."""
        items = self._columns()
        return items.column(name) if items is not None else None

    def setting(self, name: str) -> list[str] | None:
        """`ComponentColumns.setting` of the components read, while nothing was written
        (else None, as for components of a list: read them)."""
        items = self._columns()
        return items.setting(name) if items is not None else None

    def _columns(self) -> ComponentColumns | None:
        items = self._items
        if self._own or self._gone or not isinstance(items, ComponentColumns):
            return None
        return items if len(items) == len(self._index) else None


class ComponentValues(ValuesView[Component]):
    """The components of a `ComponentMap`, in its order (built all at once when iterated)."""

    def __init__(self, components: ComponentMap) -> None:
        super().__init__(components)
        self.components = components

    def __iter__(self) -> Iterator[Component]:
        return (component for _, component in self.components.pairs())


class ComponentItems(ItemsView[str, Component]):
    """The (name, component) pairs of a `ComponentMap`, in its order."""

    def __init__(self, components: ComponentMap) -> None:
        super().__init__(components)
        self.components = components

    def __iter__(self) -> Iterator[tuple[str, Component]]:
        return self.components.pairs()


def group_rows(groups: Iterable[RedundancyGroup]) -> list[list[Any]]:
    return [[g.name, g.dependant, list(g.members), g.min_up, g.min_percent] for g in groups]


def groups_from_rows(rows: Iterable[Sequence[Any]]) -> list[RedundancyGroup]:
    return [RedundancyGroup(n, d, tuple(m), up, pct) for n, d, m, up, pct in rows]


def _check_json(check: HealthCheck) -> dict[str, Any]:
    return {f.name: getattr(check, f.name) for f in fields(HealthCheck)}
