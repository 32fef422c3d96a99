"""Realistic webhook bodies, shaped as Alertmanager (v4) and Grafana unified alerting send them.

Alertmanager: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
Grafana: https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

TOKEN = "s3cret-webhook-token"


class Clock:
    """A clock tests move by hand: no sleeps."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 9, 0, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def am_alert(
    alertname: str,
    labels: dict[str, str],
    *,
    status: str = "firing",
    starts: str = "2026-11-28T09:00:00.123456789Z",
    ends: str = GO_ZERO_TIME,
    fingerprint: str = "c5b1f3a0d2e4b6f8",
    summary: str | None = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": alertname, **labels},
        "annotations": {"summary": summary or f"{alertname} on {labels}"},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1",
        "fingerprint": fingerprint,
    }


def alertmanager(*alerts: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    """A version-4 webhook body grouping `alerts`."""
    firing = any(a["status"] == "firing" for a in alerts)
    common = alerts[0]["labels"] if len(alerts) == 1 else {}
    return {
        "version": "4",
        "groupKey": '{}/{severity="critical"}:{alertname="InstanceDown"}',
        "truncatedAlerts": 0,
        "status": status or ("firing" if firing else "resolved"),
        "receiver": "bsm-bot",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def grafana(*alerts: dict[str, Any]) -> dict[str, Any]:
    """Grafana's webhook contact point: Alertmanager's shape plus Grafana's fields."""
    body = alertmanager(*alerts)
    body.update(
        {
            "version": "1",
            "orgId": 1,
            "title": "[FIRING:1] HighLatency",
            "state": "alerting",
            "message": "**Firing**\n\nValue: A=812",
        }
    )
    for alert in body["alerts"]:
        alert.update(
            {
                "silenceURL": "http://grafana:3000/alerting/silence/new",
                "dashboardURL": "",
                "panelURL": "",
                "values": {"A": 812},
                "valueString": "[ var='A' labels={} value=812 ]",
            }
        )
        alert["labels"].setdefault("grafana_folder", "Platform")
    return body
