"""Change-risk preview: what planned work on some components would do to the business.

    preview = risk_preview(model.fork(), ["db-03"], start, end, windows=..., failing=...)

Pure: the caller passes a model holding the current states (a fork; its states are left
alone by the what-if) and the stored maintenance windows. For the window [start, end):

- `down` / `degraded`: business services the work takes down or degrades, on top of the
  current failures and of the other maintenance windows overlapping it (their components
  are taken down too);
- `at_risk`: business services not down but with no margin left: a redundancy group the
  work leaves at its minimum, where losing one more member takes them down (or degrades
  them when they were fine). Losing a redundant member already degrades the dependants
  (the engine's rule), so an at-risk service is usually listed as degraded too;
- `in_service_hours`: those of the above whose service hours overlap the window;
- `budget_s`: for each service down, the error budget (scheduled seconds) an overrun as
  long as the window would consume, with `budget_share` of the budget of the month the
  window ends in (UTC). Degraded time counts as up in the SLA (`impact.sla`), so a
  degraded service costs none;
- `overlaps`: other maintenance windows on the same components or groups, and the current
  failures touching the same groups or services;
- `notify`: owners and channels of every service listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from impact.engine import ImpactModel
from impact.model import MaintenanceWindow, RedundancyGroup, State, name_key
from impact.results import GroupImpact
from impact.service_hours import as_utc, parse_service_hours
from impact.windows import month_window

MAX_FAILURES_CHECKED = 50  # current failures looked at for overlaps (bounded work)


@dataclass(frozen=True, slots=True)
class Margin:
    """A redundancy group left at its minimum, and what one more loss would take."""

    group: str
    dependant: str
    up: int
    required: int
    members: tuple[str, ...]
    services: tuple[str, ...]  # business services one more loss takes down or degraded
    lost: tuple[str, ...] = ()  # members down now


@dataclass(frozen=True, slots=True)
class RiskPreview:
    components: tuple[str, ...]
    start: datetime
    end: datetime
    down: tuple[str, ...]
    degraded: tuple[str, ...]
    at_risk: tuple[str, ...]
    in_service_hours: tuple[str, ...]
    budget_s: Mapping[str, float]
    budget_share: Mapping[str, float]
    margins: tuple[Margin, ...]
    overlapping_windows: tuple[MaintenanceWindow, ...]
    overlapping_failures: tuple[str, ...]
    owners: tuple[str, ...]
    channels: tuple[str, ...]
    titles: Mapping[str, str] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def to_dict(self) -> dict[str, object]:
        return {
            "components": list(self.components),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "down": list(self.down),
            "degraded": list(self.degraded),
            "at_risk": list(self.at_risk),
            "in_service_hours": list(self.in_service_hours),
            "budget_s": dict(self.budget_s),
            "budget_share": dict(self.budget_share),
            "margins": [
                {
                    "group": m.group,
                    "dependant": m.dependant,
                    "up": m.up,
                    "required": m.required,
                    "members": list(m.members),
                    "services": list(m.services),
                }
                for m in self.margins
            ],
            "overlaps": {
                "maintenance": [
                    {
                        "id": w.id,
                        "component": w.component,
                        "start": w.start.isoformat(),
                        "end": w.end.isoformat(),
                    }
                    for w in self.overlapping_windows
                ],
                "failures": list(self.overlapping_failures),
            },
            "notify": {"owners": list(self.owners), "channels": list(self.channels)},
        }


def risk_preview(
    model: ImpactModel,
    components: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    windows: Iterable[MaintenanceWindow] = (),
    failing: Mapping[str, State] | None = None,
) -> RiskPreview:
    """The preview of taking `components` down over [start, end) (see the module doc).

    `model` holds the current states; `failing` are the observed failures (name -> state)
    looked at for overlaps (default: none).
    """
    start, end = as_utc(start), as_utc(end)
    names = tuple(dict.fromkeys(model.component(c).name for c in components))
    groups = model.service_map.groups
    touched = _groups_of(groups, names)
    overlapping = tuple(
        w
        for w in windows
        if w.start < end
        and start < w.end
        and (name_key(w.component) in {name_key(n) for n in names} or _shares(groups, w, touched))
    )
    planned = tuple(
        dict.fromkeys([*names, *(model.component(w.component).name for w in overlapping)])
    )
    after = model.whatif(list(planned)).affects
    down = tuple(s.name for s in after.down)
    degraded = tuple(s.name for s in after.degraded)
    hit = set(down) | set(degraded)
    margins = _margins(model, planned, after.groups, set(down), hit)
    at_risk = tuple(sorted({s for m in margins for s in m.services}))
    listed = tuple(dict.fromkeys((*down, *degraded, *at_risk)))
    in_hours = tuple(
        s
        for s in listed
        if parse_service_hours(model.component(s).service_hours).scheduled_seconds(start, end) > 0
    )
    budget, share = _budgets(model, down, start, end)
    failures = _failures(model, failing or {}, names, touched, set(listed))
    comps = [model.component(s) for s in listed]
    return RiskPreview(
        components=names,
        start=start,
        end=end,
        down=down,
        degraded=degraded,
        at_risk=at_risk,
        in_service_hours=in_hours,
        budget_s=budget,
        budget_share=share,
        margins=margins,
        overlapping_windows=overlapping,
        overlapping_failures=failures,
        owners=tuple(sorted({c.owner for c in comps if c.owner})),
        channels=tuple(sorted({c.channel for c in comps if c.channel})),
        titles={c.name: c.display for c in comps},
    )


def _groups_of(groups: Sequence[RedundancyGroup], names: Iterable[str]) -> set[str]:
    keys = {name_key(n) for n in names}
    return {g.name for g in groups if keys & {name_key(m) for m in g.members}}


def _shares(
    groups: Sequence[RedundancyGroup], window: MaintenanceWindow, touched: set[str]
) -> bool:
    return bool(_groups_of(groups, [window.component]) & touched)


def _margins(
    model: ImpactModel,
    planned: Sequence[str],
    groups: Sequence[GroupImpact],
    down: set[str],
    hit: set[str],
    pause: Callable[[], object] | None = None,
) -> tuple[Margin, ...]:
    """Groups held at exactly their minimum, with what one more member lost would worsen.

    A service is worsened when one more loss takes it down (it was not) or degrades it (it
    was fine).
    """
    found = []
    at_minimum = [g for g in groups if g.up == g.required and g.required != 0]
    left = [[m for m in g.members if m not in g.failed_members] for g in at_minimum]
    # with nothing planned, what one more loss worsens is its own reach past the failures
    members = sorted({m for ms in left for m in ms})
    raised = model.worsened_by(members, pause=pause) if not planned else {}
    for group, members in zip(at_minimum, left, strict=True):
        lost = {name_key(m) for m in group.failed_members}
        services: set[str] = set()
        for member in members:
            if name_key(member) in lost:
                continue
            if not planned:
                services |= raised[member]
                continue
            worse = model.whatif([*planned, member]).affects
            services |= {s.name for s in worse.down} - down
            services |= {s.name for s in worse.degraded} - hit
        if services:
            found.append(
                Margin(
                    group.name,
                    group.dependant,
                    group.up,
                    group.required,
                    group.members,
                    tuple(sorted(services)),
                    group.failed_members,
                )
            )
    return tuple(sorted(found, key=lambda m: m.group))


def _budgets(
    model: ImpactModel, services: Sequence[str], start: datetime, end: datetime
) -> tuple[dict[str, float], dict[str, float]]:
    """Scheduled seconds of an overrun as long as the window, and its share of the month."""
    overrun_end = end + (end - start)
    month = month_window(end.year, end.month, UTC)
    budget: dict[str, float] = {}
    share: dict[str, float] = {}
    for name in services:
        component = model.component(name)
        hours = parse_service_hours(component.service_hours)
        budget[name] = float(hours.scheduled_seconds(end, overrun_end))
        if component.sla is not None and component.sla < 100:
            allowed = (1 - component.sla / 100) * hours.scheduled_seconds(month.start, month.end)
            if allowed > 0:
                share[name] = budget[name] / allowed
    return budget, share


def _failures(
    model: ImpactModel,
    failing: Mapping[str, State],
    names: Sequence[str],
    touched: set[str],
    services: set[str],
) -> tuple[str, ...]:
    """Current failures in the same groups as the work, or hitting the same services."""
    groups = model.service_map.groups
    keys = {name_key(n) for n in names}
    found = []
    for name in sorted(failing)[:MAX_FAILURES_CHECKED]:
        if not failing[name].is_failing and failing[name] != State.MAINTENANCE:
            continue
        if name_key(name) in keys:
            continue
        if _groups_of(groups, [name]) & touched:
            found.append(name)
            continue
        hit = model.affects([name])
        if {s.name for s in (*hit.down, *hit.degraded)} & services:
            found.append(name)
    return tuple(found)


def current_margins(
    model: ImpactModel, pause: Callable[[], object] | None = None
) -> tuple[Margin, ...]:
    """Redundancy groups at exactly their minimum now, and whom one more loss would hit.

    Over the model's current states (a fork is not needed: the what-ifs leave them alone);
    computed once per states (`ImpactModel.kept`): status, the Home and the at-risk
    notices after each reconcile share it. `pause` is called between the members
    searched (background work stepping aside for questions).
    """
    return model.kept("margins", lambda held: _current_margins(held, pause))


def _current_margins(model: ImpactModel, pause: Callable[[], object] | None) -> tuple[Margin, ...]:
    down, degraded, groups = model.standing()
    return _margins(model, (), groups, set(down), set(down | degraded), pause)
