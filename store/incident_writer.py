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

from impact.incidents import Opening, Plan, Update
from impact.model import ServiceMap, State, name_key
from store import outbox
from store.incident_facts import (
    EntryKind,
    IncidentStatus,
    Notice,
    ThreadReply,
    TimelineEntry,
)
from store.incident_notice import components, services_of, snapshot
from store.incident_rows import (
    AcknowledgementRow,
    IncidentRow,
    IncidentServiceRow,
    NoticeRow,
    TimelineRow,
)
from store.subscriptions import target_channels

UPDATE_CHUNK = 500  # service keys per UPDATE .. IN (...): well inside every bound-parameter limit


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
    exists = connection.execute(
        select(IncidentRow.c.id).where(IncidentRow.c.id == incident_id)
    ).first()
    if exists is None:
        raise LookupError(f"no incident #{incident_id}: `bsm incidents` lists them")
    already = connection.execute(
        select(AcknowledgementRow.c.id).where(
            AcknowledgementRow.c.incident_id == incident_id, AcknowledgementRow.c.user_id == user
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


def refresh_left_out(
    connection: Connection, keys: set[str], service_map: ServiceMap, now: datetime
) -> list[int]:
    """Update the posted notices of open incidents caused by `keys` (component keys) whose
    count of alerts left out by the sender moved; no timeline entry (nothing happened to
    the services). Returns the incidents refreshed."""
    rows = connection.execute(
        select(IncidentRow.c.id, IncidentRow.c.causes).where(IncidentRow.c.status == "open")
    ).all()
    refreshed = [i for i, causes in rows if keys & {name_key(c) for c in causes or ()}]
    for incident_id in refreshed:
        _bump(connection, incident_id)
        notice = snapshot(connection, incident_id, service_map)
        channels = connection.execute(
            select(NoticeRow.c.channel).where(NoticeRow.c.incident_id == incident_id)
        ).scalars()
        body = {"notice": notice.to_json()}
        for channel in sorted(channels):
            key = f"incident:{incident_id}:r{notice.revision}:{channel}:update"
            _enqueue(connection, key, channel, "update", body, now, incident_id)
    return refreshed


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
        connection.execute(insert(IncidentRow).returning(IncidentRow.c.id), values).scalar_one()
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
        .where(IncidentRow.c.id == change.id)
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
        changes=change.changes,
        causes=tuple(sorted(change.new_causes)),
    )
    _timeline(connection, change.id, entry)
    _notify(connection, change.id, service_map, now, entry, post_new=True)


def _resolve(
    connection: Connection, incident_id: int, service_map: ServiceMap, now: datetime
) -> None:
    services = services_of(connection, incident_id)
    _write_services(connection, incident_id, {name: State.OK for name in services})
    started = connection.execute(
        select(IncidentRow.c.started_at).where(IncidentRow.c.id == incident_id)
    ).scalar_one()
    connection.execute(
        update(IncidentRow)
        .where(IncidentRow.c.id == incident_id)
        .values(status="resolved", resolved_at=now, revision=IncidentRow.c.revision + 1)
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
            select(NoticeRow.c.channel).where(NoticeRow.c.incident_id == incident_id)
        ).scalars()
    )
    if entry is not None:
        _update_notices(connection, notice, sorted(existing), entry, now)
    if post_new:
        targets = target_channels(connection, components(service_map, notice))
        _post_notices(connection, notice, [c for c in targets if c not in existing], now)


def _update_notices(
    connection: Connection,
    notice: Notice,
    channels: list[str],
    entry: TimelineEntry,
    now: datetime,
) -> None:
    """Each posted notice: the new notice, and `entry` as a reply in its thread."""
    body = {"notice": notice.to_json()}
    resolved = notice.status is IncidentStatus.RESOLVED
    thread = ThreadReply(notice.incident, entry, resolved).to_json()
    for channel in channels:
        key = f"incident:{notice.incident}:r{notice.revision}:{channel}"
        _enqueue(connection, f"{key}:update", channel, "update", body, now, notice.incident)
        _enqueue(connection, f"{key}:thread", channel, "thread", thread, now, notice.incident)


def _post_notices(
    connection: Connection, notice: Notice, channels: list[str], now: datetime
) -> None:
    body = {"notice": notice.to_json()}
    for channel in channels:
        connection.execute(insert(NoticeRow).values(incident_id=notice.incident, channel=channel))
        key = f"incident:{notice.incident}:post:{channel}"
        _enqueue(connection, key, channel, "post", body, now, notice.incident)


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


def _write_services(
    connection: Connection, incident_id: int, services: Mapping[str, State]
) -> None:
    """Add the services new to the incident and move the states of the others: one insert
    of all new rows and one update per new state, not a statement per service (an incident
    of a storm holds a thousand services, many of them moving each reconcile)."""
    held = services_of(connection, incident_id)
    added: list[dict[str, Any]] = []
    moved: dict[State, list[str]] = {}
    for name, state in services.items():
        if name not in held:
            added.append(
                {
                    "incident_id": incident_id,
                    "service": name,
                    "service_key": name_key(name),
                    "state": state.value,
                    "position": len(held),
                }
            )
            held[name] = state
        elif held[name] != state:
            moved.setdefault(state, []).append(name_key(name))
    if added:
        connection.execute(insert(IncidentServiceRow), added)
    row = IncidentServiceRow
    for state, keys in moved.items():
        for start in range(0, len(keys), UPDATE_CHUNK):
            connection.execute(
                update(row)
                .where(
                    row.c.incident_id == incident_id,
                    row.c.service_key.in_(keys[start : start + UPDATE_CHUNK]),
                )
                .values(state=state.value)
            )


def _bump(connection: Connection, incident_id: int) -> None:
    connection.execute(
        update(IncidentRow)
        .where(IncidentRow.c.id == incident_id)
        .values(revision=IncidentRow.c.revision + 1)
    )


def _timeline(connection: Connection, incident_id: int, entry: TimelineEntry) -> None:
    values = {
        "incident_id": incident_id,
        "at": entry.at,
        "kind": entry.kind.value,
        "facts": entry.facts(),
    }
    connection.execute(insert(TimelineRow).values(values))
