"""SLA windows: the span of time an SLA report covers, parsed from what people type.

Accepted (case-insensitive): "" or "this month" (the default), "last month", "2026-11"
(a calendar month), "2026-Q4" (a calendar quarter), "2026" (a calendar year), "this week",
"last week" (weeks start Monday), "today", "yesterday",
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
    "2026-Q4",
    "2026",
    "2026-11-01..2026-11-15",
    "september",
    "past 24h",
    "since monday",
    "last quarter",
    "from 2026-11-01 to 2026-11-15",
    "Q3",
    "since the 1st",
)
_ROLLING = re.compile(r"^(?:(?:last|rolling|past)\s+)?(\d+)\s*(?:d|days?|(w|weeks?))$")
_HOURS = re.compile(r"^(?:(?:last|rolling|past)\s+)?(\d+)\s*(?:h|hrs?|hours?)$")
_LEAD = re.compile(r"^(?:(?:in|for|during|over|of|the|within)\s+)+")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_NAME = re.compile(r"^([a-z]{3,9})\.?(?:\s+(\d{4}))?$")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RANGE = re.compile(r"^(?:from|between)\s+(.+?)\s+(?:to|until|till|and)\s+(.+)$")
_ZONE = re.compile(
    r"^(.*?)\s*(?:\b(?:in|tz)\s+)?\b(utc|gmt|z|[a-z]+/[a-z_]+(?:/[a-z_]+)?|"
    r"cet|cest|eet|wet|est|edt|pst|pdt|cst|cdt|mst|mdt|ist|bst)$"
)
_ABBREVIATIONS = {
    "z": "UTC",
    "gmt": "UTC",
    "utc": "UTC",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "eet": "Europe/Athens",
    "wet": "Europe/Lisbon",
    "bst": "Europe/London",
    "est": "America/New_York",
    "edt": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "ist": "Asia/Kolkata",
}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-q(\d)$|^q(\d)(?:\s+(\d{4}))?$|^(\d{4})\s+q(\d)$")
_DAY_OF_MONTH = re.compile(
    r"^(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)(?:\s+of\s+(?:the|this)\s+month)?$"
)
_YEAR = re.compile(r"^(\d{4})$")


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


def parse_window(
    text: str | None, now: datetime, tz: tzinfo | str = UTC, *, what: str = "SLA window"
) -> Window:
    """The window `text` names, as seen at `now` in timezone `tz` (default: this month).

    Besides the forms above: month names ("september", "for october 2026": the latest such
    month when no year), hours ("past 24h", "last 6 hours"), weeks ("last 2 weeks"),
    quarters ("this quarter", "last quarter"), "since monday" / "since 2026-11-01" (until
    now), "from 2026-11-01 to 2026-11-15", "from 1 to 15 november", and a trailing time
    zone ("today in CET", "this week Europe/Berlin"). `what` names the window in errors
    ("changes window").
    """
    phrase = _LEAD.sub("", " ".join((text or "").lower().split()))
    zoned = _ZONE.match(phrase)
    if zoned is not None and (zoned[1] or zoned[2] not in ("z",)):
        named = "/".join(part.title() for part in zoned[2].split("/"))
        phrase, tz = zoned[1].strip(), _ABBREVIATIONS.get(zoned[2], named)
    zone = _zone(tz)
    local_now = as_utc(now).astimezone(zone)
    if ".." in phrase:
        return _between(" ".join(phrase.split()), zone)
    if (ranged := _RANGE.match(phrase)) is not None:
        days = _day_month_range(ranged[1], ranged[2], local_now)
        return _between("..".join(days or (ranged[1], ranged[2])), zone)
    for reader in (
        _calendar,
        _rolling,
        _hours,
        _named_month,
        _named_quarter,
        _named_year,
        _month_name,
        _quarter,
        _since,
    ):
        window = reader(phrase, local_now)
        if window is not None:
            return window
    raise WindowError(_unknown(text or "", what))


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
    days = int(match[1]) * (7 if match[2] else 1)
    if not 1 <= days <= MAX_ROLLING_DAYS:
        raise WindowError(f"rolling window of {days} days is out of range; use 1 to 400 days")
    end = as_utc(now)
    return Window(end - timedelta(days=days), end, f"last {days} days")


def _hours(phrase: str, now: datetime) -> Window | None:
    match = _HOURS.match(phrase)
    if match is None:
        return None
    hours = int(match[1])
    if not 1 <= hours <= MAX_ROLLING_DAYS * 24:
        raise WindowError(f"window of {hours} hours is out of range; use 1 to 9600 hours")
    end = as_utc(now)
    return Window(end - timedelta(hours=hours), end, f"last {hours} hours")


def _month_name(phrase: str, now: datetime) -> Window | None:
    """ "september", "sept 2026", "october 2026": without a year, the latest such month."""
    match = _MONTH_NAME.match(phrase)
    month = _month_number(match[1]) if match else None
    if match is None or month is None:
        return None
    year = int(match[2]) if match[2] else now.year - (month > now.month)
    assert now.tzinfo is not None
    return month_window(year, month, now.tzinfo)


_DAY_MONTH = re.compile(
    r"^(?:(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<m>[a-z]{3,9})\.?"
    r"|(?P<m2>[a-z]{3,9})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?)(?:,?\s+(?P<y>\d{4}))?$"
)
_BARE_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")


def _day_month(text: str, now: datetime) -> date | None:
    """ "15 november", "nov 15th", "15 nov 2026": without a year, the latest such month."""
    match = _DAY_MONTH.match(text)
    month = _month_number(match["m"] or match["m2"]) if match else None
    if match is None or month is None:
        return None
    year = int(match["y"]) if match["y"] else now.year - (month > now.month)
    try:
        return date(year, month, int(match["d"] or match["d2"]))
    except ValueError:
        return None


def _day_month_range(left: str, right: str, now: datetime) -> tuple[str, str] | None:
    """ "1 to 15 november", "nov 1 to nov 15": the ends as ISO dates; a bare first day
    takes the month and year of the second."""
    end = _day_month(right, now)
    if end is None:
        return None
    bare = _BARE_DAY.match(left)
    try:
        start = end.replace(day=int(bare[1])) if bare else _day_month(left, now)
    except ValueError:
        return None
    if start is None:
        return None
    dated = _DAY_MONTH.match(left)
    if dated is not None and not dated["y"] and start > end:  # "20 dec to 5 jan"
        start = start.replace(year=start.year - 1)
    return start.isoformat(), end.isoformat()


def _month_number(word: str) -> int | None:
    for number, name in enumerate(_MONTHS, 1):
        if name.startswith(word) and (len(word) >= 3) and (word != "mar" or name == "march"):
            return number
    return None


def _quarter(phrase: str, now: datetime) -> Window | None:
    if phrase not in ("quarter", "this quarter", "last quarter", "previous quarter"):
        return None
    year, quarter = now.year, (now.month - 1) // 3 + 1
    if phrase.startswith(("last", "previous")):
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    assert now.tzinfo is not None
    return quarter_window(year, quarter, now.tzinfo)


def _since(phrase: str, now: datetime) -> Window | None:
    """ "since monday", "since yesterday", "since 2026-11-01", "since last week": until now."""
    if not phrase.startswith("since "):
        return None
    rest = phrase.removeprefix("since ").strip()
    tz = now.tzinfo
    assert tz is not None
    today = now.date()
    day: date | None = None
    if rest in _WEEKDAYS:
        day = today - timedelta(days=(today.weekday() - _WEEKDAYS.index(rest)) % 7)
    elif rest in ("today", "midnight"):
        day = today
    elif (of_month := _DAY_OF_MONTH.match(rest)) is not None:  # "since the 1st"
        first = today.replace(day=1)
        month_before = (first - timedelta(days=1)).replace(day=1)
        for month in (first, month_before):
            try:
                if (candidate := month.replace(day=int(of_month[1]))) <= today:
                    day = candidate
                    break
            except ValueError:
                continue
    if day is not None:
        start = _midnight(day, tz)
    else:
        try:
            start = _moment(rest, tz, phrase, end=False)
        except WindowError:
            found = next(
                (w for r in (_calendar, _month_name, _quarter) if (w := r(rest, now))), None
            )
            if found is None:
                return None
            start = found.start
    end = as_utc(now)
    if start >= end:
        raise WindowError(f"window {phrase!r} starts in the future")
    return Window(start, end, phrase)


def _named_month(phrase: str, now: datetime) -> Window | None:
    match = _MONTH.match(phrase)
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise WindowError(f"month {phrase!r} does not exist; write YYYY-MM like 2026-11")
    assert now.tzinfo is not None
    return month_window(year, month, now.tzinfo)


def _named_quarter(phrase: str, now: datetime) -> Window | None:
    """ "2026-Q3", "q3 2026", "2026 q3"; "q3" alone: the latest such quarter begun."""
    match = _QUARTER.match(phrase)
    if match is None:
        return None
    quarter = int(match[2] or match[3] or match[6])
    year_typed = match[1] or match[4] or match[5]
    year = int(year_typed) if year_typed else now.year - (quarter > (now.month - 1) // 3 + 1)
    if not 1 <= quarter <= 4:
        raise WindowError(f"quarter {phrase!r} does not exist; write YYYY-Qn like 2026-Q4")
    assert now.tzinfo is not None
    return quarter_window(year, quarter, now.tzinfo)


def _named_year(phrase: str, now: datetime) -> Window | None:
    """ "2026", or "this year" / "last year" as seen at `now`."""
    relative = {"year": 0, "this year": 0, "last year": 1, "previous year": 1}
    match = _YEAR.match(phrase)
    if match is None and phrase not in relative:
        return None
    year, tz = int(match[1]) if match else now.year - relative[phrase], now.tzinfo
    assert tz is not None
    return Window(_midnight(date(year, 1, 1), tz), _midnight(date(year + 1, 1, 1), tz), str(year))


def quarter_window(year: int, quarter: int, tz: tzinfo) -> Window:
    """Calendar quarter `quarter` (1-4) of `year` in `tz`."""
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + quarter // 4, 3 * quarter % 12 + 1, 1)
    return Window(_midnight(first, tz), _midnight(following, tz), f"Q{quarter} {year}")


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


def _unknown(text: str, what: str = "SLA window") -> str:
    hint = Suggester(EXAMPLES).closest(text.strip())
    suggestion = f"did you mean {hint!r}? " if hint else ""
    return f"unknown {what} {text!r}; {suggestion}try one of: {', '.join(EXAMPLES)}"


# -- moments: when planned work starts ("saturday 02:00", "tomorrow 02:00", ISO) ----------

WHEN_EXAMPLES = ("now", "today 22:00", "tomorrow 02:00", "saturday 02:00", "2026-12-05T02:00Z")
_WHEN_DAY = re.compile(r"^(?P<day>[a-z]+)(?:\s+(?:at\s+)?(?P<clock>\d{1,2}:\d{2}))?$")


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
