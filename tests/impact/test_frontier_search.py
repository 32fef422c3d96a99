"""The numpy frontier search against the kernel's algorithm, written here as a plain queue.

Before scipy's kernel is loaded (`bsm serve` loads it a second after it is ready) every
search is `frontier_search`: its visiting order and predecessors must be the kernel's,
node for node, or answers would differ by when they were asked.
"""

from __future__ import annotations

import random
from collections import deque

import numpy as np
import pytest

from impact.traversal import BLOCKED, NULL, Adjacency, bfs_kernel, frontier_search, load_kernel


def _queue_search(indices: list[int], indptr: list[int], head: int, pred: list[int]) -> list[int]:
    """scipy's `_breadth_first_directed` as its source reads: a FIFO queue from `head`; a
    node is entered the first time a queued node's row names it while its predecessor is
    NULL, and `head` is never entered."""
    order, queue = [head], deque([head])
    while queue:
        node = queue.popleft()
        for nxt in indices[indptr[node] : indptr[node + 1]]:
            if nxt != head and pred[nxt] == NULL:
                pred[nxt] = node
                order.append(nxt)
                queue.append(nxt)
    return order


def _case(seed: int) -> tuple[Adjacency, list[int], list[int]]:
    """A random adjacency with seeds in its super source's row (repeats among them) and some
    nodes blocked."""
    rng = random.Random(seed)
    n = rng.randint(1, 60)
    pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 4 * n))]
    src = np.array([p[0] for p in pairs], dtype=np.int64)
    dst = np.array([p[1] for p in pairs], dtype=np.int64)
    adjacency = Adjacency(n, src, dst)
    seeds = [rng.randrange(n) for _ in range(rng.randint(1, 5))]
    blocked = rng.sample(range(n), rng.randint(0, n // 3))
    adjacency._reserve(len(seeds))
    start = int(adjacency.indptr[n])
    adjacency.indices[start : start + len(seeds)] = seeds
    adjacency.indptr[n + 1] = start + len(seeds)
    return adjacency, seeds, blocked


@pytest.mark.parametrize("seed", range(300))
def test_frontier_search_visits_and_links_as_the_kernel_does(seed: int) -> None:
    adjacency, _, blocked = _case(seed)
    n = adjacency.n
    pred = np.full(n + 1, NULL, dtype=np.int32)
    pred[blocked] = BLOCKED
    expected_pred = pred.tolist()
    end = int(adjacency.indptr[n + 1])
    expected = _queue_search(
        adjacency.indices[:end].tolist(), adjacency.indptr.tolist(), n, expected_pred
    )
    order = np.empty(n + 1, dtype=np.int32)
    length = frontier_search(n, adjacency.indices, adjacency.indptr, order, pred)
    assert order[:length].tolist() == expected
    assert pred.tolist() == expected_pred  # the head's own entry left alone


@pytest.mark.parametrize("seed", range(100))
def test_frontier_search_equals_scipys_kernel(seed: int) -> None:
    if not load_kernel():  # pragma: no cover - depends on the scipy build
        pytest.skip("this scipy build has no BFS kernel")
    kernel = bfs_kernel()
    assert kernel is not None
    adjacency, _, blocked = _case(10_000 + seed)
    n = adjacency.n
    results = []
    for search in (kernel, frontier_search):
        pred = np.full(n + 1, NULL, dtype=np.int32)
        pred[blocked] = BLOCKED
        order = np.empty(n + 1, dtype=np.int32)
        length = search(n, adjacency.indices, adjacency.indptr, order, pred)
        results.append((order[:length].tolist(), pred.tolist()))
    assert results[0] == results[1]


def test_a_walk_without_the_kernel_extends_and_rewinds_as_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Walks over one adjacency, kernel loaded and not: the same new nodes in the same
    order, and the same predecessors, for extends after blocks and rewinds."""
    assert load_kernel()
    rng = random.Random(11)
    n = 300
    pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(900)]
    adjacency = Adjacency(
        n, np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs])
    )

    def run() -> list[object]:
        seen: list[object] = []
        with adjacency.walk() as walk:
            walk.block(np.array([3, 7, 11], dtype=np.int32))
            seen.append(walk.extend(np.array([1, 2], dtype=np.int32)).tolist())
            seen.append(walk.extend(np.array([5, 1], dtype=np.int32)).tolist())
            walk.rewind()
            seen.append(walk.extend(np.array([9], dtype=np.int32)).tolist())
            seen.append(walk.predecessors().tolist())
        return seen

    with_kernel = run()
    monkeypatch.setattr("impact.traversal.bfs_kernel", lambda: None)
    assert run() == with_kernel
    assert len(with_kernel[0]) > 10  # the case reaches well past its seeds
