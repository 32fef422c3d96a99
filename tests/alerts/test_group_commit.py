"""Group commit: concurrent webhooks share one transaction, and nobody can tell from outside.

Each request still gets its own answer (its own event counts), redelivery inside one group
stores nothing twice, the history reads as if the payloads had come one by one, and one
payload the database refuses does not fail the others of its group.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from payloads import TOKEN, alertmanager, am_alert
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.webhooks import GroupCommit, Webhooks
from impact.model import State, StatusEvent
from services.incidents import Incidents
from services.model import ModelService
from store import Store
from store.alerts import Observation

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def observation(alert: str, component: str, state: State, minutes: int) -> Observation:
    at = T0 + timedelta(minutes=minutes)
    event = StatusEvent(component, state, at, "alertmanager", None, f"{alert}:{at}:{state}")
    return Observation(alert, event)


def test_requests_arriving_during_a_commit_share_the_next_one() -> None:
    release, groups = threading.Event(), []

    def commit(payloads: list[int]) -> list[object]:
        groups.append(list(payloads))
        release.wait(5)
        return [f"report {p}" for p in payloads]

    commits = GroupCommit(commit)  # type: ignore[arg-type]

    async def burst() -> list[object]:
        first = asyncio.ensure_future(commits.submit(0))  # type: ignore[arg-type]
        while not groups:  # the writer is now inside the first commit
            await asyncio.sleep(0.001)
        rest = [asyncio.ensure_future(commits.submit(n)) for n in range(1, 6)]  # type: ignore[arg-type]
        await asyncio.sleep(0.01)
        release.set()
        return list(await asyncio.gather(first, *rest))

    answers = asyncio.run(burst())
    assert groups == [[0], [1, 2, 3, 4, 5]]
    assert answers == [f"report {n}" for n in range(6)]


def test_one_group_reports_per_payload_and_redelivery_counts_once(
    desk: Incidents, mapped_store: Store
) -> None:
    down = observation("am:fp-1", "db-01", State.DOWN, 0)
    other = observation("am:fp-2", "db-02", State.DOWN, 1)
    reports = desk.ingest_many([([down], []), ([down, other], []), ([down], [])])
    assert [r.events for r in reports] == [1, 1, 0]
    assert len(mapped_store.events()) == 2


def test_history_replays_a_group_in_time_order(desk: Incidents, mapped_store: Store) -> None:
    """Fire at :00, a second alert at :01, the first resolves at :02, the second at :03."""
    payloads = [
        ([observation("am:a", "db-01", State.OK, 2)], []),  # arrives first, happened later
        ([observation("am:a", "db-01", State.DOWN, 0)], []),
        ([observation("am:b", "db-01", State.DEGRADED, 1)], []),
        ([observation("am:b", "db-01", State.OK, 3)], []),
    ]
    desk.ingest_many(payloads)
    history = [(e.at - T0, e.state) for e in mapped_store.events()]
    minute = timedelta(minutes=1)
    assert history == [
        (0 * minute, State.DOWN),
        (1 * minute, State.DOWN),  # a down alert still fires: the component stays down
        (2 * minute, State.DEGRADED),  # the down alert resolved; the degraded one remains
        (3 * minute, State.OK),
    ]
    assert mapped_store.current_states().get("db-01", State.OK) is State.OK


def test_a_payload_the_database_refuses_fails_alone(
    desk: Incidents, mapped_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = Webhooks(desk, TOKEN)
    refused = "payments-api"
    ingest_many = desk.ingest_many

    def picky(payloads, **kw):  # type: ignore[no-untyped-def]
        if any(o.event.component == refused for p in payloads for o in p[0]):
            raise DBAPIError("INSERT", {}, Exception("value too long"))
        return ingest_many(payloads, **kw)

    monkeypatch.setattr(desk, "ingest_many", picky)
    good = alertmanager(am_alert("InstanceDown", {"job": "checkout-api"}, fingerprint="fp-ok"))
    bad = alertmanager(am_alert("InstanceDown", {"job": refused}, fingerprint="fp-bad"))
    payloads = [hooks._read("alertmanager", _json(b)) for b in (good, bad)]
    outcomes = hooks._commit(payloads)
    assert outcomes[0].events == 1  # type: ignore[union-attr]
    assert isinstance(outcomes[1], DBAPIError)
    assert [e.component for e in mapped_store.events()] == ["checkout-api"]


def post_failing(desk: Incidents, monkeypatch: pytest.MonkeyPatch, error: DBAPIError) -> Any:
    """POST one alert while every database write raises `error`."""

    def failing(payloads, **kw):  # type: ignore[no-untyped-def]
        raise error

    monkeypatch.setattr(desk, "ingest_many", failing)
    app = Starlette(routes=Webhooks(desk, TOKEN).routes())
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as http:
        body = alertmanager(am_alert("InstanceDown", {"job": "checkout-api"}))
        return http.post("/webhooks/alertmanager", json=body)


def _lost_connection() -> DBAPIError:
    error = DBAPIError("INSERT", {}, Exception("server closed the connection"))
    error.connection_invalidated = True
    return error


@pytest.mark.parametrize(
    "error",
    [OperationalError("INSERT", {}, Exception("connection refused")), _lost_connection()],
    ids=["unreachable", "connection lost"],
)
def test_database_down_answers_503_with_retry_after(
    desk: Incidents, monkeypatch: pytest.MonkeyPatch, error: DBAPIError
) -> None:
    response = post_failing(desk, monkeypatch, error)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    "error, status",
    [
        (DataError("INSERT", {}, Exception("invalid byte sequence")), 400),
        (IntegrityError("INSERT", {}, Exception("duplicate key")), 500),
    ],
    ids=["bad value", "bug"],
)
def test_only_connection_errors_ask_for_a_retry(
    desk: Incidents, monkeypatch: pytest.MonkeyPatch, error: DBAPIError, status: int
) -> None:
    """A retry would be refused again: the sender must not be told to retry forever."""
    response = post_failing(desk, monkeypatch, error)
    assert response.status_code == status and "retry-after" not in response.headers
    if status == 400:
        assert response.json()["field"] == "body"


def _json(body: object) -> bytes:
    import json

    return json.dumps(body).encode()


def test_a_reconcile_decided_on_a_stale_snapshot_decides_again(
    desk: Incidents, mapped_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two replicas decide at once: the second to write sees the first's incident, opens none."""
    other = Incidents(mapped_store, ModelService(mapped_store), clock=desk.clock)
    desk.ingest([observation("am:a", "checkout-api", State.DOWN, 0)], reconcile=False)
    decide = desk._decide
    raced = []

    def racing(snapshot):  # type: ignore[no-untyped-def]
        decided = decide(snapshot)
        if not raced:  # the other replica writes between our snapshot and our write
            raced.append(other.reconcile())
        return decided

    monkeypatch.setattr(desk, "_decide", racing)
    second = desk.reconcile()
    assert len(raced[0].opens) == 1 and second.empty
    assert len(desk.incidents()) == 1


def test_reconcile_loop_calls_on_change_only_when_incidents_changed() -> None:
    from bot.webhooks import ReconcileLoop
    from impact.incidents import Plan

    plans = [Plan(resolves=(1,))]
    empty_seen = threading.Event()

    class Desk:
        def reconcile(self) -> Plan:
            plan = plans.pop(0) if plans else Plan()
            if plan.empty:
                empty_seen.set()
            return plan

    changed = threading.Event()
    loop = ReconcileLoop(Desk(), every_s=0.0, on_change=changed.set)  # type: ignore[arg-type]
    loop.start()
    try:
        assert changed.wait(5)  # the start-up reconcile resolved an incident
        changed.clear()
        loop.wake()
        assert empty_seen.wait(5)  # a reconcile that changed nothing ...
    finally:
        loop.stop()
    assert not changed.is_set()  # ... never refreshes the Home tabs


def test_the_start_up_reconcile_waits_as_long_as_asked() -> None:
    """`bsm serve` asks its start-up reconcile to wait (`WARM_AFTER_S`): it would otherwise
    take the interpreter from the first answer; an alert before then waits for it too."""
    import time

    from bot.webhooks import ReconcileLoop
    from impact.incidents import Plan

    at: list[float] = []
    reconciled = threading.Event()

    class Desk:
        def reconcile(self) -> Plan:
            at.append(time.monotonic())
            reconciled.set()
            return Plan()

    loop = ReconcileLoop(Desk(), every_s=0.05)  # type: ignore[arg-type]
    started = time.monotonic()
    loop.start(first_after_s=0.4)
    try:
        loop.wake()  # an alert committed at once
        assert reconciled.wait(5)
    finally:
        loop.stop()
    assert at[0] - started >= 0.4
