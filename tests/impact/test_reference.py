"""Randomised cross-check of the vectorised engine against a plain fixpoint written here."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from impact.engine import ImpactModel
from impact.mapdiff import MapDelta
from impact.model import (
    Component,
    Dependency,
    DependencyKind,
    RedundancyGroup,
    ServiceMap,
    State,
    name_key,
)
from impact.traversal import load_kernel

LEVEL = {State.DOWN: 2, State.MAINTENANCE: 2, State.DEGRADED: 1}


@pytest.fixture(autouse=True, params=["kernel", "frontier"])
def search(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each check twice: searches by scipy's kernel, and by the numpy frontier search that
    serves before the kernel is loaded (`impact.traversal`)."""
    if request.param == "kernel":
        assert load_kernel()
    else:
        monkeypatch.setattr("impact.traversal.bfs_kernel", lambda: None)
    return str(request.param)


def reference_levels(smap: ServiceMap, seeds: dict[str, int]) -> dict[str, int]:
    """Least fixpoint by plain iteration: level 0 ok, 1 degraded, 2 down."""
    level = dict.fromkeys(smap.components, 0)
    level.update(seeds)
    changed = True
    while changed:
        changed = False
        for name in smap.components:
            new = max(seeds.get(name, 0), _from_deps(smap, level, name))
            if new > level[name]:
                level[name], changed = new, True
    return level


def _from_deps(smap: ServiceMap, level: dict[str, int], name: str) -> int:
    worst = 0
    for d in smap.dependencies:
        if d.source == name:
            reached = level[d.target]
            worst = max(worst, min(reached, 1) if d.kind == DependencyKind.SOFT else reached)
    for g in smap.groups:
        if g.dependant == name:
            down = sum(1 for m in g.members if level[m] == 2)
            if len(g.members) - down < g.required:
                worst = 2
            elif any(level[m] > 0 for m in g.members):
                worst = max(worst, 1)
    return worst


def reference_state(smap: ServiceMap, observed: dict[str, State], name: str) -> State:
    def run(states: set[State]) -> int:
        seeds = {n: LEVEL[s] for n, s in observed.items() if s in states}
        return reference_levels(smap, seeds)[name]

    everything = run({State.DOWN, State.DEGRADED, State.MAINTENANCE})
    unplanned = run({State.DOWN, State.DEGRADED})
    planned = run({State.MAINTENANCE})
    by_level = {0: State.OK, 1: State.DEGRADED, 2: State.DOWN}
    if everything == 0:
        state = State.OK
    elif unplanned == everything:
        state = by_level[unplanned]
    elif planned == everything:
        state = State.MAINTENANCE
    else:
        state = by_level[everything]
    if observed.get(name) == State.UNKNOWN and state == State.OK:
        return State.UNKNOWN
    return state


def random_map(rng: random.Random, size: int) -> ServiceMap:
    names = [f"c{i:02d}" for i in range(size)]
    deps, groups = [], []
    for _ in range(rng.randint(size, 3 * size)):
        source, target = rng.choice(names), rng.choice(names)
        kind = DependencyKind.SOFT if rng.random() < 0.3 else DependencyKind.HARD
        deps.append(Dependency(source, target, kind))
    for i in range(rng.randint(0, size // 3)):
        members = tuple(rng.sample(names, rng.randint(1, min(4, size))))
        needed = rng.randint(1, len(members))
        groups.append(RedundancyGroup(f"g{i}", rng.choice(names), members, min_up=needed))
    business = set(rng.sample(names, 3))
    comps = [Component(n, kind="business_service" if n in business else "service") for n in names]
    return ServiceMap.build(comps, deps, groups)


def acyclic_map(rng: random.Random, size: int) -> ServiceMap:
    """`random_map` keeping only the edges from a name to a later one: no cycles."""
    smap = random_map(rng, size)
    order = {n: i for i, n in enumerate(sorted(smap.components))}
    smap.dependencies = [d for d in smap.dependencies if order[d.source] < order[d.target]]
    smap.groups = [g for g in smap.groups if all(order[g.dependant] < order[m] for m in g.members)]
    return smap


def random_states(rng: random.Random, smap: ServiceMap) -> dict[str, State]:
    choices = [State.DOWN, State.DEGRADED, State.MAINTENANCE, State.UNKNOWN]
    picked = rng.sample(sorted(smap.components), rng.randint(0, min(4, len(smap.components))))
    return {n: rng.choice(choices) for n in picked}


@pytest.mark.parametrize("seed", range(150))
def test_effective_states_match_reference(seed: int) -> None:
    rng = random.Random(seed)
    smap = random_map(rng, rng.randint(3, 14))
    observed = random_states(rng, smap)
    model = ImpactModel.from_map(smap, observed)
    for name in smap.components:
        assert model.state_of(name) == reference_state(smap, observed, name), name


@pytest.mark.parametrize("seed", range(60))
def test_affects_matches_reference(seed: int) -> None:
    rng = random.Random(1000 + seed)
    smap = random_map(rng, rng.randint(3, 14))
    failed = rng.sample(sorted(smap.components), rng.randint(1, 3))
    levels = reference_levels(smap, dict.fromkeys(failed, 2))
    result = ImpactModel.from_map(smap).affects(failed)
    business = {c.name for c in smap.business_services}
    assert {s.name for s in result.down} == {n for n in business if levels[n] == 2}
    assert {s.name for s in result.degraded} == {n for n in business if levels[n] == 1}
    impacted = sum(1 for n, v in levels.items() if v and n not in failed)
    assert result.components_impacted == impacted


@pytest.mark.parametrize("seed", range(80))
def test_spof_matches_brute_force(seed: int) -> None:
    rng = random.Random(5000 + seed)
    smap = random_map(rng, rng.randint(3, 12))
    subject = rng.choice(sorted(smap.components))
    expected = sorted(
        n for n in smap.components if n != subject and reference_levels(smap, {n: 2})[subject] == 2
    )
    assert list(ImpactModel.from_map(smap).spof(subject).spofs) == expected


@pytest.mark.parametrize("seed", range(40))
def test_spof_matches_brute_force_on_acyclic_maps(seed: int) -> None:
    rng = random.Random(9000 + seed)
    smap = acyclic_map(rng, rng.randint(4, 14))
    subject = min(smap.components)
    expected = sorted(
        n for n in smap.components if n != subject and reference_levels(smap, {n: 2})[subject] == 2
    )
    assert list(ImpactModel.from_map(smap).spof(subject).spofs) == expected


def reference_protected(smap: ServiceMap, failed: list[str]) -> set[str]:
    """Business services down if every group needed all of its members, but not down."""
    strict = ServiceMap(
        dict(smap.components),
        list(smap.dependencies),
        [
            RedundancyGroup(g.name, g.dependant, g.members, min_up=len(g.members))
            for g in smap.groups
        ],
    )
    real = reference_levels(smap, dict.fromkeys(failed, 2))
    all_needed = reference_levels(strict, dict.fromkeys(failed, 2))
    business = {c.name for c in smap.business_services}
    return {n for n in business if all_needed[n] == 2 and real[n] != 2}


@pytest.mark.parametrize("table", [True, False], ids=["bitsets", "search"])
@pytest.mark.parametrize("seed", range(60))
def test_protected_matches_reference(
    seed: int, table: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not table:  # no room for the precomputed table: the engine searches instead
        monkeypatch.setattr("impact.reach.MAX_BYTES", 0)
    rng = random.Random(3000 + seed)
    smap = random_map(rng, rng.randint(3, 14))
    failed = rng.sample(sorted(smap.components), rng.randint(1, 3))
    model = ImpactModel.from_map(smap)
    assert set(model.affects(failed).protected) == reference_protected(smap, failed)
    # an edit is reflected in the next answer (the table is rebuilt after it)
    source, target = rng.sample(sorted(smap.components), 2)
    model.add_dependency(Dependency(source, target))
    edited = model.service_map
    monkeypatch.setattr("impact.graph.REACH_REBUILD_AFTER", 2)
    for _ in range(3):  # searched while the table is stale, then from the rebuilt table
        assert set(model.affects(failed).protected) == reference_protected(edited, failed)


@pytest.mark.parametrize("seed", range(40))
def test_mostly_down_maps_match_reference(seed: int) -> None:
    """Failures that take most of the map down (the engine then searches only the rest)."""
    rng = random.Random(7000 + seed)
    smap = random_map(rng, rng.randint(4, 14))
    counts: dict[str, int] = {}
    for d in smap.dependencies:
        counts[d.target] = counts.get(d.target, 0) + 1
    hub = max(sorted(counts), key=counts.__getitem__)
    failed = [hub, *rng.sample(sorted(smap.components), 2)]
    levels = reference_levels(smap, dict.fromkeys(failed, 2))
    result = ImpactModel.from_map(smap).affects(failed)
    business = {c.name for c in smap.business_services}
    assert {s.name for s in result.down} == {n for n in business if levels[n] == 2}
    assert {s.name for s in result.degraded} == {n for n in business if levels[n] == 1}
    assert result.components_impacted == sum(1 for n, v in levels.items() if v and n not in failed)


@pytest.mark.parametrize("size", [3, 60])  # 60 members: too many for one mask per group
def test_group_rows_follow_each_loss(size: int) -> None:
    members = tuple(f"m{i:02d}" for i in range(size))
    comps = [Component("app"), *(Component(m) for m in members)]
    smap = ServiceMap.build(comps, [], [RedundancyGroup("pool", "app", members, min_up=2)])
    model = ImpactModel.from_map(smap)
    for lost in ([members[0]], [members[1], members[2]], [members[0]]):
        (group,) = model.affects(lost).groups
        assert group.failed_members == tuple(lost)
        assert group.up == size - len(lost)


@pytest.mark.parametrize("seed", range(200))
def test_why_down_causes_alone_take_the_subject_down_on_acyclic_maps(seed: int) -> None:
    """The causes marked DOWN reproduce the outage on their own; the others cannot."""
    rng = random.Random(13000 + seed)
    smap = acyclic_map(rng, rng.randint(4, 14))
    observed = {
        n: rng.choice([State.DOWN, State.DOWN, State.DEGRADED, State.MAINTENANCE])
        for n in rng.sample(sorted(smap.components), rng.randint(1, min(5, len(smap.components))))
    }
    model = ImpactModel.from_map(smap, observed)
    levels = reference_levels(smap, {n: LEVEL[s] for n, s in observed.items()})
    for subject in (n for n in smap.components if levels[n]):
        causes = model.why(subject).root_causes
        assert causes, subject
        takes_down = [c for c in causes if c.effect == State.DOWN]
        others = [c for c in causes if c.effect == State.DEGRADED]
        assert causes == (*takes_down, *others)  # what explains the state comes first
        if levels[subject] == 1:
            assert takes_down == []
            continue
        alone = reference_levels(smap, {c.name: LEVEL[observed[c.name]] for c in takes_down})
        assert alone[subject] == 2, subject
        rest = reference_levels(smap, {c.name: LEVEL[observed[c.name]] for c in others})
        assert rest[subject] < 2, subject
        for cause in takes_down:  # the path of an outage runs through the outage
            assert all(levels[n] == 2 for n in cause.path), cause
            assert cause.path[0] == cause.name and cause.path[-1] == subject


def _worsened_reference(smap: ServiceMap, observed: dict[str, State], extra: str) -> set[str]:
    """Business services worse with `extra` down too: down now and not before, or
    degraded now and ok before (the plain fixpoint, states as `reference_state` reads)."""
    after = {**observed, extra: State.DOWN}
    found = set()
    for service in smap.business_services:
        before = reference_state(smap, observed, service.name)
        now = reference_state(smap, after, service.name)
        worse_down = now == State.DOWN and before != State.DOWN
        newly_degraded = now == State.DEGRADED and before not in (State.DOWN, State.DEGRADED)
        if worse_down or newly_degraded:
            found.add(service.name)
    return found


@pytest.mark.parametrize("seed", range(200))
def test_worsened_by_one_more_failure_matches_reference(seed: int) -> None:
    """The reach of one more failure past the current ones (the groups at their minimum
    ask it of every member left), with and without planned work and unknowns."""
    rng = random.Random(5000 + seed)
    smap = random_map(rng, rng.randint(3, 14))
    observed = random_states(rng, smap)
    if seed % 2:  # half of the cases: failures only, the incremental search
        observed = {n: s for n, s in observed.items() if s in (State.DOWN, State.DEGRADED)}
    model = ImpactModel.from_map(smap, observed)
    names = sorted(smap.components)
    found = model.worsened_by(names)
    for name in names:
        assert found[name] == _worsened_reference(smap, observed, name), name


@pytest.mark.parametrize("seed", range(200))
def test_newly_down_is_what_the_whatif_takes_down_beyond_now(seed: int) -> None:
    """`newly_down` (the affects answer given now) lists what `whatif` moves into DOWN,
    with the same impacts (paths, owners) in the same order, planned work and unknowns too."""
    rng = random.Random(7000 + seed)
    smap = random_map(rng, rng.randint(3, 14))
    model = ImpactModel.from_map(smap, random_states(rng, smap))
    names = sorted(smap.components)
    for subjects in ([name] for name in names):
        result = model.whatif(subjects)
        moved = {c.name for c in result.changes if c.after == State.DOWN != c.before}
        expected = tuple(s for s in result.affects.down if s.name in moved)
        assert model.newly_down(subjects) == expected, subjects
    pair = rng.sample(names, min(2, len(names)))
    result = model.whatif(pair)
    moved = {c.name for c in result.changes if c.after == State.DOWN != c.before}
    assert model.newly_down(pair) == tuple(s for s in result.affects.down if s.name in moved)


@pytest.mark.parametrize("seed", range(80))
def test_newly_down_kept_follows_new_states(seed: int) -> None:
    """`newly_down` kept per states: asked again of the same states it answers the same,
    and after new states (on the model, or a fork of it) it is the what-if of those."""
    rng = random.Random(15000 + seed)
    smap = random_map(rng, rng.randint(3, 14))
    model = ImpactModel.from_map(smap, random_states(rng, smap))
    names = sorted(smap.components)

    def expected(of: ImpactModel, subjects: list[str]) -> tuple[object, ...]:
        result = of.whatif(subjects)
        moved = {c.name for c in result.changes if c.after == State.DOWN != c.before}
        return tuple(s for s in result.affects.down if s.name in moved)

    for _ in range(3):
        for name in names:
            assert model.newly_down([name]) == expected(model, [name]), name
            assert model.newly_down([name]) == expected(model, [name]), name  # kept
        fork = model.fork()
        fork.set_states(random_states(rng, smap))
        for name in names:
            assert fork.newly_down([name]) == expected(fork, [name]), name
        model.set_states(random_states(rng, smap))


@pytest.mark.parametrize("seed", range(100))
def test_paths_to_one_target_are_the_paths_of_each_source(seed: int) -> None:
    """`paths_to` (one search up from the target for every source) finds what `path` finds
    from each source to the target, and nothing when only the other way runs."""
    rng = random.Random(9000 + seed)
    smap = random_map(rng, rng.randint(3, 14))
    model = ImpactModel.from_map(smap)
    names = sorted(smap.components)
    for target in names:
        found = model.paths_to(names, target)
        for name, paths in zip(names, found, strict=True):
            one = model.path(name, target)
            forward = one.paths if one.paths and one.paths[0][0] == name != target else ()
            assert paths == forward, (name, target)


@pytest.mark.parametrize("seed", range(60))
def test_affects_kept_follow_each_edit_of_the_map(seed: int) -> None:
    """`affects` on a healthy map is kept until the map is edited: after dependencies are
    added or removed, or an owner changed in place (`apply_delta`), it is what a model
    compiled from the edited map answers; states never change it."""
    rng = random.Random(14000 + seed)
    smap = random_map(rng, rng.randint(4, 14))
    model = ImpactModel.from_map(smap)
    names = sorted(smap.components)
    for step in range(5):
        for name in names:
            model.affects([name])  # kept
        model.set_states(random_states(rng, smap))
        source, target = rng.sample(names, 2)
        if step % 3 == 2:
            key = name_key(source)
            held = model.service_map
            delta = MapDelta(
                version=step,
                touched={key},
                components={key: replace(held.components[source], owner=f"team-{step}")},
                dependencies=[d for d in held.dependencies if d.source == source],
                groups=[g for g in held.groups if g.dependant == source],
            )
            assert model.apply_delta(delta)
        elif rng.random() < 0.5 and any(
            d.source == source and d.target == target for d in model.service_map.dependencies
        ):
            model.remove_dependency(source, target)
        else:
            model.add_dependency(Dependency(source, target))
        fresh = ImpactModel.from_map(model.service_map)
        for name in names:
            assert model.affects([name]) == fresh.affects([name]), name


@pytest.mark.parametrize("seed", range(60))
def test_paths_to_kept_follow_each_edit_of_the_map(seed: int) -> None:
    """The paths `paths_to` keeps (the map's structure alone) are those of the map as
    edited since: after dependencies are added and removed, asked again, they are what
    `path` finds on a model compiled from the edited map."""
    rng = random.Random(12000 + seed)
    smap = random_map(rng, rng.randint(4, 14))
    model = ImpactModel.from_map(smap)
    names = sorted(smap.components)
    for _ in range(4):
        for target in names:
            model.paths_to(names, target)  # kept
        source, target = rng.sample(names, 2)
        if rng.random() < 0.5 and any(
            d.source == source and d.target == target for d in model.service_map.dependencies
        ):
            model.remove_dependency(source, target)
        else:
            model.add_dependency(Dependency(source, target))
        fresh = ImpactModel.from_map(model.service_map)
        for target in names:
            found = model.paths_to(names, target)
            for name, paths in zip(names, found, strict=True):
                one = fresh.path(name, target)
                forward = one.paths if one.paths and one.paths[0][0] == name != target else ()
                assert paths == forward, (name, target)
