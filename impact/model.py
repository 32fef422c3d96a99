"""Domain objects of a service map: components, dependencies, redundancy groups, events.

These are plain frozen values shared by every layer. The store returns them, the impact
engine compiles them, handlers and renderers read them. Nothing here touches a database,
a graph library or Slack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from impact.policies import Policies

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
BUSINESS_KIND = "business_service"


class State(StrEnum):
    """The state of a component or business service, best first."""

    OK = "ok"
    UNKNOWN = "unknown"
    MAINTENANCE = "maintenance"
    DEGRADED = "degraded"
    DOWN = "down"

    @property
    def severity(self) -> int:
        """Ordering for "worst first" lists: down > degraded > maintenance > unknown > ok."""
        return _SEVERITY[self]

    @property
    def is_failing(self) -> bool:
        return self in (State.DOWN, State.DEGRADED)


_SEVERITY = {
    State.OK: 0,
    State.UNKNOWN: 1,
    State.MAINTENANCE: 2,
    State.DEGRADED: 3,
    State.DOWN: 4,
}


class DependencyKind(StrEnum):
    HARD = "hard"  # its failure takes the dependant down
    SOFT = "soft"  # its failure degrades the dependant, never takes it down


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """An HTTP health check declared in the map for one component."""

    url: str
    expect_status: int = 200
    timeout_s: float = 5.0
    interval_s: float = 30.0
    failures_before_down: int = 3


@dataclass(frozen=True, slots=True)
class Component:
    """A node of the service map. Business services are components of kind `business_service`."""

    name: str
    kind: str = "service"
    title: str | None = None
    owner: str | None = None
    channel: str | None = None
    tier: int | None = None
    revenue_per_hour: float | None = None
    service_hours: str | None = None
    sla: float | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    runbook_url: str | None = None
    check: HealthCheck | None = None
    description: str | None = None
    status_page: str | None = None  # a vendor's public status page (http or https URL)

    @property
    def is_business(self) -> bool:
        return self.kind == BUSINESS_KIND

    @property
    def display(self) -> str:
        """The name people read: the title when there is one."""
        return self.title or self.name

    @property
    def key(self) -> str:
        return name_key(self.name)


@dataclass(frozen=True, slots=True)
class Dependency:
    """`source` depends on `target`."""

    source: str
    target: str
    kind: DependencyKind = DependencyKind.HARD


@dataclass(frozen=True, slots=True)
class RedundancyGroup:
    """`dependant` needs at least `min_up` (or `min_percent` %) of `members` up.

    Exactly one of `min_up` and `min_percent` is set.
    """

    name: str
    dependant: str
    members: tuple[str, ...]
    min_up: int | None = None
    min_percent: float | None = None

    @property
    def required(self) -> int:
        """How many members must be up for the group to be up (percent rounds up)."""
        if self.min_up is not None:
            return self.min_up
        assert self.min_percent is not None
        needed = -(-self.min_percent * len(self.members) // 100)
        return max(1, int(needed))

    @property
    def min_label(self) -> str:
        return f"{self.min_percent:g}%" if self.min_percent is not None else str(self.min_up)


@dataclass(slots=True)
class ServiceMap:
    """A whole service map: what the store holds and the engine compiles."""

    # name -> component: a dict, or a model's view of its compiled components (a snapshot's
    # are built when first read: `impact.snapshot.ComponentMap`)
    components: MutableMapping[str, Component] = field(default_factory=dict)
    dependencies: list[Dependency] = field(default_factory=list)
    groups: list[RedundancyGroup] = field(default_factory=list)
    # The file's `policies:` section (None: none given); the store's: `Store.policies()`.
    policies: Policies | None = None

    @classmethod
    def build(
        cls,
        components: Iterable[Component],
        dependencies: Iterable[Dependency] = (),
        groups: Iterable[RedundancyGroup] = (),
        policies: Policies | None = None,
    ) -> ServiceMap:
        return cls(
            components={c.name: c for c in components},
            dependencies=list(dependencies),
            groups=list(groups),
            policies=policies,
        )

    @property
    def business_services(self) -> list[Component]:
        return [c for c in self.components.values() if c.is_business]


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One observation of a component's state (append-only history)."""

    component: str
    state: State
    at: datetime
    source: str = "manual"
    summary: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """Planned work on a component: failures inside it are planned, not outages."""

    component: str
    start: datetime
    end: datetime
    reason: str | None = None
    created_by: str | None = None
    id: int | None = None
    announce_s: float | None = None  # pre-announced to the affected channels this long before

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


def name_key(name: str) -> str:
    """Names are unique case-insensitively: this is the comparison key."""
    return name.casefold()


def by_name_key(names: Iterable[str]) -> dict[str, str]:
    """The exact lookup of names: `name_key` -> the map's spelling (chat and alert labels)."""
    return {name_key(n): n for n in names}
