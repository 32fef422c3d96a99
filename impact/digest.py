"""SLA digests: what a manager reads each morning, as a value built from SLA reports.

`build_digest(current, previous)` takes one `SlaReport` per business service for this period
and (optionally) for the period before, and returns a `Digest`: one line per service, worst
first (missed SLA, then least error budget left, no data last), what changed since the
previous period, and the components that caused most downtime across all services.
Renderers (Slack, terminal, chart) read the `Digest`; none of them computes anything.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from impact.durations import format_duration
from impact.model import State
from impact.sla import SlaReport
from impact.windows import Window, month_window

BAR_WIDTH = 10
LOW_BUDGET = 0.25  # a service that meets its SLA with less budget left than this is at risk
NOTABLE_CHANGE_PP = 0.01  # availability moves smaller than this (percentage points) are noise
STATE_KEY = (
    (State.OK, "within SLA"),
    (State.DEGRADED, f"within SLA, under {LOW_BUDGET:.0%} error budget left"),
    (State.DOWN, "SLA missed"),
    (State.UNKNOWN, "no data"),
)

Day = tuple[date, float | None]


@dataclass(frozen=True, slots=True)
class DigestLine:
    """One business service: this period's report, the previous one and daily availability."""

    title: str
    report: SlaReport
    previous: SlaReport | None = None
    days: tuple[Day, ...] = ()

    @property
    def service(self) -> str:
        return self.report.service

    @property
    def budget_left(self) -> float | None:
        """Share of the error budget left (1.0 untouched, negative overspent); None = no data."""
        return budget_left(self.report)

    @property
    def state(self) -> State:
        """OK within SLA, DEGRADED within but low on budget, DOWN missed, UNKNOWN no data."""
        left = self.budget_left
        if left is None:
            return State.UNKNOWN
        if not self.report.met:
            return State.DOWN
        return State.DEGRADED if left < LOW_BUDGET else State.OK

    @property
    def change_pp(self) -> float | None:
        """Availability now minus before, in percentage points; None without both."""
        now, before = self.report.availability, _availability(self.previous)
        return None if now is None or before is None else now - before


@dataclass(frozen=True, slots=True)
class DigestCause:
    """A component and the downtime it caused, summed over the services it took down."""

    name: str
    downtime_s: float
    services: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DigestBurn:
    """A burn episode of the period: a service burning its error budget too fast."""

    service: str
    title: str
    start: datetime
    end: datetime | None  # None: still burning
    factor: float  # the largest alert factor it reached (14.4 pages harder than 1)


@dataclass(frozen=True, slots=True)
class Digest:
    """The digest of one period; `lines` are worst first."""

    window: Window
    previous_window: Window | None
    lines: tuple[DigestLine, ...]
    changes: tuple[str, ...] = ()
    top_causes: tuple[DigestCause, ...] = ()
    generated_at: datetime | None = None
    targets: Mapping[str, float] = field(default_factory=dict)
    burns: tuple[DigestBurn, ...] = ()  # the burn episodes of the period, by start

    @property
    def missed(self) -> list[DigestLine]:
        return [line for line in self.lines if line.state == State.DOWN]

    @property
    def summary(self) -> str:
        """One plain sentence: how many services meet their SLA over the window."""
        measured = [line for line in self.lines if line.state != State.UNKNOWN]
        missed = self.missed
        head = f"SLA digest, {self.window.label}: "
        if not self.lines:
            return head + "no business services selected"
        if not measured:
            return head + f"no data for any of {len(self.lines)} business services"
        if missed:
            names = ", ".join(line.title for line in missed[:3])
            more = f" and {len(missed) - 3} more" if len(missed) > 3 else ""
            return (
                head + f"{len(missed)} of {len(measured)} services miss their SLA ({names}{more})"
            )
        return head + f"all {len(measured)} services with data are within their SLA"


def build_digest(
    current: Sequence[SlaReport],
    previous: Sequence[SlaReport] = (),
    *,
    window: Window,
    previous_window: Window | None = None,
    titles: Mapping[str, str] | None = None,
    days: Mapping[str, Sequence[Day]] | None = None,
    generated_at: datetime | None = None,
    top: int = 5,
    burns: Sequence[DigestBurn] = (),
) -> Digest:
    """The digest of `current` reports (one per service) over `window`, vs `previous` ones."""
    before = {r.service: r for r in previous}
    lines = [
        DigestLine(
            (titles or {}).get(r.service, r.service),
            r,
            before.get(r.service),
            tuple((days or {}).get(r.service, ())),
        )
        for r in current
    ]
    lines.sort(key=_badness)
    return Digest(
        window=window,
        previous_window=previous_window,
        lines=tuple(lines),
        changes=tuple(changes(lines)),
        top_causes=top_causes(current, top),
        generated_at=generated_at,
        targets={r.service: r.target for r in current},
        burns=tuple(sorted(burns, key=lambda b: (b.start, b.title))),
    )


def _badness(line: DigestLine) -> tuple[bool, float, float, str]:
    left = line.budget_left
    return (
        left is None,
        left if left is not None else 0.0,
        line.report.availability or 0.0,
        line.title,
    )


def budget_left(report: SlaReport) -> float | None:
    """Share of the error budget left; a 100 % target has 1.0 until any downtime, then -1.0."""
    if report.availability is None:
        return None
    if report.error_budget_s <= 0:
        return 1.0 if report.downtime_s <= 0 else -1.0
    return report.error_budget_left_s / report.error_budget_s


def changes(lines: Sequence[DigestLine]) -> list[str]:
    """What changed since the previous period, biggest moves first, as plain sentences."""
    found: list[tuple[float, str]] = []
    for line in lines:
        sentence = _change(line)
        if sentence:
            found.append((abs(line.change_pp or 0.0) + (100 if "SLA" in sentence else 0), sentence))
    found.sort(key=lambda item: -item[0])
    return [sentence for _, sentence in found]


def _change(line: DigestLine) -> str | None:
    now, before = line.report, line.previous
    if before is None or (now.availability is None and before.availability is None):
        return None
    if now.availability is None:
        return f"{line.title}: no data this period (was {_percent(before.availability)})"
    if before.availability is None:
        return f"{line.title}: measured for the first time ({_percent(now.availability)})"
    was = f"{_percent(now.availability)}, was {_percent(before.availability)}"
    if before.met and not now.met:
        return f"{line.title} now misses its SLA ({was})"
    if now.met and not before.met:
        return f"{line.title} is back within its SLA ({was})"
    delta = line.change_pp or 0.0
    if abs(delta) < NOTABLE_CHANGE_PP:
        return None
    trend = "better" if delta > 0 else "worse"
    noun = "incident" if now.incidents == 1 else "incidents"
    incidents = f"; {now.incidents} {noun}, was {before.incidents}" * (
        now.incidents != before.incidents
    )
    return f"{line.title} {trend} by {abs(delta):.2f} pp ({was}{incidents})"


def top_causes(reports: Sequence[SlaReport], top: int = 5) -> tuple[DigestCause, ...]:
    """Components by downtime caused, summed over every service they took down."""
    totals: dict[str, float] = {}
    services: dict[str, list[str]] = {}
    for report in reports:
        for cause in report.top_causes:
            totals[cause.name] = totals.get(cause.name, 0.0) + cause.downtime_s
            services.setdefault(cause.name, []).append(report.service)
    # Digests count downtime in whole seconds: a blip below one second is not a top cause.
    caused = [(name, seconds) for name, seconds in totals.items() if seconds >= 1]
    ranked = sorted(caused, key=lambda item: (-item[1], item[0]))[:top]
    return tuple(DigestCause(name, seconds, tuple(services[name])) for name, seconds in ranked)


def budget_bar(left: float | None, width: int = BAR_WIDTH) -> str:
    """The error budget left as a text bar: "██████░░░░ 60% left", "░░░░░░░░░░ overspent"."""
    if left is None:
        return "no data"
    filled = round(max(0.0, min(1.0, left)) * width)
    bar = "█" * filled + "░" * (width - filled)
    return f"{bar} {left:.0%} left" if left >= 0 else f"{bar} overspent ({-left:.0%} over)"


def line_text(line: DigestLine) -> str:
    """The plain text of one digest line (renderers add the state emoji and escaping)."""
    r = line.report
    if r.availability is None:
        return f"{line.title}: no data (target {r.target:g}%)"
    mttr = f", MTTR {format_duration(r.mttr_s)}" if r.mttr_s is not None else ""
    incidents = f"{r.incidents} incident{'s' * (r.incidents != 1)}"
    return (
        f"{line.title}: {r.availability:.3f}% vs {r.target:g}%"
        f" · budget {budget_bar(line.budget_left)} · {incidents}{mttr}"
    )


def burn_text(burn: DigestBurn) -> str:
    """One burn episode in plain words: who, when, how fast."""
    start = f"{burn.start:%a %d %b %H:%M}"
    if burn.end is None:
        when = f"burning since {start} UTC"
    else:
        lasted = format_duration((burn.end - burn.start).total_seconds())
        when = f"burned from {start} UTC for {lasted}"
    return f"{burn.title}: {when}, up to {burn.factor:g}x the sustainable rate"


def cause_text(cause: DigestCause) -> str:
    took = ", ".join(cause.services[:3]) + (" …" if len(cause.services) > 3 else "")
    return f"{cause.name}: {format_duration(cause.downtime_s)} of downtime ({took})"


def _availability(report: SlaReport | None) -> float | None:
    return None if report is None else report.availability


def _percent(value: float | None) -> str:
    return "no data" if value is None else f"{value:.3f}%"


# When digests fire and which period each one reports.

_LOOKBACK_DAYS = 62  # enough to find the previous fire of any cadence


@dataclass(frozen=True, slots=True)
class Cadence:
    """A digest schedule's clock: daily, weekly (on `weekday`, 0 = Monday) or monthly (on
    `monthday`, clamped to the month's length) at `hour`:`minute` on the wall clock of `tz`.

    The digest that fires on local day D reports the period just ended: the day before D
    (daily), the 7 days before D (weekly) or the calendar month before D's month (monthly);
    it is compared with the period before that. D is also the period key of the run.
    """

    every: str
    hour: int
    minute: int
    tz: tzinfo = UTC
    weekday: int | None = None
    monthday: int | None = None

    def fires_on(self, day: date) -> bool:
        if self.every == "weekly":
            return day.weekday() == (self.weekday or 0)
        if self.every == "monthly":
            last = calendar.monthrange(day.year, day.month)[1]
            return day.day == min(self.monthday or 1, last)
        return True

    def fire_on(self, day: date) -> datetime:
        """The instant (UTC) this cadence fires on local `day` (whether or not it does)."""
        return datetime.combine(day, time(self.hour, self.minute), tzinfo=self.tz).astimezone(UTC)

    def last_fire(self, now: datetime) -> datetime:
        """The latest fire at or before `now`."""
        day = now.astimezone(self.tz).date()
        for back in range(_LOOKBACK_DAYS):
            candidate = day - timedelta(days=back)
            if self.fires_on(candidate) and self.fire_on(candidate) <= now:
                return self.fire_on(candidate)
        raise ValueError(f"cadence {self} never fires")  # unreachable for valid cadences

    def next_fire(self, now: datetime) -> datetime:
        """The first fire after `now`."""
        day = now.astimezone(self.tz).date()
        for ahead in range(_LOOKBACK_DAYS):
            candidate = day + timedelta(days=ahead)
            if self.fires_on(candidate) and self.fire_on(candidate) > now:
                return self.fire_on(candidate)
        raise ValueError(f"cadence {self} never fires")

    def period_key(self, fired: datetime) -> str:
        return fired.astimezone(self.tz).date().isoformat()

    def windows(self, fired: datetime) -> tuple[Window, Window]:
        """The period the digest fired at `fired` reports, and the period before it."""
        day = fired.astimezone(self.tz).date()
        if self.every == "monthly":
            last = day.replace(day=1) - timedelta(days=1)
            before = last.replace(day=1) - timedelta(days=1)
            return (
                month_window(last.year, last.month, self.tz),
                month_window(before.year, before.month, self.tz),
            )
        days = 7 if self.every == "weekly" else 1
        return self._days(day - timedelta(days=days), days), self._days(
            day - timedelta(days=2 * days), days
        )

    def _days(self, first: date, days: int) -> Window:
        last = first + timedelta(days=days - 1)
        label = str(first) if days == 1 else f"{first}..{last}"
        return Window(self._midnight(first), self._midnight(last + timedelta(days=1)), label)

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.tz).astimezone(UTC)


def previous_window(window: Window) -> Window:
    """The span of the same length just before `window` (for comparing periods)."""
    length = window.end - window.start
    return Window(window.start - length, window.start, f"the {_span(length)} before")


def _span(length: timedelta) -> str:
    days = length.total_seconds() / 86400
    return f"{days:g} days" if days >= 1 else format_duration(length.total_seconds())
