"""Burn alerts: one living message per business service's burn episode and channel.

A service whose error budget burns faster than a rule allows (`impact.burn`) opens an
episode for each of its channels; while it burns, a change of its facts (the rule firing,
the rate, the budget left, rounded) becomes an `update`; when every rule's short window
has recovered the episode is `resolved` with a last `update`. The mechanics are
`store.living`'s, shared with the at-risk notices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from store.living import LivingNotices

BURN_LOCK = 0x62736D13  # the advisory lock of burn episodes, shared by every replica
KIND = "burn"


@dataclass(frozen=True, slots=True)
class BurnFact:
    """A service's burn as one channel sees it: what the notice says.

    The rates are those of the rule shown: the largest factor firing, else (an episode
    kept open) the largest whose short window still burns. `firing` is whether any rule
    fires now (only then does an episode open).
    """

    service: str
    display: str
    channel: str
    factor: float  # the rule shown
    long_s: float
    short_s: float
    long_rate: float | None
    short_rate: float | None
    budget_s: float  # this month's error budget (scheduled seconds), and what is left of it
    budget_left_s: float
    firing: bool = True
    since: datetime | None = None
    resolved: bool = False
    ended: datetime | None = None  # when it was resolved
    peak: float = 0.0  # the largest factor shown over the episode

    @property
    def worst(self) -> float:
        return max(self.peak, self.factor)

    @property
    def subject(self) -> str:
        return self.service

    @property
    def budget_left_share(self) -> float | None:
        return self.budget_left_s / self.budget_s if self.budget_s > 0 else None

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "display": self.display,
            "channel": self.channel,
            "factor": self.factor,
            "long_s": self.long_s,
            "short_s": self.short_s,
            "long_rate": _finite(self.long_rate),
            "short_rate": _finite(self.short_rate),
            "budget_s": self.budget_s,
            "budget_left_s": self.budget_left_s,
            "firing": self.firing,
            "since": self.since.isoformat() if self.since else None,
            "resolved": self.resolved,
            "ended": self.ended.isoformat() if self.ended else None,
            "peak": self.worst,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BurnFact:
        since, ended = data.get("since"), data.get("ended")
        return cls(
            str(data["service"]),
            str(data["display"]),
            str(data["channel"]),
            float(data["factor"]),
            float(data["long_s"]),
            float(data["short_s"]),
            _rate(data.get("long_rate")),
            _rate(data.get("short_rate")),
            float(data["budget_s"]),
            float(data["budget_left_s"]),
            bool(data.get("firing", True)),
            datetime.fromisoformat(since) if since else None,
            bool(data.get("resolved", False)),
            datetime.fromisoformat(ended) if ended else None,
            float(data.get("peak") or 0.0),
        )

    def begun(self, since: datetime) -> BurnFact:
        return replace(self, since=since, peak=self.factor)

    def after(self, old: BurnFact) -> BurnFact:
        return replace(self, since=old.since, peak=max(old.worst, self.factor))

    def closed(self, at: datetime) -> BurnFact:
        return replace(self, resolved=True, firing=False, ended=at)

    def same_as(self, other: BurnFact) -> bool:
        """Same rule, and rates and budget left equal once rounded (no update per second)."""
        return _shown(self) == _shown(other)


def _shown(fact: BurnFact) -> tuple[object, ...]:
    share = fact.budget_left_share
    return (
        fact.factor,
        fact.firing,
        _two_digits(fact.long_rate),
        _two_digits(fact.short_rate),
        None if share is None else round(share * 100),
    )


def _two_digits(rate: float | None) -> float | None:
    """A rate to two significant digits: 14.4 -> 14, 517 -> 520."""
    if rate is None or rate == 0 or rate != rate or rate in (float("inf"), float("-inf")):
        return rate
    return float(f"{rate:.2g}")


def _finite(rate: float | None) -> float | None:
    if rate is None:
        return None
    return rate if rate != float("inf") else 1e308


def _rate(value: Any) -> float | None:
    return None if value is None else float(value)


class BurnEpisodes(LivingNotices[BurnFact]):
    """The burn episodes over an engine: one transaction per call (`sync`, `open`,
    `between` for digests)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(
            engine,
            KIND,
            BURN_LOCK,
            BurnFact.from_json,
            open_status="burning",
            closed_status="resolved",
        )
