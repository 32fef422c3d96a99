"""Status events, maintenance windows, audit log and subscriptions on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from impact.model import MaintenanceWindow, State, StatusEvent
from store import NotFound, Store, StoreError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_events_are_deduplicated_on_event_id(store: Store) -> None:
    first = [
        StatusEvent("db-03", State.DOWN, at(0), "nagios", "disk full", event_id="n-1"),
        StatusEvent("db-03", State.DOWN, at(0), "nagios", "disk full", event_id="n-1"),
        StatusEvent("api", State.DEGRADED, at(1)),
    ]
    assert store.record_events(first) == 2
    again = [
        StatusEvent("db-03", State.OK, at(5), event_id="n-1"),
        StatusEvent("api", State.OK, at(6)),
    ]
    assert store.record_events(again) == 1
    assert [(e.component, e.state) for e in store.events()] == [
        ("db-03", State.DOWN),
        ("api", State.DEGRADED),
        ("api", State.OK),
    ]
    assert store.events(since=at(1), until=at(6), components=["API"]) == [
        StatusEvent("api", State.DEGRADED, at(1))
    ]


def test_current_states_take_the_latest_event_and_respect_maintenance(store: Store) -> None:
    store.record_events(
        [
            StatusEvent("db-01", State.DOWN, at(0)),
            StatusEvent("db-01", State.OK, at(10)),
            StatusEvent("DB-02", State.DOWN, at(5)),
            StatusEvent("db-03", State.DEGRADED, at(7)),
        ]
    )
    assert store.current_states(at(8)) == {
        "db-01": State.DOWN,
        "DB-02": State.DOWN,
        "db-03": State.DEGRADED,
    }
    window = store.add_maintenance(MaintenanceWindow("db-02", at(0), at(60), "patching", "bob"))
    assert window.id is not None
    states = store.current_states(at(20))
    assert states == {"db-01": State.OK, "DB-02": State.MAINTENANCE, "db-03": State.DEGRADED}
    assert store.current_states(at(61))["DB-02"] == State.DOWN


def test_current_states_use_the_map_spelling(demo_store: Store) -> None:
    demo_store.record_events([StatusEvent("DB-03", State.DOWN, at(0))])
    assert demo_store.current_states(at(1)) == {"db-03": State.DOWN}


def test_maintenance_windows_list_end_and_audit(store: Store) -> None:
    window = store.add_maintenance(MaintenanceWindow("db-01", at(0), at(60), "upgrade", "bob"))
    assert store.maintenance_windows(active_at=at(30)) == [window]
    assert store.maintenance_windows(active_at=at(90)) == []
    ended = store.end_maintenance(window.id or 0, at(15), actor="carol", origin="chat")
    assert ended.end == at(15)
    assert store.maintenance_windows(active_at=at(30)) == []
    log = store.audit_log(target="db-01")
    assert [(e.action, e.actor) for e in log] == [
        ("maintenance.end", "carol"),
        ("maintenance.add", "bob"),
    ]
    assert log[0].before["end"] == at(60).isoformat()
    with pytest.raises(NotFound, match="no maintenance window with id 999"):
        store.end_maintenance(999, at(0))
    with pytest.raises(StoreError, match="before it starts"):
        store.add_maintenance(MaintenanceWindow("db-01", at(10), at(5)))


def test_audit_log_is_newest_first_and_checks_origin(store: Store) -> None:
    store.audit("alice", "subscribe", "chat", target="#ops", after={"selector": "db-*"})
    store.audit("bob", "ack", "webhook", before=None, after=[1, 2])
    assert [e.actor for e in store.audit_log()] == ["bob", "alice"]
    assert store.audit_log(limit=1)[0].after == [1, 2]
    with pytest.raises(StoreError, match="unknown change origin 'irc'"):
        store.audit("x", "y", "irc")
    with pytest.raises(StoreError, match="must be JSON values"):
        store.audit("x", "y", "cli", after={"when": T0})


def test_subscriptions_are_idempotent(store: Store) -> None:
    first = store.subscribe("#ops", "tier:1", created_by="alice")
    assert store.subscribe("#ops", "tier:1") == first
    store.subscribe("#db", "kind:database")
    assert [s.selector for s in store.subscriptions()] == ["tier:1", "kind:database"]
    assert [s.channel for s in store.subscriptions("#db")] == ["#db"]
    assert store.unsubscribe("#ops", "tier:1") and not store.unsubscribe("#ops", "tier:1")


def test_subscriptions_from_the_store_are_audited_like_chat(store: Store) -> None:
    store.subscribe("#ops", "tier:1", created_by="alice")
    store.subscribe("#ops", "tier:1", created_by="bob")  # nothing new: nothing audited
    store.unsubscribe("#ops", "tier:1", actor="carol")
    entries = store.audit_log(target="#ops")
    assert [(e.actor, e.action, e.origin) for e in entries] == [
        ("carol", "subscription.remove", "cli"),
        ("alice", "subscription.add", "cli"),
    ]
    assert entries[1].after == {"channel": "#ops", "selector": "tier:1"}


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="timezone-aware"):
        store.record_events([StatusEvent("a", State.DOWN, datetime(2026, 1, 1))])
