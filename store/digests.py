"""Digest schedules and digest runs: who gets which SLA digest when, and which were posted.

A *run* is one period of one schedule (`period_key`, e.g. the date the digest fired). The
unique (schedule_id, period_key) row is the claim: of several replicas firing the same
schedule, only the one whose insert lands posts it. A claim that was never marked posted
(the replica died mid-post) can be re-taken once its lease has run out, so a digest is
late rather than lost. Created by migration 0004.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    RowMapping,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    update,
)

from impact.model import Component
from store.database import dialect_of, transaction
from store.errors import NotFound, StoreError
from store.schema import METADATA, UTCDateTime, big_id

CADENCES = ("daily", "weekly", "monthly")
LEASE_S = 600.0  # a claim older than this without a post is taken as abandoned


class DigestError(StoreError):
    """A digest schedule that cannot be stored; the message names the bad value."""


DigestScheduleRow = Table(
    "digest_schedules",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False),
    Column("cadence", String(16), nullable=False),
    Column("at_time", String(5), nullable=False),  # HH:MM, wall clock in `tz`
    Column("weekday", Integer),  # 0 = Monday (weekly)
    Column("monthday", Integer),  # 1..31, clamped (monthly)
    Column("tz", String(64), nullable=False),
    Column("selector", String(2000), nullable=False),
    Column("created_by", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, default=True, nullable=False),
)

DigestRunRow = Table(
    "digest_runs",
    METADATA,
    big_id(),
    Column("schedule_id", ForeignKey("digest_schedules.id", ondelete="CASCADE"), nullable=False),
    Column("period_key", String(32), nullable=False),
    Column("claimed_by", String(200), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, default=1, nullable=False),
    Column("posted_at", UTCDateTime),
    Column("message_ts", String(64)),
    UniqueConstraint("schedule_id", "period_key"),
)


@dataclass(frozen=True, slots=True)
class Selector:
    """Which business services a digest covers: all, one tier, or named services."""

    tier: int | None = None
    services: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Selector:
        """Read the stored form: "all", "tier:1" or "services:a,b"."""
        kind, _, rest = text.partition(":")
        if kind == "tier" and rest.isdigit():
            return cls(tier=int(rest))
        if kind == "services" and rest:
            return cls(services=tuple(rest.split(",")))
        if kind == "all":
            return cls()
        raise DigestError(f"digest selector {text!r} is not all, tier:N or services:a,b")

    def __str__(self) -> str:
        if self.tier is not None:
            return f"tier:{self.tier}"
        return f"services:{','.join(self.services)}" if self.services else "all"

    @property
    def label(self) -> str:
        """How people read it: "all business services", "tier 1", "a, b"."""
        if self.tier is not None:
            return f"tier {self.tier}"
        return ", ".join(self.services) if self.services else "all business services"

    def pick(self, components: Iterable[Component]) -> list[Component]:
        """The business services selected, in map order."""
        business = [c for c in components if c.is_business]
        if self.tier is not None:
            return [c for c in business if c.tier == self.tier]
        if self.services:
            wanted = {s.casefold() for s in self.services}
            return [c for c in business if c.key in wanted]
        return business


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """When and where a digest is posted; `time` is HH:MM on the wall clock of `tz`."""

    id: int
    channel: str
    cadence: str
    time: str
    tz: str
    selector: Selector
    weekday: int | None = None
    monthday: int | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    active: bool = True

    @property
    def when(self) -> str:
        """How it reads, e.g. "daily 09:00 Europe/Berlin" or "weekly mon 09:00 UTC"."""
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        day = {"weekly": days[self.weekday or 0], "monthly": str(self.monthday or 1)}
        parts = [self.cadence, day.get(self.cadence, ""), self.time, self.tz]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class DigestRun:
    schedule_id: int
    period_key: str
    claimed_by: str
    claimed_at: datetime
    attempts: int
    posted_at: datetime | None
    message_ts: str | None


class DigestStore:
    """Schedules and runs on the store's engine; every mutation is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _write(self) -> AbstractContextManager[Connection]:
        return transaction(self.engine)

    def add(self, schedule: DigestSchedule, now: datetime) -> DigestSchedule:
        """Store a new schedule (its `id` is ignored); returns it with the id it got."""
        _check(schedule)
        values = {
            "channel": schedule.channel,
            "cadence": schedule.cadence,
            "at_time": schedule.time,
            "weekday": schedule.weekday,
            "monthday": schedule.monthday,
            "tz": schedule.tz,
            "selector": str(schedule.selector),
            "created_by": schedule.created_by,
            "created_at": now,
            "active": True,
        }
        with self._write() as connection:
            query = insert(DigestScheduleRow).returning(DigestScheduleRow.c.id)
            new_id = int(connection.execute(query, values).scalar_one())
            return _schedules(connection, schedule_id=new_id)[0]

    def schedules(self, *, active_only: bool = True) -> list[DigestSchedule]:
        with self.engine.connect() as connection:
            return _schedules(connection, active_only=active_only)

    def get(self, schedule_id: int) -> DigestSchedule:
        with self.engine.connect() as connection:
            found = _schedules(connection, schedule_id=schedule_id)
        if not found:
            raise NotFound(f"no digest schedule with id {schedule_id}: `digest list` shows them")
        return found[0]

    def cancel(self, schedule_id: int) -> DigestSchedule:
        """Deactivate a schedule (its runs stay as history); NotFound for an unknown id."""
        with self._write() as connection:
            query = update(DigestScheduleRow).where(
                DigestScheduleRow.c.id == schedule_id, DigestScheduleRow.c.active.is_(True)
            )
            if not connection.execute(query.values(active=False)).rowcount:
                raise NotFound(
                    f"no active digest schedule with id {schedule_id}: `digest list` shows them"
                )
            return _schedules(connection, schedule_id=schedule_id, active_only=False)[0]

    def claim(
        self,
        schedule_id: int,
        period_key: str,
        worker: str,
        now: datetime,
        lease_s: float = LEASE_S,
    ) -> bool:
        """Take the run of `period_key` for `worker`: True for exactly one caller per period.

        A claim that was not marked posted within `lease_s` can be taken again.
        """
        values = {
            "schedule_id": schedule_id,
            "period_key": period_key,
            "claimed_by": worker,
            "claimed_at": now,
            "attempts": 1,
        }
        with self._write() as connection:
            dialect = dialect_of(connection)
            statement = (
                dialect.insert(DigestRunRow).on_conflict_do_nothing().returning(DigestRunRow.c.id)
            )
            if connection.execute(statement, values).first() is not None:
                return True
            retake = (
                update(DigestRunRow)
                .where(
                    DigestRunRow.c.schedule_id == schedule_id,
                    DigestRunRow.c.period_key == period_key,
                    DigestRunRow.c.posted_at.is_(None),
                    DigestRunRow.c.claimed_at < now - timedelta(seconds=lease_s),
                )
                .values(claimed_by=worker, claimed_at=now, attempts=DigestRunRow.c.attempts + 1)
            )
            return bool(connection.execute(retake).rowcount)

    def mark_posted(
        self, schedule_id: int, period_key: str, worker: str, message_ts: str, now: datetime
    ) -> bool:
        """Record the post; False when another worker took the claim over meanwhile."""
        with self._write() as connection:
            query = (
                update(DigestRunRow)
                .where(
                    DigestRunRow.c.schedule_id == schedule_id,
                    DigestRunRow.c.period_key == period_key,
                    DigestRunRow.c.claimed_by == worker,
                    DigestRunRow.c.posted_at.is_(None),
                )
                .values(posted_at=now, message_ts=message_ts)
            )
            return bool(connection.execute(query).rowcount)

    def abandoned(self, now: datetime, lease_s: float = LEASE_S) -> list[DigestRun]:
        """Claims of active schedules never marked posted whose lease has run out."""
        query = (
            select(DigestRunRow)
            .join(DigestScheduleRow, DigestScheduleRow.c.id == DigestRunRow.c.schedule_id)
            .where(
                DigestScheduleRow.c.active.is_(True),
                DigestRunRow.c.posted_at.is_(None),
                DigestRunRow.c.claimed_at < now - timedelta(seconds=lease_s),
            )
            .order_by(DigestRunRow.c.id)
        )
        with self.engine.connect() as connection:
            return [_run(row) for row in connection.execute(query).mappings()]

    def taken(self, periods: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which of the (schedule_id, period_key) `periods` have a run (claimed or posted)."""
        wanted = set(periods)
        if not wanted:
            return set()
        query = select(DigestRunRow.c.schedule_id, DigestRunRow.c.period_key).where(
            DigestRunRow.c.schedule_id.in_({schedule for schedule, _ in wanted}),
            DigestRunRow.c.period_key.in_({key for _, key in wanted}),
        )
        with self.engine.connect() as connection:
            found = {(int(s), str(k)) for s, k in connection.execute(query).all()}
        return found & wanted

    def runs(self, schedule_id: int | None = None) -> list[DigestRun]:
        query = select(DigestRunRow).order_by(DigestRunRow.c.id)
        if schedule_id is not None:
            query = query.where(DigestRunRow.c.schedule_id == schedule_id)
        with self.engine.connect() as connection:
            return [_run(row) for row in connection.execute(query).mappings()]


def _check(schedule: DigestSchedule) -> None:
    if schedule.cadence not in CADENCES:
        raise DigestError(f"digest cadence {schedule.cadence!r}: use daily, weekly or monthly")
    if schedule.cadence == "weekly" and not 0 <= (schedule.weekday or 0) <= 6:
        raise DigestError(f"weekday {schedule.weekday!r}: use 0 (Monday) to 6 (Sunday)")
    if schedule.cadence == "monthly" and not 1 <= (schedule.monthday or 1) <= 31:
        raise DigestError(f"day of month {schedule.monthday!r}: use 1 to 31")
    if not schedule.channel.strip():
        raise DigestError("a digest needs a channel, e.g. #ops-managers")


def _schedules(
    connection: Connection, *, schedule_id: int | None = None, active_only: bool = False
) -> list[DigestSchedule]:
    query = select(DigestScheduleRow).order_by(DigestScheduleRow.c.id)
    if schedule_id is not None:
        query = query.where(DigestScheduleRow.c.id == schedule_id)
    if active_only:
        query = query.where(DigestScheduleRow.c.active.is_(True))
    return [_schedule(row) for row in connection.execute(query).mappings()]


def _schedule(row: RowMapping) -> DigestSchedule:
    return DigestSchedule(
        id=row["id"],
        channel=row["channel"],
        cadence=row["cadence"],
        time=row["at_time"],
        tz=row["tz"],
        selector=Selector.parse(row["selector"]),
        weekday=row["weekday"],
        monthday=row["monthday"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        active=bool(row["active"]),
    )


def _run(row: RowMapping) -> DigestRun:
    return DigestRun(
        row["schedule_id"],
        row["period_key"],
        row["claimed_by"],
        row["claimed_at"],
        row["attempts"],
        row["posted_at"],
        row["message_ts"],
    )
