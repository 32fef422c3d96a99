"""Which channels hear about an incident: each service's own channel plus subscriptions.

A subscription selector names a business service (case-insensitive), a tier (`tier 1`,
`tier:1`, `tier1`) or everything (`*`, `all`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, select

from impact.model import Component, name_key
from store.schema import SubscriptionRow

_TIER = re.compile(r"^tier\s*:?\s*([1-4])$", re.I)
_EVERYTHING = frozenset({"*", "all", "everything"})


def matches(selector: str, service: Component) -> bool:
    """True when `selector` covers `service`."""
    wanted = selector.strip()
    if wanted.casefold() in _EVERYTHING:
        return True
    if tier := _TIER.match(wanted):
        return service.tier == int(tier.group(1))
    return name_key(wanted.lstrip("#")) == service.key


def target_channels(connection: Connection, services: Sequence[Component]) -> list[str]:
    """Every channel to notify about `services`, in a stable order, without duplicates."""
    subscriptions = connection.execute(
        select(SubscriptionRow.c.channel, SubscriptionRow.c.selector).order_by(SubscriptionRow.c.id)
    ).all()
    found = [s.channel for s in services if s.channel]
    found += [
        channel
        for channel, selector in subscriptions
        if any(matches(selector, service) for service in services)
    ]
    return _unique(found)


def _unique(channels: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for channel in channels:
        seen.setdefault(channel.strip(), None)
    return list(seen)
