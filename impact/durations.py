"""How long something lasted, as people read it: the one duration format of bsm-bot.

format_duration(45) == "45s"; format_duration(3900) == "1h 05m"; format_duration(-720) == "-12m"
"""

from __future__ import annotations


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
