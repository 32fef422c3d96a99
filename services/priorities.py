"""What to fix first, and where the risk is: rankings by business value over the one model.

    fixes = fix_priorities(compiled.model, store.current_states())   # failing now, best fix first
    risks = risk_register(compiled.model, store.events(since=..., until=...))

Both ask the compiled engine (`impact.engine.ImpactModel`) on a fork, never a second
compiler. A fix is valued by what repairing that one component brings back given everything
else still failing: the business services whose state improves, their revenue per hour and
their best tier. Redundancy is respected: repairing one member of a group that stays under
its minimum restores nothing, and the fix says which group still holds it down.

A risk is a component whose failure alone takes business services down on a healthy map;
its exposure is the revenue per hour it takes down times how often it failed in the history
(at least once counted, so a never-failed single point of failure still ranks by revenue).
Single points of failure of a tier-1 service come first; each risk names the redundancy
that would remove it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from impact.engine import ImpactModel
from impact.model import ServiceMap, State, StatusEvent, name_key


@dataclass(frozen=True, slots=True)
class StillShort:
    """A redundancy group the component belongs to that stays under its minimum."""

    group: str
    dependant: str
    up: int  # members up once this component is fixed
    required: int


@dataclass(frozen=True, slots=True)
class Fix:
    """Repairing one failing component, and what it brings back."""

    component: str
    state: State
    restores: tuple[str, ...]  # business services whose state improves, best tier first
    revenue_per_hour: float  # of the services brought back up from down
    best_tier: int | None
    still_short: tuple[StillShort, ...] = ()  # why it restores nothing (groups still short)
    blocked_by: tuple[str, ...] = ()  # other failing components that keep its services down

    @property
    def restores_anything(self) -> bool:
        return bool(self.restores)


@dataclass(frozen=True, slots=True)
class Risk:
    """A component whose failure alone takes business services down."""

    component: str
    takes_down: tuple[str, ...]  # business services, best tier first
    revenue_per_hour: float
    best_tier: int | None
    failures: int  # times it went down in the history read
    exposure: float  # revenue_per_hour x max(failures, 1)
    tier1_spof: bool
    remedy: str  # the component to make redundant (a second one, behind a group)

    @property
    def protects(self) -> float:
        """Revenue per hour a redundant twin would protect."""
        return self.revenue_per_hour


def fix_priorities(model: ImpactModel, states: Mapping[str, State]) -> list[Fix]:
    """Every failing component (not in maintenance) ranked by the value fixing it restores."""
    fork = model.fork()
    known = {name_key(n): n for n in fork.names()}
    current = {known[name_key(n)]: s for n, s in states.items() if name_key(n) in known}
    failing = sorted(n for n, s in current.items() if s.is_failing and s != State.MAINTENANCE)
    fork.set_states(current)
    before = {s.name: s for s in fork.status().services}
    fixes = []
    for name in failing:
        fork.set_states({n: s for n, s in current.items() if n != name})
        after = {s.name: s for s in fork.status().services}
        better = [
            before[n] for n, s in after.items() if s.state.severity < before[n].state.severity
        ]
        better.sort(key=lambda s: (_tier(s.tier), -s.revenue_per_hour, s.name))
        revenue = sum(s.revenue_per_hour for s in better if s.state == State.DOWN)
        short = () if better else _still_short(fork.service_map, name, current)
        blocked = () if better else _blockers(fork, name, failing)
        fixes.append(
            Fix(
                name,
                current[name],
                tuple(s.name for s in better),
                revenue,
                min((s.tier for s in better if s.tier is not None), default=None),
                short,
                blocked,
            )
        )
    fixes.sort(key=_fix_key)
    return fixes


def _fix_key(fix: Fix) -> tuple[float, int, int, str]:
    return (-fix.revenue_per_hour, _tier(fix.best_tier), -len(fix.restores), fix.component)


def _tier(tier: int | None) -> int:
    return tier if tier is not None else 99


def _still_short(
    service_map: ServiceMap, name: str, states: Mapping[str, State]
) -> tuple[StillShort, ...]:
    """Groups holding `name` that stay under their minimum with `name` fixed."""
    key = name_key(name)
    down = {name_key(n) for n, s in states.items() if s.is_failing and name_key(n) != key}
    found = []
    for group in service_map.groups:
        members = [name_key(m) for m in group.members]
        if key not in members:
            continue
        up = sum(1 for m in members if m not in down)
        if up < group.required:
            found.append(StillShort(group.name, group.dependant, up, group.required))
    return tuple(found)


def _blockers(fork: ImpactModel, name: str, failing: list[str]) -> tuple[str, ...]:
    """Other failing components that keep down what `name` alone would take down."""
    alone = {s.name for s in fork.affects([name]).down}
    if not alone:
        return ()
    others = [n for n in failing if n != name]
    return tuple(n for n in others if alone & {s.name for s in fork.affects([n]).down})


def failure_counts(events: Iterable[StatusEvent]) -> dict[str, int]:
    """Times each component went DOWN (from any other state), by name key."""
    last: dict[str, State] = {}
    counts: dict[str, int] = {}
    for event in sorted(events, key=lambda e: e.at):
        key = name_key(event.component)
        if event.state == State.DOWN and last.get(key) != State.DOWN:
            counts[key] = counts.get(key, 0) + 1
        last[key] = event.state
    return counts


def risk_register(model: ImpactModel, events: Iterable[StatusEvent], top: int = 20) -> list[Risk]:
    """Components whose failure alone takes business services down, riskiest first."""
    fork = model.fork()
    fork.set_states({})
    counts = failure_counts(events)
    risks = []
    for component in fork.service_map.components.values():
        if component.is_business:
            continue
        down = sorted(
            fork.affects([component.name]).down,
            key=lambda s: (_tier(s.tier), -s.revenue_per_hour, s.name),
        )
        down = [s for s in down if s.name != component.name]
        if not down:
            continue
        revenue = sum(s.revenue_per_hour for s in down)
        failures = counts.get(component.key, 0)
        risks.append(
            Risk(
                component.name,
                tuple(s.name for s in down),
                revenue,
                min((s.tier for s in down if s.tier is not None), default=None),
                failures,
                revenue * max(failures, 1),
                any(s.tier == 1 for s in down),
                component.name,
            )
        )
    risks.sort(key=lambda r: (not r.tier1_spof, -r.exposure, -r.revenue_per_hour, r.component))
    return risks[:top]
