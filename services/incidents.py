"""The incidents use case: alerts in, incidents decided over the process's one compiled model.

    incidents = Incidents(store, models)            # built once, by the composition root
    incidents.ingest_many(payloads)                 # a webhook group: one transaction
    incidents.reconcile()                           # timers: dampening, maintenance
    incidents.acknowledge(12, "U0ALICE01")

The store (`Store.incident_records`) owns the transactions and the reconcile lock
(one transaction per webhook group; an advisory lock on PostgreSQL, BEGIN IMMEDIATE on
SQLite, so replicas produce one incident and one notice per channel). It calls `_decide`
inside them with a snapshot read there: the map version of that transaction picks the
compiled model of `models` (compiled only when the version moved), and the observed states
are set on a fork of it, so the shared model's current states are never touched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from impact.clock import Clock, utcnow
from impact.incidents import Dampening, Hit, Plan, plan
from impact.model import ServiceMap, State, name_key
from impact.results import ServiceStatus
from services.intake import ComponentIndex
from services.model import ModelService
from store import (
    Decision,
    Incident,
    IngestReport,
    Observation,
    Payload,
    Snapshot,
    Store,
    UnmappedAlert,
    UnmappedSummary,
)

__all__ = ["Incidents"]


class Incidents:
    """Ingest, reconcile, acknowledge and read incidents; one instance serves the process.

    `models` must be the process's model service (the one the conversation asks), so the
    map is compiled once for both. `store` stays readable for the webhooks' writer count,
    the outbox and the pollers' failure counts.
    """

    def __init__(
        self,
        store: Store,
        models: ModelService,
        *,
        dampening: Dampening | None = None,
        clock: Clock = utcnow,
        margins: Callable[[], object] | None = None,
        pause: Callable[[], object] | None = None,
    ) -> None:
        self.store = store
        self.records = store.incident_records
        self.models = models
        self.dampening = dampening or Dampening()
        self.clock: Callable[[], datetime] = clock
        self._index: tuple[ServiceMap, ComponentIndex] | None = None
        self._index_lock = threading.Lock()
        # called after each reconcile: at-risk notices follow the states (services.margins)
        self.margins = margins
        # called between the steps of a reconcile outside the write lock: it steps aside
        # for questions (`services.foreground.Foreground.pause`)
        self.pause = pause
        self._unlocked = threading.local()  # on: deciding outside the write lock (`_paced`)

    def ingest(
        self,
        observations: Sequence[Observation],
        unmapped: Sequence[UnmappedAlert] = (),
        *,
        reconcile: bool = True,
    ) -> IngestReport:
        """Store events and unmapped alerts, then reconcile if a component changed state.

        `reconcile=False` leaves the incident work to a later `reconcile()` (which coalesces
        many payloads into one pass); nothing is lost meanwhile: the states are committed.
        """
        return self.ingest_many([(observations, unmapped)], reconcile=reconcile)[0]

    def ingest_many(
        self, payloads: Sequence[Payload], *, reconcile: bool = True
    ) -> list[IngestReport]:
        """`ingest` for several payloads (in arrival order) in ONE transaction: one report each.

        A group commit: concurrent webhooks share the transaction and its fsync, and every
        report exists only once all of it is committed. `changed` and `plan` are the group's.
        """
        decide = self._decide if reconcile else None
        reports = self.records.ingest_many(payloads, self.clock(), decide)
        if decide is not None and any(r.changed for r in reports):
            self._margins()
        return reports

    def reconcile(self) -> Plan:
        """Bring incidents in line with current states (timers: dampening, maintenance).

        The plan is decided on a read snapshot, outside the write lock (the impact model
        is the slow part), then written under the lock if the open incidents are still
        those it was decided on; else it is decided again under the lock. States newer
        than the snapshot are no loss: their commit wakes another reconcile.
        """
        self._pause()
        decided = self.records.reconcile(self.clock(), self._decide, unlocked=self._paced)
        self._pause()
        self._margins()
        return decided

    def _pause(self) -> None:
        if self.pause is not None:
            self.pause()

    def _paced(self, snapshot: Snapshot) -> Decision:
        """`_decide` holding no write lock: it steps aside for questions between steps."""
        self._pause()
        self._unlocked.on = True
        try:
            return self._decide(snapshot)
        finally:
            self._unlocked.on = False

    def _margins(self) -> None:
        if self.margins is not None:
            self.margins()

    def acknowledge(self, incident_id: int, user: str) -> bool:
        """Record `user`'s acknowledgement (shown on the notice); False when already theirs.

        Raises LookupError for an incident that does not exist.
        """
        return self.records.acknowledge(incident_id, user, self.clock(), self._map_of)

    def service_map(self) -> ServiceMap:
        """The current map (the model service's, per map version): alert mapping needs it."""
        return self.records.with_map(self._map_of)

    def component_index(self) -> ComponentIndex:
        """The alert-name index of the current map, built once per map version.

        Webhooks and pollers tie alerts to components through it; at 100k components
        building it costs far more than a payload, so it follows the model service's map.
        """
        service_map = self.service_map()
        with self._index_lock:
            if self._index is None or self._index[0] is not service_map:
                self._index = (service_map, ComponentIndex.of_map(service_map))
            return self._index[1]

    def incidents(self, *, open_only: bool = True, limit: int = 50) -> list[Incident]:
        """Incidents, newest first (open ones only by default)."""
        return self.records.incidents(open_only=open_only, limit=limit)

    def incident(self, incident_id: int) -> Incident | None:
        return self.records.incident(incident_id)

    def unmapped(self, limit: int = 100) -> list[UnmappedSummary]:
        """Alerts that named no component of the map, most recent first."""
        return self.records.unmapped(limit)

    def _map_of(self, version: int, load: Callable[[], ServiceMap]) -> ServiceMap:
        return self.models.compiled(version, load).service_map

    def _decide(self, snapshot: Snapshot) -> Decision:
        """The plan for `snapshot`, over a fork of the shared compiled model."""
        compiled = self.models.compiled(snapshot.version, snapshot.load_map)
        known = compiled.service_map.components  # states come by name key: mostly the name
        folded = _folded(known, [k for k in snapshot.states if k not in known])
        model = compiled.model.fork()
        model.set_states(
            {
                k if k in known else folded[k]: s
                for k, (s, _) in snapshot.states.items()
                if k in known or k in folded
            }
        )
        if getattr(self._unlocked, "on", False):  # no write lock held: questions first
            self._pause()
        statuses = model.status().services
        failing = [s for s in statuses if s.state.is_failing or _planned(s)]
        since = _since_by_cause(failing, snapshot)
        hits = [_hit(s, since, snapshot.now) for s in failing]
        decided = plan(hits, snapshot.incidents, snapshot.now, self.dampening)
        return Decision(decided, compiled.service_map)


def _folded(components: Mapping[str, object], keys: Sequence[str]) -> dict[str, str]:
    """name key -> the map's name, for the keys that are not a name themselves (a name with
    capitals): one walk of the map only when there are any."""
    if not keys:
        return {}
    wanted = set(keys)
    return {name_key(n): n for n in components if name_key(n) in wanted}


def _planned(status: ServiceStatus) -> bool:
    return status.state is State.MAINTENANCE


def _since_by_cause(statuses: Sequence[ServiceStatus], snapshot: Snapshot) -> dict[str, datetime]:
    """Since when each cause of `statuses` has been failing, once per cause: in a storm
    a thousand services share the same few thousand causes."""
    states = snapshot.states
    causes = {c for s in statuses for c in s.causes}
    return {c: states[key][1] for c in causes if (key := name_key(c)) in states}


def _hit(status: ServiceStatus, since: Mapping[str, datetime], now: datetime) -> Hit:
    started = [since[c] for c in status.causes if c in since]
    return Hit(status.name, status.state, frozenset(status.causes), min(started, default=now))
