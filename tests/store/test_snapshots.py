"""Compiled model snapshots per map version, and states caught up from newer events.

The expected answers come from a fresh compile of the same map (`ImpactModel.from_map`),
the reference the snapshot must equal; states from the events as written (latest by time).
"""

from __future__ import annotations

import io
import json
import logging
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import update

from impact.engine import ImpactModel, SnapshotError
from impact.model import (
    Component,
    Dependency,
    DependencyKind,
    HealthCheck,
    RedundancyGroup,
    ServiceMap,
    State,
    StatusEvent,
)
from impact.snapshot import (
    MAGIC,
    TEXT_MIN,
    component_columns,
    components_from_columns,
    dense_columns,
    pack,
    unpack,
)
from services.model import ModelService
from store import Store
from store.snapshots import SnapshotRow


def random_map(rng: random.Random, size: int) -> ServiceMap:
    names = [f"c{i:03d}" for i in range(size)]
    components = [
        Component(n, kind=rng.choice(["service", "database", "business_service"])) for n in names
    ]
    components[0] = Component(
        names[0],
        tier=2,
        owner="team-a",
        labels={"alert.job": "api"},
        check=HealthCheck("http://127.0.0.1:1/health", timeout_s=2.0),
    )
    deps = []
    for i in range(1, size):
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice([DependencyKind.HARD, DependencyKind.SOFT])
            deps.append(Dependency(names[i], names[rng.randrange(size)], kind))
    deps = [d for d in deps if d.source != d.target]
    groups = [
        RedundancyGroup(f"g{i}", names[i], tuple(rng.sample(names[i + 1 :], 3)), min_up=2)
        for i in range(0, size - 4, 9)
    ]
    return ServiceMap.build(components, deps, groups)


def same_answers(model: ImpactModel, reference: ImpactModel) -> None:
    assert model.names() == reference.names()
    for name in reference.names():
        assert model.affects([name]) == reference.affects([name]), name
        assert model.depends(name, 2) == reference.depends(name, 2), name
    assert model.status() == reference.status()
    mine, theirs = model.service_map, reference.service_map
    assert mine.components == theirs.components
    assert mine.dependencies == theirs.dependencies
    assert mine.groups == theirs.groups


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_snapshot_answers_as_a_fresh_compile_of_its_map(seed: int) -> None:
    rng = random.Random(seed)
    service_map = random_map(rng, 60)
    model = ImpactModel.from_snapshot(ImpactModel.from_map(service_map).to_snapshot())
    same_answers(model, ImpactModel.from_map(service_map))
    down = {n: State.DOWN for n in rng.sample(sorted(service_map.components), 5)}
    model.set_states(down)
    assert model.status() == ImpactModel.from_map(service_map, down).status()


def test_every_field_of_a_component_comes_back_as_its_constructor_made_it() -> None:
    full = Component(
        "api",
        kind="service",
        title="The API",
        owner="team-a",
        channel="#api",
        tier=1,
        revenue_per_hour=12.5,
        service_hours="business",
        sla=99.9,
        labels={"alert.job": "api"},
        runbook_url="https://127.0.0.1/runbook",
        check=HealthCheck("http://127.0.0.1:1/health", timeout_s=2.0),
        description="serves",
        status_page="https://127.0.0.1/status",
    )
    plain = [Component("db"), Component("web", kind="business_service")]
    service_map = ServiceMap.build([full, *plain], [Dependency("api", "db")])
    loaded = ImpactModel.from_snapshot(ImpactModel.from_map(service_map).to_snapshot())
    components = loaded.service_map.components
    assert components == service_map.components
    assert [repr(c) for c in components.values()] == [
        repr(service_map.components[n]) for n in components
    ]
    assert components["db"].labels == {} and components["db"].labels is not components["web"].labels


def test_bytes_that_are_not_a_snapshot_are_refused() -> None:
    with pytest.raises(SnapshotError):
        ImpactModel.from_snapshot(b"not a zip at all")
    buffer = io.BytesIO()  # an object array needs pickle to load: refused
    np.savez(buffer, **{"meta.json": np.array([{"x": 1}], dtype=object)})
    with pytest.raises(SnapshotError):
        ImpactModel.from_snapshot(buffer.getvalue())


def test_arrays_are_views_of_the_bytes_and_only_plain_numbers_are_stored() -> None:
    arrays = {
        "a": np.arange(5, dtype=np.int32),
        "b": np.array([[1, 2], [3, 4]], dtype=np.uint64),
        "empty": np.empty(0, dtype=np.int64),
        "flags": np.array([True, False]),
    }
    data = pack(arrays, {"x": [1, "two"]})
    loaded, meta = unpack(data)
    assert meta == {"x": [1, "two"]}
    assert sorted(loaded) == sorted(arrays)
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        assert np.array_equal(loaded[name], array)
        assert not loaded[name].flags.writeable  # a view of the bytes, not a copy
    with pytest.raises(SnapshotError):
        pack({"objects": np.array([{"x": 1}], dtype=object)}, {})


def test_damaged_or_foreign_bytes_are_refused() -> None:
    model = ImpactModel.from_map(random_map(random.Random(4), 30))
    data = model.to_snapshot()
    at = len(MAGIC)
    size = int.from_bytes(data[at : at + 8], "little")
    header = json.loads(data[at + 8 : at + 8 + size])
    foreign = io.BytesIO()  # the format before this one: an .npz of the same arrays
    np.savez(foreign, edges=np.zeros((0, 3), dtype=np.int64))
    damaged = [
        data[: len(data) // 2],  # torn: the arrays run past the end
        data[: at + 8 + size // 2],  # torn inside the header
        data[:at] + (2**40).to_bytes(8, "little") + data[at + 8 :],  # a header past the end
        b"X" + data[1:],  # another magic
        foreign.getvalue(),
    ]
    for field, value in [("format", 1), ("arrays", [["edges", "|O", [3], 0]])]:
        text = json.dumps({**header, field: value}).encode()
        damaged.append(MAGIC + len(text).to_bytes(8, "little") + text + data[at + 8 + size :])
    for bytes_ in damaged:
        with pytest.raises(SnapshotError):
            ImpactModel.from_snapshot(bytes_)


def test_a_snapshot_of_another_format_is_compiled_again_with_a_log_line(
    demo_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    version = demo_store.map_version()
    foreign = io.BytesIO()  # what the previous format stored: an .npz, checksummed
    np.savez(foreign, edges=np.zeros((0, 3), dtype=np.int64))
    demo_store.snapshots.save(version, foreign.getvalue())
    assert demo_store.snapshots.load(version) == foreign.getvalue()
    models = ModelService(demo_store)
    with caplog.at_level(logging.WARNING, logger="services.model"):
        model = models.current().model
    assert models.loaded_from_snapshot == []
    assert f"snapshot of map version {version} not used" in caplog.text
    same_answers(model, ImpactModel.from_map(demo_store.load_map()))
    models.flush()  # the compiled model replaced it: the next process loads that one
    again = ModelService(demo_store)
    same_answers(again.current().model, ImpactModel.from_map(demo_store.load_map()))
    assert again.loaded_from_snapshot == [version]


def test_a_second_process_loads_the_snapshot_instead_of_compiling(demo_store: Store) -> None:
    first = ModelService(demo_store)
    reference = first.current()
    first.flush()
    assert demo_store.snapshots.versions() == [reference.version]
    second = ModelService(demo_store)
    loaded = second.current()
    assert second.loaded_from_snapshot == [reference.version]
    same_answers(loaded.model, ImpactModel.from_map(demo_store.load_map()))


def test_a_damaged_snapshot_is_compiled_again(demo_store: Store) -> None:
    first = ModelService(demo_store)
    version = first.current().version
    first.flush()
    with demo_store.engine.begin() as connection:
        connection.execute(update(SnapshotRow).values(data=b"PK\x03\x04 torn"))
    path = demo_store.snapshots.path(version)
    if path is not None:  # the copy beside an SQLite file: torn alike
        path.write_bytes(path.read_bytes()[:100])
    assert demo_store.snapshots.load(version) is None
    second = ModelService(demo_store)
    model = second.current().model
    assert second.loaded_from_snapshot == []
    same_answers(model, ImpactModel.from_map(demo_store.load_map()))


def test_states_catch_up_from_the_newer_events(demo_store: Store) -> None:
    models = ModelService(demo_store)
    assert models.current().model.state_of("db-03") == State.OK
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    demo_store.record_events([StatusEvent("db-03", State.DOWN, t0)])
    assert models.current().model.state_of("db-03") == State.DOWN
    # An event that arrives later but happened earlier does not undo the newer one.
    demo_store.record_events(
        [
            StatusEvent("db-03", State.OK, t0 - timedelta(minutes=5)),
            StatusEvent("payments-api", State.OK, t0),
        ]
    )
    held = models.current().model
    assert held.state_of("db-03") == State.DOWN
    fresh = ImpactModel.from_map(demo_store.load_map(), demo_store.current_states())
    assert held.status() == fresh.status()
    demo_store.record_events([StatusEvent("db-03", State.OK, t0 + timedelta(minutes=1))])
    assert models.current().model.state_of("db-03") == State.OK
    assert demo_store.states_since(None)[1] == demo_store.current_states()


def _counting_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the name indexes built from components (not restored) from now on."""
    from handlers.names import NameIndex

    built: list[int] = []
    build = NameIndex._build

    def counted(self: NameIndex, components: object) -> None:
        build(self, components)  # type: ignore[arg-type]
        if self._components:
            built.append(len(self._components))

    monkeypatch.setattr(NameIndex, "_build", counted)
    return built


def test_the_name_index_is_stored_with_the_snapshot_of_its_version_only(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second process restores the conversation's name index from the snapshot instead of
    building it, and answers as the first; a process starting from an older snapshot caught
    up from the change log builds its own (the stored tables are of the older map)."""
    from handlers.conversation import Conversation

    first = Conversation(ModelService(demo_store))
    first.warm()
    first.models.flush()
    questions = ["what does db-03 affect?", "why is checkout down?", "who owns orders db"]
    answers = [first.ask(q).summary for q in questions]
    built = _counting_builds(monkeypatch)
    second = Conversation(ModelService(demo_store))
    second.warm()
    assert second.models.loaded_from_snapshot == [demo_store.map_version()]
    assert built == []  # restored, not built
    assert [second.ask(q).summary for q in questions] == answers
    change = ServiceMap.build([Component("ledger-db-09")], [Dependency("ledger-db-09", "db-03")])
    demo_store.import_map(change, actor="tests")
    third = Conversation(ModelService(demo_store))
    third.warm()
    assert third.models.loaded_from_snapshot == [demo_store.map_version() - 1]  # caught up
    assert built == [len(demo_store.load_map().components)]  # built for the map of now
    assert third.ask("what does ledger-db-09 affect?").ok


def test_component_fields_travel_as_the_positions_that_set_them() -> None:
    components = [Component(f"c{i}") for i in range(6)]
    components[1] = Component("c1", owner="team-a", labels={"team": "a"})
    components[4] = Component(
        "c4", owner="team-b", tier=2, check=HealthCheck("http://127.0.0.1:1/")
    )
    columns = component_columns(components)
    assert columns["count"] == 6
    assert columns["name"] == "\n".join(f"c{i}" for i in range(6))  # one text of lines
    assert dense_columns(columns)["name"] == [f"c{i}" for i in range(6)]
    assert columns["owner"] == [[1, 4], ["team-a", "team-b"]]
    assert columns["tier"] == [[4], [2]]
    assert columns["labels"] == [[1], [{"team": "a"}]]
    assert columns["title"] == [[], []]
    assert columns["check"][0] == [4] and columns["check"][1][0]["url"] == "http://127.0.0.1:1/"
    assert components_from_columns(dense_columns(json.loads(json.dumps(columns)))) == components
    for damaged in ([[9], ["x"]], [[1, 4], ["x"]], [["1"], ["x"]]):  # past the end, torn, text
        with pytest.raises(ValueError):
            components_from_columns(dense_columns({**columns, "owner": damaged}))
    for lines in ("c0\nc1", ["c0"]):  # fewer names than components
        with pytest.raises(ValueError):
            dense_columns({**columns, "name": lines})


def test_names_holding_a_line_break_travel_as_a_list() -> None:
    components = [Component("a\nb"), Component("c", kind="database")]
    columns = component_columns(components)
    assert columns["name"] == ["a\nb", "c"] and columns["kind"] == "service\ndatabase"
    assert components_from_columns(dense_columns(columns)) == components
    assert dense_columns(component_columns([]))["name"] == []


def test_long_texts_of_meta_travel_raw_and_come_back_in_place() -> None:
    """A string of at least TEXT_MIN characters in a dict or a short list is kept out of
    the JSON header (raw UTF-8 beside the arrays); what comes back equals what went in."""
    long = "é\n" * TEXT_MIN
    meta = {
        "a": long,
        "b": [1, long + "x", {"c": long, "d": "short"}],
        "deep": {"e": [long]},
        "many": [long] * 20,  # a long list is not searched: JSON holds it
        "short": "x" * (TEXT_MIN - 1),
    }
    data = pack({"n": np.arange(3)}, meta)
    arrays, loaded = unpack(data)
    assert loaded == meta and sorted(arrays) == ["n"]
    at = len(MAGIC)
    size = int.from_bytes(data[at : at + 8], "little")
    header = json.loads(data[at + 8 : at + 8 + size])
    assert header["texts"] == [["a"], ["b", 1], ["b", 2, "c"], ["deep", "e", 0]]
    assert header["meta"]["a"] == "" and len(header["meta"]["many"][0]) == len(long)
    for texts in ([["nowhere"]], [["short"]], [[]], "a"):  # no "" held there: refused
        text = json.dumps({**header, "texts": texts}).encode()
        with pytest.raises(SnapshotError):
            unpack(MAGIC + len(text).to_bytes(8, "little") + text + data[at + 8 + size :])


@pytest.mark.parametrize("seed", range(5))
def test_random_meta_with_long_texts_comes_back_as_it_went(seed: int) -> None:
    rng = random.Random(seed)

    def value(depth: int) -> object:
        roll = rng.random()
        if depth > 7 or roll < 0.3:  # a string, long or short, with line breaks and accents
            size = rng.choice([0, 3, TEXT_MIN - 1, TEXT_MIN, TEXT_MIN + 7])
            return "".join(rng.choice('ab\né"\\') for _ in range(size))
        if roll < 0.4:
            return rng.choice([None, True, 3, 2.5, ""])
        if roll < 0.7:
            return [value(depth + 1) for _ in range(rng.choice([0, 1, 2, 8, 9, 12]))]
        return {f"k{i}": value(depth + 1) for i in range(rng.randint(0, 4))}

    meta = {"root": value(0), "more": value(0)}
    arrays, loaded = unpack(pack({"n": np.arange(2)}, meta))
    assert loaded == json.loads(json.dumps(meta)) and sorted(arrays) == ["n"]
