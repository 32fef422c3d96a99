"""Redundancy at risk through the runtime, with the fake Slack, on SQLite and PostgreSQL.

The demo's orders-db-cluster has db-01..db-03 and needs 2 (store/demo/demo.yaml). With one
node down it is at its minimum: one more loss takes orders-db down, and with it Online
Checkout (#inc-checkout), Order Fulfilment (#inc-fulfilment) and Customer Support
(#inc-support), all on hard paths. Internal Reporting (#inc-data) hangs on orders-db only
through the soft etl-jobs edge, so it is degraded, never down: no notice in #inc-data.
Two runtimes (replicas) share the database; each reconciles and drains its outbox.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fake_slack import FakeSlack
from runtime_replicas import PINGS, both, settle

from bot.runtime import Runtime
from impact.model import State, StatusEvent
from store import Store

CHANNELS = ["#inc-checkout", "#inc-fulfilment", "#inc-support"]
START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def observe(store: Store, at: datetime, **states: State) -> None:
    store.record_events([StatusEvent(name.replace("_", "-"), s, at) for name, s in states.items()])


def risk_messages(slack: FakeSlack, method: str) -> list[dict]:
    return [c.body for c in slack.delivered(method) if "bsm.risk" in str(c.body.get("blocks"))]


def test_at_risk_posted_updated_cleared_once_per_channel(
    replicas: list[Runtime], demo_store: Store, slack: FakeSlack
) -> None:
    reconcile = lambda r: r.incidents.desk.reconcile()  # noqa: E731

    observe(demo_store, START, db_03=State.DOWN)
    both(replicas, reconcile)
    settle(replicas, demo_store)
    posted = risk_messages(slack, "chat.postMessage")
    assert sorted(p["channel"] for p in posted) == CHANNELS  # one each, across two replicas
    checkout = next(p for p in posted if p["channel"] == "#inc-checkout")
    assert "orders-db-cluster is down to 2 of 3 (needs 2)" in checkout["text"]
    assert "Online Checkout" in checkout["text"]
    assert "db-03 lost" in str(checkout["blocks"])
    for body in posted:
        assert not any(p in str(body) for p in PINGS)  # muted: nobody is pinged
        assert "actions" not in str(body["blocks"])  # no buttons, no incident
    assert demo_store.incident_records.incidents() == []  # no business service is down

    # still one node down, but another one: the same living message, updated in place
    later = START + timedelta(minutes=5)
    observe(demo_store, later, db_03=State.OK, db_01=State.DOWN)
    both(replicas, reconcile)
    settle(replicas, demo_store)
    updates = risk_messages(slack, "chat.update")
    assert sorted(u["channel"] for u in updates) == CHANNELS
    assert all("db-01 lost" in str(u["blocks"]) for u in updates)
    ts = {p["channel"]: p for p in posted}
    assert len(risk_messages(slack, "chat.postMessage")) == 3  # nothing new posted

    # the margin is back: the message is updated to say so, once per channel
    observe(demo_store, later + timedelta(minutes=5), db_01=State.OK)
    both(replicas, reconcile)
    settle(replicas, demo_store)
    cleared = risk_messages(slack, "chat.update")[3:]
    assert sorted(u["channel"] for u in cleared) == CHANNELS
    assert all(u["text"].startswith("Margin back: orders-db-cluster") for u in cleared)
    assert len(risk_messages(slack, "chat.postMessage")) == 3
    assert ts  # the posts were answered with a ts the updates reused (the fake checks it)
    assert demo_store.risk_notices.open() == []
