"""The durable outbox: Slack messages written in the transaction that decided them.

A row is `pending` until a worker claims it (`sending`, with a lease in `next_attempt_at`),
then `sent` (with the Slack `ts` stored on the notice), `pending` again with a later
`next_attempt_at` (429, 5xx), `failed` (a permanent Slack error) or `superseded` (an update
overtaken by a newer update of the same notice). Rows of one channel go out in id order, at
most one per `min_interval_s` per channel across every replica (`sent_at` is shared).

Claiming uses `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas never claim
the same row; SQLite has one writer at a time, a plain transaction suffices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
    update,
)

from store.database import dialect_of, transaction
from store.incident_facts import Notice, ThreadReply
from store.incident_rows import NoticeRow
from store.risk_rows import living_of, mark_posted, posted
from store.schema import METADATA, JsonType, UTCDateTime, big_id

KINDS = ("post", "update", "thread")
OPEN_STATUSES = ("pending", "sending")


OutboxRow = Table(
    "outbox",
    METADATA,
    big_id(),
    Column("dedup_key", String(400), unique=True, nullable=False),
    Column("incident_id", Integer),
    Column("channel", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("payload", JsonType, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
    CheckConstraint("kind IN ('post', 'update', 'thread')", name="kind_valid"),
    Index("ix_outbox_status_next", "status", "next_attempt_at"),
    Index("ix_outbox_channel_sent", "channel", "sent_at"),
)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed row: what to send, and to which notice it belongs."""

    id: int
    dedup_key: str
    incident_id: int | None
    channel: str
    kind: str
    payload: Mapping[str, Any]
    attempts: int

    def notice(self) -> Notice:
        """The notice a `post` or `update` carries."""
        return Notice.from_json(self.payload["notice"])

    @property
    def living(self) -> tuple[str, int] | None:
        """(kind, id) of the living notice this row posts or updates (`store.living`: an
        at-risk notice or a burn episode), None for an incident's notice."""
        return living_of(self.payload)

    def reply(self) -> ThreadReply:
        """The timeline entry a `thread` reply carries."""
        return ThreadReply.from_json(self.payload)


@dataclass(frozen=True, slots=True)
class PostedNotice:
    """Where an incident's notice lives in Slack: what chat.update and thread replies need."""

    channel: str
    ts: str


class Outbox:
    """The outbox over an engine, one short transaction per call: what a sender needs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _transaction(self) -> AbstractContextManager[Connection]:
        return transaction(self.engine)

    def claim(
        self, now: datetime, *, limit: int = 20, lease_s: float = 60.0, min_interval_s: float = 1.0
    ) -> list[OutboxItem]:
        """`claim` in a transaction of its own (committed before anything is sent)."""
        with self._transaction() as connection:
            return claim(
                connection, now, limit=limit, lease_s=lease_s, min_interval_s=min_interval_s
            )

    def posted_notice(self, item: OutboxItem) -> PostedNotice | None:
        """The Slack message of `item`'s notice, None until its post went out."""
        with self.engine.connect() as connection, connection.begin():
            if (living := item.living) is not None:  # an at-risk notice, a burn episode
                found = posted(connection, *living)
                return PostedNotice(*found) if found else None
            row = connection.execute(
                select(NoticeRow.c.slack_channel, NoticeRow.c.ts).where(
                    NoticeRow.c.incident_id == item.incident_id, NoticeRow.c.channel == item.channel
                )
            ).first()
        if row is None or row.ts is None:
            return None
        return PostedNotice(row.slack_channel or item.channel, row.ts)

    def sent(
        self, item: OutboxItem, now: datetime, *, ts: str | None = None, channel: str | None = None
    ) -> None:
        """Mark `item` sent; for a post, store the message's `ts` and channel id with it."""
        with self._transaction() as connection:
            if item.kind == "post" and (living := item.living) is not None:
                mark_posted(connection, *living, ts, channel)
            elif item.kind == "post":
                connection.execute(
                    update(NoticeRow)
                    .where(
                        NoticeRow.c.incident_id == item.incident_id,
                        NoticeRow.c.channel == item.channel,
                    )
                    .values(ts=ts, slack_channel=channel, posted_at=now)
                )
            mark_sent(connection, item.id, now)

    def retry_later(self, item: OutboxItem, at: datetime, error: str) -> None:
        with self._transaction() as connection:
            retry_later(connection, item.id, at, error)

    def depth(self) -> int:
        """How many messages wait to be sent."""
        with self.engine.connect() as connection:
            return depth(connection)

    def failed(self, item: OutboxItem, error: str) -> None:
        with self._transaction() as connection:
            mark_failed(connection, item.id, error)


def enqueue(
    connection: Connection,
    *,
    dedup_key: str,
    channel: str,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
    incident_id: int | None = None,
) -> bool:
    """Add a message unless one with `dedup_key` exists; True when added."""
    if kind not in KINDS:
        raise ValueError(f"outbox kind {kind!r}: use one of {', '.join(KINDS)}")
    dialect = dialect_of(connection)
    values = {
        "dedup_key": dedup_key,
        "incident_id": incident_id,
        "channel": channel,
        "kind": kind,
        "payload": dict(payload),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    statement = dialect.insert(OutboxRow).values(values).on_conflict_do_nothing()
    added = connection.execute(statement.returning(OutboxRow.c.id)).first()
    if added is not None and kind == "update" and incident_id is not None:
        _supersede_older_updates(connection, incident_id, channel, added[0])
    return added is not None


def claim(
    connection: Connection,
    now: datetime,
    *,
    limit: int = 20,
    lease_s: float = 60.0,
    min_interval_s: float = 1.0,
) -> list[OutboxItem]:
    """Claim the next due row of each channel that may send now; mark them `sending`."""
    due = _due_rows(connection, now, limit * 4)
    firsts = _first_open_ids(connection, {r.channel for r in due})
    recent = _recently_sent(connection, {r.channel for r in due}, now, min_interval_s)
    chosen = [r for r in due if firsts.get(r.channel) == r.id and r.channel not in recent][:limit]
    if not chosen:
        return []
    connection.execute(
        update(OutboxRow)
        .where(OutboxRow.c.id.in_([r.id for r in chosen]))
        .values(
            status="sending",
            attempts=OutboxRow.c.attempts + 1,
            next_attempt_at=now + timedelta(seconds=lease_s),
        )
    )
    return [
        OutboxItem(r.id, r.dedup_key, r.incident_id, r.channel, r.kind, r.payload, r.attempts + 1)
        for r in chosen
    ]


def _due_rows(connection: Connection, now: datetime, limit: int) -> Sequence[Any]:
    query = (
        select(OutboxRow)
        .where(OutboxRow.c.status.in_(OPEN_STATUSES), OutboxRow.c.next_attempt_at <= now)
        .order_by(OutboxRow.c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return connection.execute(query).all()


def _first_open_ids(connection: Connection, channels: set[str]) -> dict[str, int]:
    """The oldest unsent row per channel: only it may go (keeps each channel in order)."""
    if not channels:
        return {}
    query = (
        select(OutboxRow.c.channel, func.min(OutboxRow.c.id))
        .where(OutboxRow.c.status.in_(OPEN_STATUSES), OutboxRow.c.channel.in_(channels))
        .group_by(OutboxRow.c.channel)
    )
    return {channel: row_id for channel, row_id in connection.execute(query)}


def _recently_sent(
    connection: Connection, channels: set[str], now: datetime, interval_s: float
) -> set[str]:
    if not channels or interval_s <= 0:
        return set()
    since = now - timedelta(seconds=interval_s)
    query = select(OutboxRow.c.channel).where(
        OutboxRow.c.channel.in_(channels), OutboxRow.c.sent_at > since
    )
    return set(connection.execute(query).scalars())


def mark_sent(connection: Connection, item_id: int, now: datetime) -> None:
    connection.execute(
        update(OutboxRow).where(OutboxRow.c.id == item_id).values(status="sent", sent_at=now)
    )


def retry_later(connection: Connection, item_id: int, at: datetime, error: str) -> None:
    connection.execute(
        update(OutboxRow)
        .where(OutboxRow.c.id == item_id)
        .values(status="pending", next_attempt_at=at, last_error=error[:2000])
    )


def mark_failed(connection: Connection, item_id: int, error: str) -> None:
    connection.execute(
        update(OutboxRow)
        .where(OutboxRow.c.id == item_id)
        .values(status="failed", last_error=error[:2000])
    )


def _supersede_older_updates(
    connection: Connection, incident_id: int, channel: str, newest: int
) -> None:
    """An update carries the whole notice: older unsent updates of it need not go out."""
    connection.execute(
        update(OutboxRow)
        .where(
            OutboxRow.c.kind == "update",
            OutboxRow.c.status == "pending",
            OutboxRow.c.incident_id == incident_id,
            OutboxRow.c.channel == channel,
            OutboxRow.c.id < newest,
        )
        .values(status="superseded")
    )


def depth(connection: Connection) -> int:
    """How many messages wait to be sent (for metrics and health)."""
    query = select(func.count()).where(OutboxRow.c.status.in_(OPEN_STATUSES))
    return int(connection.execute(query).scalar_one())


def rows(connection: Connection, status: str | None = None) -> list[dict[str, Any]]:
    """Every row (for tests and `bsm incidents --outbox`), oldest first."""
    query = select(OutboxRow).order_by(OutboxRow.c.id)
    if status is not None:
        query = query.where(OutboxRow.c.status == status)
    return [dict(r) for r in connection.execute(query).mappings()]
