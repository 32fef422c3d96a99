"""SLA windows: the span of time an SLA report covers, parsed from what people type.

Accepted (case-insensitive): "" or "this month" (the default), "last month", "2026-11"
(a calendar month), "this week", "last week" (weeks start Monday), "today", "yesterday",
"last 7 days" / "rolling 28 days" / "30d" (ending now), and "FROM..TO" where each end is a
date or an ISO datetime ("2026-11-01..2026-11-15"; a date as TO means through the end of
that day). Calendar boundaries are local midnight in the given timezone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from impact.errors import ImpactError
from impact.service_hours import ServiceHoursError, as_utc, timezone_named
from impact.suggest import Suggester

MAX_ROLLING_DAYS = 400
EXAMPLES = (
    "this month",
    "last month",
    "this week",
    "last week",
    "today",
    "yesterday",
    "last 7 days",
    "rolling 28 days",
    "last 30 days",
    "2026-11",
    "2026-11-01..2026-11-15",
)
_ROLLING = re.compile(r"^(?:(?:last|rolling|past)\s+)?(\d+)\s*(?:d|days?)$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class WindowError(ImpactError, ValueError):
    """An SLA window that cannot be read; the message names the text and shows valid forms."""


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open span [start, end) in UTC with the label people read."""

    start: datetime
    end: datetime
    label: str

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())

    def until(self, now: datetime) -> Window:
        """The part of the window that has happened by `now` (possibly empty)."""
        end = min(self.end, max(self.start, as_utc(now)))
        return Window(self.start, end, self.label)


def custom_window(start: datetime, end: datetime, label: str | None = None) -> Window:
    """A window between two aware datetimes; refuses one that ends before it starts."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise WindowError(
            f"window {start.isoformat()}..{end.isoformat()} ends before it starts; swap the ends"
        )
    return Window(start, end, label or f"{start.isoformat()}..{end.isoformat()}")


def parse_window(text: str | None, now: datetime, tz: tzinfo | str = UTC) -> Window:
    """The window `text` names, as seen at `now` in timezone `tz` (default: this month)."""
    zone = _zone(tz)
    phrase = " ".join((text or "").lower().split())
    local_now = as_utc(now).astimezone(zone)
    if ".." in phrase:
        return _between(" ".join((text or "").split()), zone)
    for reader in (_calendar, _rolling, _named_month):
        window = reader(phrase, local_now)
        if window is not None:
            return window
    raise WindowError(_unknown(text or ""))


def _zone(tz: tzinfo | str) -> tzinfo:
    if not isinstance(tz, str):
        return tz
    try:
        return timezone_named(tz)
    except ServiceHoursError as error:
        raise WindowError(str(error)) from None


def _calendar(phrase: str, now: datetime) -> Window | None:
    today = now.date()
    this_month = today.replace(day=1)
    monday = today - timedelta(days=today.weekday())
    tz = now.tzinfo
    assert tz is not None
    if phrase in ("", "month", "this month"):
        return month_window(this_month.year, this_month.month, tz)
    if phrase in ("last month", "previous month"):
        last = this_month - timedelta(days=1)
        return month_window(last.year, last.month, tz)
    spans = {
        "week": (monday, 7, f"week of {monday}"),
        "this week": (monday, 7, f"week of {monday}"),
        "last week": (monday - timedelta(days=7), 7, f"week of {monday - timedelta(days=7)}"),
        "today": (today, 1, f"{today}"),
        "yesterday": (today - timedelta(days=1), 1, f"{today - timedelta(days=1)}"),
    }
    if phrase not in spans:
        return None
    first, days, label = spans[phrase]
    return Window(_midnight(first, tz), _midnight(first + timedelta(days=days), tz), label)


def _rolling(phrase: str, now: datetime) -> Window | None:
    match = _ROLLING.match(phrase)
    if match is None:
        return None
    days = int(match[1])
    if not 1 <= days <= MAX_ROLLING_DAYS:
        raise WindowError(f"rolling window of {days} days is out of range; use 1 to 400 days")
    end = as_utc(now)
    return Window(end - timedelta(days=days), end, f"last {days} days")


def _named_month(phrase: str, now: datetime) -> Window | None:
    match = _MONTH.match(phrase)
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise WindowError(f"month {phrase!r} does not exist; write YYYY-MM like 2026-11")
    assert now.tzinfo is not None
    return month_window(year, month, now.tzinfo)


def month_window(year: int, month: int, tz: tzinfo) -> Window:
    """The calendar month `year`-`month` in `tz`."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Window(_midnight(first, tz), _midnight(following, tz), first.strftime("%B %Y"))


def _between(phrase: str, tz: tzinfo) -> Window:
    left, _, right = phrase.partition("..")
    start = _moment(left.strip(), tz, phrase, end=False)
    end = _moment(right.strip(), tz, phrase, end=True)
    if end <= start:
        raise WindowError(f"window {phrase!r} ends before it starts; swap the ends")
    return Window(start, end, f"{left.strip()}..{right.strip()}")


def _moment(text: str, tz: tzinfo, phrase: str, *, end: bool) -> datetime:
    """A date (local midnight; an end date means the following midnight) or ISO datetime."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return _midnight(day + timedelta(days=1) if end else day, tz)
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise WindowError(
            f"cannot read {text!r} in window {phrase!r}; use dates like 2026-11-01..2026-11-15"
        ) from None
    return as_utc(moment if moment.tzinfo else moment.replace(tzinfo=tz))


def _midnight(day: date, tz: tzinfo) -> datetime:
    # Midnight exists in every IANA zone used today, except a few historical ones where a
    # DST gap starts at 00:00; fold=0 then lands an hour later, which is still that day.
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _unknown(text: str) -> str:
    hint = Suggester(EXAMPLES).closest(text.strip())
    suggestion = f"did you mean {hint!r}? " if hint else ""
    return f"unknown SLA window {text!r}; {suggestion}try one of: {', '.join(EXAMPLES)}"


# -- moments: when planned work starts ("saturday 02:00", "tomorrow 02:00", ISO) ----------

WHEN_EXAMPLES = ("now", "today 22:00", "tomorrow 02:00", "saturday 02:00", "2026-12-05T02:00Z")
_WHEN_DAY = re.compile(r"^(?P<day>[a-z]+)(?:\s+(?:at\s+)?(?P<clock>\d{1,2}:\d{2}))?$")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_when(text: str, now: datetime, tz: tzinfo | str = UTC) -> datetime:
    """The moment `text` names, as seen at `now` in `tz`, in UTC.

    "now"; "today HH:MM"; "tomorrow HH:MM"; a weekday and a time ("saturday 02:00", "sat
    02:00": the next such moment after `now`); an ISO date or datetime (local to `tz` when
    it has no offset). A day without a time means its midnight.
    """
    zone = _zone(tz)
    phrase = " ".join(text.lower().split())
    local_now = as_utc(now).astimezone(zone)
    if phrase == "now":
        return as_utc(now)
    match = _WHEN_DAY.match(phrase)
    if match is None or match["day"].isdigit():
        return _moment(text.strip(), zone, text, end=False)
    day = match["day"]
    hour, minute = 0, 0
    if match["clock"]:
        hour, minute = (int(p) for p in match["clock"].split(":"))
        if hour > 23 or minute > 59:
            raise WindowError(f"time {match['clock']!r} in {text!r}: write HH:MM, e.g. 02:00")
    wall = time(hour, minute)
    today = local_now.date()
    if day == "today":
        return datetime.combine(today, wall, tzinfo=zone).astimezone(UTC)
    if day == "tomorrow":
        return datetime.combine(today + timedelta(days=1), wall, tzinfo=zone).astimezone(UTC)
    weekday = next(
        (i for i, w in enumerate(_WEEKDAYS) if len(day) >= 3 and w.startswith(day)), None
    )
    if weekday is None:
        hint = Suggester((*_WEEKDAYS, "today", "tomorrow", "now")).closest(day)
        suggestion = f"did you mean {hint!r}? " if hint else ""
        raise WindowError(
            f"cannot read the time {text!r}; {suggestion}try one of: {', '.join(WHEN_EXAMPLES)}"
        )
    ahead = (weekday - today.weekday()) % 7
    found = datetime.combine(today + timedelta(days=ahead), wall, tzinfo=zone)
    if found <= local_now:
        found += timedelta(days=7)
    return found.astimezone(UTC)
