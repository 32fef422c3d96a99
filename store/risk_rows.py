"""The tables of living notices (`store.living`): at-risk notices, burn episodes and
maintenance announcements.

All have one shape: a subject (a redundancy group, a business service, a maintenance
window), a channel, an
episode number, its status and facts, and where its message lives in Slack. The outbox
sender reads them through `posted` and `mark_posted`, by the kind its payload names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Index, Integer, String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, mapped_column

from store.schema import Base, JsonType, UTCDateTime


class LivingRow(Base):
    """The columns every living-notice table has."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str]
    channel: Mapped[str] = mapped_column(String(200))
    episode: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    facts: Mapped[dict[str, Any]] = mapped_column(JsonType)
    version: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ts: Mapped[str | None] = mapped_column(String(64))
    slack_channel: Mapped[str | None] = mapped_column(String(200))


class RiskNoticeRow(LivingRow):
    __tablename__ = "risk_notices"

    subject: Mapped[str] = mapped_column("group_name", String(400))  # status: at_risk | cleared

    __table_args__ = (
        UniqueConstraint("group_name", "channel", "episode"),
        Index("ix_risk_notices_status", "status"),
    )


class BurnEpisodeRow(LivingRow):
    __tablename__ = "burn_episodes"

    subject: Mapped[str] = mapped_column("service", String(400))  # status: burning | resolved

    __table_args__ = (
        UniqueConstraint("service", "channel", "episode"),
        Index("ix_burn_episodes_status", "status"),
        Index("ix_burn_episodes_opened_at", "opened_at"),
    )


class AnnouncementRow(LivingRow):
    __tablename__ = "maintenance_notices"

    subject: Mapped[str] = mapped_column("window_key", String(40))  # the window's id, as text
    # status: announced | over

    __table_args__ = (
        UniqueConstraint("window_key", "channel", "episode"),
        Index("ix_maintenance_notices_status", "status"),
    )


LIVING_TABLES: Mapping[str, type[LivingRow]] = {
    "risk": RiskNoticeRow,
    "burn": BurnEpisodeRow,
    "announce": AnnouncementRow,
}


def living_of(payload: Mapping[str, Any]) -> tuple[str, int] | None:
    """(kind, row id) of the living notice an outbox payload posts or updates, if any."""
    for kind in LIVING_TABLES:
        if (value := payload.get(f"{kind}_id")) is not None:
            return kind, int(value)
    return None


def posted(connection: Connection, kind: str, row_id: int) -> tuple[str, str] | None:
    """(channel id, ts) of a living notice's message, None until its post went out."""
    row = LIVING_TABLES[kind]
    found = connection.execute(
        select(row.slack_channel, row.channel, row.ts).where(row.id == row_id)
    ).first()
    if found is None or found.ts is None:
        return None
    return (found.slack_channel or found.channel, found.ts)


def mark_posted(
    connection: Connection, kind: str, row_id: int, ts: str | None, channel: str | None
) -> None:
    row = LIVING_TABLES[kind]
    connection.execute(update(row).where(row.id == row_id).values(ts=ts, slack_channel=channel))
