"""The poller must not end live incidents: silences, Alertmanager restarts, returning alerts.

Alertmanager's API v2 (`GET /api/v2/alerts`) lists unresolved alerts only, with
`status.state` active, unprocessed or suppressed (silenced/inhibited); `GET /api/v2/status`
carries `uptime`, the time Alertmanager started. The fake below answers as it does,
honouring the `silenced`/`inhibited` filters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from payloads import Clock, alertmanager, am_alert

from bot.pollers import Pollers
from services.incidents import Incidents
from services.intake import AlertMapping, ComponentIndex, parse_alertmanager

AM = "http://alertmanager:9093"
STARTS = "2026-11-28T09:00:00.123Z"  # the API's milliseconds
ENDS = "2026-11-28T09:04:00.000Z"  # Prometheus: last evaluation + 4 x resend delay


class FakeAlertmanager:
    def __init__(self) -> None:
        self.alerts: dict[str, dict[str, Any]] = {}
        self.uptime = "2026-11-28T08:00:00.000Z"

    def fire(self, fingerprint: str = "fp-1", *, state: str = "active", ends: str = ENDS) -> None:
        self.alerts[fingerprint] = {
            "labels": {"alertname": "InstanceDown", "job": "checkout-api"},
            "annotations": {"summary": "checkout-api is down"},
            "startsAt": STARTS,
            "endsAt": ends,
            "updatedAt": STARTS,
            "fingerprint": fingerprint,
            "receivers": [{"name": "bsm-bot"}],
            "status": {"state": state, "silencedBy": ["s1"] if state == "suppressed" else []},
        }

    def restart(self, at: str) -> None:
        self.alerts.clear()  # Alertmanager keeps no alerts across a restart
        self.uptime = at

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/status":
            return httpx.Response(200, json={"uptime": self.uptime, "cluster": {}})
        assert request.url.path == "/api/v2/alerts"
        hide_silenced = request.url.params.get("silenced") == "false"
        listed = [
            a
            for a in self.alerts.values()
            if not (hide_silenced and a["status"]["state"] == "suppressed")
        ]
        return httpx.Response(200, json=listed)


def poller(desk: Incidents, am: FakeAlertmanager) -> Pollers:
    return Pollers(desk, httpx.Client(transport=httpx.MockTransport(am)))


def open_incidents(desk: Incidents) -> list[int]:
    return [i.id for i in desk.incidents()]


def test_a_silenced_alert_is_not_resolved(desk: Incidents, clock: Clock) -> None:
    am = FakeAlertmanager()
    pollers = poller(desk, am)
    am.fire()
    pollers.poll_alertmanager(AM)
    opened = open_incidents(desk)
    assert len(opened) == 1
    am.fire(state="suppressed")  # a silence now matches it: it still fires
    for _ in range(3):
        clock.advance(30)
        pollers.poll_alertmanager(AM)
        assert open_incidents(desk) == opened
    am.fire()  # the silence expired
    clock.advance(30)
    pollers.poll_alertmanager(AM)
    assert open_incidents(desk) == opened


def test_alertmanager_restart_keeps_the_incident(desk: Incidents, clock: Clock) -> None:
    am = FakeAlertmanager()
    pollers = poller(desk, am)
    am.fire()
    pollers.poll_alertmanager(AM)
    opened = open_incidents(desk)
    clock.advance(30)
    am.restart("2026-11-28T09:01:00.000Z")
    pollers.poll_alertmanager(AM)  # nothing listed: Prometheus has not sent it again yet
    assert open_incidents(desk) == opened
    clock.advance(30)
    pollers.poll_alertmanager(AM)  # still not back, still before its endsAt
    assert open_incidents(desk) == opened
    am.fire()  # Prometheus sent it again: same fingerprint, same startsAt
    clock.advance(30)
    pollers.poll_alertmanager(AM)
    assert open_incidents(desk) == opened
    assert desk.incident(opened[0]).resolved_at is None  # type: ignore[union-attr]


def test_after_a_restart_an_alert_not_sent_again_resolves_at_its_ends_at(
    desk: Incidents, clock: Clock
) -> None:
    am = FakeAlertmanager()
    pollers = poller(desk, am)
    am.fire()
    pollers.poll_alertmanager(AM)
    [incident] = open_incidents(desk)
    am.restart("2026-11-28T09:01:00.000Z")
    clock.advance(60)  # 09:01:30
    pollers.poll_alertmanager(AM)
    assert open_incidents(desk) == [incident]
    clock.advance(180)  # 09:04:30: its endsAt (09:04:00) passed without it
    pollers.poll_alertmanager(AM)
    assert open_incidents(desk) == []
    last = desk.store.events(components=["checkout-api"])[-1]
    assert (last.state, last.at) == ("ok", datetime(2026, 11, 28, 9, 4, tzinfo=UTC))


def test_an_alert_back_after_the_poller_resolved_it_reopens(desk: Incidents, clock: Clock) -> None:
    am = FakeAlertmanager()
    pollers = poller(desk, am)
    am.fire()
    pollers.poll_alertmanager(AM)
    [first] = open_incidents(desk)
    am.alerts.clear()  # vanished without a restart: resolved
    clock.advance(30)
    pollers.poll_alertmanager(AM)
    assert open_incidents(desk) == []
    am.fire()  # the same alert (fingerprint, startsAt) fires again
    clock.advance(30)
    pollers.poll_alertmanager(AM)
    [again] = open_incidents(desk)
    assert again != first
    clock.advance(30)
    pollers.poll_alertmanager(AM)  # still firing, still the old startsAt: nothing new
    assert open_incidents(desk) == [again]
    am.alerts.clear()  # and it resolves again: a second resolve in the history
    clock.advance(30)
    pollers.poll_alertmanager(AM)
    assert open_incidents(desk) == []
    states = [e.state for e in desk.store.events(components=["checkout-api"])]
    assert states == ["down", "ok", "down", "ok"]


def test_webhook_and_api_times_give_one_event_id() -> None:
    index = ComponentIndex(["checkout-api"])
    labels = {"job": "checkout-api"}
    webhook = alertmanager(
        am_alert("InstanceDown", labels, starts="2026-11-28T09:00:00.123456789Z", fingerprint="f")
    )
    api = alertmanager(am_alert("InstanceDown", labels, starts=STARTS, fingerprint="f"))
    [pushed] = parse_alertmanager(webhook, AlertMapping(), index).observations
    [polled] = parse_alertmanager(api, AlertMapping(), index).observations
    assert pushed.event.event_id == polled.event.event_id
    assert pushed.event.at == polled.event.at == datetime(2026, 11, 28, 9, 0, 0, 123000, UTC)


def test_a_poller_resolve_is_the_webhook_resolve_of_the_same_alert(
    desk: Incidents, clock: Clock
) -> None:
    am = FakeAlertmanager()
    pollers = poller(desk, am)
    am.fire(fingerprint="f")
    pollers.poll_alertmanager(AM)
    am.alerts.clear()
    clock.advance(30)
    report = pollers.poll_alertmanager(AM)
    assert report is not None and report.events == 1
    resolve = am_alert(
        "InstanceDown",
        {"job": "checkout-api"},
        status="resolved",
        starts="2026-11-28T09:00:00.123456789Z",
        ends="2026-11-28T09:00:45.5Z",
        fingerprint="f",
    )
    [observation] = parse_alertmanager(
        alertmanager(resolve), AlertMapping(), ComponentIndex(["checkout-api"])
    ).observations
    assert desk.ingest([observation]).events == 0  # the same event: a redelivery


def test_an_alert_resolved_while_silenced_resolves_at_its_last_ends_at(
    desk: Incidents, clock: Clock
) -> None:
    am = FakeAlertmanager()
    pollers = poller(desk, am)
    am.fire()
    pollers.poll_alertmanager(AM)
    am.fire(state="suppressed", ends="2026-11-28T09:20:00.000Z")  # silenced; Prometheus resends
    clock.advance(600)  # 09:10:30
    pollers.poll_alertmanager(AM)
    am.alerts.clear()  # gone at 09:20:00 (its endsAt passed without a resend)
    clock.advance(600)  # 09:20:30
    pollers.poll_alertmanager(AM)
    assert open_incidents(desk) == []
    last = desk.store.events(components=["checkout-api"])[-1]
    assert (last.state, last.at) == ("ok", datetime(2026, 11, 28, 9, 20, tzinfo=UTC))
