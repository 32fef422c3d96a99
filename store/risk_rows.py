"""The tables of living notices (`store.living`): at-risk notices, burn episodes and
maintenance announcements.

All have one shape: a subject (a redundancy group, a business service, a maintenance
window), a channel, an
episode number, its status and facts, and where its message lives in Slack. The outbox
sender reads them through `posted` and `mark_posted`, by the kind its payload names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    select,
    update,
)

from store.schema import METADATA, JsonType, UTCDateTime


def _living(name: str, subject: str, length: int, *indexes: Index) -> Table:
    """A living-notice table; its subject column, whatever its name, has the key `subject`."""
    return Table(
        name,
        METADATA,
        Column("id", Integer, primary_key=True),
        Column(subject, String(length), key="subject", nullable=False),
        Column("channel", String(200), nullable=False),
        Column("episode", Integer, nullable=False),
        Column("status", String(16), nullable=False),
        Column("facts", JsonType, nullable=False),
        Column("version", Integer, nullable=False),
        Column("opened_at", UTCDateTime, nullable=False),
        Column("cleared_at", UTCDateTime),
        Column("ts", String(64)),
        Column("slack_channel", String(200)),
        # named as its migration names it (the convention would say uq_{name}_{subject})
        UniqueConstraint(
            "subject", "channel", "episode", name=f"uq_{name}_{subject}_channel_episode"
        ),
        Index(f"ix_{name}_status", "status"),
        *indexes,
    )


# status: at_risk | cleared
RiskNoticeRow = _living("risk_notices", "group_name", 400)
# status: burning | resolved
BurnEpisodeRow = _living(
    "burn_episodes", "service", 400, Index("ix_burn_episodes_opened_at", "opened_at")
)
# the window's id, as text; status: announced | over
AnnouncementRow = _living("maintenance_notices", "window_key", 40)

LIVING_TABLES: Mapping[str, Table] = {
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
        select(row.c.slack_channel, row.c.channel, row.c.ts).where(row.c.id == row_id)
    ).first()
    if found is None or found.ts is None:
        return None
    return (found.slack_channel or found.channel, found.ts)


def mark_posted(
    connection: Connection, kind: str, row_id: int, ts: str | None, channel: str | None
) -> None:
    row = LIVING_TABLES[kind]
    connection.execute(update(row).where(row.c.id == row_id).values(ts=ts, slack_channel=channel))
