"""Multi-source breadth-first search over an editable reverse adjacency (CSR arrays).

One row per node lists the nodes its failure reaches. An extra last row, the super source,
holds the seeds of the current search, written in place, so a search from many seeds costs
one scipy BFS and never copies the arrays. Rows stay sorted, which keeps answers deterministic.

Walks may run in several threads at once over one adjacency: each walk has scratch arrays
of its own (taken from a few kept for reuse), and only writing the super source's row and
the search that reads it are serialised, by the adjacency's lock, as are edits.
The search is scipy's compiled BFS kernel once scipy's graph module is loaded (a compile
loads it, and `bsm serve` loads it with `load_kernel` a second after it is ready); until then
it is `frontier_search`, level by level in numpy, with the same order and predecessors. A
process that starts from a snapshot so answers its first questions without importing scipy
(about 0.2 s of a start; measured: 0.9 ms against 0.06 ms for one component's search at 100k
nodes, 13 ms against 1.4 ms for a search of all of them).
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int32]
NULL = -9999  # scipy's "no predecessor" marker: a node with this predecessor is unvisited
BLOCKED = -1  # any other value marks a node as already visited
KEEP_SCRATCH = 4  # free scratch pairs an adjacency keeps for the next walks
_KERNEL_MODULE = "scipy.sparse.csgraph._traversal"


def bfs_kernel() -> Callable[..., int] | None:
    """scipy's compiled BFS kernel (it lets us reuse scratch arrays and pre-mark visited
    nodes) when scipy's graph module is loaded, else None: nothing is imported here."""
    module = sys.modules.get(_KERNEL_MODULE)
    kernel: Callable[..., int] | None = getattr(module, "_breadth_first_directed", None)
    return kernel


def load_kernel() -> bool:
    """Import scipy's graph module (about 0.2 s), so that searches use its kernel; False when
    this scipy build has none (the frontier search goes on serving)."""
    try:
        importlib.import_module(_KERNEL_MODULE)
    except ImportError:  # pragma: no cover - depends on the scipy build
        return False
    return bfs_kernel() is not None


def frontier_search(
    head: int, indices: IntArray, indptr: IntArray, order: IntArray, pred: IntArray
) -> int:
    """Breadth-first search from `head` as scipy's kernel does it, in numpy, level by level:
    `order` gets the visited nodes in visiting order (`head` first), `pred` each new node's
    predecessor (the first node of the queue with an edge to it), nodes whose `pred` is not
    NULL are neither entered nor crossed, and `head`'s own entry is left alone. Returns how
    many nodes `order` holds."""
    saved = int(pred[head])
    pred[head] = BLOCKED  # never entered, as the kernel skips it
    order[0] = head
    length = 1
    frontier = order[:1].copy()
    try:
        while len(frontier):
            starts, ends = indptr[frontier], indptr[frontier + 1]
            counts = ends - starts
            if len(frontier) == 1:
                reached = indices[int(starts[0]) : int(ends[0])]
                parents = None
            else:
                total = int(counts.sum())
                # each frontier node's row in turn: the queue's order, rows sorted
                offsets = np.repeat(starts.astype(np.int64) - np.cumsum(counts) + counts, counts)
                reached = indices[offsets + np.arange(total, dtype=np.int64)]
                parents = np.repeat(frontier, counts)
            fresh = pred[reached] == NULL
            reached = reached[fresh]
            if len(reached) == 0:
                break
            first = np.unique(reached, return_index=True)[1]
            first.sort()  # each new node once, where the queue first reaches it
            parent = frontier[0] if parents is None else parents[fresh][first]
            frontier = reached[first]
            pred[frontier] = parent
            order[length : length + len(frontier)] = frontier
            length += len(frontier)
    finally:
        pred[head] = saved
    return length


class Adjacency:
    """Reverse edges of the graph as sorted CSR rows plus the super-source row."""

    def __init__(self, n: int, src: npt.NDArray[np.int64], dst: npt.NDArray[np.int64]) -> None:
        self.n = n
        pairs = np.sort(src.astype(np.int64) * (n + 1) + dst)
        if len(pairs):  # drop duplicate edges (sort-based: far faster than hashing here)
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
        rows, cols = np.divmod(pairs, n + 1)
        counts = np.bincount(rows, minlength=n + 1)[: n + 1]
        self.indptr = np.zeros(n + 2, dtype=np.int32)
        np.cumsum(counts, out=self.indptr[1 : n + 2])
        self.indices = np.empty(len(cols) + 64, dtype=np.int32)
        self.indices[: len(cols)] = cols
        self._init_scratch()

    @classmethod
    def from_arrays(cls, n: int, indptr: IntArray, indices: IntArray) -> Adjacency:
        """The adjacency whose CSR rows are `indptr`/`indices` (from `arrays()`)."""
        adjacency = object.__new__(cls)
        adjacency.n = n
        adjacency.indptr = np.array(indptr, dtype=np.int32)
        adjacency.indices = np.empty(len(indices) + 64, dtype=np.int32)
        adjacency.indices[: len(indices)] = indices
        adjacency._init_scratch()
        return adjacency

    def _init_scratch(self) -> None:
        self._lock = threading.Lock()  # the super source's row, and edits
        self._free: list[tuple[IntArray, IntArray]] = []  # scratch pairs kept for reuse

    def copy(self) -> Adjacency:
        """An adjacency with the same rows and arrays of its own (edit it, not this one).

        The two share their free scratch pairs (the same size; each pair is taken by one
        walk at a time): the copy's first walk allocates none."""
        with self._lock:
            end = int(self.indptr[self.n])
            indptr = self.indptr.copy()
            indptr[self.n + 1] = end
            copy = Adjacency.from_arrays(self.n, indptr, self.indices[:end])
            copy._free = self._free
            return copy

    def _take_scratch(self) -> tuple[IntArray, IntArray]:
        """A free scratch pair (pred all NULL, order), or new arrays when none is free."""
        try:
            return self._free.pop()  # atomic: two walks never take the same pair
        except IndexError:
            return np.full(self.n + 1, NULL, dtype=np.int32), np.empty(self.n + 1, dtype=np.int32)

    def _give_scratch(self, pred: IntArray, order: IntArray) -> None:
        """Keep a scratch pair for the next walk (pred reset to NULL by the caller); a few
        at most, so a map of a million nodes holds megabytes of scratch, not a pair per thread."""
        if len(self._free) < KEEP_SCRATCH:
            self._free.append((pred, order))

    def arrays(self) -> tuple[IntArray, IntArray]:
        """The CSR rows (indptr, indices): the super-source row empty, no spare room."""
        indptr = self.indptr.copy()
        indptr[self.n + 1] = indptr[self.n]
        return indptr, self.indices[: int(indptr[self.n])].copy()

    @property
    def edge_count(self) -> int:
        return int(self.indptr[self.n])

    def row(self, node: int) -> IntArray:
        return self.indices[self.indptr[node] : self.indptr[node + 1]]

    def has_edge(self, u: int, v: int) -> bool:
        row = self.row(u)
        pos = int(np.searchsorted(row, v))
        return pos < len(row) and int(row[pos]) == v

    def add_edge(self, u: int, v: int) -> None:
        """Insert u -> v keeping the row sorted; O(edges) memory move."""
        with self._lock:
            self._add_edge(u, v)

    def _add_edge(self, u: int, v: int) -> None:
        if self.has_edge(u, v):
            return
        self._reserve(1)
        end = int(self.indptr[self.n])
        pos = int(self.indptr[u]) + int(np.searchsorted(self.row(u), v))
        self.indices[pos + 1 : end + 1] = self.indices[pos:end]
        self.indices[pos] = v
        self.indptr[u + 1 :] += 1

    def remove_edge(self, u: int, v: int) -> None:
        with self._lock:
            self._remove_edge(u, v)

    def _remove_edge(self, u: int, v: int) -> None:
        if not self.has_edge(u, v):
            return
        end = int(self.indptr[self.n])
        pos = int(self.indptr[u]) + int(np.searchsorted(self.row(u), v))
        self.indices[pos : end - 1] = self.indices[pos + 1 : end]
        self.indptr[u + 1 :] -= 1

    def _reserve(self, extra: int) -> None:
        needed = int(self.indptr[self.n]) + extra
        if needed > len(self.indices):
            grown = np.empty(needed + max(64, needed // 8), dtype=np.int32)
            grown[: len(self.indices)] = self.indices
            self.indices = grown

    def walk(self) -> Walk:
        return Walk(self)


class Walk:
    """One search session: extend it from new seeds; nodes visited earlier are not revisited.

    The session's scratch (`pred`: per node its predecessor, NULL while unvisited) is its
    own, so walks in other threads over the same adjacency never see it.
    """

    def __init__(self, adjacency: Adjacency) -> None:
        self.adj = adjacency
        self.pred, self._order = adjacency._take_scratch()
        self.visited: list[IntArray] = []
        self._blocked: IntArray | None = None
        self._masked = False
        self._closed = False

    def block(self, nodes: IntArray) -> None:
        """Treat `nodes` as already visited: the search neither enters nor crosses them."""
        self.pred[nodes] = BLOCKED
        self._blocked = nodes

    def block_where(self, mask: npt.NDArray[np.bool_]) -> None:
        """`block` for the nodes where `mask` (one flag per node) is set; a streaming write."""
        np.copyto(self.pred[: self.adj.n], BLOCKED, where=mask)
        self._masked = True

    def rewind(self) -> None:
        """Forget the nodes visited since the blocks were set, keeping the blocks: the next
        `extend` searches past the same blocked nodes as if it were the first."""
        pred = self.pred
        for nodes in self.visited:
            pred[nodes] = NULL
        self.visited = []

    def extend(self, seeds: IntArray) -> IntArray:
        """Visit everything reachable from `seeds`; return the new nodes in BFS order."""
        return self._extend(seeds, keep=True)

    def mark(self, seeds: IntArray) -> None:
        """`extend` for callers that read only `predecessors()`: no list of the new nodes."""
        self._extend(seeds, keep=False)

    def _extend(self, seeds: IntArray, keep: bool) -> IntArray:
        seeds = seeds[self.pred[seeds] == NULL]
        if len(seeds) == 0:
            return np.empty(0, dtype=np.int32)
        found = self._search(seeds, keep)
        self.visited.append(found)
        return found

    def _search(self, seeds: IntArray, keep: bool = True) -> IntArray:
        adj = self.adj
        search = bfs_kernel() or frontier_search
        with adj._lock:  # the super source's row is shared: write it and search, alone
            adj._reserve(len(seeds))
            start = int(adj.indptr[adj.n])
            adj.indices[start : start + len(seeds)] = seeds
            adj.indptr[adj.n + 1] = start + len(seeds)
            length = search(adj.n, adj.indices, adj.indptr, self._order, self.pred)
        if not keep:  # nothing is reset from this list: the scratch is refilled instead
            self._masked = True
            return self._order[:0].copy()
        return self._order[1:length].copy()

    def predecessors(self) -> IntArray:
        """Full predecessor array: `n` for seeds, NULL/BLOCKED for nodes not visited.

        The walk hands its scratch array over (no copy) and ends: call it last.
        """
        taken = self.pred
        self.pred = np.full(self.adj.n + 1, NULL, dtype=np.int32)
        self.visited = []
        self._blocked = None
        self._masked = False
        self.close()
        return taken

    def close(self) -> None:
        """Reset the scratch and hand it back to this thread for its next walk."""
        if self._closed:
            return
        self._closed = True
        pred = self.pred
        touched = sum(len(nodes) for nodes in self.visited)
        if self._blocked is not None:
            touched += len(self._blocked)
        if self._masked or touched > len(pred) // 16:  # a fill streams; scatters cost more
            pred.fill(NULL)
        else:
            for nodes in self.visited:
                pred[nodes] = NULL
            if self._blocked is not None:
                pred[self._blocked] = NULL
        self.visited = []
        self._blocked = None
        self._masked = False
        self.adj._give_scratch(pred, self._order)

    def __enter__(self) -> Walk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
