"""The cached map and states follow changes made by other processes and by the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from handlers.conversation import Conversation
from impact.model import Component, MaintenanceWindow, State, StatusEvent
from services.model import ModelService
from store import Store


@pytest.fixture
def other_process(demo_store: Store) -> Iterator[Store]:
    """A second store on the same database file, as another `bsm` process would open it."""
    other = Store(url=demo_store.url)
    yield other
    other.close()


def test_events_recorded_elsewhere_are_seen(demo_store: Store, other_process: Store) -> None:
    conversation = Conversation(ModelService(demo_store))
    assert conversation.ask("is payment-gateway up?").data["services"][0]["state"] == "ok"
    other_process.record_events([StatusEvent("payment-gateway", State.DOWN, datetime.now(UTC))])
    answer = conversation.ask("why is checkout down?")
    assert answer.data["root_causes"] == ["payment-gateway"]


def test_map_changed_elsewhere_is_recompiled(demo_store: Store, other_process: Store) -> None:
    conversation = Conversation(ModelService(demo_store))
    assert conversation.ask("who owns ledger-db?").ok is False
    changed = other_process.load_map()
    changed.components["ledger-db"] = Component("ledger-db", owner="team-ledger")
    other_process.import_map(changed, actor="tests")
    assert conversation.ask("who owns ledger-db?").summary == "ledger-db is owned by team-ledger"


def test_maintenance_added_and_ended_elsewhere(demo_store: Store, other_process: Store) -> None:
    conversation = Conversation(ModelService(demo_store))
    now = datetime.now(UTC)
    other_process.record_events([StatusEvent("db-01", State.DOWN, now)])
    assert conversation.ask("status of db-01").data["services"][0]["state"] == "down"
    window = other_process.add_maintenance(
        MaintenanceWindow("db-01", now - timedelta(minutes=5), now + timedelta(hours=1))
    )
    assert conversation.ask("status of db-01").data["services"][0]["state"] == "maintenance"
    assert window.id is not None
    other_process.end_maintenance(window.id, datetime.now(UTC), actor="tests")
    assert conversation.ask("status of db-01").data["services"][0]["state"] == "down"


def test_a_maintenance_window_starting_later_takes_effect_on_time(demo_store: Store) -> None:
    clock = [datetime.now(UTC)]
    store = Store(url=demo_store.url, clock=lambda: clock[0])  # the process's one clock
    conversation = Conversation(ModelService(store, clock=store.clock))
    now = clock[0]
    store.record_events([StatusEvent("db-01", State.DOWN, now)])
    start = now + timedelta(hours=1)
    store.add_maintenance(MaintenanceWindow("db-01", start, start + timedelta(hours=1)))
    assert conversation.ask("status of db-01").data["services"][0]["state"] == "down"
    clock[0] = start + timedelta(minutes=1)
    assert conversation.ask("status of db-01").data["services"][0]["state"] == "maintenance"


def test_unchanged_store_is_asked_once_per_question(demo_store: Store) -> None:
    models = ModelService(demo_store)
    conversation = Conversation(models)
    conversation.ask("status")
    models.flush()  # the snapshot of the compiled map is saved in a thread of its own
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(demo_store.engine, "before_cursor_execute", seen)
    try:
        conversation.ask("what does db-03 affect?")
    finally:
        event.remove(demo_store.engine, "before_cursor_execute", seen)
    assert [s.split()[0] for s in statements if s != "BEGIN"] == ["SELECT"]
