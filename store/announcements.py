"""Maintenance announcements: one living message per pre-announced window and channel.

A window created with a lead (`MaintenanceWindow.announce_s`) is announced to the channels
of the business services it would take down, degrade or leave at their redundancy minimum
that long before it starts; the message is updated when the window starts or its findings
change, once more when it is over, and says "cancelled" when the window is ended before
it started. The mechanics are `store.living`'s, shared with the at-risk and burn notices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from store.living import LivingNotices

ANNOUNCE_LOCK = 0x62736D14  # the advisory lock of maintenance announcements
KIND = "announce"


@dataclass(frozen=True, slots=True)
class AnnounceFact:
    """A planned window as one channel is told about it."""

    window_id: int
    component: str
    channel: str
    start: datetime
    end: datetime
    reason: str | None
    down: tuple[str, ...]  # display names of the business services it takes down
    degraded: tuple[str, ...]
    at_risk: tuple[str, ...]  # left at their redundancy minimum
    started: bool = False
    cancelled: bool = False
    over: bool = False
    since: datetime | None = None

    @property
    def subject(self) -> str:
        return str(self.window_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "window_id": self.window_id,
            "component": self.component,
            "channel": self.channel,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "reason": self.reason,
            "down": list(self.down),
            "degraded": list(self.degraded),
            "at_risk": list(self.at_risk),
            "started": self.started,
            "cancelled": self.cancelled,
            "over": self.over,
            "since": self.since.isoformat() if self.since else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnnounceFact:
        since = data.get("since")
        return cls(
            int(data["window_id"]),
            str(data["component"]),
            str(data["channel"]),
            datetime.fromisoformat(data["start"]),
            datetime.fromisoformat(data["end"]),
            data.get("reason"),
            tuple(data["down"]),
            tuple(data["degraded"]),
            tuple(data["at_risk"]),
            bool(data.get("started", False)),
            bool(data.get("cancelled", False)),
            bool(data.get("over", False)),
            datetime.fromisoformat(since) if since else None,
        )

    def begun(self, since: datetime) -> AnnounceFact:
        return replace(self, since=since)

    def after(self, old: AnnounceFact) -> AnnounceFact:
        return replace(self, since=old.since)

    def closed(self, at: datetime) -> AnnounceFact:
        """Over; before its start only a removed window stops being announced: cancelled."""
        return replace(self, over=True, cancelled=at < self.start)

    def same_as(self, other: AnnounceFact) -> bool:
        return replace(self, since=None) == replace(other, since=None)


class Announcements(LivingNotices[AnnounceFact]):
    """The maintenance announcements over an engine: one transaction per call."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(
            engine,
            KIND,
            ANNOUNCE_LOCK,
            AnnounceFact.from_json,
            open_status="announced",
            closed_status="over",
        )
