"""`truncatedAlerts > 0`: the left-out alerts are fetched from Alertmanager's API by group."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
from payloads import TOKEN, alertmanager, am_alert
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.webhooks import webhook_routes
from services.alert_api import complete_group
from services.incidents import Incidents
from services.outbound import OutboundPolicy

AM = "http://alertmanager:9093"


def api_alert(job: str, fingerprint: str, receiver: str = "bsm-bot") -> dict[str, Any]:
    return {
        "receivers": [{"name": receiver}],
        "labels": {"alertname": "InstanceDown", "job": job},
        "annotations": {"summary": f"{job} is down"},
        "startsAt": "2026-11-28T09:00:00.123Z",
        "endsAt": "2026-11-28T09:04:00.000Z",
        "fingerprint": fingerprint,
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
    }


def served(desk: Incidents, answer: Any, asked: list[httpx.Request]) -> TestClient:
    def alertmanager_api(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return answer(request)

    http = httpx.Client(transport=httpx.MockTransport(alertmanager_api))
    fetch = partial(complete_group, policy=OutboundPolicy(), http=http, base_url=AM)
    routes = webhook_routes(desk, TOKEN, complete_group=fetch)
    return TestClient(Starlette(routes=routes), headers={"Authorization": f"Bearer {TOKEN}"})


def truncated_body() -> dict[str, Any]:
    body = alertmanager(am_alert("InstanceDown", {"job": "checkout-api"}, fingerprint="fp-1"))
    body["truncatedAlerts"] = 1  # max_alerts: 1, and search-api fires in the same group
    return body


def test_a_truncated_webhook_fetches_its_group(desk: Incidents) -> None:
    group = [
        api_alert("checkout-api", "fp-1"),
        api_alert("search-api", "fp-2"),
        api_alert("payments-api", "fp-3", receiver="pager"),  # another route: not ours
    ]
    asked: list[httpx.Request] = []
    with served(desk, lambda r: httpx.Response(200, json=group), asked) as client:
        answer = client.post("/webhooks/alertmanager", json=truncated_body())
    assert answer.status_code == 200, answer.text
    assert (answer.json()["truncated"], answer.json()["missing"]) == (1, 0)
    assert answer.json()["events"] == 2
    [request] = asked
    assert request.url.path == "/api/v2/alerts"
    assert request.url.params.get_list("filter") == ['alertname="InstanceDown"']
    services = {name for i in desk.incidents() for name, _ in i.services}
    assert services == {"checkout", "search"}


def test_an_unreachable_api_leaves_the_alerts_missing(desk: Incidents) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with served(desk, refuse, []) as client:
        answer = client.post("/webhooks/alertmanager", json=truncated_body())
    assert answer.status_code == 200, answer.text
    assert (answer.json()["events"], answer.json()["missing"]) == (1, 1)
    [incident] = desk.incidents()
    assert dict(incident.services) == {"checkout": "down"}


def test_the_notice_says_some_alerts_were_not_included(
    http: TestClient, desk: Incidents, worker: Any, slack: Any
) -> None:
    # No Alertmanager API configured (the `http` fixture): the left-out alert stays missing.
    assert http.post("/webhooks/alertmanager", json=truncated_body()).status_code == 200
    worker.drain()
    [post] = slack.delivered("chat.postMessage")
    assert "Some alerts were not included: 1 alert was left out" in str(post.body["blocks"])


def test_a_whole_group_says_nothing_of_left_out_alerts(
    http: TestClient, desk: Incidents, worker: Any, slack: Any
) -> None:
    body = truncated_body()
    body["truncatedAlerts"] = 0
    assert http.post("/webhooks/alertmanager", json=body).status_code == 200
    worker.drain()
    [post] = slack.delivered("chat.postMessage")
    assert "not included" not in str(post.body["blocks"])


def test_truncation_seen_on_a_repeat_updates_the_posted_notice_once(
    http: TestClient, desk: Incidents, worker: Any, slack: Any
) -> None:
    # The first notification held the whole group; a later one (same alert, repeated) was
    # truncated: the posted notice is updated to say so, once; a whole group again clears it.
    whole = truncated_body()
    whole["truncatedAlerts"] = 0
    assert http.post("/webhooks/alertmanager", json=whole).status_code == 200
    worker.drain()
    [post] = slack.delivered("chat.postMessage")
    assert "not included" not in str(post.body["blocks"])

    for _ in range(2):  # the same truncated repeat twice: one update
        assert http.post("/webhooks/alertmanager", json=truncated_body()).status_code == 200
        worker.drain()
    updates = slack.delivered("chat.update")
    assert len(updates) == 1
    assert "Some alerts were not included: 1 alert was left out" in str(updates[0].body["blocks"])
    assert updates[0].body["ts"] == "1700000000.000001"  # the first post's ts, kept

    assert http.post("/webhooks/alertmanager", json=whole).status_code == 200
    worker.drain()
    updates = slack.delivered("chat.update")
    assert len(updates) == 2 and "not included" not in str(updates[1].body["blocks"])
    assert len(slack.delivered("chat.postMessage")) == 1 and len(desk.incidents()) == 1
