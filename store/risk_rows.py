"""The table of at-risk notices (its rows are read by the outbox sender too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Index, Integer, String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, mapped_column

from store.schema import Base, JsonType, UTCDateTime


class RiskNoticeRow(Base):
    __tablename__ = "risk_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_name: Mapped[str] = mapped_column(String(400))
    channel: Mapped[str] = mapped_column(String(200))
    episode: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # at_risk | cleared
    facts: Mapped[dict[str, Any]] = mapped_column(JsonType)
    version: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ts: Mapped[str | None] = mapped_column(String(64))
    slack_channel: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("group_name", "channel", "episode"),
        Index("ix_risk_notices_status", "status"),
    )


def posted(connection: Connection, risk_id: int) -> tuple[str, str] | None:
    """(channel id, ts) of an at-risk notice's message, None until its post went out."""
    row = connection.execute(
        select(RiskNoticeRow.slack_channel, RiskNoticeRow.channel, RiskNoticeRow.ts).where(
            RiskNoticeRow.id == risk_id
        )
    ).first()
    if row is None or row.ts is None:
        return None
    return (row.slack_channel or row.channel, row.ts)


def mark_posted(connection: Connection, risk_id: int, ts: str | None, channel: str | None) -> None:
    connection.execute(
        update(RiskNoticeRow)
        .where(RiskNoticeRow.id == risk_id)
        .values(ts=ts, slack_channel=channel)
    )
