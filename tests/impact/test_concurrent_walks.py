"""Walks in several threads over one compiled graph: each sees only its own search.

A model and its forks share one compiled graph: the reconcile loop evaluates a fork while
questions ask the shared model. Searches must not share scratch buffers.
"""

from __future__ import annotations

import random
import threading

import numpy as np

from impact.engine import ImpactModel
from impact.model import Component, Dependency, ServiceMap, State
from impact.traversal import Adjacency


def _random_map(seed: int, n: int = 400, edges: int = 1200) -> ServiceMap:
    rng = random.Random(seed)
    names = [f"c{i:04d}" for i in range(n)]
    business = [f"biz{i:02d}" for i in range(20)]
    components = [Component(name) for name in names]
    components += [Component(name, kind="business_service") for name in business]
    pairs = {(rng.choice(names), rng.choice(names)) for _ in range(edges)}
    deps = [Dependency(s, t) for s, t in sorted(pairs) if s != t]
    deps += [Dependency(b, rng.choice(names)) for b in business for _ in range(3)]
    return ServiceMap.build(components, deps, [])


def _reference(adjacency: Adjacency, seeds: list[int]) -> set[int]:
    """Everything reachable from `seeds` by a plain Python search of the CSR rows."""
    seen, todo = set(seeds), list(seeds)
    while todo:
        node = todo.pop()
        for nxt in adjacency.row(node).tolist():
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_threads_walking_one_adjacency_each_get_their_own_reach() -> None:
    graph = ImpactModel.from_map(_random_map(3))._graph
    adjacency = graph.all
    rng = random.Random(5)
    cases = [rng.sample(range(graph.n_components), rng.randint(1, 6)) for _ in range(60)]
    expected = [_reference(adjacency, seeds) for seeds in cases]
    failures: list[str] = []
    start = threading.Barrier(6)

    def worker(offset: int) -> None:
        start.wait()
        for round_ in range(40):
            index = (offset * 7 + round_) % len(cases)
            seeds = np.array(cases[index], dtype=np.int32)
            with adjacency.walk() as walk:
                found = set(walk.extend(seeds).tolist())
            if found != expected[index]:
                failures.append(f"thread {offset} case {index}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_forks_evaluated_in_threads_agree_with_one_thread() -> None:
    model = ImpactModel.from_map(_random_map(11))
    rng = random.Random(2)
    names = [n for n in model.names() if n.startswith("c")]
    cases = [{n: State.DOWN for n in rng.sample(names, 4)} for _ in range(12)]
    expected = []
    for states in cases:
        fork = model.fork()
        fork.set_states(states)
        expected.append(fork.status())
    affected = {name: model.affects([name]) for name in names[:12]}
    failures: list[str] = []
    start = threading.Barrier(4)

    def worker(offset: int) -> None:
        start.wait()
        for round_ in range(24):
            index = (offset + round_) % len(cases)
            if offset % 2:
                fork = model.fork()
                fork.set_states(cases[index])
                if fork.status() != expected[index]:
                    failures.append(f"status {index}")
            else:
                name = names[index]
                if model.affects([name]) != affected[name]:
                    failures.append(f"affects {name}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_standing_lists_what_a_whatif_of_nothing_lists() -> None:
    model = ImpactModel.from_map(_random_map(17))
    rng = random.Random(4)
    names = [n for n in model.names() if n.startswith("c")]
    for _ in range(10):
        states = {n: rng.choice([State.DOWN, State.DEGRADED]) for n in rng.sample(names, 6)}
        model.set_states(states)
        now = model.whatif([]).affects
        down, degraded, groups = model.standing()
        assert down == {s.name for s in now.down}
        assert degraded == {s.name for s in now.degraded}
        assert groups == now.groups


def test_causes_kept_per_component_follow_an_edit_of_the_map() -> None:
    service_map = _random_map(23)
    late = Component("late-service", kind="business_service")
    failing = {"c0001": State.DOWN, "c0002": State.DOWN}
    model = ImpactModel.from_map(
        ServiceMap.build([*service_map.components.values(), late], service_map.dependencies, [])
    )
    model.set_states(failing)
    assert "late-service" not in {s.name for s in model.status().services if s.causes}
    model.add_dependency(Dependency("late-service", "c0001"))  # what c0001 reaches grew
    fresh = ImpactModel.from_map(
        ServiceMap.build(
            [*service_map.components.values(), late],
            [*service_map.dependencies, Dependency("late-service", "c0001")],
            [],
        )
    )
    fresh.set_states(failing)
    assert model.status() == fresh.status()
    assert "late-service" in {s.name for s in model.status().services if s.causes}
