"""Pull mode: Alertmanager API polling and health checks, with httpx's MockTransport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from payloads import Clock

from bot.pollers import Pollers
from impact.model import Component, HealthCheck, ServiceMap
from services.incidents import Incidents
from store import Store

AM = "http://alertmanager:9093"


def client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def api_alert(job: str, fingerprint: str) -> dict:
    return {
        "labels": {"alertname": "InstanceDown", "job": job, "severity": "critical"},
        "annotations": {"summary": f"{job} is down"},
        "startsAt": "2026-11-28T09:00:00.000Z",
        "endsAt": "2026-11-28T09:10:00.000Z",
        "updatedAt": "2026-11-28T09:05:00.000Z",
        "fingerprint": fingerprint,
        "receivers": [{"name": "bsm-bot"}],
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        "generatorURL": "http://prometheus:9090/graph",
    }


def test_unreachable_alertmanager_is_a_source_problem_not_an_outage(desk: Incidents) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    pollers = Pollers(desk, client(refuse))
    assert pollers.poll_alertmanager(AM) is None
    assert "ConnectError" in pollers.source_problems[f"{AM}/api/v2/alerts"]
    assert desk.incidents() == [] and desk.reconcile().empty


def test_polled_alerts_open_and_vanished_alerts_resolve(desk: Incidents, clock: Clock) -> None:
    listed = [api_alert("checkout-api", "fp-1")]
    pollers = Pollers(desk, client(lambda request: httpx.Response(200, json=listed)))
    pollers.poll_alertmanager(AM)
    [incident] = desk.incidents()
    assert dict(incident.services)["checkout"] == "down"
    pollers.poll_alertmanager(AM)  # the same alert again: nothing new
    assert len(desk.incidents()) == 1
    listed.clear()
    clock.advance(60)
    pollers.poll_alertmanager(AM)
    assert desk.incidents() == []


def test_health_check_goes_down_after_consecutive_failures(
    mapped_store: Store, desk: Incidents
) -> None:
    check = HealthCheck("http://search-api:8080/healthz", failures_before_down=3)
    mapped_store.import_map(ServiceMap.build([Component("search-api", check=check)]))
    status = {"code": 503}
    pollers = Pollers(desk, client(lambda request: httpx.Response(status["code"])))
    pollers.run_checks()
    pollers.run_checks()
    assert desk.incidents() == []  # two failures: not yet
    pollers.run_checks()
    [incident] = desk.incidents()
    assert dict(incident.services) == {"search": "down"}
    status["code"] = 200
    pollers.run_checks()
    assert desk.incidents() == []
