"""The replay's shortcuts against the definition, through the real engine.

`service_timelines` asks the engine only when a service's closure changes and remembers its
answers per combination of failures. Here a plain oracle asks the engine about every service
at every instant where anything happens, from states computed straight from the definition
(latest report wins, worst at a tie, failing inside maintenance is planned), on random maps
with hard and soft dependencies, redundancy groups, shared components and cycles, and random
event streams with ties, repeats and maintenance: same segments, same causes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from impact.model import (
    BUSINESS_KIND,
    Component,
    Dependency,
    DependencyKind,
    MaintenanceWindow,
    RedundancyGroup,
    ServiceMap,
    State,
    StatusEvent,
)
from impact.timeline import Segment, service_timelines

engine = pytest.importorskip("impact.engine")
T0 = datetime(2026, 11, 2, tzinfo=UTC)
STATES = [State.OK] * 4 + [State.DOWN] * 3 + [State.DEGRADED] * 2 + [State.UNKNOWN]


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def random_map(rng: random.Random) -> ServiceMap:
    """Business services over a random layered graph of components (edges point down)."""
    parts = [f"c{i:02d}" for i in range(rng.randint(6, 14))]
    services = [f"bs{i}" for i in range(rng.randint(2, 5))]
    components = [Component(s, kind=BUSINESS_KIND, sla=99.9) for s in services]
    components += [Component(p) for p in parts]
    deps: list[Dependency] = []
    groups: list[RedundancyGroup] = []
    for service in services:
        for target in rng.sample(parts[: len(parts) // 2], rng.randint(1, 3)):
            deps.append(Dependency(service, target, _kind(rng)))
    for i, part in enumerate(parts[:-1]):
        below = parts[i + 1 :]
        for target in rng.sample(below, min(len(below), rng.randint(0, 2))):
            deps.append(Dependency(part, target, _kind(rng)))
        if len(below) >= 3 and rng.random() < 0.3:
            members = tuple(rng.sample(below, 3))
            groups.append(RedundancyGroup(f"g-{part}", part, members, min_up=rng.randint(1, 2)))
    if rng.random() < 0.5:  # a cycle: the bottom depends on the top again
        deps.append(Dependency(parts[-1], parts[0], _kind(rng)))
    return ServiceMap.build(components, _distinct(deps), groups)


def _kind(rng: random.Random) -> DependencyKind:
    return DependencyKind.SOFT if rng.random() < 0.25 else DependencyKind.HARD


def _distinct(deps: list[Dependency]) -> list[Dependency]:
    seen: dict[tuple[str, str], Dependency] = {}
    for dep in deps:
        seen.setdefault((dep.source, dep.target), dep)
    return list(seen.values())


def random_history(
    rng: random.Random, service_map: ServiceMap
) -> tuple[list[StatusEvent], list[MaintenanceWindow]]:
    names = list(service_map.components)
    events = [
        StatusEvent(rng.choice(names), rng.choice(STATES), minute(rng.randint(0, 240)))
        for _ in range(rng.randint(20, 120))
    ]
    events += [StatusEvent(e.component, e.state, e.at) for e in rng.sample(events, 5)]  # repeats
    windows = []
    for _ in range(rng.randint(0, 4)):
        begin = rng.randint(0, 230)
        windows.append(
            MaintenanceWindow(rng.choice(names), minute(begin), minute(begin + rng.randint(0, 60)))
        )
    rng.shuffle(events)
    return events, windows


def oracle(
    service_map: ServiceMap,
    events: list[StatusEvent],
    windows: list[MaintenanceWindow],
    start: datetime,
    end: datetime,
) -> dict[str, list[Segment]]:
    """Every service read from the engine at every instant anything happens."""
    model = engine.ImpactModel.from_map(service_map)
    services = [c.name for c in service_map.business_services]
    first = max(start, min(e.at for e in events))
    if first >= end:
        return {s: [] for s in services}
    instants = {e.at for e in events} | {w.start for w in windows} | {w.end for w in windows}
    readings: dict[str, list[tuple[datetime, tuple[State, tuple[str, ...]]]]] = {
        s: [] for s in services
    }
    for at in [first, *sorted(i for i in instants if first < i < end)]:
        model.set_states(effective_states(service_map, events, windows, at))
        for service in services:
            state = model.state_of(service)
            causes = () if state == State.OK else model.why(service).root_causes
            readings[service].append((at, (state, tuple(c.name for c in causes))))
    return {s: _segments(readings[s], end) for s in services}


def effective_states(
    service_map: ServiceMap,
    events: list[StatusEvent],
    windows: list[MaintenanceWindow],
    at: datetime,
) -> dict[str, State]:
    states = {}
    for name in service_map.components:
        mine = [e for e in events if e.component == name and e.at <= at]
        if not mine:
            continue
        latest = max(e.at for e in mine)
        state = max((e.state for e in mine if e.at == latest), key=lambda s: s.severity)
        planned = any(w.component == name and w.covers(at) for w in windows)
        states[name] = State.MAINTENANCE if state.is_failing and planned else state
    return states


def _segments(
    readings: list[tuple[datetime, tuple[State, tuple[str, ...]]]], end: datetime
) -> list[Segment]:
    segments: list[Segment] = []
    for (at, reading), following in zip(
        readings, [*(r[0] for r in readings[1:]), end], strict=True
    ):
        if segments and (segments[-1].state, segments[-1].causes) == reading:
            segments[-1] = segments[-1]._replace(end=following)
        else:
            segments.append(Segment(at, following, *reading))
    return segments


@pytest.mark.parametrize("seed", range(25))
def test_replay_matches_asking_the_engine_at_every_instant(seed: int) -> None:
    rng = random.Random(seed)
    service_map = random_map(rng)
    events, windows = random_history(rng, service_map)
    start, end = minute(rng.randint(0, 120)), minute(rng.randint(150, 260))
    model = engine.ImpactModel.from_map(service_map)
    replayed = service_timelines(model, events, start, end, maintenance=windows)
    assert replayed == oracle(service_map, events, windows, start, end)
