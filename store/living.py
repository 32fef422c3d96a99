"""Living notices: one muted message per episode and channel, opened, updated, closed.

The at-risk notices (`store.risk_notices`, a redundancy group at its minimum) and the burn
alerts (`store.burn_episodes`, a business service burning its error budget) are the same
concept over two tables of one shape: `sync` makes the open episodes equal to the facts it
is given. A fact with no open episode opens one (a row and an outbox `post`, in the same
transaction); an open episode whose facts changed gets an `update`; one without a fact any
more is closed with a last `update`. The rows carry facts only, worded when rendered.

Exactly once across replicas: `sync` runs under an advisory transaction lock on
PostgreSQL (BEGIN IMMEDIATE on SQLite) and compares with the rows it reads there;
(subject, channel, episode) is unique, and so are the outbox keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection, Engine, Table, func, insert, select, text, update

from store.database import transaction
from store.outbox import enqueue
from store.risk_rows import LIVING_TABLES


class LivingFact(Protocol):
    """What a living notice says to one channel (see `RiskFact`, `BurnFact`)."""

    @property
    def subject(self) -> str: ...  # what the episode is about: a group, a service

    @property
    def channel(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...

    def same_as(self, other: Any) -> bool: ...  # same facts: no update needed

    def begun(self, since: datetime) -> Any: ...  # the fact, opening its episode at `since`

    def after(self, old: Any) -> Any: ...  # the fact, continuing the episode `old` described

    def closed(self, at: datetime) -> Any: ...  # the last word of the episode, ended `at`


F = TypeVar("F", bound=LivingFact)


@dataclass(frozen=True, slots=True)
class LivingSync:
    """What one `sync` wrote: episodes opened, updated and closed."""

    opened: int = 0
    updated: int = 0
    cleared: int = 0


class LivingNotices(Generic[F]):
    """The episodes of one kind over an engine: one transaction per call.

    `kind` names the outbox payload (`{kind: facts, f"{kind}_id": row id}`) and the table
    (`store.risk_rows.LIVING_TABLES`); `open_status` / `closed_status` are the row states.
    """

    def __init__(
        self,
        engine: Engine,
        kind: str,
        lock: int,
        load: Callable[[Mapping[str, Any]], F],
        *,
        open_status: str,
        closed_status: str,
    ) -> None:
        self.engine, self.kind, self.lock, self.load = engine, kind, lock, load
        self.row: Table = LIVING_TABLES[kind]
        self.open_status, self.closed_status = open_status, closed_status

    def sync(
        self, facts: Sequence[F], now: datetime, *, opens: Callable[[F], bool] = lambda f: True
    ) -> LivingSync:
        """Make the open episodes equal to `facts`: a fact keeps its episode open, and opens
        one only when `opens(fact)` (a burn that is only still burning opens nothing)."""
        row = self.row
        wanted = {(f.subject, f.channel): f for f in facts}
        opened = updated = cleared = 0
        with transaction(self.engine) as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": self.lock})
            rows = connection.execute(
                select(
                    row.c.id,
                    row.c.subject.label("subject"),
                    row.c.channel,
                    row.c.facts,
                    row.c.version,
                ).where(row.c.status == self.open_status)
            ).all()
            open_rows = {(r.subject, r.channel): r for r in rows}
            for key, found in open_rows.items():
                old = self.load(found.facts)
                fact = wanted.get(key)
                if fact is None:
                    self._change(connection, found, old.closed(now), now, closing=True)
                    cleared += 1
                elif not fact.same_as(old):
                    self._change(connection, found, fact.after(old), now)
                    updated += 1
            for key, fact in wanted.items():
                if key not in open_rows and opens(fact):
                    self._open(connection, fact.begun(now), now)
                    opened += 1
        return LivingSync(opened, updated, cleared)

    def open(self) -> list[F]:
        """The episodes open now, per channel, in subject and channel order."""
        row = self.row
        with self.engine.connect() as connection:
            found = connection.execute(
                select(row.c.facts)
                .where(row.c.status == self.open_status)
                .order_by(row.c.subject, row.c.channel)
            ).scalars()
            return [self.load(r) for r in found]

    def between(self, start: datetime, end: datetime) -> list[F]:
        """The episodes (open or closed) that were open at some time in [start, end)."""
        row = self.row
        with self.engine.connect() as connection:
            found = connection.execute(
                select(row.c.facts)
                .where(
                    row.c.opened_at < end,
                    (row.c.cleared_at.is_(None)) | (row.c.cleared_at >= start),
                )
                .order_by(row.c.opened_at, row.c.subject, row.c.channel)
            ).scalars()
            return [self.load(r) for r in found]

    def _open(self, connection: Connection, fact: F, now: datetime) -> None:
        row = self.row
        episode = connection.execute(
            select(func.coalesce(func.max(row.c.episode), 0)).where(
                row.c.subject == fact.subject, row.c.channel == fact.channel
            )
        ).scalar_one()
        row_id = connection.execute(
            insert(row)
            .values(
                subject=fact.subject,
                channel=fact.channel,
                episode=int(episode) + 1,
                status=self.open_status,
                facts=fact.to_json(),
                version=0,
                opened_at=now,
            )
            .returning(row.c.id)
        ).scalar_one()
        self._enqueue(connection, row_id, fact, "post", now)

    def _change(
        self, connection: Connection, found: Any, fact: F, now: datetime, *, closing: bool = False
    ) -> None:
        version = found.version + 1
        values: dict[str, Any] = {"facts": fact.to_json(), "version": version}
        if closing:
            values |= {"status": self.closed_status, "cleared_at": now}
        connection.execute(update(self.row).where(self.row.c.id == found.id).values(values))
        self._enqueue(connection, found.id, fact, f"v{version}", now)

    def _enqueue(
        self, connection: Connection, row_id: int, fact: F, step: str, now: datetime
    ) -> None:
        enqueue(
            connection,
            dedup_key=f"{self.kind}:{row_id}:{step}",
            channel=fact.channel,
            kind="post" if step == "post" else "update",
            payload={self.kind: fact.to_json(), f"{self.kind}_id": row_id},
            now=now,
        )
