"""Writing a reconcile plan: incident rows, timeline lines and the outbox messages they imply.

Each change of an incident bumps its `revision`; the outbox dedup keys carry the revision,
so one change yields exactly one update and one thread reply per notice, whichever replica
wrote it. What is written are typed facts (`store.incident_facts`: a `Notice`, a
`TimelineEntry`), stored as JSON; no English: the bot renders Block Kit at send time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from impact.incidents import Opening, Plan, Update, is_planned
from impact.model import Component, ServiceMap, State, name_key
from store import outbox
from store.incident_facts import (
    Acknowledgement,
    EntryKind,
    IncidentStatus,
    Notice,
    NoticeService,
    StateChange,
    ThreadReply,
    TimelineEntry,
)
from store.incident_rows import (
    AcknowledgementRow,
    IncidentRow,
    IncidentServiceRow,
    NoticeRow,
    TimelineRow,
)
from store.subscriptions import target_channels


def apply_plan(
    connection: Connection, decided: Plan, service_map: ServiceMap, now: datetime
) -> None:
    """Write every open, update and resolve of `decided` with its outbox messages."""
    for opening in decided.opens:
        _open(connection, opening, service_map, now)
    for change in decided.updates:
        _update(connection, change, service_map, now)
    for incident_id in decided.resolves:
        _resolve(connection, incident_id, service_map, now)


def acknowledge(
    connection: Connection, incident_id: int, user: str, service_map: ServiceMap, now: datetime
) -> bool:
    """Record `user`'s acknowledgement, bump the incident and notify; False when already theirs."""
    exists = connection.execute(select(IncidentRow.id).where(IncidentRow.id == incident_id)).first()
    if exists is None:
        raise LookupError(f"no incident #{incident_id}: `bsm incidents` lists them")
    already = connection.execute(
        select(AcknowledgementRow.id).where(
            AcknowledgementRow.incident_id == incident_id, AcknowledgementRow.user_id == user
        )
    ).first()
    if already is not None:
        return False
    connection.execute(
        insert(AcknowledgementRow).values(incident_id=incident_id, user_id=user, at=now)
    )
    _bump(connection, incident_id)
    entry = TimelineEntry(now, EntryKind.ACKNOWLEDGED, user=user)
    _timeline(connection, incident_id, entry)
    _notify(connection, incident_id, service_map, now, entry, post_new=False)
    return True


def _open(connection: Connection, opening: Opening, service_map: ServiceMap, now: datetime) -> None:
    values = {
        "status": "open",
        "planned": opening.planned,
        "causes": sorted(opening.causes),
        "started_at": opening.started_at,
        "opened_at": now,
        "revision": 1,
        "recovered_at": None,
        "resolved_at": None,
    }
    incident_id = int(
        connection.execute(insert(IncidentRow).returning(IncidentRow.id), values).scalar_one()
    )
    _write_services(connection, incident_id, opening.services)
    entry = TimelineEntry(
        now,
        EntryKind.OPENED,
        services=tuple(opening.services.items()),
        causes=tuple(sorted(opening.causes)),
        planned=opening.planned,
    )
    _timeline(connection, incident_id, entry)
    _notify(connection, incident_id, service_map, now, None, post_new=True)


def _update(connection: Connection, change: Update, service_map: ServiceMap, now: datetime) -> None:
    _write_services(connection, change.id, change.services)
    connection.execute(
        update(IncidentRow)
        .where(IncidentRow.id == change.id)
        .values(
            causes=sorted(change.causes),
            planned=change.planned,
            recovered_at=change.recovered_at,
        )
    )
    if not change.notable:
        return
    _bump(connection, change.id)
    entry = TimelineEntry(
        now,
        EntryKind.CHANGED,
        changes=tuple(StateChange(c.name, c.before, c.after) for c in change.changes),
        causes=tuple(sorted(change.new_causes)),
    )
    _timeline(connection, change.id, entry)
    _notify(connection, change.id, service_map, now, entry, post_new=True)


def _resolve(
    connection: Connection, incident_id: int, service_map: ServiceMap, now: datetime
) -> None:
    services = _services(connection, incident_id)
    _write_services(connection, incident_id, {name: State.OK for name in services})
    started = connection.execute(
        select(IncidentRow.started_at).where(IncidentRow.id == incident_id)
    ).scalar_one()
    connection.execute(
        update(IncidentRow)
        .where(IncidentRow.id == incident_id)
        .values(status="resolved", resolved_at=now, revision=IncidentRow.revision + 1)
    )
    entry = TimelineEntry(now, EntryKind.RESOLVED, duration_s=(now - started).total_seconds())
    _timeline(connection, incident_id, entry)
    _notify(connection, incident_id, service_map, now, entry, post_new=False)


def _notify(
    connection: Connection,
    incident_id: int,
    service_map: ServiceMap,
    now: datetime,
    entry: TimelineEntry | None,
    *,
    post_new: bool,
) -> None:
    """Post to target channels without a notice yet; update + thread-reply the others."""
    notice = snapshot(connection, incident_id, service_map)
    existing = set(
        connection.execute(
            select(NoticeRow.channel).where(NoticeRow.incident_id == incident_id)
        ).scalars()
    )
    body = {"notice": notice.to_json()}
    if entry is not None:
        resolved = notice.status is IncidentStatus.RESOLVED
        thread = ThreadReply(incident_id, entry, resolved).to_json()
        for channel in sorted(existing):
            key = f"incident:{incident_id}:r{notice.revision}:{channel}"
            _enqueue(connection, f"{key}:update", channel, "update", body, now, incident_id)
            _enqueue(connection, f"{key}:thread", channel, "thread", thread, now, incident_id)
    if not post_new:
        return
    for channel in target_channels(connection, _components(service_map, notice)):
        if channel in existing:
            continue
        connection.execute(insert(NoticeRow).values(incident_id=incident_id, channel=channel))
        key = f"incident:{incident_id}:post:{channel}"
        _enqueue(connection, key, channel, "post", body, now, incident_id)


def _enqueue(
    connection: Connection,
    key: str,
    channel: str,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
    incident_id: int,
) -> None:
    outbox.enqueue(
        connection,
        dedup_key=key,
        channel=channel,
        kind=kind,
        payload=payload,
        now=now,
        incident_id=incident_id,
    )


def snapshot(connection: Connection, incident_id: int, service_map: ServiceMap) -> Notice:
    """The notice as of now: what the renderer shows."""
    row = connection.execute(select(IncidentRow).where(IncidentRow.id == incident_id)).one()
    services = _services(connection, incident_id)
    by_key = {name_key(n): c for n, c in service_map.components.items()}
    listed = tuple(
        _notice_service(name, state, by_key.get(name_key(name))) for name, state in services.items()
    )
    end = row.resolved_at
    return Notice(
        incident=incident_id,
        status=IncidentStatus(row.status),
        planned=bool(row.planned) or is_planned(services),
        revision=row.revision,
        services=listed,
        causes=tuple(row.causes),
        revenue_at_risk=sum(s.revenue_per_hour for s in listed if s.state is State.DOWN),
        started_at=row.started_at,
        resolved_at=end,
        duration_s=(end - row.started_at).total_seconds() if end else None,
        acknowledged=acknowledgements(connection, incident_id),
    )


def acknowledgements(connection: Connection, incident_id: int) -> tuple[Acknowledgement, ...]:
    """Who acknowledged the incident, first first."""
    acks = connection.execute(
        select(AcknowledgementRow.user_id, AcknowledgementRow.at)
        .where(AcknowledgementRow.incident_id == incident_id)
        .order_by(AcknowledgementRow.at)
    ).all()
    return tuple(Acknowledgement(user, at) for user, at in acks)


def _notice_service(name: str, state: State, component: Component | None) -> NoticeService:
    if component is None:
        return NoticeService(name, state)
    return NoticeService(
        name,
        state,
        title=component.title,
        tier=component.tier,
        owner=component.owner,
        channel=component.channel,
        revenue_per_hour=float(component.revenue_per_hour or 0.0),
    )


def _components(service_map: ServiceMap, notice: Notice) -> list[Component]:
    by_key = {name_key(n): c for n, c in service_map.components.items()}
    found = [by_key.get(name_key(s.name)) for s in notice.services]
    return [c for c in found if c is not None]


def _services(connection: Connection, incident_id: int) -> dict[str, State]:
    query = (
        select(IncidentServiceRow.service, IncidentServiceRow.state)
        .where(IncidentServiceRow.incident_id == incident_id)
        .order_by(IncidentServiceRow.position)
    )
    return {name: State(state) for name, state in connection.execute(query)}


def _write_services(
    connection: Connection, incident_id: int, services: Mapping[str, State]
) -> None:
    held = _services(connection, incident_id)
    for name, state in services.items():
        if name not in held:
            values = {
                "incident_id": incident_id,
                "service": name,
                "service_key": name_key(name),
                "state": state.value,
                "position": len(held),
            }
            connection.execute(insert(IncidentServiceRow).values(values))
            held[name] = state
        elif held[name] != state:
            connection.execute(
                update(IncidentServiceRow)
                .where(
                    IncidentServiceRow.incident_id == incident_id,
                    IncidentServiceRow.service_key == name_key(name),
                )
                .values(state=state.value)
            )


def _bump(connection: Connection, incident_id: int) -> None:
    connection.execute(
        update(IncidentRow)
        .where(IncidentRow.id == incident_id)
        .values(revision=IncidentRow.revision + 1)
    )


def _timeline(connection: Connection, incident_id: int, entry: TimelineEntry) -> None:
    values = {
        "incident_id": incident_id,
        "at": entry.at,
        "kind": entry.kind.value,
        "facts": entry.facts(),
    }
    connection.execute(insert(TimelineRow).values(values))
