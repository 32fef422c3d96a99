"""Real Grafana inputs through the webhook routes: PUT, the contact point's Test, truncation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_slack import FakeSlack
from payloads import TOKEN, alertmanager, am_alert, grafana
from settled_slack import slack_client
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.metrics import Metrics, instrument_webhooks
from bot.outbox_worker import OutboxWorker
from bot.server import create_server
from bot.webhooks import webhook_routes
from impact.model import Component, Dependency, ServiceMap
from services.incidents import Incidents
from services.model import ModelService
from store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grafana"


def grafana_map() -> ServiceMap:
    """A business service that depends on a component named `grafana`."""
    return ServiceMap.build(
        [
            Component("dashboards", kind="business_service", tier=1, channel="#inc-dash"),
            Component("grafana", owner="observability"),
        ],
        [Dependency("dashboards", "grafana")],
        [],
    )


@pytest.fixture
def served(store: Store, slack: FakeSlack) -> Iterator[tuple[TestClient, Metrics, OutboxWorker]]:
    store.import_map(grafana_map(), actor="tests")
    metrics = Metrics()
    routes = instrument_webhooks(
        webhook_routes(Incidents(store, ModelService(store)), TOKEN), metrics
    )
    worker = OutboxWorker(store.outbox, slack_client(slack), min_interval_s=0)
    server = create_server(None, routes, metrics=metrics)
    with TestClient(server, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client, metrics, worker


def event_count(store: Store) -> int:
    from store.schema import StatusEventRow

    with store.engine.connect() as connection:
        query = select(func.count()).select_from(StatusEventRow)
        return int(connection.execute(query).scalar_one())


def metric(client: TestClient, line_start: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_contact_point_test_opens_no_incident_and_posts_nothing(
    served: tuple[TestClient, Metrics, OutboxWorker], store: Store, slack: FakeSlack
) -> None:
    client, _, worker = served
    sample: dict[str, Any] = json.loads((FIXTURES / "test-notification.json").read_text())
    answer = client.post("/webhooks/grafana", json=sample)
    assert answer.status_code == 200, answer.text
    assert answer.json()["events"] == 0 and answer.json()["unmapped"] == 0
    worker.drain()
    assert slack.delivered("chat.postMessage") == [] and event_count(store) == 0
    assert metric(client, 'bsm_webhook_test_notifications_total{source="grafana"}') == 1
    # The same map and route do open an incident for a real alert on `grafana`.
    real = grafana(am_alert("GrafanaDown", {"job": "grafana"}, fingerprint="fp-real"))
    assert client.post("/webhooks/grafana", json=real).status_code == 200
    worker.drain()
    assert [c.body["channel"] for c in slack.delivered("chat.postMessage")] == ["#inc-dash"]


def test_put_is_accepted_like_post(
    served: tuple[TestClient, Metrics, OutboxWorker], store: Store
) -> None:
    client, _, _ = served
    body = grafana(am_alert("GrafanaDown", {"job": "grafana"}, fingerprint="fp-put"))
    answer = client.put("/webhooks/grafana", json=body)
    assert answer.status_code == 200 and answer.json()["events"] == 1, answer.text
    generic = {"component": "grafana", "state": "ok", "id": "put-1"}
    assert client.put("/webhooks/generic", json=generic).status_code == 200
    assert event_count(store) == 2
    # Same auth and limits as POST.
    anonymous = {"Authorization": ""}
    assert client.put("/webhooks/grafana", json=body, headers=anonymous).status_code == 401
    assert client.put("/webhooks/generic", content=b" " * (1024 * 1024 + 1)).status_code == 413


def test_truncated_alerts_are_logged_and_counted(
    served: tuple[TestClient, Metrics, OutboxWorker], caplog: pytest.LogCaptureFixture
) -> None:
    client, _, _ = served
    body = alertmanager(am_alert("InstanceDown", {"job": "grafana"}, fingerprint="fp-t"))
    body["truncatedAlerts"] = 7
    with caplog.at_level("WARNING", logger="bot.webhooks"):
        answer = client.post("/webhooks/alertmanager", json=body)
    assert answer.status_code == 200 and answer.json()["truncated"] == 7, answer.text
    assert metric(client, 'bsm_alerts_truncated_total{source="alertmanager"}') == 7
    assert any("truncated 7 alerts" in r.getMessage() for r in caplog.records)
