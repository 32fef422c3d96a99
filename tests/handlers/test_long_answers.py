"""Answers on a map of more business services than a thread's full list shows: items are
built for what is shown (`capped_built`), the data lists every service.

Hand-built map: 300 business services `biz-000` .. `biz-299`, each on its own app
`app-NNN`, all on `db`; apps 0-9 reported down take exactly biz-000 .. biz-009 down.
"""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.conversation import Conversation
from handlers.wording import FULL_CAP, LIST_CAP
from impact.model import Component, Dependency, ServiceMap, State, StatusEvent
from services.model import ModelService
from store import Store

SERVICES = 300
DOWN = [f"app-{i:03d}" for i in range(10)]


def _map() -> ServiceMap:
    services = [Component(f"biz-{i:03d}", kind="business_service") for i in range(SERVICES)]
    apps = [Component(f"app-{i:03d}") for i in range(SERVICES)]
    deps = [Dependency(f"biz-{i:03d}", f"app-{i:03d}") for i in range(SERVICES)]
    deps += [Dependency(f"app-{i:03d}", "db") for i in range(SERVICES)]
    return ServiceMap.build([*services, *apps, Component("db")], deps, [])


def _asked(store: Store) -> Conversation:
    store.import_map(_map(), actor="tests")
    now = datetime.now(UTC)
    store.record_events([StatusEvent(n, State.DOWN, now) for n in DOWN])
    return Conversation(ModelService(store))


def test_status_builds_the_items_shown_and_lists_every_service(store: Store) -> None:
    conversation = _asked(store)
    answer = conversation.ask("status")
    assert answer.summary.startswith("10 of 300 business services failing:")
    [listed] = [s for s in answer.sections if s.title == "Business services"]
    assert [i.text for i in listed.items] == [f"biz-{i:03d}" for i in range(LIST_CAP)]
    assert all(i.state is State.DOWN for i in listed.items)
    assert len(listed.full) == FULL_CAP and listed.omitted == SERVICES - FULL_CAP
    assert listed.more == SERVICES - LIST_CAP
    rows = answer.data["services"]
    assert len(rows) == SERVICES
    assert {r["name"] for r in rows} == {f"biz-{i:03d}" for i in range(SERVICES)}
    assert [r["state"] for r in rows[:10]] == ["down"] * 10
    assert rows[0] == {"name": "biz-000", "state": "down", "tier": None, "causes": ["app-000"]}
    again = conversation.ask("status")  # the same states: the same rows, a list of its own
    assert again.data["services"] == rows and again.data["services"] is not rows


def test_affects_given_now_builds_the_items_shown_and_traces_them_to_the_subject(
    store: Store,
) -> None:
    # db alone takes all 300 down; given apps 0-9 down now, it takes 290 more down
    answer = _asked(store).ask("what does db affect?")
    more = [f"biz-{i:03d}" for i in range(10, SERVICES)]
    assert answer.data["down_given_now"] == more
    assert len(answer.data["down"]) == SERVICES
    given, alone = answer.sections[0], answer.sections[1]
    assert given.title == "Down given what is down now" and alone.title == "Down"
    assert [i.text for i in given.items] == more[:LIST_CAP]
    assert [i.detail for i in given.items] == [
        f"via db -> app-{i:03d} -> biz-{i:03d}" for i in range(10, 10 + LIST_CAP)
    ]
    assert len(given.full) == FULL_CAP and given.omitted == len(more) - FULL_CAP
    assert len(alone.full) == FULL_CAP and alone.omitted == SERVICES - FULL_CAP


def test_what_is_failing_now_follows_new_states(store: Store) -> None:
    conversation = _asked(store)
    first = conversation.ask("what does db affect?")
    assert first.data["failing_now"] == DOWN
    again = conversation.ask("what does db affect?")  # the same states: kept, alike
    assert (again.summary, again.sections, again.data) == (
        first.summary,
        first.sections,
        first.data,
    )
    assert again.data is not first.data
    store.record_events([StatusEvent("app-050", State.DOWN, datetime.now(UTC))])
    after = conversation.ask("what does db affect?")
    assert after.data["failing_now"] == [*DOWN, "app-050"]
    assert len(after.data["down_given_now"]) == len(first.data["down_given_now"]) - 1
    answer = conversation.ask("what does app-000 affect?")  # the subject aside
    assert answer.data["failing_now"] == [*DOWN[1:], "app-050"]
    assert "biz-050" not in answer.data["down_given_now"]  # down already
