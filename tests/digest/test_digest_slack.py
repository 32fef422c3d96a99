"""A scheduled digest in Slack: one message with the services worst first, the chart
uploaded through the external upload flow in its thread, once per period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fake_slack import FakeSlack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.digest import poster
from bot.render.digest import CHART_NAME
from handlers.digest_answers import answer_digest
from services.digests import DigestService
from services.model import ModelService
from store import DigestSchedule, Selector, Store

FIRED = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # daily 09:00 UTC: reports 2026-11-02


def schedule(store: Store) -> DigestSchedule:
    plan = DigestSchedule(0, "#managers", "daily", "09:00", "UTC", Selector())
    return store.digest_schedules.add(plan, FIRED)


def runtime(store: Store, slack: FakeSlack, worker: str, now: datetime) -> DigestService:
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    post = poster(client)
    return DigestService(store, ModelService(store), post=post, worker=worker, clock=lambda: now)


def test_digest_posts_message_and_chart_once_per_period(
    small_store: Store, slack: FakeSlack
) -> None:
    plan = schedule(small_store)
    worker = runtime(small_store, slack, "w1", FIRED + timedelta(minutes=1))
    ts = worker.run(plan.id)

    [post] = slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "#managers"
    text = "\n".join(str(b.get("text", {}).get("text", "")) for b in post.body["blocks"])
    # 2026-11-02: shop-db down 10:00-10:30 and from 23:50: 40 min of 24 h -> 97.222 %.
    assert text.index("Web Shop: 97.222% vs 99%") < text.index("Reports: 100.000% vs 95%")
    assert ":red_circle: Web Shop" in text and "2 incidents, MTTR 20m" in text
    assert "Web Shop now misses its SLA (97.222%, was 100.000%)" in text
    assert "shop-db: 40m of downtime (shop)" in text

    [ask] = slack.wait_for("files.getUploadURLExternal")
    [upload] = slack.wait_for("upload")
    [done] = slack.wait_for("files.completeUploadExternal")
    assert ask.body["filename"] == CHART_NAME
    assert int(upload.headers["content-length"]) == int(ask.body["length"]) > 1000
    assert done.body["channel_id"] == "#managers" and done.body["thread_ts"] == ts
    assert done.body["files"][0]["title"] == "Availability per day, 2026-11-02"

    assert worker.run(plan.id) is None  # the same period again: already posted
    assert len(slack.delivered("chat.postMessage")) == 1
    [run] = small_store.digest_schedules.runs(plan.id)
    assert (run.period_key, run.message_ts, run.posted_at is not None) == ("2026-11-03", ts, True)


def test_a_failed_post_is_retried_after_the_lease_not_lost(
    small_store: Store, slack: FakeSlack
) -> None:
    plan = schedule(small_store)
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError):
        runtime(small_store, slack, "dies", FIRED).run(plan.id)

    soon = runtime(small_store, slack, "w2", FIRED + timedelta(minutes=5))
    assert soon.run(plan.id) is None and soon.retry_abandoned() == []  # lease still held
    later = runtime(small_store, slack, "w2", FIRED + timedelta(minutes=11))
    [ts] = later.retry_abandoned()
    assert len(slack.wait_for("chat.postMessage")) == 1
    [run] = small_store.digest_schedules.runs(plan.id)
    assert (run.claimed_by, run.attempts, run.message_ts) == ("w2", 2, ts)


def test_digest_now_from_chat_posts_to_the_channel(small_store: Store, slack: FakeSlack) -> None:
    digests = runtime(small_store, slack, "w1", FIRED)
    answer = answer_digest("digest now <#C0MANAGERS|managers> tier 1", small_store, digests)
    assert answer.ok, answer.summary
    [post] = slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "C0MANAGERS"
    text = str(post.body["blocks"])
    assert "Web Shop" in text and "Reports" not in text  # tier 1 only


def test_schedule_from_chat_is_stored_with_a_did_you_mean_for_typos(small_store: Store) -> None:
    text = "digest schedule #ops weekly mon 09:00 Europe/Berlin shop"
    answer = answer_digest(text, small_store, None, now=FIRED)
    plan_id = answer.data["schedule"]["id"]
    assert answer.summary.startswith(
        f"Scheduled digest {plan_id}: weekly mon 09:00 Europe/Berlin to #ops for shop;"
        " next on 2026-11-09 09:00 CET"
    )
    wrong = answer_digest("digest schedule #ops daily 09:00 shoop", small_store, None)
    assert not wrong.ok and "unknown business service 'shoop'; did you mean shop?" in wrong.summary
    listed = answer_digest("digest list", small_store, None, now=FIRED)
    assert listed.sections[0].items[0].text == f"{plan_id}: weekly mon 09:00 Europe/Berlin to #ops"
    assert answer_digest(f"digest cancel {plan_id}", small_store, None).ok
    assert answer_digest("digest list", small_store, None).summary == "No digests are scheduled"
