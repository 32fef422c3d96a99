"""How long something lasted, as people read it and write it: the one duration format of
bsm-bot, and the one duration grammar (chat commands, CLI options and sync schedules).

format_duration(45) == "45s"; format_duration(3900) == "1h 05m"; format_duration(-720) == "-12m"
read_duration("90 min") == timedelta(minutes=90); read_duration("soon") is None
spell_duration(21600) == "6h" (what read_duration reads back exactly; map files write it)
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(
    r"^(?P<n>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$",
    re.I,
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def format_duration(seconds: float) -> str:
    """`45s`, `12m`, `1h 05m`, `2d 3h`; a negative span (a budget overrun) keeps its sign."""
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m" if minutes else f"{sign}{secs}s"


def read_duration(text: str) -> timedelta | None:
    """The span `text` spells ("90s", "15m", "2h", "1.5 hours", "7d", "2w"), or None."""
    match = _DURATION.match(text.strip())
    if match is None:
        return None
    try:
        return timedelta(seconds=float(match["n"]) * _UNIT_SECONDS[match["unit"].casefold()[0]])
    except OverflowError:  # more days than a timedelta holds: no span anyone means
        return None


def spell_duration(seconds: float) -> str:
    """`seconds` in the largest unit that holds it whole ("3d", "6h", "5m", "90s"), the
    spelling `read_duration` reads back to the same span."""
    for unit in "dhm":
        count = seconds / _UNIT_SECONDS[unit]
        if seconds and count.is_integer():
            return f"{int(count)}{unit}"
    return f"{seconds:g}s"
