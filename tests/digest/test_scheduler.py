"""Digest schedules survive restarts, misfires inside the grace run once, and replicas on one
database post one digest per period."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_MISSED
from fake_slack import FakeSlack
from slack_sdk import WebClient

from bot.scheduler import DigestRuntime, DigestScheduler, job_id
from handlers.digest_answers import answer_digest
from store import Store
from store.digests import DigestSchedule, DigestStore, Selector


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def schedulers(slack: FakeSlack) -> Iterator[list[DigestScheduler]]:
    """Schedulers the test starts; all stopped at the end."""
    started: list[DigestScheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop()


def start(
    store: Store, slack: FakeSlack, started: list[DigestScheduler], **options: int
) -> DigestScheduler:
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    scheduler = DigestScheduler(DigestRuntime(store, client), **options)
    started.append(scheduler)
    return scheduler


def set_next_run(store: Store, job: str, when: datetime) -> None:
    """Move a stored job's next run, as if the bot had been down since `when`."""
    table = sa.table(
        "apscheduler_jobs", sa.column("id"), sa.column("next_run_time"), sa.column("job_state")
    )
    with store.engine.begin() as connection:
        state = pickle.loads(
            connection.execute(sa.select(table.c.job_state).where(table.c.id == job)).scalar_one()
        )
        state["next_run_time"] = when
        values = {"next_run_time": when.timestamp(), "job_state": pickle.dumps(state)}
        connection.execute(sa.update(table).where(table.c.id == job).values(**values))


def schedule_at(store: Store, scheduler: DigestScheduler, fire: datetime) -> int:
    text = f"digest schedule #managers daily {fire:%H:%M} UTC"
    answer = answer_digest(text, store, scheduler)
    assert answer.ok, answer.summary
    return int(answer.data["schedule"]["id"])


def test_a_schedule_survives_a_restart(
    small_store: Store, slack: FakeSlack, schedulers: list[DigestScheduler]
) -> None:
    first = start(small_store, slack, schedulers)
    first.start()
    plan = schedule_at(small_store, first, datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    first.stop()

    reopened = Store(url_of(small_store))
    fresh = start(reopened, slack, schedulers)
    fresh.start()
    job = fresh.scheduler.get_job(job_id(plan))
    assert job is not None and job.args == (plan,)
    assert (job.trigger.fields[5].expressions[0].first, job.next_run_time.minute) == (9, 0)
    fresh.scheduler.modify_job(job_id(plan), next_run_time=datetime.now(UTC))  # due now
    [post] = slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "#managers"
    reopened.close()


def test_missed_runs_inside_the_grace_run_once(
    small_store: Store, slack: FakeSlack, schedulers: list[DigestScheduler]
) -> None:
    fire = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    down = start(small_store, slack, schedulers)
    down.start()
    plan = schedule_at(small_store, down, fire)
    down.stop()
    set_next_run(small_store, job_id(plan), fire - timedelta(days=3))  # down for 3 days: 4 missed

    back = start(small_store, slack, schedulers)
    back.start()
    slack.wait_for("chat.postMessage")
    assert back.runtime.runs == 1  # coalesced: one run for four missed fire times
    job = back.scheduler.get_job(job_id(plan))
    assert job.next_run_time == fire + timedelta(days=1)
    assert len(DigestStore(small_store.engine).runs(plan)) == 1


def test_a_run_missed_by_more_than_the_grace_is_skipped(
    small_store: Store, slack: FakeSlack, schedulers: list[DigestScheduler]
) -> None:
    fire = (datetime.now(UTC) - timedelta(hours=3)).replace(second=0, microsecond=0)
    down = start(small_store, slack, schedulers)
    down.start()
    plan = schedule_at(small_store, down, fire)
    down.stop()
    set_next_run(small_store, job_id(plan), fire)

    missed = threading.Event()
    back = start(small_store, slack, schedulers, misfire_grace_s=3600)
    back.scheduler.add_listener(lambda event: missed.set(), EVENT_JOB_MISSED)
    back.start()
    assert missed.wait(10)
    assert back.runtime.runs == 0 and slack.calls("chat.postMessage") == []


def test_two_replicas_post_one_digest_per_period(small_store: Store, slack: FakeSlack) -> None:
    digests = DigestStore(small_store.engine)
    plan = digests.add(
        DigestSchedule(0, "#managers", "daily", "09:00", "UTC", Selector()), datetime.now(UTC)
    )
    other = Store(url_of(small_store))  # a second engine: another replica on the same database
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    replicas = [
        DigestRuntime(small_store, client, worker="r1"),
        DigestRuntime(other, client, worker="r2"),
    ]
    posted: list[str | None] = []
    for day in (3, 4, 5):
        now = datetime(2026, 11, day, 9, 0, 1, tzinfo=UTC)
        barrier = threading.Barrier(2)

        def race(
            replica: DigestRuntime, now: datetime = now, barrier: threading.Barrier = barrier
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
    other.close()
