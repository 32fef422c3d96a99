"""Over real HTTP: uvicorn serving the webhook routes, the outbox worker thread, a fake Slack.

(`bsm serve` mounts the same `IncidentRuntime`, built by its composition root, bot/runtime.py.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fake_slack import FakeSlack
from payloads import TOKEN, alertmanager, am_alert
from slack_sdk import WebClient
from starlette.applications import Starlette

from bot.webhooks import IncidentRuntime
from services.incidents import Incidents
from services.model import ModelService
from store import Store


@pytest.fixture
def served(mapped_store: Store, slack: FakeSlack) -> Iterator[str]:
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    incidents = Incidents(mapped_store, ModelService(mapped_store))
    runtime = IncidentRuntime.for_incidents(incidents, client, token=TOKEN)
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=runtime.routes), host="127.0.0.1", port=0, log_level="error"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # uvicorn sets this once its socket listens
        threading.Event().wait(0.01)
    runtime.start()
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    runtime.stop()
    server.should_exit = True
    thread.join(timeout=5)


def test_webhook_in_post_and_update_out(served: str, slack: FakeSlack) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    labels = {"job": "checkout-api", "severity": "critical"}
    first = alertmanager(am_alert("InstanceDown", labels, fingerprint="fp-1"))
    assert (
        httpx.post(f"{served}/webhooks/alertmanager", json=first, headers=headers).status_code
        == 200
    )
    [post] = slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "#inc-checkout"
    second = alertmanager(am_alert("InstanceDown", {"job": "payments-api"}, fingerprint="fp-2"))
    assert (
        httpx.post(f"{served}/webhooks/alertmanager", json=second, headers=headers).status_code
        == 200
    )
    [update] = slack.wait_for("chat.update")
    assert update.body["ts"] == "1700000000.000001" and "payments-api" in str(update.body["blocks"])


@pytest.mark.slow
def test_bsm_serve_posts_updates_and_resolves_one_notice(
    mapped_store: Store, slack: FakeSlack
) -> None:
    from datetime import UTC, datetime, timedelta

    from served import bsm_serve

    env = {
        "BSM_DATABASE_URL": mapped_store.url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
        "SLACK_API_URL": slack.api_url,
        "BSM_WEBHOOK_TOKEN": TOKEN,
    }
    headers = {"Authorization": f"Bearer {TOKEN}"}
    now = datetime.now(UTC)
    started, ended = (now - timedelta(minutes=10)).isoformat(), now.isoformat()

    def alert(job: str, fingerprint: str, **resolved: str) -> dict[str, object]:
        return alertmanager(
            am_alert(
                "InstanceDown", {"job": job}, fingerprint=fingerprint, starts=started, **resolved
            )
        )

    with bsm_serve(env) as url:
        hook = f"{url}/webhooks/alertmanager"
        assert (
            httpx.post(hook, json=alert("checkout-api", "fp-1"), headers=headers).status_code == 200
        )
        post = slack.wait_for("chat.postMessage")[0]
        assert post.body["channel"] == "#inc-checkout"
        again = httpx.post(hook, json=alert("checkout-api", "fp-1"), headers=headers)
        assert again.status_code == 200  # a redelivery: nothing new
        assert (
            httpx.post(hook, json=alert("payments-api", "fp-2"), headers=headers).status_code == 200
        )
        update = slack.wait_for("chat.update")[0]
        assert update.body["ts"] == "1700000000.000001"  # the first post's ts, kept
        assert "payments-api" in str(update.body["blocks"])
        for job, fingerprint in (("checkout-api", "fp-1"), ("payments-api", "fp-2")):
            done = alert(job, fingerprint, status="resolved", ends=ended)
            assert httpx.post(hook, json=done, headers=headers).status_code == 200
        for count in range(2, 8):  # each resolution updates the notice; the last says so
            updates = slack.wait_for("chat.update", count)
            if "Resolved" in str(updates[-1].body):
                break
        assert "Resolved" in str(slack.calls("chat.update")[-1].body)
    top_level = [c for c in slack.calls("chat.postMessage") if "thread_ts" not in c.body]
    assert len(top_level) == 1  # one living notice for the whole incident
