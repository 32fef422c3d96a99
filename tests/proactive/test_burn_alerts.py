"""Burn alerts through the runtime, with the fake Slack, on SQLite and PostgreSQL.

The demo's payment-gateway carries Payments (#inc-payments) and, through payments-api,
Online Checkout (#inc-checkout), both hard paths and both with a 99.95 % target and no
service hours (store/demo/demo.yaml): the allowed share of downtime is 0.0005.

payment-gateway is ok from four days before START, down for the 10 minutes before START,
ok again from START. By hand, at START (both services down over [START-10m, START)):
  1 h window:   600 s down of 3600 measured -> 0.1667 / 0.0005 = 333x   (rule 14.4x)
  5 min window: all down                    -> 1 / 0.0005     = 2000x   fires: open
This month (December 2026, 31 days = 2,678,400 s, all measured or upcoming): budget
0.0005 x 2,678,400 = 1,339.2 s, of which 600 s are spent: 739.2 s left = 55 %.
At START + 10 min: the 5 min window is clean, the 30 min one holds 600 s down of 1800 ->
667x (>= 6x, over 6 h 600/21600/0.0005 = 55.6x): the 6x rule fires, the episode stays.
At START + 6 h + 1 min every short window (5 min, 30 min, 6 h) is clean: resolved.
Two runtimes (replicas) share the database; each checks and drains its outbox.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fake_slack import FakeSlack
from runtime_replicas import PINGS, both, settle

from bot.runtime import Runtime
from impact.model import State, StatusEvent
from store import Store

CHANNELS = ["#inc-checkout", "#inc-payments"]
START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def burn_messages(slack: FakeSlack, method: str) -> list[dict]:
    return [c.body for c in slack.delivered(method) if "bsm.burn" in str(c.body.get("blocks"))]


def check(replicas: list[Runtime], store: Store, at: datetime) -> None:
    def run(replica: Runtime) -> None:
        assert replica.burns is not None
        replica.burns.check(now=at)

    both(replicas, run)
    settle(replicas, store)


def test_the_burn_check_is_a_cluster_job(replicas: list[Runtime]) -> None:
    jobs = {
        job.name: job.trigger.interval.total_seconds() for job in replicas[0].scheduler.get_jobs()
    }
    assert jobs["burn_check"] == 60


def test_an_episode_posts_once_updates_and_resolves_once_per_channel(
    replicas: list[Runtime], demo_store: Store, slack: FakeSlack
) -> None:
    demo_store.record_events(
        [
            StatusEvent("payment-gateway", State.OK, START - timedelta(days=4)),
            StatusEvent("payment-gateway", State.DOWN, START - 10 * M),
            StatusEvent("payment-gateway", State.OK, START),
        ]
    )
    check(replicas, demo_store, START - 20 * M)  # before the outage: nothing burns
    assert burn_messages(slack, "chat.postMessage") == []

    check(replicas, demo_store, START)
    posted = burn_messages(slack, "chat.postMessage")
    assert sorted(p["channel"] for p in posted) == CHANNELS  # one each, across two replicas
    payments = next(p for p in posted if p["channel"] == "#inc-payments")
    assert payments["text"] == (
        "Burning: Payments is burning its error budget 333x too fast over 1h "
        "(2,000x over 5m; alert at 14.4x); 55% of this month's error budget left (12m)."
    )
    for body in posted:
        assert not any(p in str(body) for p in PINGS)  # muted: nobody is pinged
        assert "actions" not in str(body["blocks"])  # no buttons, no incident
    assert demo_store.incident_records.incidents() == []

    check(replicas, demo_store, START)  # the same facts again: nothing new
    assert len(burn_messages(slack, "chat.postMessage")) == 2
    assert burn_messages(slack, "chat.update") == []

    check(replicas, demo_store, START + 10 * M)  # recovered, but the 30 min window burns
    updates = burn_messages(slack, "chat.update")
    assert sorted(u["channel"] for u in updates) == CHANNELS
    assert all("667x over 30m; alert at 6x" in u["text"] for u in updates)
    assert [f.service for f in demo_store.burn_episodes.open()] == ["online-checkout", "payments"]

    check(replicas, demo_store, START + timedelta(hours=6, minutes=1))
    resolved = burn_messages(slack, "chat.update")[2:]
    assert sorted(u["channel"] for u in resolved) == CHANNELS
    assert all(u["text"].startswith("Burn over: ") for u in resolved)
    assert len(burn_messages(slack, "chat.postMessage")) == 2  # posted once, resolved once
    assert demo_store.burn_episodes.open() == []
    check(replicas, demo_store, START + timedelta(hours=6, minutes=2))
    assert len(burn_messages(slack, "chat.update")) == 4
