"""Incidents in the database: ingest alerts, reconcile incidents, write notices to the outbox.

`IncidentStore.ingest_many` is the whole path of a webhook group in ONE transaction: the
events, the alert states, the unmapped alerts, the incident changes and the outbox rows
commit together or not at all, so a 2xx means all of it is durable and a crash before the
commit leaves nothing half-done. Reconciling is level-triggered (`impact.incidents.plan`)
and serialised cluster-wide (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite):
replicas receiving the same alert produce one incident and one notice per channel.

This module holds the transactional primitives only; what to do is decided by the caller's
`decide(snapshot)` (`services.incidents.Incidents`, over the process's compiled model),
which the store calls inside the transaction, holding the reconcile lock where it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, select, text

from impact.incidents import OpenIncident, Plan
from impact.model import ServiceMap, State, name_key
from impact.priority import PriorityRule
from store import alerts, history, incident_writer
from store.audit import record_audit
from store.database import transaction
from store.incident_facts import IncidentStatus, TimelineEntry
from store.incident_notice import acknowledgements, priority, priority_rules
from store.incident_rows import IncidentRow, IncidentServiceRow, NoticeRow, TimelineRow
from store.incident_writer import apply_plan
from store.map_reader import read_map
from store.schema import MAP_VERSION, MetaRow

Payload = tuple[Sequence[alerts.Observation], Sequence[alerts.UnmappedAlert]]
T = TypeVar("T")
# How a caller turns (map version, how to read that map) into what it needs of the map.
MapUse = Callable[[int, Callable[[], ServiceMap]], T]

# Any constant shared by every replica: the key of the reconcile advisory lock.
RECONCILE_LOCK = 0x62736D01


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one payload did: events stored, unmapped alerts counted, incidents touched."""

    events: int = 0
    unmapped: int = 0
    changed: tuple[str, ...] = ()
    plan: Plan = field(default_factory=Plan)


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident as people read it: services hit, root causes, acks, timeline."""

    id: int
    status: IncidentStatus
    planned: bool
    services: tuple[tuple[str, State], ...]
    causes: tuple[str, ...]
    started_at: datetime
    resolved_at: datetime | None
    acknowledged: tuple[tuple[str, datetime], ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    channels: tuple[str, ...] = ()
    priority: str = "P4"  # P1-P4 of its business services by the map's priority rules


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a reconcile decides on, read in one transaction (valid only inside it).

    `states` are the failing components (by name key) with since when, MAINTENANCE inside
    a window; `load_map()` reads the map of `version` in the same transaction.
    """

    version: int
    load_map: Callable[[], ServiceMap]
    states: Mapping[str, tuple[State, datetime]]
    incidents: tuple[OpenIncident, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """A decided plan and the map it was decided on (notices need its titles and channels)."""

    plan: Plan
    service_map: ServiceMap


Decide = Callable[[Snapshot], Decision]


class IncidentStore:
    """The SQL side of incidents: batches in, plans applied under the reconcile lock, reads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def transaction(self) -> AbstractContextManager[Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite)."""
        return transaction(self.engine)

    def ingest_many(
        self, payloads: Sequence[Payload], now: datetime, decide: Decide | None
    ) -> list[IngestReport]:
        """Store every payload (in arrival order) in ONE transaction; one report each.

        With `decide`, and when a component changed state, the incidents are reconciled
        in the same transaction, under the reconcile lock.
        """
        with self.transaction() as connection:
            batches = [p[0] for p in payloads]
            left = alerts.record_left_out(connection, batches)  # before: stored rows only
            stored, changed = alerts.apply_batches(connection, batches, now)
            counted = [alerts.record_unmapped(connection, p[1]) for p in payloads]
            if left:  # rare: a group's truncatedAlerts moved; its open notices say so
                _lock(connection)
                incident_writer.refresh_left_out(connection, left, read_map(connection), now)
            decided = Plan()
            if changed and decide is not None:
                _lock(connection)
                decided = _decide_and_apply(connection, now, decide)
        keys = tuple(sorted(changed))
        return [IngestReport(s, c, keys, decided) for s, c in zip(stored, counted, strict=True)]

    def reconcile(self, now: datetime, decide: Decide, *, unlocked: Decide | None = None) -> Plan:
        """Decide on a read snapshot outside the lock, write under it (see `Incidents`).

        If the open incidents changed between the snapshot and the lock (another replica
        reconciled), the plan is decided again under the lock. `unlocked`, when given,
        decides on the read snapshot instead of `decide`: it may take its time (step
        aside for questions), holding no write lock.
        """
        with self.engine.connect() as connection, connection.begin():
            snapshot = _snapshot(connection, now)
            decision = (unlocked or decide)(snapshot)
        with self.transaction() as connection:
            _lock(connection)
            if _open_incidents(connection) != snapshot.incidents:
                decision = decide(_snapshot(connection, now))
            apply_plan(connection, decision.plan, decision.service_map, now)
            return decision.plan

    def acknowledge(
        self, incident_id: int, user: str, now: datetime, map_of: MapUse[ServiceMap]
    ) -> bool:
        """Record `user`'s acknowledgement, audited as theirs in the same transaction, and
        notify; False when already theirs (nothing written)."""
        with self.transaction() as connection:
            _lock(connection)
            service_map = map_of(_map_version(connection), lambda: read_map(connection))
            done = incident_writer.acknowledge(connection, incident_id, user, service_map, now)
            if done:
                after = {"incident": incident_id, "at": now.isoformat()}
                record_audit(
                    connection, user, "incident.ack", "chat", f"incident:{incident_id}", None, after
                )
            return done

    def with_map(self, use: MapUse[T]) -> T:
        """`use(version, load)` with the current map version, in a read transaction."""
        with self.engine.connect() as connection, connection.begin():
            return use(_map_version(connection), lambda: read_map(connection))

    def incidents(self, *, open_only: bool = True, limit: int = 50) -> list[Incident]:
        with self.engine.connect() as connection, connection.begin():
            query = select(IncidentRow.c.id).order_by(IncidentRow.c.id.desc()).limit(limit)
            if open_only:
                query = query.where(IncidentRow.c.status == "open")
            ids = list(connection.execute(query).scalars())
            rules = priority_rules(connection)
            return [_incident(connection, i, rules) for i in ids]

    def incident(self, incident_id: int) -> Incident | None:
        with self.engine.connect() as connection, connection.begin():
            found = connection.execute(
                select(IncidentRow.c.id).where(IncidentRow.c.id == incident_id)
            ).first()
            return _incident(connection, incident_id, priority_rules(connection)) if found else None

    def unmapped(self, limit: int = 100) -> list[alerts.UnmappedSummary]:
        with self.engine.connect() as connection, connection.begin():
            return alerts.unmapped(connection, limit)

    def unmapped_held(self) -> int:
        """How many unmapped alerts are kept (at most `alerts.MAX_UNMAPPED`)."""
        with self.engine.connect() as connection, connection.begin():
            return alerts.unmapped_count(connection)


def _decide_and_apply(connection: Connection, now: datetime, decide: Decide) -> Plan:
    decision = decide(_snapshot(connection, now))
    apply_plan(connection, decision.plan, decision.service_map, now)
    return decision.plan


def _snapshot(connection: Connection, now: datetime) -> Snapshot:
    return Snapshot(
        version=_map_version(connection),
        load_map=lambda: read_map(connection),
        states=_observed_states(connection, now),
        incidents=_open_incidents(connection),
        now=now,
    )


def _lock(connection: Connection) -> None:
    """Serialise reconciles across replicas; SQLite's BEGIN IMMEDIATE already did."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECONCILE_LOCK})


def _map_version(connection: Connection) -> int:
    value = connection.execute(select(MetaRow.c.value).where(MetaRow.c.key == MAP_VERSION)).scalar()
    return int(value or 0)


def _observed_states(connection: Connection, now: datetime) -> dict[str, tuple[State, datetime]]:
    """Failing components (by key) with since when; failing inside maintenance is MAINTENANCE."""
    states = alerts.component_states(connection)
    planned = {name_key(w.component) for w in history.read_windows(connection, now)}
    return {
        key: (State.MAINTENANCE if key in planned else state, since)
        for key, (state, since) in states.items()
    }


def _open_incidents(connection: Connection) -> tuple[OpenIncident, ...]:
    rows = connection.execute(
        select(IncidentRow.c.id, IncidentRow.c.causes, IncidentRow.c.recovered_at)
        .where(IncidentRow.c.status == "open")
        .order_by(IncidentRow.c.id)
    ).all()
    services: dict[int, dict[str, State]] = {r.id: {} for r in rows}
    if rows:
        query = (
            select(
                IncidentServiceRow.c.incident_id,
                IncidentServiceRow.c.service,
                IncidentServiceRow.c.state,
            )
            .where(IncidentServiceRow.c.incident_id.in_(list(services)))
            .order_by(IncidentServiceRow.c.position)
        )
        for incident_id, service, state in connection.execute(query):
            services[incident_id][service] = State(state)
    return tuple(
        OpenIncident(r.id, services[r.id], frozenset(r.causes), r.recovered_at) for r in rows
    )


def _incident(connection: Connection, incident_id: int, rules: Sequence[PriorityRule]) -> Incident:
    row = connection.execute(select(IncidentRow).where(IncidentRow.c.id == incident_id)).one()
    services = connection.execute(
        select(IncidentServiceRow.c.service, IncidentServiceRow.c.state)
        .where(IncidentServiceRow.c.incident_id == incident_id)
        .order_by(IncidentServiceRow.c.position)
    ).all()
    timeline = connection.execute(
        select(TimelineRow.c.at, TimelineRow.c.kind, TimelineRow.c.facts)
        .where(TimelineRow.c.incident_id == incident_id)
        .order_by(TimelineRow.c.id)
    ).all()
    channels = connection.execute(
        select(NoticeRow.c.channel)
        .where(NoticeRow.c.incident_id == incident_id)
        .order_by(NoticeRow.c.id)
    ).scalars()
    touched = tuple((s, State(st)) for s, st in services)
    return Incident(
        id=row.id,
        status=IncidentStatus(row.status),
        planned=row.planned,
        services=touched,
        causes=tuple(row.causes),
        started_at=row.started_at,
        resolved_at=row.resolved_at,
        acknowledged=tuple((a.user, a.at) for a in acknowledgements(connection, incident_id)),
        timeline=tuple(TimelineEntry.from_facts(*t) for t in timeline),
        channels=tuple(channels),
        priority=priority(connection, touched, rules),
    )
