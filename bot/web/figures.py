"""What the dashboard shows, as values: the same answers the chat gives, read for a page.

    board = Board(models, desk, digests)
    board.overview()            # every business service with state, SLA and incident
    board.service("payments")   # graph neighbourhood, daily availability, incidents
    board.component("db-01")    # what it affects now and alone, its dependencies, events
    board.whatif(["db-01"])     # the difference against now

States come from the process's one compiled model (`services.model.ModelService`,
`impact` status/why/affects/what-if); SLA figures from `services.digests` (`measure` and
`impact.sla`, the chat's `sla` answer and the Home tab's SLA panel); incidents from
`services.incidents.Incidents`. Nothing here computes a figure of its own. The SLA of
every service this month replays the month's events, so it is kept for `sla_ttl` seconds.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from impact.errors import UnknownComponent
from impact.model import Component, MaintenanceWindow, State, StatusEvent
from impact.results import AffectsResult, DependencyNode, RootCause, ServiceStatus, WhatIfResult
from impact.sla import SlaReport
from impact.windows import Window, parse_window
from services.digests import DigestService
from services.incidents import Incidents
from services.model import Compiled, ModelService
from store import Incident

log = logging.getLogger(__name__)

PERIOD = "this month"  # the SLA period of the tiles, as the Home tab shows it
GRAPH_DEPTH = 3
GRAPH_NODES = 40  # a readable neighbourhood, whatever the size of the map
EVENTS_SHOWN = 20
DAYS = 90  # daily availability bars of a service page


@dataclass(frozen=True, slots=True)
class Tile:
    """One business service on the overview."""

    status: ServiceStatus
    channel: str | None
    sla: SlaReport | None
    incident: int | None  # the open incident it is part of, if any

    @property
    def name(self) -> str:
        return self.status.name

    @property
    def title(self) -> str:
        return self.status.title or self.status.name

    @property
    def budget_left(self) -> float | None:
        """Share of the period's error budget left, 0..1 (None without data)."""
        report = self.sla
        if report is None or report.availability is None or report.error_budget_s <= 0:
            return None
        return max(0.0, min(1.0, report.error_budget_left_s / report.error_budget_s))

    def sort_key(self) -> tuple[int, int, float, str]:
        """Worst first, then the most important (tier, then revenue)."""
        s = self.status
        return (
            -s.state.severity,
            s.tier if s.tier is not None else 99,
            -s.revenue_per_hour,
            s.name,
        )


@dataclass(frozen=True, slots=True)
class Filters:
    tier: int | None = None
    owner: str | None = None
    state: State | None = None

    @classmethod
    def read(cls, query: Any) -> Filters:
        """From query parameters; a value that does not parse is ignored, never a 500."""
        tier_text = (query.get("tier") or "").strip()
        state_text = (query.get("state") or "").strip().lower()
        return cls(
            tier=int(tier_text) if tier_text.isdigit() else None,
            owner=(query.get("owner") or "").strip() or None,
            state=State(state_text) if state_text in set(State) else None,
        )

    def keep(self, tile: Tile) -> bool:
        s = tile.status
        return (
            (self.tier is None or s.tier == self.tier)
            and (self.owner is None or s.owner == self.owner)
            and (self.state is None or s.state == self.state)
        )


@dataclass(frozen=True, slots=True)
class Overview:
    tiles: tuple[Tile, ...]  # every business service, worst and most important first
    open_incidents: tuple[Incident, ...]
    window: Window
    version: int  # the map version the states belong to

    @property
    def state(self) -> State:
        """The worst state of any business service."""
        return max((t.status.state for t in self.tiles), key=lambda s: s.severity, default=State.OK)

    @property
    def revenue_at_risk(self) -> float:
        return sum(t.status.revenue_at_risk for t in self.tiles)

    def counts(self) -> dict[State, int]:
        found = {state: 0 for state in State}
        for tile in self.tiles:
            found[tile.status.state] += 1
        return found

    def tiers(self) -> list[int]:
        return sorted({t.status.tier for t in self.tiles if t.status.tier is not None})

    def owners(self) -> list[str]:
        return sorted({t.status.owner for t in self.tiles if t.status.owner})


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    kind: str
    state: State
    depth: int
    link: bool  # a component with a page (groups have none)
    label: str | None = None  # "2 of 3" for groups


@dataclass(frozen=True, slots=True)
class Graph:
    """A bounded neighbourhood of a subject: its dependencies, `GRAPH_DEPTH` levels deep."""

    subject: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str, str], ...]  # (dependant, dependency, relation)
    cause_edges: frozenset[tuple[str, str]]  # on a root-cause path
    truncated: bool


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    availability: float | None
    target: float

    @property
    def verdict(self) -> str:
        if self.availability is None:
            return "no data"
        return "met" if self.availability >= self.target else "missed"


@dataclass(frozen=True, slots=True)
class ServicePage:
    component: Component
    tile: Tile
    graph: Graph
    causes: tuple[RootCause, ...]
    days: tuple[Day, ...]  # the last 90 days, oldest first
    incidents: tuple[Incident, ...]
    maintenance: tuple[MaintenanceWindow, ...]
    contacts: tuple[Component, ...]  # the service and its neighbourhood, with owner or runbook


@dataclass(frozen=True, slots=True)
class ComponentPage:
    component: Component
    state: State
    now: tuple[ServiceStatus, ...]  # business services it is a root cause of now
    alone: AffectsResult  # what its failure alone would do
    depends: DependencyNode
    events: tuple[StatusEvent, ...]  # newest first
    maintenance: tuple[MaintenanceWindow, ...]


@dataclass(frozen=True, slots=True)
class WhatIf:
    names: tuple[str, ...]
    result: WhatIfResult
    revenue_now: float


@dataclass
class SlaCache:
    """Every business service's SLA this period, measured at most once per `ttl` seconds.

    Measuring replays the period's events over the whole map (about a second on 100k
    components), so once the figures are older than `ttl` they are still answered while
    one background thread measures them again; only the first measure of a map version
    is waited for.
    """

    digests: DigestService
    ttl: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _held: tuple[float, int, dict[str, SlaReport], Window] | None = field(default=None)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _measuring: threading.Thread | None = field(default=None)

    def reports(self, compiled: Compiled, now: datetime) -> tuple[dict[str, SlaReport], Window]:
        with self._lock:
            held = self._held
            if held is None or held[1] != compiled.version:
                held = self._held = self._measure(compiled, now)
            elif self.clock() - held[0] >= self.ttl and not self._busy():
                self._measuring = threading.Thread(
                    target=self._again, args=(compiled, now), name="dashboard-sla", daemon=True
                )
                self._measuring.start()
            return held[2], held[3]

    def _busy(self) -> bool:
        return self._measuring is not None and self._measuring.is_alive()

    def _again(self, compiled: Compiled, now: datetime) -> None:
        try:
            fresh = self._measure(compiled, now)
        except Exception:  # the database is away: the figures held stay, tried again later
            log.exception("dashboard SLA measure failed")
            return
        with self._lock:
            if self._held is None or self._held[1] == compiled.version:
                self._held = fresh

    def _measure(
        self, compiled: Compiled, now: datetime
    ) -> tuple[float, int, dict[str, SlaReport], Window]:
        window = parse_window(PERIOD, now)
        services = compiled.service_map.business_services
        measured = self.digests.measure(services, window.start, now)
        found = {s.name: measured.report(s, window, now) for s in services}
        return (self.clock(), compiled.version, found, window)


class Board:
    """The dashboard's read side over the process's model, incident desk and digests."""

    def __init__(
        self,
        models: ModelService,
        desk: Incidents,
        digests: DigestService,
        *,
        sla_ttl: float = 60.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.models, self.desk, self.digests = models, desk, digests
        self.sla = SlaCache(digests, sla_ttl)
        self.clock = clock or (lambda: datetime.now(UTC))

    # -- pages -----------------------------------------------------------------------------
    def overview(self) -> Overview:
        compiled = self.models.current()
        now = self.clock()
        reports, window = self.sla.reports(compiled, now)
        open_incidents = tuple(self.desk.incidents(open_only=True, limit=200))
        incident_of: dict[str, int] = {}
        for incident in reversed(open_incidents):  # the newest wins
            for name, _ in incident.services:
                incident_of[name] = incident.id
        components = compiled.service_map.components
        tiles = [
            Tile(
                status=s,
                channel=components[s.name].channel if s.name in components else None,
                sla=reports.get(s.name),
                incident=incident_of.get(s.name),
            )
            for s in compiled.model.status().services
        ]
        tiles.sort(key=Tile.sort_key)
        return Overview(tuple(tiles), open_incidents, window, compiled.version)

    def public(self) -> list[tuple[str, State]]:
        """Business services (titles) and states only: what a public status page may show."""
        services = self.models.current().model.status().services
        return [(s.title or s.name, s.state) for s in services]

    def service(self, name: str) -> ServicePage:
        compiled = self.models.current()
        model = compiled.model
        component = model.component(name)  # UnknownComponent: the caller answers 404
        if not component.is_business:
            raise NotABusinessService(component.name)
        now = self.clock()
        status = next(s for s in model.status().services if s.name == component.name)
        reports, _ = self.sla.reports(compiled, now)
        causes = model.why(component.name).root_causes
        depends = model.depends(component.name, GRAPH_DEPTH)  # its full closure too
        graph = neighbourhood(depends.tree, causes)
        days = self._days(component, now, (component.name, *depends.dependencies))
        incidents = tuple(
            i
            for i in self.desk.incidents(open_only=False, limit=200)
            if any(s == component.name for s, _ in i.services)
        )
        incident = next((i.id for i in incidents if i.status != "resolved"), None)
        tile = Tile(status, component.channel, reports.get(component.name), incident)
        near = {n.name for n in graph.nodes if n.link}
        windows = tuple(w for w in self._windows() if w.component in near and w.end > now)
        contacts = tuple(c for n in graph.nodes if n.link and (c := model.component(n.name)).owner)
        return ServicePage(
            component, tile, graph, causes, days, incidents[:50], windows, contacts[:GRAPH_NODES]
        )

    def component(self, name: str) -> ComponentPage:
        compiled = self.models.current()
        model = compiled.model
        component = model.component(name)
        now = self.clock()
        hit_now = tuple(s for s in model.status().services if component.name in s.causes)
        events = self._events(component.name, now)
        windows = tuple(w for w in self._windows() if w.component == component.name)
        return ComponentPage(
            component,
            model.state_of(component.name),
            hit_now,
            model.affects([component.name]),
            model.depends(component.name, 1).tree,
            events,
            windows,
        )

    def incidents(self, limit: int = 50) -> tuple[tuple[Incident, ...], tuple[Incident, ...]]:
        """(open by priority (the map's rules) then newest first, recently resolved)."""
        found = self.desk.incidents(open_only=False, limit=limit)
        return (
            tuple(sorted((i for i in found if i.status != "resolved"), key=lambda i: i.priority)),
            tuple(i for i in found if i.status == "resolved"),
        )

    def whatif(self, names: Sequence[str]) -> WhatIf:
        model = self.models.current().model
        resolved = tuple(dict.fromkeys(model.component(n).name for n in names))
        return WhatIf(resolved, model.whatif(list(resolved)), model.status().revenue_at_risk)

    def names(self) -> list[str]:
        return self.models.current().model.names()

    # -- parts -----------------------------------------------------------------------------
    def _days(self, service: Component, now: datetime, within: Sequence[str]) -> tuple[Day, ...]:
        window = Window(now - timedelta(days=DAYS), now, f"last {DAYS} days")
        measured = self.digests.measure([service], window.start, now, within=within)
        report = measured.report(service, window, now)
        days = measured.days(service, window, now)[-DAYS:]  # the window starts mid-day
        return tuple(Day(d, a, report.target) for d, a in days)

    def _windows(self) -> list[MaintenanceWindow]:
        read = getattr(self.desk.store, "maintenance_windows", None)
        return list(read()) if read is not None else []

    def _events(self, name: str, now: datetime) -> tuple[StatusEvent, ...]:
        since = now - timedelta(days=30)
        found = self.desk.store.events(
            since=since, until=now + timedelta(seconds=1), components=[name]
        )
        return tuple(reversed(found[-EVENTS_SHOWN:]))


class NotABusinessService(UnknownComponent):
    """A component asked for as a business service: the page to show is its component page."""


def neighbourhood(tree: DependencyNode, causes: Iterable[RootCause]) -> Graph:
    """The first `GRAPH_NODES` nodes of a dependency tree, breadth first, with its edges and
    the edges on a root-cause path (a path runs from the root cause up to the subject)."""
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str], str] = {}
    queue: list[DependencyNode] = [tree]
    depth_of = {tree.name: 0}
    truncated = False
    while queue:
        current = queue.pop(0)
        depth = depth_of[current.name]
        if current.name not in nodes:
            if len(nodes) >= GRAPH_NODES:
                truncated = True
                continue
            nodes[current.name] = Node(
                current.name,
                current.kind,
                current.state,
                depth,
                link=current.kind != "group",
                label=current.group,
            )
        truncated = truncated or current.truncated
        for child in current.children:
            if child.name not in depth_of:
                depth_of[child.name] = depth + 1
                queue.append(child)
            edges.setdefault((current.name, child.name), child.relation)
    kept = {k: v for k, v in edges.items() if k[0] in nodes and k[1] in nodes}
    on_path = set()
    for cause in causes:
        hops = list(reversed(cause.path))  # subject first
        on_path |= set(itertools.pairwise(hops))
    # A path through a group goes service -> group -> member: mark the group's hops too.
    cause_edges = frozenset(
        (a, b) for (a, b) in kept if (a, b) in on_path or _through_group(a, b, nodes, on_path, kept)
    )
    return Graph(
        tree.name,
        tuple(nodes.values()),
        tuple((a, b, r) for (a, b), r in kept.items()),
        cause_edges,
        truncated,
    )


def _through_group(
    a: str,
    b: str,
    nodes: dict[str, Node],
    on_path: set[tuple[str, str]],
    edges: dict[tuple[str, str], str],
) -> bool:
    if nodes[b].kind == "group":
        return any((a, m) in on_path for (g, m) in edges if g == b)
    if nodes[a].kind == "group":
        return any((d, b) in on_path for (d, g) in edges if g == a)
    return False
