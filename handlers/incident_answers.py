"""Incidents in chat: the open ones, and one with its timeline.

incidents          open incidents, by priority (P1-P4, the map's rules), newest first
incident <id>      services hit, root causes, acknowledgements, timeline
"""

from __future__ import annotations

from datetime import UTC, datetime

from handlers import guidance
from handlers.answer import Action, Answer, Item, Section
from handlers.commands import CommandError, arguments, failed, number, trailing_window
from handlers.request import Request
from handlers.wording import joined
from impact.durations import format_duration
from impact.model import State
from store import EntryKind, Incident, StateChange, TimelineEntry

USAGE = ("incidents", "incident ID")
SHOWN = 20
SCANNED = 500  # incidents searched for the ones of a window
_ORDER = (State.DOWN, State.DEGRADED, State.MAINTENANCE, State.UNKNOWN, State.OK)


def incidents(req: Request) -> Answer:
    """Open incidents, by priority then newest first."""
    if req.incidents is None:
        return _no_incidents("incidents")
    words = arguments(req.text, ("incidents", "incident"))
    words, window = trailing_window(words, datetime.now(UTC), "incidents window")
    if window is not None:  # every incident that started in the window, open or not
        started = req.incidents.incidents(open_only=False, limit=SCANNED)
        found = [i for i in started if window.start <= i.started_at < window.end][: SHOWN + 1]
        if not found:
            return Answer("incidents", f"No incidents {window.label}", data={"incidents": []})
    else:
        found = req.incidents.incidents(open_only=True, limit=SHOWN + 1)
    if not found:
        return Answer("incidents", "No open incidents", data={"incidents": []})
    # P1 first (by the map's rules: store.Incident.priority), newest first within
    shown = sorted(found[:SHOWN], key=lambda i: i.priority)
    items = tuple(_with_priority(incident_line(i), i.priority) for i in shown)
    return Answer(
        "incidents",
        f"{len(shown)}{'+' * (len(found) > SHOWN)} open incident{'s' * (len(found) != 1)}",
        sections=(Section("Open incidents", items),),
        actions=tuple(Action("ask", f"Incident #{i.id}", f"incident {i.id}") for i in shown[:4]),
        data={"incidents": [_json(i) for i in shown]},
    )


def _with_priority(item: Item, priority: str) -> Item:
    return Item(f"{priority} {item.text}", item.state, item.detail)


def incident(req: Request) -> Answer:
    """One incident with its services, causes, acknowledgements and timeline."""
    try:
        incident_id = number(arguments(req.text, ("incident",)), "incident", "incident 12")
    except CommandError as error:
        return failed("incident", error, USAGE)
    if req.incidents is None:
        return _no_incidents("incident")
    found = req.incidents.incident(incident_id)
    if found is None:
        return Answer(
            "incident",
            f"No incident #{incident_id}: `incidents` lists the open ones",
            ok=False,
            data={"incident": None},
        )
    sections = [
        Section("Business services", tuple(Item(s, st) for s, st in found.services)),
        Section("Root cause", tuple(Item(c) for c in found.causes) or (Item("unknown"),)),
    ]
    if found.acknowledged:
        acks = tuple(Item(f"{user} at {_at(at)}") for user, at in found.acknowledged)
        sections.append(Section("Acknowledged", acks))
    timeline = tuple(Item(f"{_at(e.at)} {entry_text(e)}") for e in found.timeline)
    if timeline:
        sections.append(Section("Timeline", timeline))
    notes = (f"Notices in {', '.join(found.channels)}",) if found.channels else ()
    return Answer(
        "incident",
        _headline(found),
        tuple(found.causes),
        tuple(sections),
        notes=notes,
        data={"incident": _json(found) | {"timeline": [entry_text(e) for e in found.timeline]}},
    )


def _no_incidents(intent: str) -> Answer:
    return guidance.needs_database(intent)


def _headline(found: Incident) -> str:
    hit = [s for s, st in found.services if st.is_failing] or [s for s, _ in found.services]
    kind = "Planned maintenance" if found.planned else "Incident"
    if found.status == "resolved" and found.resolved_at is not None:
        lasted = found.resolved_at - found.started_at
        took = format_duration(lasted.total_seconds())
        return f"{kind} #{found.id} resolved: {joined(hit, 3)} (lasted {took})"
    rank = "" if found.planned else f"{found.priority} "
    return f"{rank}{kind} #{found.id} open since {_at(found.started_at)}: {joined(hit, 3)}"


def incident_line(found: Incident) -> Item:
    """One line about an incident: number, services and states, root cause, who acked."""
    worst = min((st for _, st in found.services), key=_ORDER.index, default=State.UNKNOWN)
    services = ", ".join(f"{s} {st.value}" for s, st in found.services)
    planned = " (planned)" if found.planned else ""
    users = ", ".join(u for u, _ in found.acknowledged)
    acked = f"; acked by {users}" if users else ""
    return Item(
        f"#{found.id}{planned} since {_at(found.started_at)}: {services}",
        worst,
        f"root cause {', '.join(found.causes) or 'unknown'}{acked}",
    )


def entry_text(entry: TimelineEntry) -> str:
    """A timeline entry as people read it: "Opened: checkout down; root cause db"."""
    if entry.note is not None:
        return entry.note
    if entry.kind is EntryKind.OPENED:
        states = ", ".join(f"{name} {state.value}" for name, state in entry.services)
        label = "Planned work" if entry.planned else "Opened"
        return f"{label}: {states}; root cause {_names(entry.causes)}"
    if entry.kind is EntryKind.RESOLVED:
        return f"Resolved after {format_duration(entry.duration_s or 0)}"
    if entry.kind is EntryKind.ACKNOWLEDGED:
        return f"Acknowledged by {entry.user}"
    lines = [_change_text(c) for c in entry.changes]
    if entry.causes:
        lines.append(f"New root cause {_names(entry.causes)}")
    return "; ".join(lines)


def _change_text(change: StateChange) -> str:
    if change.after is State.OK:
        return f"{change.name} recovered (was {change.before.value})"
    if change.before is State.OK:
        return f"{change.name} {change.after.value}"
    return f"{change.name} {change.before.value} -> {change.after.value}"


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(sorted(names)) or "unknown"


def _at(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _json(found: Incident) -> dict[str, object]:
    return {
        "id": found.id,
        "status": found.status,
        "planned": found.planned,
        "services": {s: st.value for s, st in found.services},
        "causes": list(found.causes),
        "started_at": found.started_at.isoformat(),
        "acknowledged": [u for u, _ in found.acknowledged],
        "priority": found.priority,
    }
