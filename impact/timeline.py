"""State timelines of business services, replayed from component status events.

A business service is down exactly when the impact engine says so: the events are replayed in
time order through the engine, and each service's propagated state and root causes are read at
every instant where one of its components changes state. The result is a list of contiguous
segments per service, the input of the SLA math (`impact.sla`).

Time before the state of the map is known is left out (no segment): it is "no data", never "up".
The state is known from `known_since` (e.g. when the map was imported: components without any
event are then OK) or, without it, from the first event.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from impact.errors import UnknownComponent, close_names
from impact.model import Component, MaintenanceWindow, State, StatusEvent, name_key
from impact.results import DependsResult, WhyResult
from impact.service_hours import as_utc


class Segment(NamedTuple):
    """A business service held `state` over [start, end) because of `causes` (root causes)."""

    start: datetime
    end: datetime
    state: State
    causes: tuple[str, ...] = ()


class StateModel(Protocol):
    """What the replay needs from the impact engine (`impact.engine.ImpactModel`)."""

    def set_states(self, states: dict[str, State]) -> object: ...
    def state_of(self, name: str) -> State: ...
    def why(self, name: str) -> WhyResult: ...
    def names(self) -> list[str]: ...
    def component(self, name: str) -> Component: ...
    def depends(self, name: str, depth: int = ...) -> DependsResult: ...


@dataclass(frozen=True, slots=True)
class _Change:
    """Something that happens to one component at one instant: an event or a window edge."""

    at: datetime
    component: str
    state: State | None = None  # an observed state (event)
    maintenance: int = 0  # +1 a maintenance window opens, -1 one closes


def service_timelines(
    model: StateModel,
    events: Iterable[StatusEvent],
    start: datetime,
    end: datetime,
    services: Sequence[str] | None = None,
    *,
    known_since: datetime | None = None,
    maintenance: Iterable[MaintenanceWindow] = (),
) -> dict[str, list[Segment]]:
    """Each business service's state segments over [start, end), keyed by its map name.

    Events may come in any order; at one instant the worst state reported for a component
    wins. Events before `start` set the state at `start`. A failing component inside one of
    its `maintenance` windows counts as MAINTENANCE (planned). Events for names not in the
    map are ignored. The model's states are overwritten: pass a model you own.
    """
    start, end = as_utc(start), as_utc(end)
    names = {name_key(name): name for name in model.names()}
    wanted = _services(model, names, services)
    changes = sorted(_changes(events, maintenance, names), key=_order)
    first = known_since if known_since is not None else (changes[0].at if changes else None)
    if first is None or max(start, as_utc(first)) >= end:
        return {service: [] for service in wanted}
    replay = _Replay(model, wanted)
    replay.run(changes, max(start, as_utc(first)), end)
    return replay.segments


def _services(
    model: StateModel, names: Mapping[str, str], services: Sequence[str] | None
) -> list[str]:
    if services is None:
        return [name for name in names.values() if model.component(name).is_business]
    resolved = []
    for service in services:
        if name_key(service) not in names:
            raise UnknownComponent(service, close_names(service, names.values()))
        resolved.append(names[name_key(service)])
    return resolved


def _changes(
    events: Iterable[StatusEvent], windows: Iterable[MaintenanceWindow], names: Mapping[str, str]
) -> Iterator[_Change]:
    for event in events:
        component = names.get(name_key(event.component))
        if component is not None:
            yield _Change(as_utc(event.at), component, state=event.state)
    for window in windows:
        component = names.get(name_key(window.component))
        if component is not None and window.end > window.start:
            yield _Change(as_utc(window.start), component, maintenance=1)
            yield _Change(as_utc(window.end), component, maintenance=-1)


def _order(change: _Change) -> tuple[datetime, str, int]:
    # Same instant, same component: the worst state is applied last, so it wins whatever
    # order the events arrived in.
    severity = change.state.severity if change.state is not None else -1
    return (change.at, change.component, severity)


class _Replay:
    """Walks the sorted changes, asking the engine only when a component's state changes."""

    def __init__(self, model: StateModel, services: list[str]) -> None:
        self.model = model
        self.services = services
        self.observed: dict[str, State] = {}
        self.in_maintenance: dict[str, int] = {}
        self.effective: dict[str, State] = {}  # non-OK effective states, what the engine gets
        self.current: dict[str, tuple[State, tuple[str, ...]]] = {}
        self.since: dict[str, datetime] = {}
        self.segments: dict[str, list[Segment]] = {service: [] for service in services}
        self.dependents = _dependents(model, services)

    def run(self, changes: list[_Change], start: datetime, end: datetime) -> None:
        index = 0
        while index < len(changes) and changes[index].at <= start:
            self._apply(changes[index])
            index += 1
        self.model.set_states(dict(self.effective))
        for service in self.services:
            self.current[service] = self._read(service)
            self.since[service] = start
        batches = itertools.groupby(changes[index:], key=lambda change: change.at)
        for at, batch in batches:
            if at >= end:
                break
            self._step(at, list(batch))
        for service in self.services:
            self._close(service, end)

    def _step(self, at: datetime, batch: list[_Change]) -> None:
        changed = {change.component for change in batch if self._apply(change)}
        touched: set[str] = set().union(*(self.dependents.get(name, ()) for name in changed))
        if not touched:  # nothing any wanted service depends on: no need to ask the engine
            return
        self.model.set_states(dict(self.effective))
        for service in sorted(touched):
            now = self._read(service)
            if now != self.current[service]:
                self._close(service, at)
                self.current[service], self.since[service] = now, at

    def _apply(self, change: _Change) -> bool:
        """Record one change; True when the component's effective state changed."""
        name = change.component
        before = self.effective.get(name, State.OK)
        if change.state is not None:
            self.observed[name] = change.state
        self.in_maintenance[name] = self.in_maintenance.get(name, 0) + change.maintenance
        after = self.observed.get(name, State.OK)
        if after.is_failing and self.in_maintenance[name] > 0:
            after = State.MAINTENANCE
        if after == State.OK:
            self.effective.pop(name, None)
        else:
            self.effective[name] = after
        return after != before

    def _read(self, service: str) -> tuple[State, tuple[str, ...]]:
        state = self.model.state_of(service)
        if state == State.OK:
            return state, ()
        return state, tuple(cause.name for cause in self.model.why(service).root_causes)

    def _close(self, service: str, at: datetime) -> None:
        if at > self.since[service]:
            state, causes = self.current[service]
            self.segments[service].append(Segment(self.since[service], at, state, causes))


def _dependents(model: StateModel, services: list[str]) -> dict[str, set[str]]:
    """Component -> the wanted business services whose state it can change."""
    dependents: dict[str, set[str]] = {}
    for service in services:
        for name in (service, *model.depends(service, 1).dependencies):
            dependents.setdefault(name, set()).add(service)
    return dependents
