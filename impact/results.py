"""Typed results of the impact queries. Values only: rendering happens in handlers/bot."""

from __future__ import annotations

from dataclasses import dataclass, field

from impact.model import State


@dataclass(frozen=True, slots=True)
class ServiceImpact:
    """One business service hit by a (real or simulated) failure."""

    name: str
    title: str | None
    state: State
    tier: int | None
    owner: str | None
    channel: str | None
    revenue_per_hour: float
    # Dependency path from a failed component up to this service, failed component first.
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupImpact:
    """A redundancy group that lost members but (still) holds, or that fell."""

    name: str
    dependant: str
    members: tuple[str, ...]
    up: int  # members still up
    required: int  # members needed
    failed_members: tuple[str, ...] = ()

    @property
    def holds(self) -> bool:
        return self.up >= self.required


@dataclass(frozen=True, slots=True)
class AffectsResult:
    failed: tuple[str, ...]
    down: tuple[ServiceImpact, ...]  # business services taken down, by business impact
    degraded: tuple[ServiceImpact, ...]
    protected: tuple[str, ...]  # business services depending on `failed` saved by redundancy
    groups: tuple[GroupImpact, ...]  # redundancy groups that lost members
    components_impacted: int  # every component (not only business) down or degraded
    revenue_at_risk: float  # revenue/h of the services down


@dataclass(frozen=True, slots=True)
class DependencyNode:
    """One node of a depends() tree. Groups appear as nodes of kind `group`."""

    name: str
    kind: str
    state: State
    relation: str = "hard"  # hard | soft | member
    group: str | None = None  # "2 of 3" style label for group nodes
    children: tuple[DependencyNode, ...] = ()
    truncated: bool = False  # depth limit cut further children


@dataclass(frozen=True, slots=True)
class DependsResult:
    subject: str
    tree: DependencyNode
    dependencies: tuple[str, ...]  # every component in the closure, all levels, sorted
    depth: int


@dataclass(frozen=True, slots=True)
class RootCause:
    name: str
    state: State
    explains: int  # how many failing nodes in the subject's closure it explains
    path: tuple[str, ...]  # root cause first, subject last
    planned: bool = False  # in maintenance
    # What it does to the subject: DOWN when it takes the subject down (alone, or with the
    # other DOWN causes, as members of a group that needs them), DEGRADED when it only
    # degrades it; None when not worked out.
    effect: State | None = None


@dataclass(frozen=True, slots=True)
class WhyResult:
    subject: str
    state: State
    root_causes: tuple[RootCause, ...]


@dataclass(frozen=True, slots=True)
class StateChange:
    """A business service whose state moved from `before` to `after` (what-if, incidents)."""

    name: str
    before: State
    after: State


@dataclass(frozen=True, slots=True)
class WhatIfResult:
    failed: tuple[str, ...]
    affects: AffectsResult  # impact of `failed` on top of the current state
    changes: tuple[StateChange, ...]  # business services whose state changes vs now


@dataclass(frozen=True, slots=True)
class SpofResult:
    subject: str
    spofs: tuple[str, ...]  # components whose failure alone takes the subject down


@dataclass(frozen=True, slots=True)
class PathResult:
    source: str
    target: str
    paths: tuple[tuple[str, ...], ...]  # shortest dependency paths source -> ... -> target


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    name: str
    title: str | None
    state: State
    tier: int | None
    owner: str | None
    revenue_per_hour: float
    causes: tuple[str, ...] = ()

    @property
    def revenue_at_risk(self) -> float:
        """Revenue per hour lost now: all of it while the service is down, else none."""
        return self.revenue_per_hour if self.state == State.DOWN else 0.0


@dataclass(frozen=True, slots=True)
class StatusResult:
    services: tuple[ServiceStatus, ...] = field(default_factory=tuple)  # worst first

    @property
    def revenue_at_risk(self) -> float:
        """Revenue per hour lost now across the business services down."""
        return sum(s.revenue_at_risk for s in self.services)
