"""Which business services each node's "strict" failure reaches, as precomputed bitsets.

`affects` reports as *protected* the business services that would be down if every group
needed all of its members: those in the closure of the down seeds over the `strict` edges
(hard, gate and member edges), minus what is actually down. A search over that closure is
as large as the whole impact, so the sets are computed once per compiled map instead:
strong components of the strict graph (scipy), then one pass over the condensed DAG, sinks
first, OR-ing each component's bitset into its predecessors, one word of 64 services at a
time. A query ORs the rows of its seeds.

Maps whose bitsets would be too large, or whose condensed DAG is too deep for level-wise
passes, get no table (`None`) and callers search instead.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from impact.traversal import Adjacency, IntArray

MAX_BYTES = 512 * 2**20  # bitset table budget
MAX_LEVELS = 2000  # level-wise passes over the condensed DAG (each costs a few numpy calls)

UIntArray = npt.NDArray[np.uint64]


class BusinessReach:
    """Per node: the business services (as bit positions) its strict closure contains."""

    def __init__(self, label: IntArray, bits: UIntArray, business: IntArray) -> None:
        self._label = label  # node -> strong component
        self._bits = bits  # (words, components)
        self._business = business  # bit position -> business node

    def arrays(self) -> tuple[IntArray, UIntArray, IntArray]:
        """(label, bits, business): what `BusinessReach(*arrays)` is rebuilt from."""
        return self._label, self._bits, self._business

    def of(self, seeds: IntArray) -> IntArray:
        """Business nodes in the strict closure of `seeds`, by node index."""
        if len(seeds) == 0 or len(self._business) == 0:
            return np.empty(0, dtype=np.int32)
        words = np.bitwise_or.reduce(self._bits[:, self._label[seeds]], axis=1)
        flags = np.unpackbits(words.astype("<u8").view(np.uint8), bitorder="little")
        found: IntArray = self._business[np.flatnonzero(flags[: len(self._business)])]
        return found


def business_reach(strict: Adjacency, business: IntArray) -> BusinessReach | None:
    """The table for the `strict` reverse adjacency, or None when it does not fit."""
    from scipy.sparse import csr_matrix  # here: a model loaded from a snapshot needs no scipy
    from scipy.sparse.csgraph import connected_components

    n = strict.n
    words = (len(business) + 63) // 64
    if n * max(words, 1) * 8 > MAX_BYTES:
        return None
    indptr = strict.indptr[: n + 1]
    cols = strict.indices[: int(indptr[n])]
    matrix = csr_matrix((np.ones(len(cols), dtype=np.int8), cols, indptr), shape=(n, n))
    count, label = connected_components(matrix, directed=True, connection="strong")
    label = label.astype(np.int32)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    source, target = label[rows].astype(np.int64), label[cols].astype(np.int64)
    keep = source != target
    pairs = np.sort(source[keep] * count + target[keep])  # sort-based dedup: hashing is slower
    pairs = pairs[np.concatenate((pairs[:1] >= 0, pairs[1:] != pairs[:-1]))]
    bits = np.zeros((words, count), dtype=np.uint64)
    positions = np.arange(len(business))
    np.bitwise_or.at(
        bits,
        (positions // 64, label[business]),
        np.left_shift(np.uint64(1), (positions % 64).astype(np.uint64)),
    )
    if not _propagate(bits, pairs // count, pairs % count, count):
        return None
    return BusinessReach(label, bits, business.astype(np.int32))


def _propagate(bits: UIntArray, source: IntArray, target: IntArray, count: int) -> bool:
    """bits[s] |= bits[t] for every edge s -> t of the DAG, sinks first; False if too deep."""
    by_target = np.argsort(target, kind="stable")
    sources = source[by_target]
    starts = np.searchsorted(target[by_target], np.arange(count + 1))
    waiting = np.bincount(source, minlength=count)  # out-edges not yet final
    ready = np.flatnonzero(waiting == 0)
    for _ in range(MAX_LEVELS):
        if len(ready) == 0:
            return True
        lengths = starts[ready + 1] - starts[ready]
        ends = np.cumsum(lengths)
        edges = np.arange(int(ends[-1]), dtype=np.int64) + np.repeat(
            starts[ready] - (ends - lengths), lengths
        )
        if len(edges) == 0:
            return True
        src = sources[edges]
        dst = np.repeat(ready, lengths)
        order = np.argsort(src, kind="stable")
        src, dst = src[order], dst[order]
        heads = np.flatnonzero(np.concatenate(([True], src[1:] != src[:-1])))
        owners = src[heads]
        for word in bits:
            word[owners] |= np.bitwise_or.reduceat(word[dst], heads)
        waiting[owners] -= np.diff(np.append(heads, len(src)))
        ready = owners[waiting[owners] == 0]
    return False
