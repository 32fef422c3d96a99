"""Two `bsm serve` replicas on one PostgreSQL: one notice per channel, one digest per period."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from fake_slack import Call, FakeSlack
from replicas import TOKEN, Replica, serve_env, wait_until

from services.digests import cadence_of
from store import DigestSchedule, Selector, Store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def replicas(env: dict[str, str], count: int = 2) -> Iterator[list[Replica]]:
    """`count` replicas started side by side (start-up is the slow part), stopped at the end."""
    group = [Replica(env) for _ in range(count)]
    with ExitStack() as stack:
        for replica in group:
            stack.callback(replica.stop)
        threads = [threading.Thread(target=r.start) for r in group]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for replica in group:
            assert replica.url, "a replica did not start:\n" + replica.log[-3000:]
        yield group


def settled(store: Store) -> bool:
    """Every outbox row decided (sent, superseded or failed), and there is at least one."""
    with store.engine.connect() as connection:
        statuses = connection.execute(sa.text("SELECT status FROM outbox")).scalars().all()
    return bool(statuses) and all(s in ("sent", "superseded", "failed") for s in statuses)


def top_level_posts(slack: FakeSlack) -> list[Call]:
    return [c for c in slack.delivered("chat.postMessage") if not c.body.get("thread_ts")]


def test_the_same_webhook_to_both_replicas_gives_one_notice_per_channel(
    pg_url: str, slack: FakeSlack
) -> None:
    payload = {
        "version": "4",
        "status": "firing",
        "groupKey": '{}:{alertname="InstanceDown"}',
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "InstanceDown", "component": "orders-db"},
                "annotations": {"summary": "orders-db is down"},
                "startsAt": "2026-11-28T09:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "fp-orders-db",
            }
        ],
    }
    store = Store(pg_url)
    with replicas(serve_env(pg_url, slack.api_url)) as group:
        answers: list[int] = []

        def deliver(replica: Replica) -> None:  # Alertmanager HA pairs send to every replica
            url = f"{replica.url}/webhooks/alertmanager"
            answers.append(httpx.post(url, json=payload, headers=HEADERS).status_code)

        threads = [threading.Thread(target=deliver, args=(r,)) for r in group for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [200, 200, 200, 200]
        wait_until(lambda: settled(store), what="the outbox to drain")

    channels = sorted(c.body["channel"] for c in top_level_posts(slack))
    assert channels == ["#inc-checkout", "#inc-search"]
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM incidents")).scalar() == 1
    store.close()


def posts_to(slack: FakeSlack, channel: str) -> list[Call]:
    return [c for c in top_level_posts(slack) if c.body["channel"] == channel]


def test_a_digest_due_on_both_replicas_is_posted_once(pg_url: str, slack: FakeSlack) -> None:
    store = Store(pg_url)
    digests = store.digest_schedules
    now = datetime.now(UTC)
    fire = now - timedelta(minutes=2)

    def daily(channel: str, created: datetime = now) -> DigestSchedule:
        schedule = DigestSchedule(0, channel, "daily", f"{fire:%H:%M}", "UTC", Selector())
        return digests.add(schedule, created)

    # 1. A replica claimed today's digest and died before posting; its lease ran out.
    abandoned = daily("#managers")
    cadence = cadence_of(abandoned)
    period = cadence.period_key(cadence.last_fire(now))
    assert digests.claim(abandoned.id, period, "dead-replica", now - timedelta(hours=2))
    # 2. A digest scheduled yesterday whose time came while the cluster was down (inside the
    #    grace): due on both replicas as soon as they run.
    fired = daily("#directors", now - timedelta(days=1))

    env = serve_env(pg_url, slack.api_url, BSM_DIGEST_TICK_S="0.5")
    with replicas(env) as group:
        wait_until(lambda: posts_to(slack, "#managers"), what="the abandoned digest")
        wait_until(lambda: posts_to(slack, "#directors"), what="the due digest")
        ticks = [tick_count(r) for r in group]
        # Several more ticks on each replica: a second post would have happened by now.
        wait_until(lambda: all(tick_count(r) >= t + 3 for r, t in zip(group, ticks, strict=True)))

    assert [len(posts_to(slack, c)) for c in ("#managers", "#directors")] == [1, 1]
    runs = {r.schedule_id: r for r in digests.runs()}
    assert runs[abandoned.id].claimed_by != "dead-replica" and runs[abandoned.id].attempts == 2
    assert runs[fired.id].posted_at is not None
    assert len(runs) == 2
    store.close()


def tick_count(replica: Replica) -> float:
    """Digest ticks this replica fired, from its /metrics: the ones it ran ("ok") and the
    ones it left to the replica that ran that period ("skipped")."""
    text = httpx.get(f"{replica.url}/metrics").text
    fired = 0.0
    for outcome in ("ok", "skipped"):
        for line in text.splitlines():
            if line.startswith(
                f'bsm_scheduler_runs_total{{job="digest_tick",outcome="{outcome}"}}'
            ):
                fired += float(line.rsplit(" ", 1)[1])
    return fired
