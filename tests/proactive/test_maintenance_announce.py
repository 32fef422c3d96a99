"""Maintenance windows starting later, pre-announced to the affected channels.

By the demo map (README: "what does db-03 affect?"), db-03 down leaves orders-db-cluster at
2 of 3 and degrades Online Checkout (#inc-checkout), Order Fulfilment (#inc-fulfilment),
Customer Support Desk (#inc-support) and Internal Reporting (#inc-data); it takes none down,
and one more loss during it takes the first three down (hard paths; by service name).
So its announcement goes to those four channels. Two runtimes (replicas) share the
database; each runs the announcement check and drains its outbox.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fake_slack import FakeSlack
from runtime_replicas import PINGS, both, settle

from bot.runtime import Runtime
from handlers.conversation import Conversation
from impact.model import MaintenanceWindow
from services.model import ModelService
from store import Store

CHANNELS = ["#inc-checkout", "#inc-data", "#inc-fulfilment", "#inc-support"]
M = timedelta(minutes=1)


def later() -> datetime:
    """02:00 UTC two days from now: always in the future."""
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def earlier() -> datetime:
    """A start four hours ago, on the minute: the checks replay its lead, start and end at
    times already past (the outbox sends rows once their time has come)."""
    return (datetime.now(UTC) - timedelta(hours=4)).replace(second=0, microsecond=0)


def test_chat_plans_a_later_window_with_an_announcement(demo_store: Store) -> None:
    start = later()
    asker = Conversation(ModelService(demo_store))
    text = f"maintenance db-03 at {start:%Y-%m-%dT%H:%M}Z for 2h announce 1h kernel patch"
    answer = asker.ask(text, origin="cli")
    assert answer.ok, answer.summary
    window = answer.data["window"]
    assert window["start"] == start.isoformat()
    assert window["end"] == (start + timedelta(hours=2)).isoformat()
    assert window["announce_s"] == 3600 and window["reason"] == "kernel patch"
    assert any(n.startswith(f"Announced to {', '.join(CHANNELS)} at ") for n in answer.notes)
    (stored,) = demo_store.maintenance_windows()
    assert (stored.start, stored.announce_s) == (start, 3600)
    now = asker.ask("maintenance db-02 for 2h announce 1h", origin="cli")
    assert not now.ok and "announce needs a later start" in now.summary
    bad = asker.ask("maintenance db-02 at 99:99 for 2h", origin="cli")
    assert not bad.ok and "'99:99'" in bad.summary  # names what it could not read
    assert len(demo_store.maintenance_windows()) == 1  # nothing created


def announce_messages(slack: FakeSlack, method: str) -> list[dict]:
    return [c.body for c in slack.delivered(method) if "bsm.announce" in str(c.body.get("blocks"))]


def check(replicas: list[Runtime], store: Store, at: datetime) -> None:
    def run(replica: Runtime) -> None:
        assert replica.announcer is not None
        replica.announcer.check(now=at)

    both(replicas, run)
    settle(replicas, store)


def test_announced_once_per_channel_then_started_then_over(
    replicas: list[Runtime], demo_store: Store, slack: FakeSlack
) -> None:
    start = earlier()
    window = MaintenanceWindow(
        "db-03", start, start + timedelta(hours=2), "kernel patch", "tests", announce_s=3600
    )
    stored = demo_store.add_maintenance(window)
    check(replicas, demo_store, start - 61 * M)  # before the lead: nothing
    assert announce_messages(slack, "chat.postMessage") == []

    check(replicas, demo_store, start - 59 * M)
    posted = announce_messages(slack, "chat.postMessage")
    assert sorted(p["channel"] for p in posted) == CHANNELS  # once each, across two replicas
    span = f"{start:%a %Y-%m-%d %H:%M}-{start + timedelta(hours=2):%H:%M} UTC"
    assert posted[0]["text"] == (
        f"Planned: maintenance #{stored.id} on db-03 ({span}) for kernel patch: it degrades Online "
        "Checkout, Order Fulfilment, Customer Support Desk, Internal Reporting; one more loss "
        "during it takes Customer Support Desk, Online Checkout, Order Fulfilment down."
    )
    for body in posted:
        assert not any(p in str(body) for p in PINGS) and "actions" not in str(body["blocks"])
    check(replicas, demo_store, start - 30 * M)  # nothing changed: nothing sent
    assert announce_messages(slack, "chat.update") == []

    check(replicas, demo_store, start + M)
    started = announce_messages(slack, "chat.update")
    assert sorted(u["channel"] for u in started) == CHANNELS
    assert all(u["text"].startswith("In progress: maintenance #") for u in started)

    check(replicas, demo_store, start + timedelta(hours=2, minutes=1))
    over = announce_messages(slack, "chat.update")[4:]
    assert sorted(u["channel"] for u in over) == CHANNELS
    assert all(u["text"].startswith("Done: maintenance #") for u in over)
    assert len(announce_messages(slack, "chat.postMessage")) == 4
    assert demo_store.announcements.open() == []


def test_removing_the_window_cancels_the_announcement(
    replicas: list[Runtime], demo_store: Store, slack: FakeSlack
) -> None:
    start = earlier()
    first = MaintenanceWindow("db-03", start, start + timedelta(hours=2), announce_s=3600)
    second = MaintenanceWindow("db-01", start, start + timedelta(hours=1), announce_s=600)
    one, two = demo_store.add_maintenance(first), demo_store.add_maintenance(second)
    check(replicas, demo_store, start - 30 * M)  # db-03's lead has begun, db-01's not yet
    assert len(announce_messages(slack, "chat.postMessage")) == 4

    assert one.id is not None and two.id is not None
    demo_store.end_maintenance(one.id, start - 20 * M, actor="tests")  # removed before start
    demo_store.end_maintenance(two.id, start - 20 * M, actor="tests")
    check(replicas, demo_store, start - 19 * M)
    cancelled = announce_messages(slack, "chat.update")
    assert sorted(u["channel"] for u in cancelled) == CHANNELS
    assert all(
        u["text"].startswith(f"Cancelled: maintenance #{one.id} on db-03") for u in cancelled
    )
    check(replicas, demo_store, start - 5 * M)  # db-01's lead would have begun: never posted
    check(replicas, demo_store, start + M)
    assert len(announce_messages(slack, "chat.postMessage")) == 4
    assert len(announce_messages(slack, "chat.update")) == 4
