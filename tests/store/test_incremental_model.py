"""The model kept current from the map change log: incremental changes, rebuilds, replicas.

The expected model is always a fresh compile of the map as stored (`ImpactModel.from_map`
of `store.load_map()`); the changes are random edits and merges, seeded.
"""

from __future__ import annotations

import random
import threading
from dataclasses import replace

import pytest

from impact.engine import ImpactModel
from impact.model import Component, Dependency, DependencyKind, ServiceMap
from services.model import ModelService
from store import Store
from store.errors import StoreError


def assert_same(model: ImpactModel, store_map: ServiceMap) -> None:
    reference = ImpactModel.from_map(store_map)
    assert model.names() == reference.names()
    for name in reference.names():
        assert model.affects([name]) == reference.affects([name]), name
        assert model.depends(name, 1) == reference.depends(name, 1), name
    mine = model.service_map
    assert mine.components == store_map.components
    assert sorted(map(repr, mine.dependencies)) == sorted(map(repr, store_map.dependencies))
    assert sorted(map(repr, mine.groups)) == sorted(map(repr, store_map.groups))


def random_change(store: Store, rng: random.Random, names: list[str], step: int) -> None:
    source, target = rng.sample(names, 2)
    kind = rng.choice([DependencyKind.HARD, DependencyKind.SOFT])
    choice = rng.random()
    try:
        if choice < 0.4:
            store.edits.link(source, target, kind=kind, actor="tests", origin="cli")
        elif choice < 0.7:
            held = [d for d in store.load_map().dependencies if d.source == source]
            if held:
                dep = rng.choice(held)
                store.edits.unlink(dep.source, dep.target, actor="tests", origin="cli")
        else:  # a small merge: one component re-described (owner, dependencies; its groups)
            stored = store.load_map()
            old = stored.components[source]
            groups = [g for g in stored.groups if g.dependant == source]
            members = {m for g in groups for m in g.members}
            merged = ServiceMap.build(
                [replace(old, owner=f"team-{step}"), *(stored.components[m] for m in members)],
                [Dependency(source, target, kind)],
                groups,
            )
            store.import_map(merged, actor="tests")
    except StoreError:  # a cycle the store refuses, or an edge through a group: skip it
        pass


@pytest.mark.parametrize("seed", [11, 12])
def test_random_incremental_changes_leave_the_model_equal_to_a_fresh_compile(
    demo_store: Store, seed: int
) -> None:
    rng = random.Random(seed)
    models = ModelService(demo_store)
    first = models.current()
    first_map = demo_store.load_map()
    names = sorted(first.service_map.components)
    for step in range(25):
        random_change(demo_store, rng, names, step)
        if rng.random() < 0.6:  # sometimes two changes arrive between two questions
            held = models.current()
            assert held.version == demo_store.map_version()
            assert_same(held.model, demo_store.load_map())
    models.current()
    assert_same(models.current().model, demo_store.load_map())
    assert models.applied_deltas, "the changes were applied from the change log"
    assert models.compiled_versions == [first.version], "caught up, never recompiled"
    assert first.version < models.current().version
    assert_same(first.model, first_map)  # copies were edited: the model handed out is as it was


def test_a_new_component_or_a_replace_compiles_the_map_again(demo_store: Store) -> None:
    models = ModelService(demo_store)
    before = models.current()
    added = ServiceMap.build([Component("brand-new")], [Dependency("brand-new", "dns")], [])
    demo_store.import_map(added, actor="tests")
    after = models.current()
    assert after.model is not before.model
    assert "brand-new" in after.model.names()
    assert_same(after.model, demo_store.load_map())


def test_during_a_rebuild_answers_come_from_one_consistent_version(demo_store: Store) -> None:
    models = ModelService(demo_store, background_after=0)  # every rebuild off the request path
    old = models.current()
    old_map = demo_store.load_map()
    smaller = ServiceMap.build(
        [c for n, c in old_map.components.items() if n != "db-03"],
        [d for d in old_map.dependencies if "db-03" not in (d.source, d.target)],
        [g for g in old_map.groups if "db-03" not in (g.dependant, *g.members)],
    )
    demo_store.import_map(smaller, replace=True, actor="tests")
    during = models.current()  # the rebuild runs in its thread, or has just finished
    if during.version == old.version:
        assert during is old
        assert_same(during.model, old_map)
    models.flush()
    after = models.current()
    assert after.version == demo_store.map_version()
    assert "db-03" not in after.model.names()
    assert_same(after.model, demo_store.load_map())


def test_a_second_replica_sees_a_change_made_through_the_first(demo_store: Store) -> None:
    other = Store(demo_store.url, upgrade=False)  # another process: its own engine
    try:
        first, second = ModelService(demo_store), ModelService(other)
        held = second.current()
        first.current()
        demo_store.edits.link(
            "reporting-dashboard", "dns", kind=DependencyKind.SOFT, actor="tests", origin="cli"
        )
        seen = second.current()
        assert seen.version == demo_store.map_version() == held.version + 1
        assert second.applied_deltas == [seen.version]
        assert_same(seen.model, demo_store.load_map())
    finally:
        other.close()


def test_a_following_replica_catches_up_before_anyone_asks(demo_store: Store) -> None:
    other = Store(demo_store.url, upgrade=False)
    stop, caught_up = threading.Event(), threading.Event()
    replica = ModelService(other)
    held = replica.current()

    def follow() -> None:
        replica.follow(stop, wait_s=0.5)

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        demo_store.edits.link(
            "reporting-dashboard", "dns", kind=DependencyKind.SOFT, actor="tests", origin="cli"
        )
        wanted = demo_store.map_version()
        for _ in range(200):  # bounded: up to 20 s on a slow machine
            if replica.applied_deltas == [wanted]:
                caught_up.set()
                break
            stop.wait(0.1)
        assert caught_up.is_set(), "the replica followed the change log"
        caught = replica.current()
        assert caught.version == wanted
        # built once (compiled or loaded), then caught up from the log: never read again
        assert replica.compiled_versions + replica.loaded_from_snapshot == [held.version]
        assert_same(replica.current().model, demo_store.load_map())
    finally:
        stop.set()
        follower.join(timeout=10)
        other.close()


def test_a_restart_loads_the_last_snapshot_and_catches_up_from_the_log(demo_store: Store) -> None:
    first = ModelService(demo_store)
    compiled = first.current().version
    first.flush()
    demo_store.edits.link("reporting-dashboard", "dns", actor="tests", origin="cli")
    demo_store.edits.unlink("reporting-dashboard", "dns", actor="tests", origin="cli")
    demo_store.edits.link("etl-jobs", "dns", kind=DependencyKind.SOFT, actor="tests", origin="cli")
    now = demo_store.map_version()
    assert now > compiled + 1
    assert first.current().version == now
    first.flush()
    assert demo_store.snapshots.versions() == [compiled], "edits save no snapshot"
    restarted = ModelService(demo_store)
    model = restarted.current()
    assert restarted.loaded_from_snapshot == [compiled]
    assert model.version == now
    assert_same(model.model, demo_store.load_map())


def test_questions_after_an_owner_and_a_title_edit_read_the_new_fields(demo_store: Store) -> None:
    from handlers.conversation import Conversation

    models = ModelService(demo_store)
    conversation = Conversation(models)
    assert "team-new" not in conversation.ask("who owns payments-api?").summary

    def merge(**fields: object) -> None:
        stored = demo_store.load_map()
        own = [d for d in stored.dependencies if d.source == "payments-api"]
        groups = [g for g in stored.groups if g.dependant == "payments-api"]
        described = replace(stored.components["payments-api"], **fields)  # type: ignore[arg-type]
        demo_store.import_map(ServiceMap.build([described], own, groups), actor="tests")

    merge(owner="team-new")
    assert "team-new" in conversation.ask("who owns payments-api?").summary
    merge(title="Card Gateway")
    assert "team-new" in conversation.ask("who owns card gateway?").summary
    assert models.applied_deltas == [demo_store.map_version() - 1, demo_store.map_version()]


def _owner_edit(store: Store, step: int) -> None:
    """One map version: the owner of db-03 re-described by a one-component merge."""
    stored = store.load_map()
    own = [d for d in stored.dependencies if d.source == "db-03"]
    changed = replace(stored.components["db-03"], owner=f"team-{step}")
    store.import_map(ServiceMap.build([changed], own, []), actor="tests")


def test_pruning_the_change_log_keeps_what_a_restart_needs_and_a_far_replica_reads_all(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store.changelog.KEEP_VERSIONS", 1)  # keep the last version's only
    behind = ModelService(demo_store)
    start = behind.current().version
    behind.flush()  # the snapshot of `start` is stored
    for step in range(3):
        _owner_edit(demo_store, step)
    demo_store.prune_map_changes()  # the versions up to `start` only: its snapshot holds them
    assert demo_store.map_delta(start) is not None  # a start from that snapshot catches up

    # two newer snapshots (a store keeps two): the one of `start` is gone
    demo_store.snapshots.save(start + 3, ImpactModel.from_map(demo_store.load_map()).to_snapshot())
    _owner_edit(demo_store, 3)
    current = demo_store.map_version()
    assert current == start + 4
    demo_store.snapshots.save(current, ImpactModel.from_map(demo_store.load_map()).to_snapshot())
    assert demo_store.prune_map_changes() > 0  # up to start + 3: the oldest snapshot's
    assert demo_store.map_delta(start + 3) is not None  # a holder of it still catches up
    assert demo_store.map_delta(start + 2) is None  # further behind: the whole map

    caught = behind.current()  # held `start`: its delta is gone, so it read the whole map
    assert caught.version == current
    assert current not in behind.applied_deltas
    assert caught.service_map.components["db-03"].owner == "team-3"
    assert_same(caught.model, demo_store.load_map())


def _renamed(stored: ServiceMap, old: str, new: str) -> ServiceMap:
    """The map with component `old` called `new` everywhere it is named."""

    def name(n: str) -> str:
        return new if n == old else n

    return ServiceMap.build(
        [replace(c, name=name(c.name)) for c in stored.components.values()],
        [replace(d, source=name(d.source), target=name(d.target)) for d in stored.dependencies],
        [
            replace(g, dependant=name(g.dependant), members=tuple(map(name, g.members)))
            for g in stored.groups
        ],
    )


def _without(stored: ServiceMap, gone: str) -> ServiceMap:
    return ServiceMap.build(
        [c for n, c in stored.components.items() if n != gone],
        [d for d in stored.dependencies if gone not in (d.source, d.target)],
        [g for g in stored.groups if gone not in (g.dependant, *g.members)],
    )


@pytest.mark.parametrize("background_after", [20_000, 0])
def test_new_renamed_and_removed_components_leave_a_model_equal_to_a_fresh_compile(
    demo_store: Store, background_after: int
) -> None:
    """Random additions (merges), renames and removals (replaces) between questions; with
    `background_after=0` every rebuild runs off the request path and is waited for."""
    rng = random.Random(31 + background_after)
    models = ModelService(demo_store, background_after=background_after)
    models.current()
    additions = []
    for step in range(12):
        stored = demo_store.load_map()
        names = sorted(stored.components)
        choice = rng.random()
        if choice < 0.4:
            new, target = f"added-{step}", rng.choice(names)
            added = ServiceMap.build([Component(new)], [Dependency(new, target)], [])
            demo_store.import_map(added, actor="tests")
            additions.append(demo_store.map_version())
        elif choice < 0.7:
            old = rng.choice([n for n in names if not stored.components[n].is_business])
            renamed = _renamed(stored, old, f"{old}-renamed-{step}")
            demo_store.import_map(renamed, replace=True, actor="tests")
        else:
            leaves = [n for n in names if not any(d.target == n for d in stored.dependencies)]
            leaves = [n for n in leaves if not any(n in g.members for g in stored.groups)]
            demo_store.import_map(_without(stored, rng.choice(leaves)), replace=True, actor="tests")
        models.flush()
        held = models.current()
        models.flush()
        held = models.current()
        assert held.version == demo_store.map_version()
        assert_same(held.model, demo_store.load_map())
    assert additions, "the seed adds components"
    # a new component is patched into the held model, never compiled from the whole map
    assert set(additions) <= set(models.patched_versions)
    assert not set(additions) & set(models.compiled_versions)


def test_threads_asking_during_edits_and_events_each_see_one_consistent_version(
    demo_store: Store,
) -> None:
    """A writer edits the map (links, unlinks, a new component) and flips dns and db-01 down
    and up together (one transaction) while readers ask: every version a reader is handed
    holds the map stored at its version and both states or neither, and stays so while
    the reader uses it (nothing handed out is changed afterwards)."""
    from impact.clock import utcnow
    from impact.model import State, StatusEvent

    models = ModelService(demo_store, background_after=0)  # every rebuild in its thread
    models.current()
    maps = {demo_store.map_version(): demo_store.load_map()}
    stop = threading.Event()
    seen: list[tuple[object, dict[str, State], object]] = []
    failures: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            compiled = models.current()
            observed = compiled.model.observed()
            status = compiled.model.status()
            stop.wait(0.002)
            if compiled.model.observed() != observed or compiled.model.status() != status:
                failures.append(f"version {compiled.version} changed while held")
            pair = {observed.get("dns"), observed.get("db-01")}
            if len(pair) != 1:
                failures.append(f"torn states at version {compiled.version}: {pair}")
            seen.append((compiled.version, observed, compiled))

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    rng = random.Random(5)
    names = sorted(maps[demo_store.map_version()].components)
    try:
        for step in range(16):
            if step % 4 == 3:
                new = f"late-{step}"
                added = ServiceMap.build([Component(new)], [Dependency(new, rng.choice(names))])
                demo_store.import_map(added, actor="tests")
            else:
                random_change(demo_store, rng, names, step)
            version, stored = demo_store.versioned_map()
            maps[version] = stored
            state = State.DOWN if step % 2 == 0 else State.OK
            at = utcnow()
            demo_store.record_events(
                [StatusEvent("dns", state, at), StatusEvent("db-01", state, at)]
            )
            stop.wait(0.02)
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=30)
    models.flush()
    assert failures == []
    assert len({version for version, _, _ in seen}) > 3, "the readers saw the map move"
    checked = set()
    for version, _, compiled in seen:
        if version in checked or version not in maps:
            continue
        checked.add(version)
        healthy = compiled.model.fork()  # type: ignore[attr-defined]
        healthy.set_states({})  # the map compared alone (the reference holds no states)
        assert_same(healthy, maps[version])
    assert checked


def test_a_following_replica_patches_in_a_component_added_through_the_first(
    demo_store: Store,
) -> None:
    other = Store(demo_store.url, upgrade=False)
    stop = threading.Event()
    replica = ModelService(other, background_after=0)
    held = replica.current()
    follower = threading.Thread(target=replica.follow, args=(stop, 0.5), daemon=True)
    follower.start()
    try:
        added = ServiceMap.build([Component("late-api")], [Dependency("late-api", "dns")], [])
        demo_store.import_map(added, actor="tests")
        wanted = demo_store.map_version()
        for _ in range(200):  # bounded: up to 20 s on a slow machine
            if wanted in replica.patched_versions:
                break
            stop.wait(0.1)
        replica.flush()
        assert replica.patched_versions == [wanted], "followed and patched, not compiled"
        caught = replica.current()
        assert caught.version == wanted
        assert "late-api" in caught.model.names()
        assert "late-api" not in held.model.names(), "the version handed out is unchanged"
        assert_same(caught.model, demo_store.load_map())
    finally:
        stop.set()
        follower.join(timeout=10)
        other.close()


def test_a_rebuild_in_its_thread_steps_aside_for_the_question_that_found_the_change(
    demo_store: Store,
) -> None:
    paused: list[str] = []
    models = ModelService(
        demo_store, background_after=0, pause=lambda: paused.append(threading.current_thread().name)
    )
    before = models.current()
    added = ServiceMap.build([Component("brand-new")], [Dependency("brand-new", "dns")], [])
    demo_store.import_map(added, actor="tests")
    assert models.current() is before  # the held version answers while the patch is built
    models.flush()
    assert paused == ["model-rebuild"]
    assert "brand-new" in models.current().model.names()
