"""Alertmanager's API v2, read through the outbound policy: its alerts, in the webhook's shape.

    alerts = fetch_alerts(policy, http, "http://alertmanager:9093")            # all of them
    group = fetch_alerts(policy, http, url, {"alertname": "InstanceDown"})    # one group
    payload = complete_group(payload, policy, http, url)  # a truncated webhook, made whole

`GET /api/v2/alerts` lists unresolved alerts only (state active, unprocessed or suppressed:
silenced or inhibited); `filter` takes label matchers (`alertname="InstanceDown"`). Every
fetch has a deadline and a body cap (`GROUP_DEADLINE_S`, `GROUP_MAX_BYTES`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx

from services.intake import AlertPayloadError, Payload, read_alertmanager
from services.outbound import Deadline, OutboundError, OutboundPolicy

log = logging.getLogger(__name__)

# Silenced, inhibited and unprocessed alerts too (they still fire): only resolved ones are out.
ALL_ALERTS = (("active", "true"), ("silenced", "true"), ("inhibited", "true"))
GROUP_DEADLINE_S = 5.0  # a webhook waits for this fetch: short
GROUP_MAX_BYTES = 4 * 1024 * 1024
MAX_GROUP_ALERTS = 1000  # alerts taken from one group fetch


def fetch_alerts(
    policy: OutboundPolicy,
    http: httpx.Client,
    base_url: str,
    labels: Mapping[str, str] | None = None,
    *,
    deadline: Deadline | None = None,
) -> list[Mapping[str, Any]]:
    """The API's alerts (`gettableAlert` objects), those matching `labels` exactly if given.

    Raises `OutboundError` (unreachable, refused, too large) or `ValueError` (not a list).
    """
    url = base_url.rstrip("/") + "/api/v2/alerts"
    matchers = [
        ("filter", f"{name}={_quoted(value)}") for name, value in sorted((labels or {}).items())
    ]
    fetched = policy.fetch(http, url, [*ALL_ALERTS, *matchers], deadline=deadline)
    if fetched.status_code != 200:
        raise ValueError(f"HTTP {fetched.status_code} from {url}")
    listed = fetched.json()
    if not isinstance(listed, list) or not all(isinstance(a, Mapping) for a in listed):
        raise ValueError(f"{url} did not answer a list of alerts")
    return listed


def as_webhook_alert(alert: Mapping[str, Any]) -> dict[str, Any]:
    """API v2 `gettableAlert` -> the webhook's alert shape (status is an object there).

    The API lists unresolved alerts only (active, unprocessed, suppressed): all fire.
    """
    return {
        "status": "firing",
        "labels": alert.get("labels") or {},
        "annotations": alert.get("annotations") or {},
        "startsAt": alert.get("startsAt"),
        "endsAt": alert.get("endsAt"),
        "fingerprint": alert.get("fingerprint"),
    }


def suppressed(alert: Mapping[str, Any]) -> bool:
    """Silenced or inhibited: it still fires, but Alertmanager notifies no one."""
    status = alert.get("status")
    return isinstance(status, Mapping) and status.get("state") == "suppressed"


def complete_group(
    payload: Payload, policy: OutboundPolicy, http: httpx.Client, base_url: str
) -> Payload:
    """A truncated webhook payload with the alerts its sender left out, fetched by group.

    The group is the webhook's `groupLabels`, among the alerts routed to its receiver;
    silenced and inhibited ones are left out as Alertmanager left them out of the webhook;
    alerts the payload already carries are kept as sent.
    When the fetch fails, or finds fewer alerts than were left out, the payload keeps its
    `truncated` count (how many are still missing) and the failure is logged.
    """
    if not payload.truncated or not payload.group:
        return payload
    policy = replace(policy, max_bytes=min(policy.max_bytes, GROUP_MAX_BYTES))
    try:
        listed = fetch_alerts(
            policy, http, base_url, dict(payload.group), deadline=Deadline.after(GROUP_DEADLINE_S)
        )
        taken = [a for a in listed if not suppressed(a) and _routed(a, payload.receiver)]
        body = {"alerts": [as_webhook_alert(a) for a in taken[:MAX_GROUP_ALERTS]]}
        source = payload.alerts[0].source if payload.alerts else "alertmanager"
        fetched = read_alertmanager(body, source=source)
    except (OutboundError, ValueError, AlertPayloadError) as error:
        log.warning(
            "could not fetch the %d truncated alerts of group %s from %s: %s",
            payload.truncated,
            dict(payload.group),
            base_url,
            error,
        )
        return payload
    return _merged(payload, fetched.alerts)


def _merged(payload: Payload, fetched: Sequence[Any]) -> Payload:
    sent = {a.alert_key for a in payload.alerts}
    added = tuple(a for a in fetched if a.alert_key not in sent)
    return replace(
        payload, alerts=(*payload.alerts, *added), truncated=max(0, payload.truncated - len(added))
    )


def _routed(alert: Mapping[str, Any], receiver: str | None) -> bool:
    """Does the alert go to `receiver` (the webhook's)? Unknown receivers do not exclude."""
    receivers = alert.get("receivers")
    if receiver is None or not isinstance(receivers, list):
        return True
    return any(isinstance(r, Mapping) and r.get("name") == receiver for r in receivers)


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
