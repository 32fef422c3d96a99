"""Incidents in the database: ingest alerts, reconcile incidents, write notices to the outbox.

`IncidentDesk.ingest` is the whole path of a webhook in ONE transaction: the events, the
alert states, the unmapped alerts, the incident changes and the outbox rows commit together
or not at all, so a 2xx means all of it is durable and a crash before the commit leaves
nothing half-done. Reconciling is level-triggered (`impact.incidents.plan`) and serialised
cluster-wide (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite): replicas receiving
the same alert produce one incident and one notice per channel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, text

from impact.engine import ImpactModel
from impact.incidents import Dampening, Hit, OpenIncident, Plan, plan
from impact.model import ServiceMap, State, name_key
from impact.results import ServiceStatus
from store import alerts, history
from store.database import transaction
from store.incident_rows import (
    AcknowledgementRow,
    IncidentRow,
    IncidentServiceRow,
    NoticeRow,
    TimelineRow,
)
from store.incident_writer import apply_plan, touch_incident
from store.map_reader import read_map
from store.schema import MAP_VERSION, MetaRow

Payload = tuple[Sequence[alerts.Observation], Sequence[alerts.UnmappedAlert]]

# Any constant shared by every replica: the key of the reconcile advisory lock.
RECONCILE_LOCK = 0x62736D01


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one payload did: events stored, unmapped alerts counted, incidents touched."""

    events: int = 0
    unmapped: int = 0
    changed: tuple[str, ...] = ()
    plan: Plan = field(default_factory=Plan)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident as people read it: services hit, root causes, acks, timeline."""

    id: int
    status: str
    planned: bool
    services: tuple[tuple[str, State], ...]
    causes: tuple[str, ...]
    started_at: datetime
    resolved_at: datetime | None
    acknowledged: tuple[tuple[str, datetime], ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    channels: tuple[str, ...] = ()


class ImpactCache:
    """One compiled `ImpactModel` per map version, shared by the threads of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._model: ImpactModel | None = None
        self._map = ServiceMap()

    def service_map(self, connection: Connection) -> ServiceMap:
        """The map as of the database's current map version (reloaded when it moved)."""
        with self._lock:
            return self._refresh(connection)[0]

    def statuses(
        self, connection: Connection, states: dict[str, State]
    ) -> tuple[ServiceMap, list[ServiceStatus]]:
        """Every business service's effective state under `states` (unknown names ignored)."""
        with self._lock:
            service_map, model = self._refresh(connection)
            known = {name_key(n): n for n in service_map.components}
            model.set_states({known[k]: s for k, s in states.items() if k in known})
            return service_map, list(model.status().services)

    def _refresh(self, connection: Connection) -> tuple[ServiceMap, ImpactModel]:
        version = _map_version(connection)
        if self._model is None or version != self._version:
            self._map = read_map(connection)
            self._model = ImpactModel.from_map(self._map)
            self._version = version
        return self._map, self._model


class IncidentDesk:
    """Alerts in, incidents and outbox rows out; the store side of issue "alerts in"."""

    def __init__(
        self,
        engine: Engine,
        *,
        dampening: Dampening | None = None,
        clock: Callable[[], datetime] = _now,
        cache: ImpactCache | None = None,
    ) -> None:
        self.engine = engine
        self.dampening = dampening or Dampening()
        self.clock = clock
        self.cache = cache or ImpactCache()

    def transaction(self) -> AbstractContextManager[Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite)."""
        return transaction(self.engine)

    def ingest(
        self,
        observations: Sequence[alerts.Observation],
        unmapped: Sequence[alerts.UnmappedAlert] = (),
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
        now = self.clock()
        with self.transaction() as connection:
            stored, changed = alerts.apply_batches(connection, [p[0] for p in payloads], now)
            counted = [alerts.record_unmapped(connection, p[1]) for p in payloads]
            decided = self._reconcile(connection, now) if changed and reconcile else Plan()
        keys = tuple(sorted(changed))
        return [IngestReport(s, c, keys, decided) for s, c in zip(stored, counted, strict=True)]

    def service_map(self) -> ServiceMap:
        """The current map (cached per map version): alert mapping needs its names."""
        with self.engine.connect() as connection, connection.begin():
            return self.cache.service_map(connection)

    def reconcile(self) -> Plan:
        """Bring incidents in line with current states (timers: dampening, maintenance).

        The plan is decided on a read snapshot, outside the write lock (the impact model
        is the slow part), then written under the lock if the open incidents are still
        those it was decided on; else it is decided again under the lock. States newer
        than the snapshot are no loss: their commit wakes another reconcile.
        """
        now = self.clock()
        with self.engine.connect() as connection, connection.begin():
            incidents = _open_incidents(connection)
            service_map, decided = self._decide(connection, incidents, now)
        with self.transaction() as connection:
            _lock(connection)
            if _open_incidents(connection) != incidents:  # another reconcile got there first
                service_map, decided = self._decide(connection, _open_incidents(connection), now)
            apply_plan(connection, decided, service_map, now)
            return decided

    def _reconcile(self, connection: Connection, now: datetime) -> Plan:
        _lock(connection)
        service_map, decided = self._decide(connection, _open_incidents(connection), now)
        apply_plan(connection, decided, service_map, now)
        return decided

    def _decide(
        self, connection: Connection, incidents: list[OpenIncident], now: datetime
    ) -> tuple[ServiceMap, Plan]:
        states = _observed_states(connection, now)
        service_map, statuses = self.cache.statuses(
            connection, {k: s for k, (s, _) in states.items()}
        )
        hits = [_hit(s, states, now) for s in statuses if s.state.is_failing or _planned(s)]
        return service_map, plan(hits, incidents, now, self.dampening)

    def acknowledge(self, incident_id: int, user: str) -> bool:
        """Record `user`'s acknowledgement (shown on the notice); False when already theirs."""
        now = self.clock()
        with self.transaction() as connection:
            _lock(connection)
            exists = connection.execute(
                select(IncidentRow.id).where(IncidentRow.id == incident_id)
            ).first()
            if exists is None:
                raise LookupError(f"no incident #{incident_id}: `bsm incidents` lists them")
            already = connection.execute(
                select(AcknowledgementRow.id).where(
                    AcknowledgementRow.incident_id == incident_id,
                    AcknowledgementRow.user_id == user,
                )
            ).first()
            if already is not None:
                return False
            connection.execute(
                insert(AcknowledgementRow).values(incident_id=incident_id, user_id=user, at=now)
            )
            service_map = read_map(connection)
            touch_incident(
                connection, incident_id, service_map, now, "ack", f"Acknowledged by {user}"
            )
            return True

    def incidents(self, *, open_only: bool = True, limit: int = 50) -> list[Incident]:
        with self.engine.connect() as connection, connection.begin():
            query = select(IncidentRow.id).order_by(IncidentRow.id.desc()).limit(limit)
            if open_only:
                query = query.where(IncidentRow.status == "open")
            ids = list(connection.execute(query).scalars())
            return [_incident(connection, i) for i in ids]

    def incident(self, incident_id: int) -> Incident | None:
        with self.engine.connect() as connection, connection.begin():
            found = connection.execute(
                select(IncidentRow.id).where(IncidentRow.id == incident_id)
            ).first()
            return _incident(connection, incident_id) if found else None

    def unmapped(self, limit: int = 100) -> list[alerts.UnmappedSummary]:
        with self.engine.connect() as connection, connection.begin():
            return alerts.unmapped(connection, limit)


def _lock(connection: Connection) -> None:
    """Serialise reconciles across replicas; SQLite's BEGIN IMMEDIATE already did."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECONCILE_LOCK})


def _map_version(connection: Connection) -> int:
    value = connection.execute(select(MetaRow.value).where(MetaRow.key == MAP_VERSION)).scalar()
    return int(value or 0)


def _observed_states(connection: Connection, now: datetime) -> dict[str, tuple[State, datetime]]:
    """Failing components (by key) with since when; failing inside maintenance is MAINTENANCE."""
    states = alerts.component_states(connection)
    planned = {name_key(w.component) for w in history.read_windows(connection, now)}
    return {
        key: (State.MAINTENANCE if key in planned else state, since)
        for key, (state, since) in states.items()
    }


def _planned(status: ServiceStatus) -> bool:
    return status.state is State.MAINTENANCE


def _hit(status: ServiceStatus, states: dict[str, tuple[State, datetime]], now: datetime) -> Hit:
    since = [states[name_key(c)][1] for c in status.causes if name_key(c) in states]
    return Hit(status.name, status.state, frozenset(status.causes), min(since, default=now))


def _open_incidents(connection: Connection) -> list[OpenIncident]:
    rows = connection.execute(
        select(IncidentRow.id, IncidentRow.causes, IncidentRow.recovered_at)
        .where(IncidentRow.status == "open")
        .order_by(IncidentRow.id)
    ).all()
    services: dict[int, dict[str, State]] = {r.id: {} for r in rows}
    if rows:
        query = (
            select(
                IncidentServiceRow.incident_id, IncidentServiceRow.service, IncidentServiceRow.state
            )
            .where(IncidentServiceRow.incident_id.in_(list(services)))
            .order_by(IncidentServiceRow.position)
        )
        for incident_id, service, state in connection.execute(query):
            services[incident_id][service] = State(state)
    return [OpenIncident(r.id, services[r.id], frozenset(r.causes), r.recovered_at) for r in rows]


def _incident(connection: Connection, incident_id: int) -> Incident:
    row = connection.execute(select(IncidentRow).where(IncidentRow.id == incident_id)).one()
    services = connection.execute(
        select(IncidentServiceRow.service, IncidentServiceRow.state)
        .where(IncidentServiceRow.incident_id == incident_id)
        .order_by(IncidentServiceRow.position)
    ).all()
    acks = connection.execute(
        select(AcknowledgementRow.user_id, AcknowledgementRow.at)
        .where(AcknowledgementRow.incident_id == incident_id)
        .order_by(AcknowledgementRow.at)
    ).all()
    timeline = connection.execute(
        select(TimelineRow.at, TimelineRow.kind, TimelineRow.text)
        .where(TimelineRow.incident_id == incident_id)
        .order_by(TimelineRow.id)
    ).all()
    channels = connection.execute(
        select(NoticeRow.channel).where(NoticeRow.incident_id == incident_id).order_by(NoticeRow.id)
    ).scalars()
    return Incident(
        id=row.id,
        status=row.status,
        planned=row.planned,
        services=tuple((s, State(st)) for s, st in services),
        causes=tuple(row.causes),
        started_at=row.started_at,
        resolved_at=row.resolved_at,
        acknowledged=tuple((u, at) for u, at in acks),
        timeline=tuple(TimelineEntry(*t) for t in timeline),
        channels=tuple(channels),
    )
