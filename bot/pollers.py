"""Pull mode: poll Alertmanager's API and run the map's HTTP health checks.

    pollers = Pollers(desk, http=httpx.Client(timeout=5))
    pollers.poll_alertmanager("http://alertmanager:9093")   # services.alert_api
    pollers.run_checks()                                      # every component with `check`

Every fetch follows the outbound policy (`services.outbound`): http(s) only, same-host
redirects, a total deadline (a check's own `timeout_s`), a body cap, the operator's
allow-list. A check URL the policy refuses is a problem of the map, reported in
`source_problems`; the component's state does not change because of it. Health checks a
synced source reported are kept only when that source is trusted for checks
(`services.sync.runner.discover`).

A source that cannot be reached is a problem of the source: it is logged and reported in
`Pollers.source_problems`, and no component changes state because of it. A health check
marks its component down only after `failures_before_down` consecutive failed checks.

With several replicas, the runtime's job table runs each poll once per period across all of
them (`bot.jobs.ClusterJobs`), and the consecutive-failure counts live in the database
(`store.FailureCounts`), so whichever replica runs the next round continues the count
instead of starting its own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from impact.model import HealthCheck, State, StatusEvent
from services.alert_api import as_webhook_alert, fetch_alerts, suppressed
from services.incidents import Incidents
from services.intake import (
    AlertMapping,
    AlertPayloadError,
    alert_time,
    parse_alertmanager,
)
from services.outbound import Deadline, OutboundError, OutboundPolicy, OutboundRefused
from store import IngestReport, Observation

log = logging.getLogger(__name__)

MAX_REMEMBERED = 10_000  # alerts the poller resolved, remembered to reopen if they return


@dataclass
class Pollers:
    desk: Incidents
    http: httpx.Client
    policy: OutboundPolicy = field(default_factory=OutboundPolicy)
    mapping: AlertMapping = field(default_factory=AlertMapping)
    failures: dict[str, int] = field(default_factory=dict)  # last round's counts, per component
    source_problems: dict[str, str] = field(default_factory=dict)  # source -> last problem
    # Alertmanager polling, per alert fingerprint: the alert as last seen firing, the
    # alerts awaited after a restart, when the poller resolved an alert; per URL: its start.
    polled: dict[str, dict[str, Any]] = field(default_factory=dict)
    awaiting: set[str] = field(default_factory=set)
    resolved: dict[str, datetime] = field(default_factory=dict)
    reopened: dict[str, tuple[str, str]] = field(default_factory=dict)  # startsAt: sent, used
    started: dict[str, str] = field(default_factory=dict)

    def poll_alertmanager(self, base_url: str) -> IngestReport | None:
        """Ingest the alerts Alertmanager holds now; resolve those it no longer lists.

        Every alert is asked for, silenced and inhibited ones too: a suppressed alert still
        fires, so it keeps the state it had (it is neither resolved nor newly opened). An
        alert the API stops listing has resolved, at its `endsAt` when that has passed, else
        at this poll; after Alertmanager restarted (it keeps no alerts, so its start time
        moved), a missing alert is awaited until its `endsAt`: Prometheus sends it again
        before then. An alert that returns after the poller resolved it reopens.
        """
        base = base_url.rstrip("/")
        url = base + "/api/v2/alerts"
        try:
            listed = fetch_alerts(self.policy, self.http, base)
            restarted = self._restarted(base)
            alerts = self._round(listed, restarted)
            parsed = parse_alertmanager(
                {"alerts": alerts}, self.mapping, self.desk.component_index()
            )
        except (OutboundError, ValueError, AlertPayloadError) as error:
            self._source_problem(url, error)
            return None
        self.source_problems.pop(url, None)
        return self.desk.ingest(parsed.observations, parsed.unmapped)

    def _restarted(self, base: str) -> bool:
        """Did Alertmanager start again since the last poll (`uptime`: its start time)?"""
        try:
            status = self.policy.fetch(self.http, base + "/api/v2/status")
            started = status.json().get("uptime") if status.status_code == 200 else None
        except (OutboundError, ValueError, AttributeError):
            started = None
        if not isinstance(started, str):
            return False
        before = self.started.get(base)
        self.started[base] = started
        return before is not None and before != started

    def _round(self, listed: Sequence[Any], restarted: bool) -> list[dict[str, Any]]:
        """The webhook-shaped alerts of this poll: firing ones, and resolves of vanished ones."""
        now = self.desk.clock()
        current: dict[str, dict[str, Any]] = {}
        out: list[dict[str, Any]] = []
        for raw in listed:
            alert = as_webhook_alert(raw)
            key = _alert_id(alert)
            if suppressed(raw):  # silenced or inhibited: still firing, state unchanged
                if key in self.polled:  # its fresh endsAt: a later resolve is timed right
                    current[key] = {**self.polled[key], "endsAt": alert.get("endsAt")}
                continue
            alert = self._returning(key, alert, now)
            current[key] = alert
            self.awaiting.discard(key)
            out.append(alert)
        if restarted:
            self.awaiting |= self.polled.keys() - current.keys()
        for key, alert in self.polled.items():
            if key in current:
                continue
            ends = _ends_at(alert)
            if key in self.awaiting and ends is not None and ends > now:
                current[key] = alert  # after a restart: Prometheus sends it again before then
                continue
            self.awaiting.discard(key)
            at = min(ends, now) if ends is not None else now
            out.append({**alert, "status": "resolved", "endsAt": at.isoformat()})
            self._resolved_at(key, at)
        self.polled = current
        return out

    def _returning(self, key: str, alert: dict[str, Any], now: datetime) -> dict[str, Any]:
        """An alert back after the poller resolved it fires again from now (a new event).

        It keeps that new start while Alertmanager reports the old one, so its later
        resolve is a new event too.
        """
        starts = alert.get("startsAt")
        if key in self.reopened and self.reopened[key][0] == starts:
            return {**alert, "startsAt": self.reopened[key][1]}
        resolved = self.resolved.pop(key, None)
        begun = _time_of(starts)
        if resolved is None or (begun is not None and begun > resolved):
            self.reopened.pop(key, None)
            return alert
        self.reopened[key] = (str(starts), now.isoformat())
        _forget_oldest(self.reopened)
        return {**alert, "startsAt": now.isoformat()}

    def _resolved_at(self, key: str, at: datetime) -> None:
        self.resolved[key] = at
        _forget_oldest(self.resolved)

    def run_checks(self) -> IngestReport:
        """One round of every health check declared in the map."""
        checks = {n: c.check for n, c in self.desk.service_map().components.items() if c.check}
        counts = self.desk.store.failure_counts
        self.failures = counts.read(checks)
        observations = [self._check(name, check) for name, check in checks.items()]
        counts.write(self.failures)
        return self.desk.ingest([o for o in observations if o is not None])

    def _check(self, component: str, check: HealthCheck) -> Observation | None:
        deadline = Deadline.after(check.timeout_s)
        try:
            response = self.policy.fetch(self.http, check.url, deadline=deadline, read_body=False)
            healthy = response.status_code == check.expect_status
            detail = f"HTTP {response.status_code} from {check.url}"
        except OutboundRefused as error:
            self._source_problem(check.url, error)
            return None  # the map's mistake, not the component's outage
        except OutboundError as error:
            healthy, detail = False, f"{type(error).__name__} from {check.url}"
        count = 0 if healthy else self.failures.get(component, 0) + 1
        self.failures[component] = count
        if not healthy and count < check.failures_before_down:
            return None  # not yet: a single failed check is not an outage
        state = State.OK if healthy else State.DOWN
        event = StatusEvent(component, state, self.desk.clock(), "check", detail)
        return Observation(f"check:{component}", event)

    def _source_problem(self, source: str, error: Exception) -> None:
        problem = f"{type(error).__name__}: {error}"
        self.source_problems[source] = problem
        log.warning("alert source %s unreachable (%s); component states unchanged", source, problem)


def _forget_oldest(remembered: dict[str, Any]) -> None:
    """Keep at most MAX_REMEMBERED entries: the oldest go first."""
    while len(remembered) > MAX_REMEMBERED:
        del remembered[next(iter(remembered))]


def _alert_id(alert: Mapping[str, Any]) -> str:
    """The alert across polls: its fingerprint, else its labels."""
    fingerprint = alert.get("fingerprint")
    if fingerprint:
        return str(fingerprint)
    labels = alert.get("labels")
    return json.dumps(labels if isinstance(labels, dict) else {}, sort_keys=True, default=str)


def _ends_at(alert: Mapping[str, Any]) -> datetime | None:
    """When Alertmanager would resolve the alert unless it is sent again; None: never."""
    ends = _time_of(alert.get("endsAt"))
    return ends if ends is not None and ends.year > 1 else None


def _time_of(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return alert_time(raw)
    except AlertPayloadError:
        return None
