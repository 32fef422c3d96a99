"""Deliveries already handled: a redelivered request is recognised by any replica.

Slack redelivers events it believes were missed (`X-Slack-Retry-Num`), possibly to another
replica behind the load balancer. The first replica to insert the delivery's key wins; the
unique key makes the check atomic without locks. Signed slash commands and interactions are
keyed by their signature and timestamp (a replay inside Slack's five-minute window is
recognised). `probe()` rewrites one row: the health check's proof that writes commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Column, Engine, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError

from impact.clock import Clock, utcnow
from store.schema import METADATA, UTCDateTime

KEY_LENGTH = 200
PROBE_PREFIX = "health:write-probe:"  # one row per process, rewritten by each probe
KEEP = timedelta(days=1)  # Slack stops retrying within minutes; a day is generous


DeliveryRow = Table(
    "deliveries",
    METADATA,
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("received_at", UTCDateTime, index=True, nullable=False),
)


class DeliveryLog:
    """`first_delivery(key)` is True exactly once per key across every process."""

    def __init__(
        self,
        engine: Engine,
        *,
        keep: timedelta = KEEP,
        prune_every: int = 1000,
        clock: Clock = utcnow,
    ):
        self.engine, self.keep, self.prune_every, self.clock = engine, keep, prune_every, clock
        self._seen = 0
        self.probe_key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"  # replicas never contend

    def first_delivery(self, key: str) -> bool:
        now = self.clock()
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(DeliveryRow).values(key=key[:KEY_LENGTH], received_at=now)
                )
        except IntegrityError:
            return False
        self._seen += 1
        if self._seen % self.prune_every == 0:
            self.prune(now)
        return True

    def probe(self) -> None:
        """Commit one small write (this process's probe row, rewritten); raises when writes
        fail. Rows of processes gone are pruned with the deliveries."""
        row, key = DeliveryRow, self.probe_key
        with self.engine.begin() as connection:
            connection.execute(delete(row).where(row.c.key == key))
            connection.execute(insert(row).values(key=key, received_at=self.clock()))

    def prune(self, now: datetime | None = None) -> int:
        """Forget deliveries older than `keep`; returns how many were removed."""
        cutoff = (now or self.clock()) - self.keep
        with self.engine.begin() as connection:
            removed = connection.execute(
                delete(DeliveryRow).where(DeliveryRow.c.received_at < cutoff)
            ).rowcount
        return int(removed or 0)
