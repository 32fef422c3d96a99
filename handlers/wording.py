"""How answers word things: money, lists, counts, and the capped sections every list uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from handlers.answer import Item, Section

LIST_CAP = 10
FULL_CAP = 250  # items a thread's full list shows; the rest are counted, not built
T = TypeVar("T")


def money(amount: float) -> str:
    """`$14,000/h` style revenue rate."""
    return f"${amount:,.0f}/h"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 business service`, `2 business services`."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def joined(words: Sequence[str], cap: int = 3) -> str:
    """`a`, `a and b`, `a, b and c`, `a, b, c and 4 more`."""
    words = list(words)
    if len(words) > cap:
        return ", ".join(words[:cap]) + f" and {len(words) - cap} more"
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def capped(title: str, items: Sequence[Item], cap: int = LIST_CAP) -> Section:
    """A section showing at most `cap` items; the rest counted in `more`, all kept in `full`."""
    items = tuple(items)
    if len(items) <= cap:
        return Section(title, items)
    return Section(title, items[:cap], more=len(items) - cap, full=items)


def capped_built(
    title: str,
    values: Sequence[T],
    build: Callable[[T], Item],
    cap: int = LIST_CAP,
    full_cap: int = FULL_CAP,
) -> Section:
    """`capped` over `values`, building items only for what is shown: `cap` inline and at
    most `full_cap` in the full list; the others are counted (`more`, `omitted`)."""
    if len(values) <= cap:
        return Section(title, tuple(map(build, values)))
    full = tuple(map(build, values[:full_cap]))
    omitted = len(values) - len(full)
    return Section(title, full[:cap], more=len(values) - cap, full=full, omitted=omitted)


def details(*parts: str | None) -> str | None:
    """Secondary text of an item: the given parts joined by ` · `, None when all are empty."""
    text = " · ".join(p for p in parts if p)
    return text or None
