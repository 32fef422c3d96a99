"""Service hours: the weekly schedule during which a business service's SLA is measured.

Grammar (the map's `service_hours` key):

    "24x7" [TZ]
    DAYS HH:MM-HH:MM [, DAYS HH:MM-HH:MM ...] [TZ]

DAYS is a day (Mon..Sun), a range ("Mon-Fri", wrapping allowed: "Fri-Mon") or a list
("Mon,Wed"). "24:00" is allowed as an end. TZ is an IANA name and defaults to UTC.

Wall-clock ranges become real (UTC) time per calendar day in TZ, so a DST day keeps its wall
hours: "08:00-20:00 Europe/Berlin" is 06:00-18:00 UTC in summer and 07:00-19:00 UTC in winter.
A range is mapped to the smallest span of real time holding every instant whose wall clock
reads inside it, which makes the rare DST corner cases deterministic:

- a time that does not exist (spring-forward gap) moves to the end of the gap, so
  "00:00-24:00" on the spring-forward day is 23 h and a range inside the gap is empty;
- a time that exists twice (fall-back overlap) starts at its first occurrence and ends at its
  second, so "00:00-24:00" on the fall-back day is 25 h.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from impact.errors import ImpactError
from impact.suggest import Suggester

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24x7"
MINUTES_PER_DAY = 24 * 60

Span = tuple[datetime, datetime]

_CLAUSE = re.compile(
    r"\s*(?P<days>[A-Za-z]+(?:\s*[-,]\s*[A-Za-z]+)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*"
)
_TIMEZONE = re.compile(r"\s+(?P<tz>[A-Za-z][A-Za-z0-9_+\-/]*)\s*$")


class ServiceHoursError(ImpactError, ValueError):
    """A `service_hours` value that does not follow the grammar; the message names the part."""


@dataclass(frozen=True, slots=True)
class Clause:
    """Days of the week (0 = Monday) and a wall-clock range in minutes since midnight."""

    days: frozenset[int]
    start_min: int
    end_min: int  # up to 1440 (24:00)


@dataclass(frozen=True, slots=True)
class ServiceHours:
    """A weekly schedule in one timezone. No clauses means around the clock (24x7)."""

    clauses: tuple[Clause, ...]
    tz: tzinfo
    text: str = ALWAYS

    @property
    def is_always(self) -> bool:
        return not self.clauses

    def scheduled_intervals(self, start: datetime, end: datetime) -> list[Span]:
        """The scheduled spans inside [start, end), in UTC, sorted and merged.

        `start` and `end` must be timezone-aware.
        """
        start, end = as_utc(start), as_utc(end)
        if end <= start:
            return []
        if self.is_always:
            return [(start, end)]
        spans = [
            span
            for day in self._local_days(start, end)
            for clause in self.clauses
            if day.weekday() in clause.days
            for span in [self._clause_span(day, clause)]
        ]
        return _merge_clipped(spans, start, end)

    def scheduled_seconds(self, start: datetime, end: datetime) -> float:
        """Total scheduled time inside [start, end), in seconds."""
        return sum((b - a).total_seconds() for a, b in self.scheduled_intervals(start, end))

    def _local_days(self, start: datetime, end: datetime) -> list[date]:
        # One day of margin each side: a clause ending at 24:00 on the previous local day
        # can still reach into [start, end).
        first = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date() + timedelta(days=1)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def _clause_span(self, day: date, clause: Clause) -> Span:
        return (
            local_to_utc(day, clause.start_min, self.tz, first=True),
            local_to_utc(day, clause.end_min, self.tz, first=False),
        )


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are refused because they are ambiguous."""
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime {moment.isoformat()} has no timezone; pass an aware datetime")
    return moment.astimezone(UTC)


def local_to_utc(day: date, minutes: int, tz: tzinfo, *, first: bool) -> datetime:
    """The UTC instant of wall time `minutes` after midnight of `day` in `tz`.

    `first` picks the first occurrence of an ambiguous time (for a range start); otherwise
    the last (for a range end). A non-existent time maps to the end of its gap.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    early = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    late = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if early == late:
        return early
    if early > late:  # fold=0 lands after fold=1 only inside a gap
        return _transition(late, early, tz)
    return early if first else late


def _transition(before: datetime, after: datetime, tz: tzinfo) -> datetime:
    """The instant the UTC offset of `tz` changes, between `before` and `after` (a DST gap)."""
    offset = before.astimezone(tz).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(tz).utcoffset() == offset:
            low = mid
        else:
            high = mid
    return datetime.fromtimestamp(high, UTC)


def _merge_clipped(spans: list[Span], start: datetime, end: datetime) -> list[Span]:
    merged: list[Span] = []
    for a, b in sorted(spans):
        a, b = max(a, start), min(b, end)
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def parse_service_hours(text: str | None) -> ServiceHours:
    """Parse a `service_hours` value; None or empty means 24x7 UTC."""
    if text is None or not text.strip():
        return ServiceHours((), UTC, ALWAYS)
    body, tz = _split_timezone(text.strip())
    if body.lower() == ALWAYS:
        return ServiceHours((), tz, text.strip())
    return ServiceHours(_parse_clauses(body, text), tz, text.strip())


def _split_timezone(text: str) -> tuple[str, tzinfo]:
    if text.lower() == ALWAYS:
        return text, UTC
    match = _TIMEZONE.search(text)
    if match is None or _looks_like_days(match["tz"]):
        return text, UTC
    return text[: match.start()].strip(), timezone_named(match["tz"])


def _looks_like_days(token: str) -> bool:
    return all(part.strip().lower() in DAY_NAMES for part in re.split(r"[-,]", token))


def timezone_named(name: str) -> tzinfo:
    """The IANA timezone `name`, with a did-you-mean hint when it is unknown."""
    if name.upper() == "UTC":
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = Suggester(sorted(zoneinfo.available_timezones())).closest(name)
        suggestion = (
            f"; did you mean {hint!r}?" if hint else "; use an IANA name like Europe/Berlin"
        )
        raise ServiceHoursError(f"unknown timezone {name!r}{suggestion}") from None


def _parse_clauses(body: str, text: str) -> tuple[Clause, ...]:
    clauses: list[Clause] = []
    position = 0
    while position < len(body):
        match = _CLAUSE.match(body, position)
        if match is None:
            bad = body[position:].split(",")[0].strip() or body
            raise ServiceHoursError(
                f"cannot read {bad!r} in service hours {text!r}; "
                'write clauses like "Mon-Fri 08:00-18:00, Sat 09:00-13:00 Europe/Berlin"'
            )
        clauses.append(_clause(match))
        position = match.end()
        if position < len(body):
            if body[position] != ",":
                raise ServiceHoursError(
                    f"expected ',' before {body[position:]!r} in service hours {text!r}"
                )
            position += 1
    return tuple(clauses)


def _clause(match: re.Match[str]) -> Clause:
    start, end = _minutes(match["start"]), _minutes(match["end"])
    if start >= MINUTES_PER_DAY:
        raise ServiceHoursError(f"start time {match['start']!r} must be before 24:00")
    if end <= start:
        raise ServiceHoursError(
            f"time range '{match['start']}-{match['end']}' ends before it starts; "
            "split an overnight range into two clauses, e.g. Mon 22:00-24:00, Tue 00:00-06:00"
        )
    return Clause(_days(match["days"]), start, end)


def _minutes(text: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ServiceHoursError(f"invalid time {text!r}; use HH:MM between 00:00 and 24:00")
    return hours * 60 + minutes


def _days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for item in re.split(r"\s*,\s*", text.strip()):
        ends = [_day(part) for part in re.split(r"\s*-\s*", item)]
        if len(ends) > 2:
            raise ServiceHoursError(f"invalid day range {item!r}; use a range like Mon-Fri")
        first, last = ends[0], ends[-1]
        days.update((first + n) % 7 for n in range((last - first) % 7 + 1))
    return frozenset(days)


def _day(text: str) -> int:
    key = text.strip().lower()
    if key in DAY_NAMES:
        return DAY_NAMES.index(key)
    hint = Suggester(DAY_NAMES).closest(key)
    suggestion = f"; did you mean {hint.title()!r}?" if hint else "; use Mon..Sun"
    raise ServiceHoursError(f"unknown day {text.strip()!r}{suggestion}")
