"""Bounded memos: a value computed once per key and kept, at most so many keys at a time.

    found = remembered(values, key, compute, at_most)

`values` is the caller's own dict (of one graph, of one set of states, of one judge): when
it already holds `at_most` keys it starts anew, so a storm of distinct questions costs
bounded memory, and the ones asked again and again are computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, MutableMapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def remembered(values: MutableMapping[K, T], key: K, compute: Callable[[], T], at_most: int) -> T:
    """`values[key]`, `compute()` kept there first when absent (`values` cleared when it
    already holds `at_most` keys)."""
    try:
        return values[key]
    except KeyError:
        pass
    found = compute()
    if len(values) >= at_most:
        values.clear()
    values[key] = found
    return found
