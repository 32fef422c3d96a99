"""Syntax check of `service_hours`: "24x7" or "DAYS HH:MM-HH:MM[, ...] [Timezone]".

Only the shape is checked here (days, times, start before end, a known timezone);
the SLA code interprets the hours.
"""

from __future__ import annotations

import re
import zoneinfo

DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
DAYS = rf"{DAY}(?:-{DAY})?(?:,{DAY}(?:-{DAY})?)*"
TIME = r"\d{2}:\d{2}"
CLAUSE = re.compile(rf"^(?P<days>{DAYS})\s+(?P<start>{TIME})-(?P<end>{TIME})$")
ZONE = re.compile(r"[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*")
EXAMPLE = '"24x7" or e.g. "Mon-Fri 08:00-20:00 Europe/Berlin"'


def service_hours_problem(text: str) -> str | None:
    """None when `text` is valid service hours, else what is wrong with it."""
    text = text.strip()
    if text.lower() == "24x7":
        return None
    clauses_text, _, zone = text.rpartition(" ")
    if not ZONE.fullmatch(zone):
        clauses_text, zone = text, ""
    elif not _known_zone(zone):
        return f"unknown timezone {zone!r} in service_hours {text!r} (use an IANA name like UTC)"
    # Clauses are separated by commas after a time; commas between days belong to a clause.
    clauses = [c.strip() for c in re.split(r"(?<=\d),", clauses_text)]
    for clause in clauses:
        if problem := _clause_problem(clause):
            return f"bad service_hours {text!r}: {problem}; expected {EXAMPLE}"
    return None


def _clause_problem(clause: str) -> str | None:
    match = CLAUSE.match(clause)
    if not match:
        return f"cannot read {clause!r}"
    start, end = _minutes(match["start"]), _minutes(match["end"])
    if start is None or start >= 24 * 60 or end is None:
        return f"bad time in {clause!r}"
    if end <= start:
        return f"{clause!r} ends before it starts"
    return None


def _minutes(text: str) -> int | None:
    hours, minutes = int(text[:2]), int(text[3:])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _known_zone(zone: str) -> bool:
    if zone.upper() == "UTC":
        return True
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
