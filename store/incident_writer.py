"""Writing a reconcile plan: incident rows, timeline lines and the outbox messages they imply.

Each change of an incident bumps its `revision`; the outbox dedup keys carry the revision,
so one change yields exactly one update and one thread reply per notice, whichever replica
wrote it. Payloads are rendering-free snapshots (JSON): the bot renders Block Kit at send time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from impact.incidents import Change, Opening, Plan, Update, is_planned
from impact.model import Component, ServiceMap, State, name_key
from store import outbox
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


def touch_incident(
    connection: Connection,
    incident_id: int,
    service_map: ServiceMap,
    now: datetime,
    kind: str,
    line: str,
) -> None:
    """A change people see that is not a state change (an acknowledgement): bump and notify."""
    _bump(connection, incident_id)
    _timeline(connection, incident_id, now, kind, line)
    _notify(connection, incident_id, service_map, now, line, post_new=False)


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
    line = f"{'Planned work' if opening.planned else 'Opened'}: {_states_line(opening.services)}"
    _timeline(
        connection, incident_id, now, "opened", f"{line}; root cause {_names(opening.causes)}"
    )
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
    lines = [_change_line(c) for c in change.changes]
    if change.new_causes:
        lines.append(f"New root cause {_names(change.new_causes)}")
    line = "; ".join(lines)
    _timeline(connection, change.id, now, "changed", line)
    _notify(connection, change.id, service_map, now, line, post_new=True)


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
    line = f"Resolved after {duration_text((now - started).total_seconds())}"
    _timeline(connection, incident_id, now, "resolved", line)
    _notify(connection, incident_id, service_map, now, line, post_new=False)


def _notify(
    connection: Connection,
    incident_id: int,
    service_map: ServiceMap,
    now: datetime,
    line: str | None,
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
    revision = notice["revision"]
    if line is not None:
        for channel in sorted(existing):
            key = f"incident:{incident_id}:r{revision}:{channel}"
            _enqueue(
                connection, f"{key}:update", channel, "update", {"notice": notice}, now, incident_id
            )
            thread = {
                "text": line,
                "incident": incident_id,
                "resolved": notice["status"] == "resolved",
            }
            _enqueue(connection, f"{key}:thread", channel, "thread", thread, now, incident_id)
    if not post_new:
        return
    for channel in target_channels(connection, _components(service_map, notice)):
        if channel in existing:
            continue
        connection.execute(insert(NoticeRow).values(incident_id=incident_id, channel=channel))
        key = f"incident:{incident_id}:post:{channel}"
        _enqueue(connection, key, channel, "post", {"notice": notice}, now, incident_id)


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


def snapshot(connection: Connection, incident_id: int, service_map: ServiceMap) -> dict[str, Any]:
    """The notice as data: what the renderer shows, as of now (JSON-serialisable)."""
    row = connection.execute(select(IncidentRow).where(IncidentRow.id == incident_id)).one()
    services = _services(connection, incident_id)
    by_key = {name_key(n): c for n, c in service_map.components.items()}
    listed = [
        _service_json(name, state, by_key.get(name_key(name))) for name, state in services.items()
    ]
    acks = connection.execute(
        select(AcknowledgementRow.user_id, AcknowledgementRow.at)
        .where(AcknowledgementRow.incident_id == incident_id)
        .order_by(AcknowledgementRow.at)
    ).all()
    end = row.resolved_at
    return {
        "incident": incident_id,
        "status": row.status,
        "planned": bool(row.planned) or is_planned(services),
        "revision": row.revision,
        "services": listed,
        "causes": list(row.causes),
        "revenue_at_risk": sum(s["revenue_per_hour"] for s in listed if s["state"] == "down"),
        "started_at": row.started_at.isoformat(),
        "resolved_at": end.isoformat() if end else None,
        "duration_s": (end - row.started_at).total_seconds() if end else None,
        "acknowledged": [{"user": u, "at": at.isoformat()} for u, at in acks],
    }


def _service_json(name: str, state: State, component: Component | None) -> dict[str, Any]:
    return {
        "name": name,
        "title": component.title if component else None,
        "state": state.value,
        "tier": component.tier if component else None,
        "owner": component.owner if component else None,
        "channel": component.channel if component else None,
        "revenue_per_hour": float(component.revenue_per_hour or 0.0) if component else 0.0,
    }


def _components(service_map: ServiceMap, notice: Mapping[str, Any]) -> list[Component]:
    by_key = {name_key(n): c for n, c in service_map.components.items()}
    found = [by_key.get(name_key(s["name"])) for s in notice["services"]]
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


def _timeline(connection: Connection, incident_id: int, at: datetime, kind: str, line: str) -> None:
    values = {"incident_id": incident_id, "at": at, "kind": kind, "text": line}
    connection.execute(insert(TimelineRow).values(values))


def _states_line(services: Mapping[str, State]) -> str:
    return ", ".join(f"{name} {state.value}" for name, state in services.items())


def _change_line(change: Change) -> str:
    if change.after is State.OK:
        return f"{change.name} recovered (was {change.before.value})"
    if change.before is State.OK:
        return f"{change.name} {change.after.value}"
    return f"{change.name} {change.before.value} -> {change.after.value}"


def _names(names: frozenset[str] | set[str]) -> str:
    return ", ".join(sorted(names)) or "unknown"


def duration_text(seconds: float) -> str:
    """`45s`, `12m`, `1h 05m`, `2d 3h`: how long an incident lasted."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"
