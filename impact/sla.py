"""SLA math: availability, error budget, burn rate, incidents from a service's state timeline.

Every instant of the window (clipped at `now`) falls in exactly one bucket, checked in order:

1. outside service hours: not counted at all;
2. excluded: inside a given excluded span, or the service is in MAINTENANCE (planned);
3. no data: no state is known (before the timeline starts, a gap, or UNKNOWN);
4. down (DOWN), degraded (DEGRADED, counts as up), up (OK).

availability = (up + degraded) / measured, measured = scheduled - excluded - no data; None
("no data") when nothing was measured, never 100%. The error budget covers the whole window:
(1 - target/100) * (measured so far + scheduled, not excluded time still to come). See docs/sla.md.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from impact.errors import ImpactError
from impact.model import State
from impact.service_hours import ServiceHours, as_utc, parse_service_hours
from impact.timeline import Segment
from impact.windows import Window

StateInterval = Segment | tuple[datetime, datetime, State]
Span = tuple[datetime, datetime]
Spans = list[tuple[float, float]]  # sorted, disjoint, POSIX seconds
HOUR_S = 3600.0
DAY_S = 86400.0


class SlaError(ImpactError, ValueError):
    """An SLA request that cannot be computed; the message names the bad value."""


@dataclass(frozen=True, slots=True)
class Cause:
    """A component and the counted downtime it was a root cause of."""

    name: str
    downtime_s: float


@dataclass(frozen=True, slots=True)
class SlaReport:
    """The SLA of one business service over one window, as of `end`."""

    service: str
    window: Window  # as asked for; `end` is where measuring stopped (window end or now)
    end: datetime
    target: float  # percent
    scheduled_s: float  # service hours inside [window.start, end)
    excluded_s: float  # scheduled time in maintenance (windows or MAINTENANCE state)
    no_data_s: float  # scheduled, not excluded, no known state
    measured_s: float  # scheduled - excluded - no data: the denominator
    downtime_s: float
    degraded_s: float  # part of the up time
    availability: float | None  # percent; None = no data
    error_budget_s: float  # allowed downtime over the whole window
    error_budget_left_s: float  # negative when overspent
    burn_rate_1h: float | None  # None = nothing measured in that hour
    burn_rate_24h: float | None
    incidents: int
    mttr_s: float | None  # mean counted downtime per incident
    mtbf_s: float | None  # mean counted up time per incident
    top_causes: tuple[Cause, ...]

    @property
    def has_data(self) -> bool:
        return self.availability is not None

    @property
    def met(self) -> bool | None:
        """Whether availability is at or above target; None without data."""
        return None if self.availability is None else self.availability >= self.target

    @property
    def uptime_s(self) -> float:
        return self.measured_s - self.downtime_s

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (times as ISO 8601, infinite burn rates as null)."""
        return {
            "service": self.service,
            "window": self.window.label,
            "start": self.window.start.isoformat(),
            "end": self.end.isoformat(),
            "target": self.target,
            "availability": self.availability,
            "scheduled_s": self.scheduled_s,
            "excluded_s": self.excluded_s,
            "no_data_s": self.no_data_s,
            "measured_s": self.measured_s,
            "downtime_s": self.downtime_s,
            "degraded_s": self.degraded_s,
            "error_budget_s": self.error_budget_s,
            "error_budget_left_s": self.error_budget_left_s,
            "burn_rate_1h": _finite(self.burn_rate_1h),
            "burn_rate_24h": _finite(self.burn_rate_24h),
            "incidents": self.incidents,
            "mttr_s": self.mttr_s,
            "mtbf_s": self.mtbf_s,
            "top_causes": [{"name": c.name, "downtime_s": c.downtime_s} for c in self.top_causes],
        }


class History:
    """A service's state intervals prepared once for many SLA queries (reports, per day)."""

    def __init__(self, intervals: Iterable[StateInterval]) -> None:
        segments = sorted((_segment(item) for item in intervals), key=lambda s: s.start)
        by_state: dict[State, list[tuple[float, float]]] = {state: [] for state in State}
        for segment in segments:
            by_state[segment.state].append(_seconds(segment.start, segment.end))
        self.maintenance = union(by_state[State.MAINTENANCE])
        self.known = union(by_state[State.OK] + by_state[State.DEGRADED] + by_state[State.DOWN])
        self.down = union(by_state[State.DOWN])
        self.degraded = union(by_state[State.DEGRADED])
        self.up = union(by_state[State.OK] + by_state[State.DEGRADED])
        self.caused = [
            (*_seconds(s.start, s.end), s.causes) for s in segments if s.state == State.DOWN
        ]
        self.incident_runs = self._incident_runs()

    def _incident_runs(self) -> Spans:
        """Down spans joined when nothing but non-up time (maintenance, no data) separates them."""
        runs: Spans = []
        for a, b in self.down:
            if runs and not clip(self.up, runs[-1][1], a):
                runs[-1] = (runs[-1][0], b)
            else:
                runs.append((a, b))
        return runs


@dataclass(frozen=True, slots=True)
class _Parts:
    """The buckets of one span of time (see the module docstring)."""

    scheduled: Spans
    excluded: Spans
    counted: Spans  # scheduled - excluded
    measured: Spans  # counted with a known state
    down: Spans
    degraded: Spans


def sla_report(
    intervals: Iterable[StateInterval] | History,
    *,
    target: float,
    window: Window,
    now: datetime,
    hours: ServiceHours | None = None,
    excluded: Iterable[Span] = (),
    service: str = "",
    top: int = 5,
) -> SlaReport:
    """The SLA report of one service's state `intervals` over `window`, as of `now`."""
    if not 0 < target <= 100:
        raise SlaError(f"SLA target {target!r} is out of range; use a percent like 99.9")
    history = intervals if isinstance(intervals, History) else History(intervals)
    hours = hours or parse_service_hours(None)
    skip = union(_seconds(a, b) for a, b in excluded)
    end = window.until(now).end
    parts = _measure(history, hours, skip, window.start, end)
    downtime, measured = length(parts.down), length(parts.measured)
    upcoming = length(_measure(history, hours, skip, end, window.end).counted)
    budget = (1 - target / 100) * (measured + upcoming)
    runs = _incidents(history, parts)
    return SlaReport(
        service=service,
        window=window,
        end=end,
        target=target,
        scheduled_s=length(parts.scheduled),
        excluded_s=length(parts.excluded),
        no_data_s=length(parts.counted) - measured,
        measured_s=measured,
        downtime_s=downtime,
        degraded_s=length(parts.degraded),
        availability=(measured - downtime) / measured * 100 if measured > 0 else None,
        error_budget_s=budget,
        error_budget_left_s=budget - downtime,
        burn_rate_1h=burn_rate(history, hours, skip, end, HOUR_S, target),
        burn_rate_24h=burn_rate(history, hours, skip, end, DAY_S, target),
        incidents=runs,
        mttr_s=downtime / runs if runs else None,
        mtbf_s=(measured - downtime) / runs if runs else None,
        top_causes=_top_causes(history, parts, top),
    )


@dataclass(frozen=True, slots=True)
class IncidentSpan:
    """One incident as an SLA counts it: a down run (see History) with counted downtime."""

    start: datetime  # the run's first down instant inside the measured span
    end: datetime  # its last, exclusive
    downtime_s: float  # counted downtime inside the run (service hours, not excluded)
    causes: tuple[str, ...]  # root causes over the run, in order of appearance


def incident_spans(
    intervals: Iterable[StateInterval] | History,
    *,
    window: Window,
    now: datetime,
    hours: ServiceHours | None = None,
    excluded: Iterable[Span] = (),
) -> list[IncidentSpan]:
    """The incidents `sla_report` counts over `window` (as of `now`), each with its times."""
    history = intervals if isinstance(intervals, History) else History(intervals)
    hours = hours or parse_service_hours(None)
    skip = union(_seconds(a, b) for a, b in excluded)
    parts = _measure(history, hours, skip, window.start, window.until(now).end)
    if not parts.down:
        return []
    spans: list[IncidentSpan] = []
    lo, hi = parts.down[0][0], parts.down[-1][1]
    for a, b in clip(history.incident_runs, lo, hi):
        counted = clip(parts.down, a, b)
        if not counted:
            continue
        causes: dict[str, None] = {}
        for c_lo, c_hi, names in history.caused:
            if c_hi > a and c_lo < b:
                causes.update(dict.fromkeys(names))
        spans.append(
            IncidentSpan(
                datetime.fromtimestamp(a, UTC),
                datetime.fromtimestamp(b, UTC),
                length(counted),
                tuple(causes),
            )
        )
    return spans


def burn_rate(
    history: History,
    hours: ServiceHours,
    excluded: Spans,
    end: datetime,
    lookback_s: float,
    target: float,
) -> float | None:
    """How fast the error budget burns over the `lookback_s` before `end`: 1.0 = sustainable.

    It is the downtime share of the measured time divided by the allowed share (1 - target).
    None when nothing was measured then (e.g. outside service hours); with a 100% target any
    downtime burns infinitely fast.
    """
    parts = _measure(history, hours, excluded, end - timedelta(seconds=lookback_s), end)
    measured = length(parts.measured)
    if measured <= 0:
        return None
    share, allowed = length(parts.down) / measured, 1 - target / 100
    if allowed <= 0:
        return math.inf if share > 0 else 0.0
    return share / allowed


def availability_by_day(
    intervals: Iterable[StateInterval] | History,
    *,
    window: Window,
    now: datetime,
    tz: tzinfo = UTC,
    hours: ServiceHours | None = None,
    excluded: Iterable[Span] = (),
) -> list[tuple[date, float | None]]:
    """Availability (percent, None = no data) per local calendar day of `window` up to `now`."""
    history = intervals if isinstance(intervals, History) else History(intervals)
    hours = hours or parse_service_hours(None)
    skip = union(_seconds(a, b) for a, b in excluded)
    end = window.until(now).end
    days: list[tuple[date, float | None]] = []
    day = window.start.astimezone(tz).date()
    while (lo := _local_midnight(day, tz)) < end:
        hi = min(_local_midnight(day + timedelta(days=1), tz), end)
        parts = _measure(history, hours, skip, max(lo, window.start), hi)
        measured = length(parts.measured)
        days.append((day, (measured - length(parts.down)) / measured * 100 if measured else None))
        day += timedelta(days=1)
    return days


def _measure(
    history: History, hours: ServiceHours, excluded: Spans, start: datetime, end: datetime
) -> _Parts:
    lo, hi = as_utc(start).timestamp(), as_utc(end).timestamp()
    scheduled = [_seconds(a, b) for a, b in hours.scheduled_intervals(start, end)]
    skipped = intersect(
        scheduled, union(clip(excluded, lo, hi) + clip(history.maintenance, lo, hi))
    )
    counted = subtract(scheduled, skipped)
    measured = intersect(counted, clip(history.known, lo, hi))
    down = intersect(measured, clip(history.down, lo, hi))
    degraded = intersect(measured, clip(history.degraded, lo, hi))
    return _Parts(scheduled, skipped, counted, measured, down, degraded)


def _incidents(history: History, parts: _Parts) -> int:
    """Down runs (see History) with some counted downtime in this window."""
    if not parts.down:
        return 0
    lo, hi = parts.down[0][0], parts.down[-1][1]
    return sum(1 for a, b in clip(history.incident_runs, lo, hi) if clip(parts.down, a, b))


def _top_causes(history: History, parts: _Parts, top: int) -> tuple[Cause, ...]:
    """Components by counted downtime they were a root cause of (each cause gets it whole)."""
    totals: dict[str, float] = {}
    for a, b, causes in history.caused:
        counted = length(clip(parts.down, a, b))
        for name in causes if counted > 0 else ():
            totals[name] = totals.get(name, 0.0) + counted
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Cause(name, seconds) for name, seconds in ranked[:top])


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _segment(item: StateInterval) -> Segment:
    return item if isinstance(item, Segment) else Segment(item[0], item[1], item[2])


def _seconds(start: datetime, end: datetime) -> tuple[float, float]:
    return as_utc(start).timestamp(), as_utc(end).timestamp()


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


# Interval arithmetic on sorted, disjoint lists of (start, end) seconds.


def union(spans: Iterable[tuple[float, float]]) -> Spans:
    """Sorted, merged, non-empty spans."""
    merged: Spans = []
    for a, b in sorted(spans):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def clip(spans: Spans, lo: float, hi: float) -> Spans:
    """The parts of `spans` inside [lo, hi), found by bisection."""
    first = bisect.bisect_right(spans, lo, key=lambda span: span[1])
    clipped: Spans = []
    for a, b in spans[first:]:
        if a >= hi:
            break
        if min(b, hi) > max(a, lo):
            clipped.append((max(a, lo), min(b, hi)))
    return clipped


def intersect(left: Spans, right: Spans) -> Spans:
    both: Spans = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if a < b:
            both.append((a, b))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return both


def subtract(left: Spans, right: Spans) -> Spans:
    rest: Spans = []
    j = 0
    for a, b in left:
        while j < len(right) and right[j][1] <= a:
            j += 1
        k = j
        while k < len(right) and right[k][0] < b:
            if right[k][0] > a:
                rest.append((a, right[k][0]))
            a = max(a, right[k][1])
            k += 1
        if a < b:
            rest.append((a, b))
    return rest


def length(spans: Spans) -> float:
    return sum(b - a for a, b in spans)
