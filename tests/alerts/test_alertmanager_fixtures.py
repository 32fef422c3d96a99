"""Real Alertmanager webhook bodies (tests/fixtures/alertmanager/, origins in its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from services.incidents import Incidents

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_recorded_firing_then_resolved_open_and_close_one_incident(
    http: TestClient, desk: Incidents
) -> None:
    # Recorded from prometheus-alertmanager 0.25 with max_alerts: 1 and two alerts firing.
    firing = http.post("/webhooks/alertmanager", json=fixture("firing-truncated.json"))
    assert firing.status_code == 200, firing.text
    assert firing.json() | {"events": 1, "alerts": 1, "truncated": 1} == firing.json()
    [incident] = desk.incidents()
    assert dict(incident.services) == {"checkout": "down"}  # job=checkout-api
    again = http.post("/webhooks/alertmanager", json=fixture("firing-truncated.json"))
    assert again.json()["events"] == 0  # a redelivery: the same event id
    resolved = http.post("/webhooks/alertmanager", json=fixture("resolved-truncated.json"))
    assert resolved.status_code == 200 and resolved.json()["events"] == 1
    assert desk.incidents() == []


def test_alertmanagers_own_test_payload_is_kept_as_unmapped(http: TestClient) -> None:
    # prometheus/alertmanager notify/exec/testdata/success.json: labels name no component.
    answer = http.post("/webhooks/alertmanager", json=fixture("notify-exec-success.json"))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["events"], answer.json()["unmapped"]) == (0, 1)
