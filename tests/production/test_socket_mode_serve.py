"""`bsm serve` in Socket Mode still serves webhooks, /healthz and /metrics over HTTP."""

from __future__ import annotations

import httpx
import pytest
from fake_slack import FakeSlack, FakeSocketMode
from replicas import TOKEN, Replica, serve_env, wait_until

pytestmark = pytest.mark.slow


def test_socket_mode_with_a_webhook_token_serves_webhooks_and_health(
    sqlite_url: str, slack: FakeSlack
) -> None:
    with FakeSocketMode() as socket:
        slack.ws_url = socket.url
        env = serve_env(sqlite_url, slack.api_url, SLACK_APP_TOKEN="xapp-1-prod-socket")
        with Replica(env) as replica, httpx.Client(base_url=replica.url) as http:
            socket.wait_connected()
            health = wait_until(
                lambda: (h := http.get("/healthz").json())["slack"] == "connected" and h
            )
            assert health | {"ok": True} == {
                "ok": True,
                "status": "ok",
                "database": "ok",
                "mode": "socket",
                "slack": "connected",
            }
            assert http.post("/slack/events", content="{}").status_code == 404
            event = {"component": "orders-db", "state": "down", "id": "socket-1"}
            headers = {"Authorization": f"Bearer {TOKEN}"}
            assert http.post("/webhooks/generic", json=event, headers=headers).status_code == 200
            posts = slack.wait_for("chat.postMessage", 2)
            posted = 'bsm_notices_total{kind="post",outcome="posted"} 2'
            wait_until(lambda: posted in http.get("/metrics").text, what=posted)
    assert sorted(p.body["channel"] for p in posts) == ["#inc-checkout", "#inc-search"]
