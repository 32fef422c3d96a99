"""Incident decisions: from the business services hit now and the open incidents, what changes.

Pure and level-triggered: `plan` compares what is failing now with what the open incidents
say and returns the opens, updates and resolves that make them agree. Running it twice on
the same input after applying its plan returns an empty plan, so any process may run it at
any time (after a webhook, on a timer, after a crash) and the outcome converges.

Grouping: a failing business service joins the oldest open incident that already holds it
or shares one of its root causes; the rest are grouped by shared root causes into new
incidents. So concurrent failures that hit the same business services form one incident.

Flap dampening: a failure opens an incident only once it has lasted `open_after_s`; an
incident resolves only once all its services have been ok for `resolve_after_s`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from impact.model import State
from impact.results import StateChange

HIT_STATES = (State.DOWN, State.DEGRADED, State.MAINTENANCE)


@dataclass(frozen=True, slots=True)
class Dampening:
    """Seconds a failure must last before it opens, and a recovery before it resolves."""

    open_after_s: float = 0.0
    resolve_after_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Hit:
    """A business service failing now: its effective state, root causes and since when."""

    name: str
    state: State
    causes: frozenset[str]
    since: datetime


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """What the store knows of an open incident."""

    id: int
    services: Mapping[str, State]  # every service it ever held, ok once recovered
    causes: frozenset[str]
    recovered_at: datetime | None = None  # when every service was first seen ok again


@dataclass(frozen=True, slots=True)
class Opening:
    services: Mapping[str, State]
    causes: frozenset[str]
    started_at: datetime

    @property
    def planned(self) -> bool:
        return is_planned(self.services)


@dataclass(frozen=True, slots=True)
class Update:
    id: int
    services: Mapping[str, State]
    causes: frozenset[str]
    changes: tuple[StateChange, ...] = ()
    new_causes: frozenset[str] = frozenset()
    recovered_at: datetime | None = None

    @property
    def planned(self) -> bool:
        return is_planned(self.services)

    @property
    def notable(self) -> bool:
        """Worth a notice update (a change people see), not only a bookkeeping change."""
        return bool(self.changes or self.new_causes)


@dataclass(frozen=True, slots=True)
class Plan:
    opens: tuple[Opening, ...] = ()
    updates: tuple[Update, ...] = ()
    resolves: tuple[int, ...] = ()
    pending: tuple[str, ...] = field(default=())  # hit services waiting out `open_after_s`

    @property
    def empty(self) -> bool:
        return not (self.opens or self.updates or self.resolves)


def is_planned(services: Mapping[str, State]) -> bool:
    """Planned when every service still hit is hit only by maintenance."""
    hit = [s for s in services.values() if s in HIT_STATES]
    return bool(hit) and all(s is State.MAINTENANCE for s in hit)


def plan(
    hits: Iterable[Hit],
    incidents: Sequence[OpenIncident],
    now: datetime,
    dampening: Dampening = Dampening(),
) -> Plan:
    """The changes that make `incidents` agree with `hits` (see the module docstring)."""
    hits = [h for h in hits if h.state in HIT_STATES]
    joined, loose = _assign(hits, sorted(incidents, key=lambda i: i.id))
    opens, pending = _openings(loose, now, dampening)
    updates: list[Update] = []
    resolves: list[int] = []
    for incident in incidents:
        mine = joined.get(incident.id, [])
        update = _update(incident, mine, now)
        if update.recovered_at is not None and _recovered(update.recovered_at, now, dampening):
            resolves.append(incident.id)
        elif update != _unchanged(incident):
            updates.append(update)
    return Plan(tuple(opens), tuple(updates), tuple(resolves), tuple(pending))


def _assign(
    hits: Sequence[Hit], incidents: Sequence[OpenIncident]
) -> tuple[dict[int, list[Hit]], list[Hit]]:
    """Hits that join open incidents (by service or shared cause, transitively), and the rest."""
    causes = {i.id: set(i.causes) for i in incidents}
    joined: dict[int, list[Hit]] = {}
    loose = list(hits)
    moved = True
    while moved:  # a hit joining an incident brings its causes, which may pull in more hits
        moved = False
        for hit in list(loose):
            home = next(
                (i for i in incidents if hit.name in i.services or hit.causes & causes[i.id]),
                None,
            )
            if home is not None:
                joined.setdefault(home.id, []).append(hit)
                causes[home.id] |= hit.causes
                loose.remove(hit)
                moved = True
    return joined, loose


def _openings(
    loose: Sequence[Hit], now: datetime, dampening: Dampening
) -> tuple[list[Opening], list[str]]:
    opens: list[Opening] = []
    pending: list[str] = []
    for group in _groups(loose):
        started = min(h.since for h in group)
        # Skewed sender clocks put `started` in the future: without dampening, open anyway.
        if dampening.open_after_s > 0 and (now - started).total_seconds() < dampening.open_after_s:
            pending.extend(h.name for h in group)
            continue
        opens.append(
            Opening(
                services={h.name: h.state for h in group},
                causes=frozenset().union(*(h.causes for h in group)),
                started_at=started,
            )
        )
    return opens, pending


def _groups(hits: Sequence[Hit]) -> list[list[Hit]]:
    """Hits sharing a root cause (transitively) form one group; order follows the input."""
    groups: list[list[Hit]] = []
    for hit in hits:
        touching = [g for g in groups if any(hit.causes & h.causes for h in g)]
        merged = [h for g in touching for h in g] + [hit]
        groups = [g for g in groups if g not in touching] + [merged]
    return groups


def _update(incident: OpenIncident, mine: Sequence[Hit], now: datetime) -> Update:
    now_states = {h.name: h.state for h in mine}
    services = {name: now_states.get(name, State.OK) for name in incident.services}
    services.update(now_states)
    changes = tuple(
        StateChange(name, incident.services.get(name, State.OK), state)
        for name, state in services.items()
        if incident.services.get(name, State.OK) != state
    )
    causes = frozenset().union(*(h.causes for h in mine)) if mine else incident.causes
    recovering = not mine
    recovered_at = (incident.recovered_at or now) if recovering else None
    return Update(
        id=incident.id,
        services=services,
        causes=causes,
        changes=changes,
        new_causes=causes - incident.causes,
        recovered_at=recovered_at,
    )


def _unchanged(incident: OpenIncident) -> Update:
    return Update(
        id=incident.id,
        services=dict(incident.services),
        causes=incident.causes,
        recovered_at=incident.recovered_at,
    )


def _recovered(since: datetime, now: datetime, dampening: Dampening) -> bool:
    return (now - since).total_seconds() >= dampening.resolve_after_s
