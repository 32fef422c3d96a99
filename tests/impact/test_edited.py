"""A model edited from a change-log delta answers as a fresh compile of the edited map.

Random maps and random deltas (a few components re-described: other fields, dependencies
added, dropped or turned hard or soft); the expected map is written here from the delta
(the touched components' own dependencies replaced), then compiled from scratch.
"""

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

HARD, SOFT = DependencyKind.HARD, DependencyKind.SOFT


def random_map(rng: random.Random, size: int) -> ServiceMap:
    names = [f"c{i:02d}" for i in range(size)]
    pairs = {(rng.choice(names), rng.choice(names)) for _ in range(rng.randint(size, 3 * size))}
    deps = [Dependency(s, t, SOFT if rng.random() < 0.3 else HARD) for s, t in sorted(pairs)]
    groups = []
    for i in range(rng.randint(0, size // 4)):
        members = tuple(rng.sample(names, rng.randint(1, 4)))
        needed = rng.randint(1, len(members))
        groups.append(RedundancyGroup(f"g{i}", rng.choice(names), members, min_up=needed))
    business = set(rng.sample(names, 3))
    comps = [Component(n, kind="business_service" if n in business else "service") for n in names]
    return ServiceMap.build(comps, deps, groups)


def random_delta(rng: random.Random, smap: ServiceMap, version: int) -> tuple[MapDelta, ServiceMap]:
    """A delta re-describing one to three components, and the map it describes."""
    names = sorted(smap.components)
    touched = rng.sample(names, rng.randint(1, 3))
    dependencies = []
    for source in touched:
        own = {d.target: d.kind for d in smap.dependencies if d.source == source}
        for target in rng.sample(names, rng.randint(0, 3)):
            own.setdefault(target, rng.choice([HARD, SOFT]))
        for target, kind in sorted(own.items()):
            roll = rng.random()
            if roll < 0.2:
                continue  # dropped
            if roll < 0.4:
                kind = SOFT if kind == HARD else HARD  # turned hard or soft
            dependencies.append(Dependency(source, target, kind))
    components = {
        name_key(n): replace(smap.components[n], owner=f"team-{version}") for n in touched
    }
    groups = [g for g in smap.groups if g.dependant in touched]
    delta = MapDelta(version, set(components), components, dependencies, groups)
    expected = ServiceMap(
        {**smap.components, **{c.name: c for c in components.values()}},
        [d for d in smap.dependencies if d.source not in touched] + dependencies,
        list(smap.groups),
    )
    return delta, expected


def assert_same(model: ImpactModel, smap: ServiceMap, states: dict[str, State]) -> None:
    reference = ImpactModel.from_map(smap, states)
    model.set_states(states)
    names = reference.names()
    assert model.names() == names
    for name in names:
        assert model.affects([name]) == reference.affects([name]), name
        assert model.depends(name, 1) == reference.depends(name, 1), name
        assert model.state_of(name) == reference.state_of(name), name
    assert model.status() == reference.status()
    mine = model.service_map
    assert mine.components == smap.components
    assert sorted(map(repr, mine.dependencies)) == sorted(map(repr, smap.dependencies))
    assert sorted(map(repr, mine.groups)) == sorted(map(repr, smap.groups))


@pytest.mark.parametrize("seed", range(30))
def test_edited_models_answer_as_a_fresh_compile_of_the_edited_map(seed: int) -> None:
    rng = random.Random(seed)
    smap = random_map(rng, rng.randint(6, 24))
    compiled = ImpactModel.from_map(smap)  # its map's dependency list is held
    loaded = ImpactModel.from_snapshot(compiled.to_snapshot())  # built when first read
    in_place = ImpactModel.from_map(smap)
    original = smap
    for version in range(2, 8):
        delta, expected = random_delta(rng, smap, version)
        states = {n: rng.choice(list(State)) for n in rng.sample(sorted(expected.components), 3)}
        compiled_next, loaded_next = compiled.edited(delta), loaded.edited(delta)
        assert compiled_next is not None and loaded_next is not None
        assert in_place.apply_delta(delta)
        for model in (compiled_next, loaded_next, in_place):
            assert_same(model, expected, states)
        compiled, loaded, smap = compiled_next, loaded_next, expected
    assert_same(ImpactModel.from_snapshot(loaded.to_snapshot()), smap, {})  # as saved
    new = Component("added")
    target = rng.choice(sorted(smap.components))
    added = MapDelta(9, {"added"}, {"added": new}, [Dependency("added", target)], [])
    patched = compiled.patched(added)  # renumbered from the edited graph's edges
    assert patched is not None
    with_new = ServiceMap(
        {**smap.components, "added": new},
        [*smap.dependencies, Dependency("added", target)],
        list(smap.groups),
    )
    assert_same(patched, with_new, {})
    first = ImpactModel.from_map(original)
    assert_same(first, original, {})  # an edit is a copy: what was handed out is as it was


def test_an_edit_of_soft_dependencies_only_keeps_the_business_reach_table() -> None:
    names = ["shop", "api", "db", "cache"]
    smap = ServiceMap.build(
        [Component(n, kind="business_service" if n == "shop" else "service") for n in names],
        [Dependency("shop", "api"), Dependency("api", "db"), Dependency("api", "cache", SOFT)],
        [],
    )
    model = ImpactModel.from_map(smap)
    api = smap.components["api"]
    elsewhere = [Dependency("api", "db"), Dependency("db", "cache", SOFT)]
    assert model.edited(MapDelta(2, {"api"}, {"api": api}, elsewhere, [])) is None  # not api's
    soft_gone = model.edited(MapDelta(2, {"api"}, {"api": api}, [Dependency("api", "db")], []))
    assert soft_gone is not None
    assert soft_gone._graph.reach() is not None  # still current: only a soft edge went
    assert [s.name for s in soft_gone.affects(["db"]).down] == ["shop"]
    assert soft_gone.affects(["cache"]).degraded == ()
    hard = MapDelta(3, {"api"}, {"api": api}, [Dependency("api", "cache")], [])
    rewired = soft_gone.edited(hard)
    assert rewired is not None and rewired._graph.reach() is None  # out of date: searched
    assert [s.name for s in rewired.affects(["cache"]).down] == ["shop"]
    assert rewired.affects(["db"]).down == ()
    assert [s.name for s in model.affects(["cache"]).degraded] == ["shop"]  # left alone


@pytest.mark.parametrize("seed", range(10))
def test_a_patched_model_answers_as_a_fresh_compile_of_the_patched_map(seed: int) -> None:
    """New components, and stored ones re-described (one in another spelling of its name),
    patched into a model: as the map with those components' rows replaced, compiled."""
    rng = random.Random(100 + seed)
    smap = random_map(rng, rng.randint(6, 20))
    names = sorted(smap.components)
    members = {m for g in smap.groups for m in g.members}
    # respelled: a member of a group when there is one (the groups it does not lead name it
    # in its new spelling, as the store reads them back)
    redescribed = [rng.choice(sorted(members) or names)]
    redescribed += rng.sample([n for n in names if n != redescribed[0]], 1)
    respelled = {redescribed[0]: redescribed[0].upper()}
    respell = lambda n: respelled.get(n, n)  # noqa: E731
    new = [Component(f"new-{i}") for i in range(rng.randint(1, 2))]
    described = [Component(respelled.get(n, n), owner="patched") for n in redescribed] + new
    dependencies = [
        Dependency(c.name, respell(rng.choice(names)), rng.choice([HARD, SOFT])) for c in described
    ]
    components = {name_key(c.name): c for c in described}
    groups = [
        RedundancyGroup(
            g.name, respell(g.dependant), tuple(map(respell, g.members)), g.min_up, g.min_percent
        )
        for g in smap.groups
        if g.dependant in redescribed
    ]
    delta = MapDelta(2, set(components), components, dependencies, groups)
    kept = {n: c for n, c in smap.components.items() if n not in redescribed}
    others = [  # as a store reads them back: naming the component in its new spelling
        Dependency(d.source, respell(d.target), d.kind)
        for d in smap.dependencies
        if d.source not in redescribed
    ]
    groups_kept = [
        RedundancyGroup(
            g.name, g.dependant, tuple(map(respell, g.members)), g.min_up, g.min_percent
        )
        for g in smap.groups
        if g.dependant not in redescribed
    ]
    expected = ServiceMap(
        {**kept, **{c.name: c for c in described}}, others + dependencies, groups_kept + groups
    )
    for model in (
        ImpactModel.from_map(smap),
        ImpactModel.from_snapshot(ImpactModel.from_map(smap).to_snapshot()),
    ):
        patched = model.patched(delta)
        assert patched is not None
        assert_same(patched, expected, {})
