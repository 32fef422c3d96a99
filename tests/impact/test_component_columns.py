"""A snapshot's components decoded on first access: `ComponentColumns` (the sequence) and
`ComponentMap` (name -> component through a graph's index). Expected values are the
components built by hand, the columns made from them by `component_columns`."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from impact.engine import ImpactModel
from impact.mapdiff import MapDelta
from impact.model import Component, Dependency, HealthCheck, ServiceMap
from impact.snapshot import ComponentColumns, ComponentMap, component_columns, dense_columns


def _hand_built() -> list[Component]:
    return [
        Component("a-db", kind="database", owner="team-a", tier=1, labels={"vendor": "Pgx"}),
        Component("b-api", title="B API", revenue_per_hour=12.5, sla=99.9),
        Component("c-host", kind="host"),
        Component(
            "d-shop",
            kind="business_service",
            channel="#shop",
            service_hours="24x7",
            runbook_url="https://runbooks.example/d",
            check=HealthCheck("http://127.0.0.1:1/", expect_status=204, timeout_s=2.0),
            description="the shop",
            status_page="https://status.example",
        ),
        Component("e-queue", kind="queue", owner="team-b", labels={"team": "b"}),
    ]


def _columns(components: list[Component]) -> dict[str, Any]:
    """The columns as a snapshot holds them: written, through JSON, read back dense."""
    return dense_columns(json.loads(json.dumps(component_columns(components))))


def _built(seq: ComponentColumns) -> int:
    return sum(item is not None for item in seq._items)


def test_random_access_builds_one_component_as_it_was() -> None:
    hand = _hand_built()
    seq = ComponentColumns(_columns(hand))
    assert len(seq) == 5 and _built(seq) == 0
    assert seq[3] == hand[3] and seq[3].check == HealthCheck("http://127.0.0.1:1/", 204, 2.0)
    assert _built(seq) == 1
    assert seq[3] is seq[3]  # kept
    assert seq[-1] == hand[4] and seq[0].labels == {"vendor": "Pgx"}
    assert seq[2].labels == {} and seq[1].labels == {} and seq[2].labels is not seq[1].labels
    assert seq[1:3] == hand[1:3]
    assert _built(seq) == 5
    with pytest.raises(IndexError):
        seq[5]


def test_iteration_keeps_order_and_what_was_built() -> None:
    hand = _hand_built()
    seq = ComponentColumns(_columns(hand))
    first = seq[2]
    assert list(seq) == hand
    assert list(seq)[2] is first  # built before: the same object
    assert _built(seq) == 5
    for got, want in zip(seq, hand, strict=True):
        for field in want.__slots__:
            assert getattr(got, field) == getattr(want, field), field


def test_replace_and_copies_are_independent() -> None:
    hand = _hand_built()
    seq = ComponentColumns(_columns(hand))
    copy = seq.copy()
    assert _built(copy) == 0
    new = Component("b-api", title="Bee API", owner="team-c")
    copy[1] = new
    assert copy[1] is new and seq[1] == hand[1]
    assert list(copy) == [hand[0], new, *hand[2:]]
    assert list(seq) == hand
    assert seq.column("title") == ["B API"] and copy.column("title") is None  # one replaced
    assert seq.setting("owner") == ["a-db", "e-queue"]
    assert copy.setting("owner") == ["a-db", "b-api", "e-queue"]  # the one set read
    assert copy.setting("title") == ["b-api"] and copy.setting("labels") == ["a-db", "e-queue"]
    copy[0] = Component("a-db", kind="database")
    assert copy.setting("owner") == ["b-api", "e-queue"] and copy.setting("labels") == ["e-queue"]
    assert list(seq.kinds()) == [c.kind for c in hand]
    assert list(copy.kinds()) == [c.kind for c in hand]


def test_renumbered_shares_the_columns_and_builds_nothing() -> None:
    hand = _hand_built()
    seq = ComponentColumns(_columns(hand))
    seq[4]  # built before: carried over as it is
    added = Component("bb-cache", kind="cache", owner="team-x")
    moved = seq.renumbered([0, 1, -1, 2, 4], {2: added})  # 3 (d-shop) gone, one added
    assert len(moved) == 5 and _built(moved) == 2  # the one built and the one added
    assert moved[1] == hand[1] and moved[2] is added and moved[4] is seq[4]
    assert list(moved) == [hand[0], hand[1], added, hand[2], hand[4]]
    assert moved.setting("owner") == ["a-db", "bb-cache", "e-queue"]
    assert moved.column("owner") is None  # renumbered: the columns' positions are not its
    again = moved.renumbered([-1, 4, 3], {0: hand[3]})  # renumbered twice
    assert list(again) == [hand[3], hand[4], hand[2]]
    assert list(again.kinds()) == ["business_service", "queue", "host"]
    assert again.setting("check") == ["d-shop"] and again.setting("owner") == ["e-queue"]
    assert list(seq) == hand  # left alone


@pytest.mark.parametrize(
    "field, damaged",
    [
        ("owner", [[9], ["x"]]),  # past the end
        ("owner", [[-1], ["x"]]),  # before the start
        ("owner", [[0, 4], ["x"]]),  # torn
        ("owner", [["0"], ["x"]]),  # text
        ("owner", [[4, 0], ["x", "y"]]),  # out of order
        ("owner", [[1, 1], ["x", "y"]]),  # twice
        ("tier", [[0.5], [1]]),  # not an integer
        ("tier", [[True], [1]]),  # nor a flag
        ("check", [[0], [{"expect_status": 200}]]),  # no url
        ("check", [[0], [{"url": "http://x", "retries": 3}]]),  # a field it has not
        ("check", [[0], ["http://x"]]),
        ("labels", [0, []]),
    ],
)
def test_bad_columns_are_refused_when_read_not_when_used(field: str, damaged: Any) -> None:
    columns = _columns(_hand_built())
    with pytest.raises(ValueError):
        ComponentColumns({**columns, field: damaged})


def test_names_and_kinds_of_other_lengths_are_refused() -> None:
    columns = _columns(_hand_built())
    with pytest.raises(ValueError):
        ComponentColumns({**columns, "kind": columns["kind"][:-1]})


def test_threads_reading_together_see_whole_components() -> None:
    hand = [Component(f"c{i:04}", owner=f"o{i % 7}", tier=i % 3 or None) for i in range(2000)]
    seq = ComponentColumns(_columns(hand))
    seen: list[list[Component]] = []

    def read() -> None:
        seen.append([seq[i] for i in range(len(seq))])

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(seen) == 4 and all(got == hand for got in seen)


def _map(hand: list[Component]) -> tuple[ComponentMap, ComponentColumns]:
    seq = ComponentColumns(_columns(hand))
    index = {c.name: i for i, c in enumerate(hand)}
    return ComponentMap(index, seq), seq


def test_map_reads_by_name_and_builds_only_what_is_asked() -> None:
    hand = _hand_built()
    components, seq = _map(hand)
    assert components["b-api"] == hand[1] and _built(seq) == 1
    assert "c-host" in components and "nope" not in components and len(components) == 5
    assert components.get("nope") is None
    assert list(components) == [c.name for c in hand] and _built(seq) == 1
    assert components.kinds() == {c.kind for c in hand} and _built(seq) == 1
    assert components.column("title") == ["B API"]
    assert components.setting("labels") == ["a-db", "e-queue"]
    assert list(components.values()) == hand
    assert dict(components.items()) == {c.name: c for c in hand}
    assert components == {c.name: c for c in hand}


def test_map_writes_keep_their_meaning() -> None:
    hand = _hand_built()
    components, seq = _map(hand)
    expected = {c.name: c for c in hand}
    new = Component("c-host", kind="host", owner="team-z")
    added = Component("f-new")
    for change in (components, expected):
        change["c-host"] = new
        change["f-new"] = added
        del change["a-db"]
    assert dict(components) == expected and list(components) == list(expected)
    assert len(components) == 5 and "a-db" not in components
    with pytest.raises(KeyError):
        components["a-db"]
    with pytest.raises(KeyError):
        del components["a-db"]
    assert components.column("title") is None and components.setting("title") is None
    assert components.kinds() == {"service", "host", "business_service", "queue"}
    assert seq[2] == hand[2]  # the components read are never changed
    components["a-db"] = hand[0]  # back, after the others (as a dict puts it)
    expected["a-db"] = hand[0]
    assert dict(components) == expected


def test_map_copies_and_moves_are_written_apart() -> None:
    hand = _hand_built()
    components, seq = _map(hand)
    copy = components.copy()
    copy["b-api"] = Component("b-api")
    assert components["b-api"] == hand[1]
    # over another graph holding one component anew: what was written to it is dropped
    other = seq.copy()
    other[1] = Component("b-api", owner="team-n")
    moved = copy.over({c.name: i for i, c in enumerate(hand)}, other, fresh=["b-api"])
    assert moved["b-api"] == Component("b-api", owner="team-n")
    kept = copy.over({c.name: i for i, c in enumerate(hand)}, other)
    assert kept["b-api"] == Component("b-api")


def test_writing_what_the_graph_holds_is_no_change() -> None:
    hand = _hand_built()
    components, seq = _map(hand)
    new = Component("e-queue", kind="queue", owner="team-q")
    seq[4] = new  # the graph's edit, then the map's (ImpactModel._apply)
    components["e-queue"] = new
    assert components["e-queue"] is new and not components._own
    assert components.setting("owner") == ["a-db", "e-queue"]  # the one set, read
    assert components.column("owner") is None  # the columns no longer say: one was set


def test_a_loaded_model_edited_then_patched_reads_only_the_touched_components() -> None:
    """The after-change path of a restart: a model from a snapshot, a component
    re-described (`edited`), then one added (`patched`): the maps are those of the edited
    maps, and no component but those the edits touch is built."""
    hand = [Component(f"c{i:03}", owner=f"team-{i % 5}") for i in range(300)]
    hand.append(Component("shop", kind="business_service", tier=1))
    deps = [Dependency(f"c{i:03}", f"c{i + 1:03}") for i in range(299)]
    deps.append(Dependency("shop", "c000"))
    smap = ServiceMap.build(hand, deps)
    loaded = ImpactModel.from_snapshot(ImpactModel.from_map(smap).to_snapshot())
    graph = loaded._graph
    assert isinstance(graph.components, ComponentColumns)
    assert _built(graph.components) == 0
    changed = Component("c010", owner="team-new")
    delta = MapDelta(2, {"c010"}, {"c010": changed}, [Dependency("c010", "c011")], [])
    edited = loaded.edited(delta)
    assert edited is not None
    edited_graph = edited._graph
    assert isinstance(edited_graph.components, ComponentColumns)
    assert _built(edited_graph.components) <= 3  # the one touched (read, then replaced)
    expected = {**{c.name: c for c in hand}, "c010": changed}
    assert edited.component("c010") is changed and loaded.component("c010") == hand[10]
    new = Component("c010a", owner="team-a")
    added = MapDelta(3, {"c010a"}, {"c010a": new}, [Dependency("c010a", "c010")], [])
    patched = edited.patched(added)
    assert patched is not None
    patched_graph = patched._graph
    assert isinstance(patched_graph.components, ComponentColumns)
    assert _built(patched_graph.components) <= 4
    assert patched.names() == sorted([*expected, "c010a"])
    assert patched.component("c010a") is new and patched.component("c010") is changed
    assert patched.affects(["c012"]) == ImpactModel.from_map(
        ServiceMap.build([*expected.values(), new], [*deps, added.dependencies[0]])
    ).affects(["c012"])
    assert edited.service_map.components == expected  # every one built, compared
    assert patched.service_map.components == {**expected, "c010a": new}
    assert loaded.service_map.components == {c.name: c for c in hand}


def test_reading_every_item_one_by_one_builds_the_rest_at_once() -> None:
    hand = [Component(f"c{i:05}", tier=i % 4 or None) for i in range(20_000)]
    seq = ComponentColumns(_columns(hand))
    first = seq[7]
    got = [seq[i] for i in range(len(seq))]  # as `dict(mapping)` reads a mapping
    assert got == hand and got[7] is first and seq._full
