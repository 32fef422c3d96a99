"""Long work never runs on Bolt's listener threads (finding 4, second half).

Five slow dry runs used to fill Bolt's five listener threads, and another user's
`/bsm status` got `dispatch_failed`. Through the real Bolt pipeline and the fake Slack:
five slow syncs in flight (held at a gate) leave `status` answered within a second; each
slow request is acked with "working on it" and gets its result when released; a full pool
answers "busy"; a failing job gets the usual apology.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # fake_slack, payloads

from fake_slack import FakeSlack
from slack_bolt import App
from slack_payloads import SIGNING_SECRET, SlackPayloads

from bot.app import Deps, build_client, create_app
from bot.listeners.messages import BUSY, WORKING
from bot.settings import Settings
from bot.work import WorkPool
from handlers.answer import Answer

SLOW = "sync jaeger --dry-run"


class SlowSyncs:
    """A conversation whose syncs hold until the test opens the gate; the rest is instant."""

    def __init__(self, error: Exception | None = None) -> None:
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self.error = error

    def ask(
        self, text: str, *, user_id: str | None, channel_id: str | None, session: str | None = None
    ) -> Answer:
        if not text.startswith("sync"):
            return Answer(intent="status", summary="all green")
        self.entered.release()
        if not self.gate.wait(10):
            raise TimeoutError("the test never opened the gate")
        if self.error is not None:
            raise self.error
        return Answer(intent="sync", summary=f"dry run done for {user_id}")


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def pool() -> Iterator[WorkPool]:
    made = WorkPool(workers=5, queued=2)
    yield made
    made.shutdown(wait=False)


def make_app(slack: FakeSlack, conversation: SlowSyncs, work: WorkPool | None) -> App:
    settings = Settings(bot_token="xoxb-test", signing_secret=SIGNING_SECRET, api_url=slack.api_url)
    deps = Deps(conversation=conversation, work=work)
    return create_app(settings, deps, client=build_client(settings))


def command(app: App, slack: FakeSlack, name: str, text: str, user: str) -> tuple[int, str]:
    """Dispatch `/bsm text` whose response_url is `name`; (status, ack text)."""
    payloads = SlackPayloads(slack.response_url(name))
    response = app.dispatch(payloads.bolt_request(payloads.command(text, user=user)))
    text = response.body  # Bolt answers an ack's text as text/plain
    return response.status, str(json.loads(text).get("text", "")) if text[:1] == "{" else text


def replies_to(slack: FakeSlack, name: str) -> list[str]:
    return [
        json.dumps(c.body) for c in slack.delivered("response_url") if c.path.endswith(f"/{name}")
    ]


def wait_entered(conversation: SlowSyncs, count: int) -> None:
    for _ in range(count):
        assert conversation.entered.acquire(timeout=5), "a slow request never started"


def test_work_five_slow_syncs_do_not_delay_another_users_status(
    slack: FakeSlack, pool: WorkPool
) -> None:
    conversation = SlowSyncs()
    app = make_app(slack, conversation, pool)
    acks = [command(app, slack, f"slow{i}", SLOW, f"U0SLOW{i}") for i in range(5)]
    wait_entered(conversation, 5)

    started = time.perf_counter()
    status, _ = command(app, slack, "status", "status", "U0OTHER")
    slack.wait_for("response_url", 1, timeout=1.0)
    elapsed = time.perf_counter() - started
    print(f"status answered in {elapsed * 1000:.0f} ms with five slow syncs in flight")
    assert status == 200 and elapsed < 1.0
    assert "all green" in replies_to(slack, "status")[0]

    assert acks == [(200, WORKING)] * 5
    assert all(replies_to(slack, f"slow{i}") == [] for i in range(5))  # still held
    conversation.gate.set()
    slack.wait_for("response_url", 6, timeout=5)
    for i in range(5):
        (reply,) = replies_to(slack, f"slow{i}")
        assert f"dry run done for U0SLOW{i}" in reply


def test_work_a_full_pool_answers_busy(slack: FakeSlack) -> None:
    conversation, pool = SlowSyncs(), WorkPool(workers=1, queued=0)
    try:
        app = make_app(slack, conversation, pool)
        assert command(app, slack, "first", SLOW, "U0FIRST") == (200, WORKING)
        wait_entered(conversation, 1)
        assert command(app, slack, "second", SLOW, "U0SECOND") == (200, BUSY)
        conversation.gate.set()
        slack.wait_for("response_url", 1, timeout=5)
        assert "U0FIRST" in replies_to(slack, "first")[0]
        assert replies_to(slack, "second") == []
    finally:
        pool.shutdown(wait=True)


def test_work_a_failing_job_gets_the_apology(slack: FakeSlack, pool: WorkPool) -> None:
    conversation = SlowSyncs(error=RuntimeError("boom"))
    conversation.gate.set()
    app = make_app(slack, conversation, pool)
    assert command(app, slack, "fails", SLOW, "U0FAIL") == (200, WORKING)
    slack.wait_for("response_url", 1, timeout=5)
    (reply,) = replies_to(slack, "fails")
    assert "Sorry, I could not answer that" in reply and "boom" not in reply


def test_work_a_slow_mention_says_working_then_posts_in_its_thread(
    slack: FakeSlack, pool: WorkPool
) -> None:
    conversation = SlowSyncs()
    conversation.gate.set()
    app = make_app(slack, conversation, pool)
    payloads = SlackPayloads(slack.response_url("unused"))
    response = app.dispatch(payloads.bolt_request(payloads.event(payloads.mention(SLOW))))
    assert response.status == 200
    (posted,) = slack.wait_for("chat.postMessage", 1, timeout=5)
    (working,) = slack.delivered("chat.postEphemeral")
    assert WORKING in json.dumps(working.body) and working.body["user"] == "U0USER1"
    assert working.at < posted.at
    assert "dry run done for U0USER1" in json.dumps(posted.body)
    assert posted.body["thread_ts"] == "1699999999.000100"
