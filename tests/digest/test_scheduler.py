"""Digest schedules live in the database, misfires inside the grace run once, and replicas on
one database post one digest per period."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from fake_slack import FakeSlack
from slack_sdk import WebClient

from bot.digest import poster
from handlers.digest_answers import answer_digest
from services.digests import DigestService, cadence_of
from services.model import ModelService
from store import DigestSchedule, Selector, Store


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def service(store: Store, slack: FakeSlack, **options: object) -> DigestService:
    """A replica's digest service: it posts to the fake Slack."""
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    return DigestService(store, ModelService(store), post=poster(client), **options)  # type: ignore[arg-type]


def schedule_at(store: Store, digests: DigestService, fire: datetime, created: datetime) -> int:
    """Schedule a daily digest at `fire`'s time of day, as if asked in chat at `created`."""
    text = f"digest schedule #managers daily {fire:%H:%M} UTC"
    answer = answer_digest(text, store, digests, now=created)
    assert answer.ok, answer.summary
    return int(answer.data["schedule"]["id"])


def test_a_schedule_survives_a_restart(small_store: Store, slack: FakeSlack) -> None:
    created = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    plan = schedule_at(small_store, service(small_store, slack), created.replace(hour=9), created)

    reopened = Store(url_of(small_store))  # a fresh process: nothing but the database
    fresh = service(reopened, slack)
    now = datetime(2026, 1, 1, 9, 0, 30, tzinfo=UTC)  # the first tick after 09:00
    [(schedule, fired)] = fresh.due(now)
    assert schedule.id == plan
    assert (fired.hour, fired.minute) == (9, 0)
    assert fresh.next_fire(schedule, now) == datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    fresh.tick(now)
    [post] = slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "#managers"
    reopened.close()


def test_missed_runs_inside_the_grace_run_once(small_store: Store, slack: FakeSlack) -> None:
    fire = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    down_since = fire - timedelta(days=3, minutes=1)  # down for 3 days: 4 missed fire times
    plan = schedule_at(small_store, service(small_store, slack), fire, down_since)

    back = service(small_store, slack)
    back.tick()
    slack.wait_for("chat.postMessage")
    assert back.tick() == []  # the period is posted: nothing more to do
    assert back.runs == 1  # coalesced: one run for four missed fire times
    schedule = small_store.digest_schedules.get(plan)
    assert back.next_fire(schedule, datetime.now(UTC)) == fire + timedelta(days=1)
    assert len(small_store.digest_schedules.runs(plan)) == 1


def test_a_run_missed_by_more_than_the_grace_is_skipped(
    small_store: Store, slack: FakeSlack
) -> None:
    fire = (datetime.now(UTC) - timedelta(hours=3)).replace(second=0, microsecond=0)
    plan = schedule_at(small_store, service(small_store, slack), fire, fire - timedelta(days=1))

    back = service(small_store, slack, misfire_grace_s=3600)
    assert [s.id for s in back.missed(datetime.now(UTC))] == [plan]
    assert back.tick() == []
    assert back.runs == 0 and slack.calls("chat.postMessage") == []


def test_a_schedule_created_after_todays_time_waits_for_tomorrow(
    small_store: Store, slack: FakeSlack
) -> None:
    fire = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    schedule_at(small_store, service(small_store, slack), fire, fire + timedelta(minutes=5))
    assert service(small_store, slack).due(fire + timedelta(minutes=6)) == []


def test_two_replicas_post_one_digest_per_period(small_store: Store, slack: FakeSlack) -> None:
    digests = small_store.digest_schedules
    plan = digests.add(
        DigestSchedule(0, "#managers", "daily", "09:00", "UTC", Selector()), datetime.now(UTC)
    )
    other = Store(url_of(small_store))  # a second engine: another replica on the same database
    replicas = [service(small_store, slack, worker="r1"), service(other, slack, worker="r2")]
    posted: list[str | None] = []
    for day in (3, 4, 5):
        now = datetime(2026, 11, day, 9, 0, 1, tzinfo=UTC)
        barrier = threading.Barrier(2)

        def race(
            replica: DigestService, now: datetime = now, barrier: threading.Barrier = barrier
        ) -> None:
            barrier.wait()
            posted.append(replica.run(plan.id, now))

        threads = [threading.Thread(target=race, args=(r,)) for r in replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert len([ts for ts in posted if ts]) == 3 and posted.count(None) == 3
    assert len(slack.wait_for("chat.postMessage", 3)) == 3
    runs = digests.runs(plan.id)
    assert [r.period_key for r in runs] == ["2026-11-03", "2026-11-04", "2026-11-05"]
    assert all(r.posted_at is not None for r in runs)
    assert cadence_of(plan).period_key(datetime(2026, 11, 5, 9, 0, tzinfo=UTC)) == "2026-11-05"
    other.close()
