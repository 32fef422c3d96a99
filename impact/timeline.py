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

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
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


# One thing that happens to one component at one instant, sortable as is (POSIX seconds
# first: floats sort much faster than datetimes): (seconds, component, order, maintenance
# delta, observed state, at). Same instant and component: maintenance edges (order -1) first,
# then events by severity, so the worst state reported is applied last and wins whatever
# order the events arrived in.
_Change = tuple[float, str, int, int, State | None, datetime]
_Reading = tuple[State, tuple[str, ...]]  # a service's state and root causes
_SEVERITY = {state: state.severity for state in State}


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
    changes = _changes(events, maintenance, names)
    first = known_since if known_since is not None else (changes[0][5] if changes else None)
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
) -> list[_Change]:
    changes: list[_Change] = []
    add, exact, severity = changes.append, {name: name for name in names.values()}, _SEVERITY
    for event in events:
        component = exact.get(event.component) or names.get(name_key(event.component))
        if component is not None:
            at = event.at if event.at.tzinfo is UTC else as_utc(event.at)
            add((at.timestamp(), component, severity[event.state], 0, event.state, at))
    for window in windows:
        component = names.get(name_key(window.component))
        if component is not None and window.end > window.start:
            begin, finish = as_utc(window.start), as_utc(window.end)
            add((begin.timestamp(), component, -1, 1, None, begin))
            add((finish.timestamp(), component, -1, -1, None, finish))
    changes.sort()  # the store's events come in time order already: a near-linear sort
    return changes


class _Replay:
    """Walks the sorted changes, asking the engine only what it has not answered before.

    A service's state and root causes depend only on the states of its dependency closure,
    so each service keeps the failing members of its closure and the engine's answers keyed
    by that set: a change point costs a dictionary look-up per service it touches, and the
    engine is asked only for combinations of failures a service has not been in yet, given
    only those failures (root causes cost the engine time per failing component anywhere).
    """

    def __init__(self, model: StateModel, services: list[str]) -> None:
        self.model = model
        self.services = services
        self.observed: dict[str, State] = {}
        self.in_maintenance: dict[str, int] = {}
        self.effective: dict[str, State] = {}  # non-OK effective states, what the engine gets
        self.current: dict[str, _Reading] = {}
        self.since: dict[str, datetime] = {}
        self.segments: dict[str, list[Segment]] = {service: [] for service in services}
        self.dependents = _dependents(model, services)
        self.failing: dict[str, dict[str, State]] = {service: {} for service in services}
        self.answers: dict[str, dict[frozenset[tuple[str, State]], _Reading]] = {
            service: {} for service in services
        }
        self.engine_has_all = False  # the engine holds every effective state (at the start)

    def run(self, changes: list[_Change], start: datetime, end: datetime) -> None:
        last = end.timestamp()
        index = bisect.bisect_right(changes, start.timestamp(), key=lambda change: change[0])
        self._settle(changes[:index])
        self._spread(set(self.effective))
        self.model.set_states(dict(self.effective))
        self.engine_has_all = True
        for service in self.services:
            self.current[service] = self._reading(service)
            self.since[service] = start
        while index < len(changes) and changes[index][0] < last:
            seconds, at, changed = changes[index][0], changes[index][5], set()
            while index < len(changes) and changes[index][0] == seconds:
                if self._apply(changes[index]):
                    changed.add(changes[index][1])
                index += 1
            if changed:
                self._step(at, self._spread(changed))
        for service in self.services:
            self._close(service, end)

    def _spread(self, changed: set[str]) -> set[str]:
        """Copy the effective states of `changed` into the services whose closure holds them;
        returns those services."""
        touched: set[str] = set()
        for name in changed:
            services = self.dependents.get(name)
            if not services:
                continue
            touched.update(services)
            self.engine_has_all = False
            state = self.effective.get(name)
            for service in services:
                if state is None:
                    self.failing[service].pop(name, None)
                else:
                    self.failing[service][name] = state
        return touched

    def _step(self, at: datetime, touched: set[str]) -> None:
        for service in touched:
            now = self._reading(service)
            if now != self.current[service]:
                self._close(service, at)
                self.current[service], self.since[service] = now, at

    def _settle(self, changes: list[_Change]) -> None:
        """Apply the changes up to the start at once: only where they leave each component
        matters, and in time order the last observed state wins (the worst at a tie)."""
        for _, name, _, delta, state, _ in changes:
            if state is not None:
                self.observed[name] = state
            elif delta:
                self.in_maintenance[name] = self.in_maintenance.get(name, 0) + delta
        for name, state in self.observed.items():
            if state.is_failing and self.in_maintenance.get(name, 0) > 0:
                self.effective[name] = State.MAINTENANCE
            elif state is not State.OK:
                self.effective[name] = state

    def _apply(self, change: _Change) -> bool:
        """Record one change; True when the component's effective state changed."""
        _, name, _, delta, state, _ = change
        before = self.effective.get(name, State.OK)
        if state is not None:
            self.observed[name] = state
        if delta:
            self.in_maintenance[name] = self.in_maintenance.get(name, 0) + delta
        after = self.observed.get(name, State.OK)
        if after.is_failing and self.in_maintenance.get(name, 0) > 0:
            after = State.MAINTENANCE
        if after is State.OK:
            self.effective.pop(name, None)
        else:
            self.effective[name] = after
        return after is not before

    def _reading(self, service: str) -> _Reading:
        """The service's state and root causes now: remembered, or asked once."""
        answers = self.answers[service]
        key = frozenset(self.failing[service].items())
        found = answers.get(key)
        if found is None:
            if not self.engine_has_all:
                self.model.set_states(dict(self.failing[service]))
            found = answers[key] = self._ask(service)
        return found

    def _ask(self, service: str) -> _Reading:
        state = self.model.state_of(service)
        if state == State.OK:
            return state, ()
        return state, tuple(cause.name for cause in self.model.why(service).root_causes)

    def _close(self, service: str, at: datetime) -> None:
        if at > self.since[service]:
            state, causes = self.current[service]
            self.segments[service].append(Segment(self.since[service], at, state, causes))


def _dependents(model: StateModel, services: list[str]) -> dict[str, list[str]]:
    """Component -> the wanted business services whose state it can change (its closure)."""
    dependents: dict[str, list[str]] = {}
    for service in services:
        for name in {service, *model.depends(service, 0).dependencies}:
            dependents.setdefault(name, []).append(service)
    return dependents
