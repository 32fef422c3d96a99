"""Pull mode: poll Alertmanager's API and run the map's HTTP health checks.

    pollers = Pollers(desk, http=httpx.Client(timeout=5))
    pollers.poll_alertmanager("http://alertmanager:9093")   # GET /api/v2/alerts
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

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from impact.model import HealthCheck, State, StatusEvent
from services.incidents import Incidents
from services.intake import (
    AlertMapping,
    AlertPayloadError,
    parse_alertmanager,
)
from services.outbound import Deadline, OutboundError, OutboundPolicy, OutboundRefused
from store import IngestReport, Observation

log = logging.getLogger(__name__)


@dataclass
class Pollers:
    desk: Incidents
    http: httpx.Client
    policy: OutboundPolicy = field(default_factory=OutboundPolicy)
    mapping: AlertMapping = field(default_factory=AlertMapping)
    failures: dict[str, int] = field(default_factory=dict)  # last round's counts, per component
    source_problems: dict[str, str] = field(default_factory=dict)  # source -> last problem
    polled: dict[str, Observation] = field(default_factory=dict)  # alert key -> last seen firing

    def poll_alertmanager(self, base_url: str) -> IngestReport | None:
        """Ingest the alerts Alertmanager holds now (active ones: firing)."""
        url = base_url.rstrip("/") + "/api/v2/alerts"
        try:
            fetched = self.policy.fetch(self.http, url, {"active": "true", "silenced": "false"})
            if fetched.status_code != 200:
                raise ValueError(f"HTTP {fetched.status_code} from {url}")
            alerts = [_as_webhook_alert(a) for a in fetched.json()]
            parsed = parse_alertmanager(
                {"alerts": alerts}, self.mapping, self.desk.component_index()
            )
        except (OutboundError, ValueError, AlertPayloadError) as error:
            self._source_problem(url, error)
            return None
        self.source_problems.pop(url, None)
        return self.desk.ingest(
            [*parsed.observations, *self._vanished(parsed.observations)], parsed.unmapped
        )

    def _vanished(self, current: Sequence[Observation]) -> list[Observation]:
        """Alerts the API no longer lists have resolved: the API shows active alerts only."""
        now = self.desk.clock()
        seen = {o.alert_key: o for o in current}
        gone = [o for key, o in self.polled.items() if key not in seen]
        self.polled = seen
        return [
            Observation(o.alert_key, replace(o.event, state=State.OK, at=now, event_id=None))
            for o in gone
        ]

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


def _as_webhook_alert(alert: Mapping[str, Any]) -> dict[str, Any]:
    """API v2 `gettableAlert` -> the webhook's alert shape (status is an object there)."""
    state = (alert.get("status") or {}).get("state", "active")
    return {
        "status": "firing" if state in ("active", "unprocessed") else "resolved",
        "labels": alert.get("labels") or {},
        "annotations": alert.get("annotations") or {},
        "startsAt": alert.get("startsAt"),
        "endsAt": alert.get("endsAt"),
        "fingerprint": alert.get("fingerprint"),
    }
