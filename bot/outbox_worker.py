"""Drains the outbox to Slack: posts notices, updates them, replies in their threads.

    worker = OutboxWorker(store.outbox, WebClient(token=..., base_url=...))
    worker.drain()            # send everything due now (the serve loop calls it every second)

A claimed row is leased (`sending` until `next_attempt_at`), sent, then marked `sent`
together with the notice's `ts` in one transaction. A crash after the commit that wrote
the row and before the post leaves it `pending`; a crash during a send leaves it `sending`
until the lease ends, then it is sent again (the one window where Slack may see it twice).
When the database is lost between the send and its mark (a PostgreSQL restart), the worker
keeps the mark in memory and writes it before it claims anything else, once the database
answers again: the message is not sent twice and does not wait out its lease. A row whose
send never started because the database was lost is released the same way.
429 waits Retry-After, 5xx and network errors back off exponentially, other Slack errors
(channel_not_found, not_in_channel...) fail the row and are logged. At most one message a
second per channel, across replicas (the rate reads `sent_at` from the shared table).
Every outcome is counted in `bsm_notices_total{kind, outcome=posted|retried|failed}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.metrics import Metrics
from bot.render.margins import render_living_notice
from bot.render.notices import render_notice, render_thread_line
from impact.clock import Clock, utcnow
from store import Outbox, OutboxItem, PostedNotice
from store.errors import database_failure

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0
PERMANENT = "permanent"


def _database_lost(error: BaseException) -> bool:
    """Whether `error` says the database is unreachable (worth writing again later)."""
    return database_failure(error) == "unavailable"


class NoticeNotPosted(Exception):
    """An update or reply whose notice has no `ts` (its post failed for good)."""


class OutboxWorker:
    def __init__(
        self,
        outbox: Outbox,
        client: WebClient,
        *,
        clock: Clock = utcnow,
        min_interval_s: float = 1.0,
        lease_s: float = 60.0,
        batch: int = 20,
        metrics: Metrics | None = None,
    ) -> None:
        self.outbox = outbox
        self.metrics = metrics or Metrics()
        self.client = client
        self.clock = clock
        self.min_interval_s = min_interval_s
        self.lease_s = lease_s
        self.batch = batch
        # Outbox writes the database could not take (it was unavailable), oldest first:
        # replayed before the next claim. At most one per claimed row, so at most `batch`.
        self._unwritten: list[Callable[[], None]] = []

    def drain_once(self) -> int:
        """Claim what is due now and send it; returns how many messages were delivered."""
        self._write_pending()
        items = self.outbox.claim(
            self.clock(), limit=self.batch, lease_s=self.lease_s, min_interval_s=self.min_interval_s
        )
        delivered = 0
        for number, item in enumerate(items):
            try:
                delivered += self._deliver(item)
            except Exception as error:
                if not _database_lost(error):
                    raise
                # The database went away: release this row and the unsent rest once it is
                # back, instead of leaving them leased.
                log.warning("outbox: database unavailable, %d rows wait", len(items) - number)
                for waiting in items[number:]:
                    self._unwritten.append(self._release(waiting))
                break
        return delivered

    @property
    def unwritten(self) -> int:
        """How many outbox writes wait for the database to answer again."""
        return len(self._unwritten)

    def _write_pending(self) -> None:
        """Write what the database could not take, in order; stops at the first that fails
        again (raising the database's error, as a claim would)."""
        while self._unwritten:
            self._unwritten[0]()
            self._unwritten.pop(0)

    def _release(self, item: OutboxItem) -> Callable[[], None]:
        now = self.clock()
        return lambda: self.outbox.retry_later(item, now, "database unavailable")

    def drain(self, rounds: int = 1000) -> int:
        """Send until a round sends nothing (rows waiting for Retry-After or the rate stay).

        A round that sent nothing ends the drain even when rows are due: they wait for
        their channel's rate slot or sit behind a failed row, and spinning on them would
        burn a core until the slot opens; the serve loop drains again within a second.
        """
        total = 0
        for _ in range(rounds):
            sent = self.drain_once()
            if not sent:
                break
            total += sent
        return total

    def _deliver(self, item: OutboxItem) -> bool:
        try:
            answer = self._send(item)
        except SlackApiError as error:
            self._failed(item, error)
            return False
        except NoticeNotPosted as error:
            self._give_up(item, str(error))
            return False
        except (OSError, TimeoutError) as error:
            self._retry(item, self._backoff(item), f"network: {error}")
            return False
        now, ts, channel = self.clock(), answer.get("ts"), answer.get("channel")
        try:
            self.outbox.sent(item, now, ts=ts, channel=channel)
        except Exception as error:
            if not _database_lost(error):
                raise
            log.warning(
                "outbox %s to %s sent; its mark waits for the database", item.kind, item.channel
            )
            self._unwritten.append(lambda: self.outbox.sent(item, now, ts=ts, channel=channel))
        self.metrics.notices.inc(kind=item.kind, outcome="posted")
        return True

    def _send(self, item: OutboxItem) -> Mapping[str, Any]:
        if (living := item.living) is not None:
            return self._send_living(item, living[0])
        if item.kind == "post":
            message = render_notice(item.notice())
            return self.client.chat_postMessage(channel=item.channel, **message.payload()).data  # type: ignore[return-value]
        posted = self._notice_of(item)
        if item.kind == "update":
            message = render_notice(item.notice())
            return self.client.chat_update(  # type: ignore[return-value]
                channel=posted.channel, ts=posted.ts, **message.payload()
            ).data
        reply = item.reply()
        line = render_thread_line(reply.entry, resolved=reply.resolved)
        return self.client.chat_postMessage(  # type: ignore[return-value]
            channel=posted.channel, thread_ts=posted.ts, **line.payload()
        ).data

    def _send_living(self, item: OutboxItem, kind: str) -> Mapping[str, Any]:
        """An at-risk notice or a burn alert: muted, posted once, then updated in place."""
        message = render_living_notice(kind, item.payload[kind])
        if item.kind == "post":
            return self.client.chat_postMessage(channel=item.channel, **message.payload()).data  # type: ignore[return-value]
        posted = self._notice_of(item)
        return self.client.chat_update(  # type: ignore[return-value]
            channel=posted.channel, ts=posted.ts, **message.payload()
        ).data

    def _notice_of(self, item: OutboxItem) -> PostedNotice:
        posted = self.outbox.posted_notice(item)
        if posted is None:
            owner = f"{item.living[0]} notice {item.living[1]}" if item.living else None
            raise NoticeNotPosted(
                f"{owner or f'incident {item.incident_id}'} has no notice in {item.channel}"
            )
        return posted

    def _failed(self, item: OutboxItem, error: SlackApiError) -> None:
        status = error.response.status_code
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        if status == 429:
            wait = float(error.response.headers.get("Retry-After", "1") or 1)
            self._retry(item, wait, "rate limited (429)")
        elif status >= 500:
            self._retry(item, self._backoff(item), f"Slack answered {status}")
        else:
            self._give_up(item, f"Slack refused {item.kind} to {item.channel}: {code or status}")

    def _backoff(self, item: OutboxItem) -> float:
        return float(min(MAX_BACKOFF_S, 2 ** max(0, item.attempts - 1)))

    def _retry(self, item: OutboxItem, after_s: float, why: str) -> None:
        at = self.clock() + timedelta(seconds=after_s)
        log.warning("outbox %s to %s: %s; retry in %.0fs", item.kind, item.channel, why, after_s)
        self.outbox.retry_later(item, at, why)
        self.metrics.notices.inc(kind=item.kind, outcome="retried")

    def _give_up(self, item: OutboxItem, why: str) -> None:
        log.error("outbox %s (%s): %s", item.dedup_key, item.kind, why)
        self.outbox.failed(item, why)
        self.metrics.notices.inc(kind=item.kind, outcome="failed")
