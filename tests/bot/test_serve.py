"""`bsm serve` over real HTTP: signed requests in, answers delivered to the fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fake_slack import FakeSlack
from served import bsm_serve
from slack_payloads import SIGNING_SECRET, SlackPayloads

from bot.cli import main
from bot.render.blocks import ActionId

pytestmark = pytest.mark.slow
QUESTION = "what does db-03 affect?"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture(scope="module")
def server(fake: FakeSlack, demo_db: Path) -> Iterator[str]:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-e2e",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "BSM_DATABASE_URL": f"sqlite:///{demo_db}",
        "SLACK_APP_TOKEN": "",
    }
    with bsm_serve(env) as url:
        yield url


@pytest.fixture
def http(server: str, fake: FakeSlack) -> Iterator[httpx.Client]:
    fake.reset()
    with httpx.Client(base_url=server, timeout=10) as client:
        yield client


@pytest.fixture
def sign(fake: FakeSlack) -> SlackPayloads:
    return SlackPayloads(fake.response_url("e2e"))


def post(http: httpx.Client, sign: SlackPayloads, body: str, **headers: str) -> httpx.Response:
    return http.post("/slack/events", content=body, headers=sign.headers(body) | headers)


def test_health(http: httpx.Client) -> None:
    response = http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["database"] == "ok"


def test_slash_command(http: httpx.Client, sign: SlackPayloads, fake: FakeSlack) -> None:
    response = post(http, sign, sign.command(QUESTION))

    assert (response.status_code, response.text) == (200, "")
    [reply] = fake.wait_for("response_url")
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["text"].startswith("db-03 ")
    assert reply.body["blocks"][-1]["elements"][-1]["value"] == QUESTION


def test_mention(http: httpx.Client, sign: SlackPayloads, fake: FakeSlack) -> None:
    event = sign.mention(QUESTION, ts="1699999999.000900")
    assert post(http, sign, sign.event(event)).status_code == 200

    [reply] = fake.wait_for("chat.postMessage")
    assert (reply.body["channel"], reply.body["thread_ts"]) == ("C0CHAN1", "1699999999.000900")
    assert reply.body["text"].startswith("db-03 ")


def test_direct_message(http: httpx.Client, sign: SlackPayloads, fake: FakeSlack) -> None:
    assert post(http, sign, sign.event(sign.dm("status"))).status_code == 200

    [reply] = fake.wait_for("chat.postMessage")
    assert reply.body["channel"] == "D0DM0001"
    assert "business services" in reply.body["text"]


def test_button_click(http: httpx.Client, sign: SlackPayloads, fake: FakeSlack) -> None:
    body = sign.click(f"{ActionId.SIMULATE}.0", "what if db-01 and db-02 fail?")
    assert post(http, sign, body).status_code == 200

    [reply] = fake.wait_for("response_url")
    assert "Online Checkout" in reply.body["text"]


def test_app_home_open(http: httpx.Client, sign: SlackPayloads, fake: FakeSlack) -> None:
    assert post(http, sign, sign.event(sign.home_opened("U0HOME1"))).status_code == 200

    [publish] = fake.wait_for("views.publish")
    assert publish.body["user_id"] == "U0HOME1"
    assert "Online Checkout" in str(publish.body["view"]["blocks"])


def test_retried_event_gets_one_reply(
    http: httpx.Client, sign: SlackPayloads, fake: FakeSlack
) -> None:
    body = sign.event(sign.mention(QUESTION), event_id="Ev0E2ERETRY")
    post(http, sign, body)
    fake.wait_for("chat.postMessage")

    retry = post(
        http, sign, body, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    post(http, sign, sign.event(sign.mention("status", channel="C0FENCE")))
    fake.wait_for("chat.postMessage", 2)

    assert (retry.status_code, retry.headers["x-slack-no-retry"]) == (200, "1")
    assert [c.body["channel"] for c in fake.calls("chat.postMessage")] == ["C0CHAN1", "C0FENCE"]


def test_bad_signature_is_refused(http: httpx.Client, fake: FakeSlack) -> None:
    forger = SlackPayloads(fake.response_url("e2e"), secret="0" * 32)
    assert post(http, forger, forger.command(QUESTION)).status_code == 401
    assert fake.calls("response_url") == []


def test_stale_timestamp_is_refused(http: httpx.Client, sign: SlackPayloads) -> None:
    body = sign.command(QUESTION)
    response = http.post(
        "/slack/events", content=body, headers=sign.headers(body, timestamp=1_600_000_000)
    )
    assert response.status_code == 401


def test_rate_limited_slack_still_gets_the_answer(
    http: httpx.Client, sign: SlackPayloads, fake: FakeSlack
) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    post(http, sign, sign.event(sign.mention(QUESTION)))

    [reply] = fake.wait_for("chat.postMessage")
    assert [c.status for c in fake.calls("chat.postMessage")] == [429, 200]
    assert reply.body["text"].startswith("db-03 ")


def test_serve_without_signing_secret_names_the_variable(tmp_path: Path) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": ""}
    result = CliRunner().invoke(main, ["serve"], env=env)

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information > "
        "App Credentials), or set SLACK_APP_TOKEN to use Socket Mode"
    ]
