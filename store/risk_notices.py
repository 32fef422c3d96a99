"""Redundancy-at-risk notices: one living message per redundancy group and channel.

A group at exactly its minimum (one more member lost hits business services) opens an
episode for each channel of those services; while it stays at risk, a change of its facts
(members lost, services) becomes an `update`; when the margin is back the episode is
`cleared` with a last `update`. The mechanics (one transaction, outbox rows in it, exactly
once across replicas) are `store.living`'s, shared with the burn alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from store.living import LivingNotices, LivingSync

RISK_LOCK = 0x62736D10  # the advisory lock of at-risk notices, shared by every replica
KIND = "risk"


@dataclass(frozen=True, slots=True)
class RiskFact:
    """A group at its minimum as one channel sees it: what the notice says."""

    group: str
    dependant: str
    channel: str
    up: int
    required: int
    members: tuple[str, ...]
    lost: tuple[str, ...]
    services: tuple[tuple[str, str], ...]  # (name, display) one more loss would hit
    since: datetime | None = None
    cleared: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "dependant": self.dependant,
            "channel": self.channel,
            "up": self.up,
            "required": self.required,
            "members": list(self.members),
            "lost": list(self.lost),
            "services": [list(s) for s in self.services],
            "since": self.since.isoformat() if self.since else None,
            "cleared": self.cleared,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RiskFact:
        since = data.get("since")
        return cls(
            str(data["group"]),
            str(data["dependant"]),
            str(data["channel"]),
            int(data["up"]),
            int(data["required"]),
            tuple(data["members"]),
            tuple(data["lost"]),
            tuple((str(n), str(d)) for n, d in data["services"]),
            datetime.fromisoformat(since) if since else None,
            bool(data.get("cleared", False)),
        )

    @property
    def subject(self) -> str:
        return self.group

    def begun(self, since: datetime) -> RiskFact:
        return replace(self, since=since)

    def after(self, old: RiskFact) -> RiskFact:
        return replace(self, since=old.since)

    def closed(self, at: datetime) -> RiskFact:
        return replace(self, cleared=True)

    def same_as(self, other: RiskFact) -> bool:
        """Same facts, whenever they were first seen."""
        return (self.up, self.required, self.lost, self.services) == (
            other.up,
            other.required,
            other.lost,
            other.services,
        )


RiskSync = LivingSync  # what one `sync` wrote: episodes opened, updated and cleared


class RiskNotices(LivingNotices[RiskFact]):
    """The at-risk notices over an engine: one transaction per call (`sync`, `open`)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(
            engine,
            KIND,
            RISK_LOCK,
            RiskFact.from_json,
            open_status="at_risk",
            closed_status="cleared",
        )
