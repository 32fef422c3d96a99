"""Alert state: which alerts are active per component, and the alerts that mapped to nothing.

A component's observed state is the worst state of its alerts (two alerts on db-03, one
resolving, leave db-03 down while the other fires). Each alert keeps its latest state in
`alert_states`; an older delivery (a retry overtaken by the resolve) changes nothing there
but still lands in the append-only event history at its own time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)

from impact.model import State, StatusEvent, name_key
from store.codec import event_values
from store.database import dialect_of
from store.schema import METADATA, NAME_LENGTH, JsonType, StatusEventRow, UTCDateTime

KEY_LENGTH = 400
# Unmapped alerts are kept for people to map them, not forever and not without bound: a
# sender inventing alert names (or a label that changes every time) must not fill the disk.
MAX_UNMAPPED = 10_000  # rows; the least recently seen go first
KEEP_UNMAPPED = timedelta(days=30)


# The latest state one alert (or one generic source for one component) reported.
AlertStateRow = Table(
    "alert_states",
    METADATA,
    Column("alert_key", String(KEY_LENGTH), primary_key=True),
    Column("component", String(NAME_LENGTH), nullable=False),
    Column("component_key", String(NAME_LENGTH), index=True, nullable=False),
    Column("state", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("source", String(64), nullable=False),
    Column("summary", Text),
    # alerts the sender left out of the payload that last reported this one (migration 0011)
    Column("left_out", Integer, default=0, server_default="0", nullable=False),
)

# An alert no rule tied to a component: one row per alert, `count` distinct events.
UnmappedAlertRow = Table(
    "unmapped_alerts",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("alert_key", String(KEY_LENGTH), unique=True, nullable=False),
    Column("last_event", String(KEY_LENGTH), nullable=False),
    Column("source", String(64), nullable=False),
    Column("name", String(KEY_LENGTH), nullable=False),
    Column("state", String(16), nullable=False),
    Column("labels", JsonType, nullable=False),
    Column("summary", Text),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Observation:
    """An event for a known component, and the alert it belongs to (`alert_key`).

    `left_out`: how many alerts of its group the sender did not send (`truncatedAlerts`).
    """

    alert_key: str
    event: StatusEvent
    left_out: int = 0


@dataclass(frozen=True, slots=True)
class UnmappedAlert:
    """An alert that named no component: `alert_key` is the alert, `event_key` this event."""

    source: str
    alert_key: str
    event_key: str
    name: str
    state: State
    at: datetime
    labels: Mapping[str, str] = field(default_factory=dict)
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class UnmappedSummary:
    """One line of `bsm alerts unmapped`."""

    name: str
    source: str
    state: State
    labels: Mapping[str, str]
    summary: str | None
    first_seen: datetime
    last_seen: datetime
    count: int


def apply_observations(
    connection: Connection, observations: Sequence[Observation], now: datetime
) -> tuple[int, set[str]]:
    """Record events and alert states; return (events newly stored, component keys changed)."""
    stored, changed = apply_batches(connection, [observations], now)
    return stored[0], changed


def apply_batches(
    connection: Connection, batches: Sequence[Sequence[Observation]], now: datetime
) -> tuple[list[int], set[str]]:
    """`apply_observations` for several payloads in arrival order, in one pass.

    Returns the events newly stored per batch (a redelivered event counts for no batch, an
    event sent twice in the group for the first) and the component keys whose state moved.
    Each history event carries its component's state right after it, replayed in time order
    (ties in arrival order) from the stored alert states, as if the payloads came one by one.
    """
    tagged = [(i, o) for i, batch in enumerate(batches) for o in batch]
    if not tagged:
        return [0] * len(batches), set()
    keys = {name_key(o.event.component) for _, o in tagged}
    held = _AlertBoard(_held_alerts(connection, {o.alert_key for _, o in tagged}, keys))
    before = held.worst()
    events: list[tuple[int, StatusEvent]] = []
    latest: dict[str, Observation] = {}
    for batch, item in sorted(tagged, key=lambda t: t[1].event.at):  # stable: ties by arrival
        event = item.event
        if held.report(item.alert_key, name_key(event.component), State(event.state), event.at):
            latest[item.alert_key] = item
            event = replace(event, state=held.state_of(name_key(event.component)))
        events.append((batch, event))
    if latest:  # one statement for the batch, in key order (one lock order: no deadlocks)
        rows = [_values(latest[key]) for key in sorted(latest)]
        connection.execute(_upsert_statement(connection), rows)
    after = held.worst()
    moved = before.keys() | after.keys()
    changed = {k for k in moved if before.get(k, State.OK) != after.get(k, State.OK)}
    return _insert_events(connection, events, now, len(batches)), changed


Held = tuple[str, State, datetime]  # component key, state, at: one alert's latest report


class _AlertBoard:
    """Alert states of the components a group touches, replayed event by event."""

    def __init__(self, held: dict[str, Held]) -> None:
        self._held = held
        self._by_component: dict[str, dict[str, State]] = {}
        for alert_key, (component_key, state, _) in held.items():
            self._by_component.setdefault(component_key, {})[alert_key] = state

    def report(self, alert_key: str, component_key: str, state: State, at: datetime) -> bool:
        """Take a report unless the alert already holds a newer one; True when taken."""
        stored = self._held.get(alert_key)
        if stored is not None and at < stored[2]:
            return False
        if stored is not None:  # the alert may have moved to another component
            del self._by_component[stored[0]][alert_key]
        self._held[alert_key] = (component_key, state, at)
        self._by_component.setdefault(component_key, {})[alert_key] = state
        return True

    def state_of(self, component_key: str) -> State:
        """The worst state of the component's alerts (ok without failing alerts)."""
        states = self._by_component.get(component_key, {}).values()
        return max(states, key=lambda s: s.severity, default=State.OK)

    def worst(self) -> dict[str, State]:
        """Failing component keys with their worst state."""
        found = {key: self.state_of(key) for key in self._by_component}
        return {key: state for key, state in found.items() if state is not State.OK}


def _held_alerts(
    connection: Connection, alert_keys: set[str], component_keys: set[str]
) -> dict[str, Held]:
    """The stored alerts of these components, and these alerts wherever they point now."""
    rows = connection.execute(
        _HELD, {"alerts": sorted(alert_keys), "components": sorted(component_keys)}
    )
    return {key: (component, State(state), at) for key, component, state, at in rows}


_row = AlertStateRow
# Built once with expanding parameters: building IN lists of literals costs more than the query.
_HELD = select(_row.c.alert_key, _row.c.component_key, _row.c.state, _row.c.at).where(
    or_(
        _row.c.alert_key.in_(bindparam("alerts", expanding=True)),
        _row.c.component_key.in_(bindparam("components", expanding=True)),
    )
)


def _insert_events(
    connection: Connection,
    events: Sequence[tuple[int, StatusEvent]],
    received: datetime,
    batches: int,
) -> list[int]:
    """Append events whose `event_id` is new; how many each batch stored."""
    counts = [0] * batches
    rows, owner = [], {}
    for batch, event in events:
        if event.event_id is not None:
            if event.event_id in owner:
                continue
            owner[event.event_id] = batch
        else:
            counts[batch] += 1
        rows.append({**event_values(event), "received_at": received})
    if rows:
        for (event_id,) in connection.execute(_event_insert(connection), rows):
            if event_id is not None:
                counts[owner[event_id]] += 1
    return counts


_EVENT_INSERTS: dict[str, Any] = {}


def _event_insert(connection: Connection) -> Any:
    """INSERT .. ON CONFLICT DO NOTHING RETURNING event_id (built once per dialect).

    Redelivered ids (or a concurrent replica's) are not new and return nothing.
    """
    name = connection.dialect.name
    if name not in _EVENT_INSERTS:
        table = StatusEventRow
        statement = dialect_of(connection).insert(table).on_conflict_do_nothing()
        _EVENT_INSERTS[name] = statement.returning(table.c.event_id)
    return _EVENT_INSERTS[name]


def _values(observation: Observation) -> dict[str, Any]:
    event = observation.event
    return {
        "alert_key": observation.alert_key,
        "component": event.component,
        "component_key": name_key(event.component),
        "state": State(event.state).value,
        "at": event.at,
        "source": event.source,
        "summary": event.summary,
        "left_out": observation.left_out,
    }


_UPSERTS: dict[str, Any] = {}


def _upsert_statement(connection: Connection) -> Any:
    """INSERT .. ON CONFLICT DO UPDATE unless the stored state is newer (built once)."""
    name = connection.dialect.name
    if name not in _UPSERTS:
        table = AlertStateRow
        statement = dialect_of(connection).insert(table)
        columns = ("component", "component_key", "state", "at", "source", "summary", "left_out")
        _UPSERTS[name] = statement.on_conflict_do_update(
            index_elements=[table.c.alert_key],
            set_={c: statement.excluded[c] for c in columns},
            where=table.c.at <= statement.excluded.at,
        )
    return _UPSERTS[name]


def component_states(
    connection: Connection, keys: Iterable[str] | None = None
) -> dict[str, tuple[State, datetime]]:
    """component key -> (worst failing state of its alerts, since when); ok ones are absent."""
    row = AlertStateRow
    query = (
        select(row.c.component_key, row.c.state, func.min(row.c.at))
        .where(row.c.state != State.OK.value)
        .group_by(row.c.component_key, row.c.state)
    )
    if keys is not None:
        query = query.where(row.c.component_key.in_(list(keys)))
    found: dict[str, tuple[State, datetime]] = {}
    for key, state_text, since in connection.execute(query):
        state = State(state_text)
        held = found.get(key)
        if held is None or state.severity > held[0].severity:
            found[key] = (state, since if held is None else min(since, held[1]))
        else:
            found[key] = (held[0], min(since, held[1]))
    return found


def record_left_out(connection: Connection, batches: Sequence[Sequence[Observation]]) -> set[str]:
    """Store how many alerts the sender left out where a report changed only that.

    A repeated notification carries the same alert (same state, same time), which the
    upsert keeps as it was; when its group's `truncatedAlerts` moved, the count is written
    here. Returns the component keys of failing alerts whose count moved.
    """
    latest = {o.alert_key: o for batch in batches for o in batch if o.event.state != State.OK}
    if not latest:
        return set()
    row = AlertStateRow
    stored = connection.execute(
        select(row.c.alert_key, row.c.component_key, row.c.left_out).where(
            row.c.alert_key.in_(sorted(latest)), row.c.state != State.OK.value
        )
    ).all()
    moved: set[str] = set()
    for alert_key, component_key, held in stored:
        count = latest[alert_key].left_out
        if int(held or 0) != count:
            connection.execute(
                update(row).where(row.c.alert_key == alert_key).values(left_out=count)
            )
            moved.add(component_key)
    return moved


def left_out(connection: Connection, keys: Iterable[str]) -> int:
    """The most alerts left out of a group reporting a failing alert of these components."""
    row = AlertStateRow
    query = select(func.max(row.c.left_out)).where(
        row.c.component_key.in_(list(keys)), row.c.state != State.OK.value
    )
    return int(connection.execute(query).scalar_one() or 0)


def component_names(connection: Connection, keys: Iterable[str]) -> dict[str, str]:
    """Display names of component keys, as the alerts spelled them."""
    query = select(AlertStateRow.c.component_key, AlertStateRow.c.component).where(
        AlertStateRow.c.component_key.in_(list(keys))
    )
    return dict(connection.execute(query).tuples().all())


def record_unmapped(
    connection: Connection,
    alerts: Sequence[UnmappedAlert],
    *,
    cap: int | None = None,
    keep: timedelta = KEEP_UNMAPPED,
) -> int:
    """Keep unmapped alerts; a new event of a known alert bumps its count. Returns new events.

    Then `trim_unmapped`: at most `cap` rows, none last seen `keep` before the newest alert.
    """
    counted = sum(_record_one(connection, alert) for alert in sorted(alerts, key=_by_key))
    if alerts:
        limit = MAX_UNMAPPED if cap is None else cap
        trim_unmapped(connection, max(a.at for a in alerts) - keep, limit)
    return counted


def _by_key(alert: UnmappedAlert) -> str:
    return alert.alert_key


def trim_unmapped(connection: Connection, cutoff: datetime, cap: int = MAX_UNMAPPED) -> int:
    """Forget unmapped alerts last seen before `cutoff`, then all but the `cap` most recently
    seen; returns how many rows went."""
    row = UnmappedAlertRow
    removed = connection.execute(delete(row).where(row.c.last_seen < cutoff)).rowcount or 0
    held = connection.execute(select(func.count()).select_from(row)).scalar_one()
    if held > cap:
        newest = select(row.c.id).order_by(row.c.last_seen.desc(), row.c.id.desc()).limit(cap)
        kept = newest.subquery()
        excess = delete(row).where(row.c.id.not_in(select(kept.c.id)))
        removed += connection.execute(excess).rowcount or 0
    return int(removed)


def unmapped_count(connection: Connection) -> int:
    """How many unmapped alerts are held."""
    return int(connection.execute(select(func.count()).select_from(UnmappedAlertRow)).scalar_one())


def _record_one(connection: Connection, alert: UnmappedAlert) -> bool:
    table = UnmappedAlertRow
    values = {
        "alert_key": alert.alert_key,
        "last_event": alert.event_key,
        "source": alert.source,
        "name": alert.name,
        "state": State(alert.state).value,
        "labels": dict(alert.labels),
        "summary": alert.summary,
        "first_seen": alert.at,
        "last_seen": alert.at,
        "count": 1,
    }
    statement = dialect_of(connection).insert(table).values(values)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.alert_key],
        set_={
            "last_event": excluded.last_event,
            "state": excluded.state,
            "summary": excluded.summary,
            "last_seen": func.max(table.c.last_seen, excluded.last_seen)
            if connection.dialect.name == "sqlite"
            else func.greatest(table.c.last_seen, excluded.last_seen),
            "count": table.c.count + 1,
        },
        where=table.c.last_event != excluded.last_event,
    ).returning(table.c.id)
    return connection.execute(statement).first() is not None


def unmapped(connection: Connection, limit: int = 100) -> list[UnmappedSummary]:
    """Unmapped alerts, most recently seen first."""
    row = UnmappedAlertRow
    query = select(row).order_by(row.c.last_seen.desc(), row.c.id.desc()).limit(limit)
    return [
        UnmappedSummary(
            name=r["name"],
            source=r["source"],
            state=State(r["state"]),
            labels=dict(r["labels"]),
            summary=r["summary"],
            first_seen=r["first_seen"],
            last_seen=r["last_seen"],
            count=r["count"],
        )
        for r in connection.execute(query).mappings()
    ]
