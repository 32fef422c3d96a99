"""What is true right now, for answers during an outage: redundancy groups at their
minimum, since when a component fails, the open incident about it, who to call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.request import Request
from impact.durations import format_duration
from impact.model import Component
from impact.results import GroupImpact


def groups_at_minimum(req: Request) -> list[GroupImpact]:
    """Redundancy groups that lost members and have exactly what they need left."""
    if not req.model.observed():
        return []
    groups = req.model.whatif([]).affects.groups
    return [g for g in groups if g.failed_members and g.up == g.required]


def at_minimum_warning(group: GroupImpact) -> str:
    return (
        f"{group.name} is at its minimum ({group.up} of {len(group.members)} up, needs "
        f"{group.required}): one more failure takes {group.dependant} down"
    )


def failing_since(
    req: Request, name: str, now: datetime | None = None
) -> tuple[datetime, str] | None:
    """When `name` entered its current failing state, and for how long (from the store)."""
    reader = getattr(req.store, "events", None)
    if reader is None:
        return None
    state = req.model.observed().get(name)
    events: list[Any] = reader(components=[name])
    start = None
    for event in reversed(events):
        if event.state != state:
            break
        start = event.at
    if start is None:
        return None
    now = now or datetime.now(UTC)
    return start, format_duration(max(0.0, (now - start).total_seconds()))


def open_incident(req: Request, names: list[str]) -> Any | None:
    """The open incident that lists any of `names` as a service or a cause."""
    if req.incidents is None:
        return None
    wanted = set(names)
    for incident in req.incidents.incidents(open_only=True, limit=50):
        hit = {n for n, _ in incident.services} | set(incident.causes)
        if hit & wanted:
            return incident
    return None


def reach(component: Component, above: Component | None = None) -> str | None:
    """Owner, channel, runbook and vendor status page of a component, as one detail line;
    what it lacks of channel and runbook is taken from `above` (its team's component on the
    path up, e.g. a node's cluster), naming it."""
    parts = [component.owner, component.channel]
    if component.runbook_url:
        parts.append(f"runbook {component.runbook_url}")
    if component.status_page:
        parts.append(f"status page {component.status_page}")
    if above is not None:
        channel = above.channel if not component.channel else None
        runbook = above.runbook_url if not component.runbook_url else None
        borrowed = [p for p in (channel, f"runbook {runbook}" if runbook else None) if p]
        if borrowed:
            parts.append(f"via {above.name}: {' · '.join(borrowed)}")
    text = " · ".join(p for p in parts if p)
    return text or None
