"""Redundancy-at-risk notices: one living message per redundancy group and channel.

A group at exactly its minimum (one more member lost hits business services) opens an
episode for each channel of those services: a row here and a `post` in the outbox, in the
same transaction. While it stays at risk, a change of its facts (members lost, services)
becomes an `update`; when the margin is back the episode is `cleared` with a last
`update`. The rows carry facts only (names, counts), worded when rendered.

Exactly once across replicas: `sync` runs under an advisory transaction lock on
PostgreSQL (BEGIN IMMEDIATE on SQLite) and compares with the rows it reads there, and
(group, channel, episode) is unique; outbox keys are unique too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    func,
    insert,
    select,
    text,
    update,
)

from store.database import transaction
from store.outbox import enqueue
from store.risk_rows import RiskNoticeRow

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

    def same_as(self, other: RiskFact) -> bool:
        """Same facts, whenever they were first seen."""
        return (self.up, self.required, self.lost, self.services) == (
            other.up,
            other.required,
            other.lost,
            other.services,
        )


@dataclass(frozen=True, slots=True)
class RiskSync:
    """What one `sync` wrote: episodes opened, updated and cleared."""

    opened: int = 0
    updated: int = 0
    cleared: int = 0


class RiskNotices:
    """The at-risk notices over an engine: one transaction per call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sync(self, facts: Sequence[RiskFact], now: datetime) -> RiskSync:
        """Make the open episodes equal to `facts` (opening, updating, clearing them)."""
        wanted = {(f.group, f.channel): f for f in facts}
        opened = updated = cleared = 0
        with transaction(self.engine) as connection:
            _lock(connection)
            rows = connection.execute(
                select(
                    RiskNoticeRow.id,
                    RiskNoticeRow.group_name,
                    RiskNoticeRow.channel,
                    RiskNoticeRow.facts,
                    RiskNoticeRow.version,
                ).where(RiskNoticeRow.status == "at_risk")
            ).all()
            open_rows = {(r.group_name, r.channel): r for r in rows}
            for key, row in open_rows.items():
                old = RiskFact.from_json(row.facts)
                fact = wanted.get(key)
                if fact is None:
                    done = replace(old, cleared=True)
                    _change(connection, row, done, now, status="cleared")
                    cleared += 1
                elif not fact.same_as(old):
                    _change(connection, row, _since(fact, old.since), now)
                    updated += 1
            for key, fact in wanted.items():
                if key not in open_rows:
                    _open(connection, _since(fact, now), now)
                    opened += 1
        return RiskSync(opened, updated, cleared)

    def open(self) -> list[RiskFact]:
        """The groups at risk now, per channel (for status answers and the Home)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(RiskNoticeRow.facts)
                .where(RiskNoticeRow.status == "at_risk")
                .order_by(RiskNoticeRow.group_name, RiskNoticeRow.channel)
            ).scalars()
            return [RiskFact.from_json(r) for r in rows]


def _since(fact: RiskFact, since: datetime | None) -> RiskFact:
    return replace(fact, since=since)


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RISK_LOCK})


def _open(connection: Connection, fact: RiskFact, now: datetime) -> None:
    episode = connection.execute(
        select(func.coalesce(func.max(RiskNoticeRow.episode), 0)).where(
            RiskNoticeRow.group_name == fact.group, RiskNoticeRow.channel == fact.channel
        )
    ).scalar_one()
    row_id = connection.execute(
        insert(RiskNoticeRow)
        .values(
            group_name=fact.group,
            channel=fact.channel,
            episode=int(episode) + 1,
            status="at_risk",
            facts=fact.to_json(),
            version=0,
            opened_at=now,
        )
        .returning(RiskNoticeRow.id)
    ).scalar_one()
    enqueue(
        connection,
        dedup_key=f"{KIND}:{row_id}:post",
        channel=fact.channel,
        kind="post",
        payload={KIND: fact.to_json(), "risk_id": row_id},
        now=now,
    )


def _change(
    connection: Connection, row: Any, fact: RiskFact, now: datetime, *, status: str = ""
) -> None:
    version = row.version + 1
    values: dict[str, Any] = {"facts": fact.to_json(), "version": version}
    if status:
        values |= {"status": status, "cleared_at": now}
    connection.execute(update(RiskNoticeRow).where(RiskNoticeRow.id == row.id).values(values))
    enqueue(
        connection,
        dedup_key=f"{KIND}:{row.id}:v{version}",
        channel=row.channel,
        kind="update",
        payload={KIND: fact.to_json(), "risk_id": row.id},
        now=now,
    )
