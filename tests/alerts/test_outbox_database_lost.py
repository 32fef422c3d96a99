"""The database lost mid-delivery (a PostgreSQL restart): nothing is sent twice, nothing
waits out its lease, and the outbox drains once the database answers again."""

from __future__ import annotations

from typing import Any

import pytest
from fake_slack import FakeSlack
from payloads import Clock, alertmanager, am_alert
from settled_slack import slack_client
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from bot.outbox_worker import OutboxWorker
from store import Outbox, Store
from store.outbox import OutboxRow

FIRST_TS = "1700000000.000001"  # the fake Slack numbers its messages from 1
CHECKOUT_API = {"job": "checkout-api", "instance": "checkout-api-7f9c:8080", "severity": "critical"}


class Flaky:
    """The store's outbox, with the database lost for the next `fail` calls of `method`."""

    def __init__(self, outbox: Outbox, method: str, fail: int) -> None:
        self.outbox, self.method, self.fail = outbox, method, fail

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.outbox, name)
        if name != self.method:
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.fail > 0:
                self.fail -= 1
                raise OperationalError(
                    "UPDATE outbox", {}, Exception("server closed the connection")
                )
            return found(*args, **kwargs)

        return call


def worker_over(flaky: Flaky, slack: FakeSlack, clock: Clock) -> OutboxWorker:
    return OutboxWorker(flaky, slack_client(slack), clock=clock, min_interval_s=0)  # type: ignore[arg-type]


def statuses(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return list(
            connection.execute(select(OutboxRow.c.status).order_by(OutboxRow.c.id)).scalars()
        )


def fire(
    http: TestClient, labels: dict[str, str] = CHECKOUT_API, fingerprint: str = "fp-checkout"
) -> None:
    body = alertmanager(am_alert("InstanceDown", labels, fingerprint=fingerprint))
    assert http.post("/webhooks/alertmanager", json=body).status_code == 200


def test_a_mark_lost_after_the_send_is_written_later_and_nothing_is_sent_twice(
    http: TestClient, slack: FakeSlack, mapped_store: Store, clock: Clock
) -> None:
    flaky = Flaky(mapped_store.outbox, "sent", fail=2)
    worker = worker_over(flaky, slack, clock)
    fire(http)
    assert worker.drain_once() == 1  # posted to Slack, its mark not written
    assert worker.unwritten == 1 and statuses(mapped_store) == ["sending"]
    with pytest.raises(OperationalError):  # still lost: the claim is not even tried
        worker.drain_once()
    assert worker.unwritten == 1
    assert worker.drain_once() == 0  # back: the mark is written, nothing is due
    assert worker.unwritten == 0 and statuses(mapped_store) == ["sent"]
    assert len(slack.delivered("chat.postMessage")) == 1
    # the notice's ts was kept with the late mark: the update edits the message posted
    posted = slack.delivered("chat.postMessage")[0]
    fire(http, {**CHECKOUT_API, "job": "payments-api"}, "fp-pay")
    worker.drain()
    (update,) = slack.delivered("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (posted.body["channel"], FIRST_TS)
    assert len(slack.delivered("chat.postMessage")) == 2  # the post, and a reply in its thread
    assert slack.delivered("chat.postMessage")[1].body["thread_ts"] == FIRST_TS


def test_rows_claimed_before_the_database_went_away_are_released_not_left_leased(
    http: TestClient, slack: FakeSlack, mapped_store: Store, clock: Clock
) -> None:
    flaky = Flaky(mapped_store.outbox, "posted_notice", fail=0)
    worker = worker_over(flaky, slack, clock)
    fire(http)
    worker.drain()
    assert statuses(mapped_store) == ["sent"]
    fire(http, {**CHECKOUT_API, "job": "payments-api"}, "fp-pay")
    assert "pending" in statuses(mapped_store)  # an update and a thread reply wait
    flaky.fail = 1  # reading the posted notice fails: the database is gone
    assert worker.drain_once() == 0
    assert worker.unwritten >= 1
    assert set(statuses(mapped_store)) <= {"sent", "pending", "sending"}
    # back within the same second: released and sent now, without waiting out a lease
    worker.drain()
    assert worker.unwritten == 0
    assert set(statuses(mapped_store)) == {"sent"}
    assert len(slack.delivered("chat.update")) + len(slack.delivered("chat.postMessage")) == len(
        statuses(mapped_store)
    )
