"""Questions first: background work (the reconcile loop, the catch-up of states, the
webhooks' group commit) steps aside while a question is in flight, boundedly.

`Foreground.pause` waits while a question is in flight, at most its bound, and a thread
that paused runs `run_s` before it pauses again: back-to-back questions delay background
work, never starve it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from payloads import Clock

from bot.metrics import Metrics, TimedAsker
from bot.webhooks import GroupCommit
from handlers.answer import Answer
from impact.model import State, StatusEvent
from impact.risk import current_margins
from services.foreground import Foreground
from services.incidents import Incidents
from services.margins import MarginWatch
from services.model import ModelService
from store import Store
from store.alerts import Observation


def down(component: str, clock: Clock) -> Observation:
    event = StatusEvent(component, State.DOWN, clock(), "alertmanager", None, f"{component}:down")
    return Observation(f"am:{component}", event)


def test_no_question_in_flight_costs_no_wait() -> None:
    foreground = Foreground(wait_s=5.0)
    started = time.perf_counter()
    for _ in range(1000):
        foreground.pause()
    assert time.perf_counter() - started < 0.5
    assert foreground.paused_s == 0.0


def test_a_pause_waits_for_the_question_in_flight_to_end() -> None:
    foreground = Foreground(wait_s=5.0)
    ended = threading.Event()

    def ask() -> None:
        with foreground.asking():
            time.sleep(0.1)
        ended.set()

    asker = threading.Thread(target=ask)
    with foreground.asking():  # in flight before the thread starts: nested marks count
        asker.start()
        time.sleep(0.02)
    assert foreground.busy
    foreground.pause()
    assert ended.wait(0) or not foreground.busy  # it returned once nothing was in flight
    assert 0.05 < foreground.paused_s < 2.0
    asker.join()


def test_a_pause_is_bounded_and_then_the_background_runs_a_while() -> None:
    ticks = [0.0]
    foreground = Foreground(wait_s=0.05, run_s=1.0, monotonic=lambda: ticks[0])
    with foreground.asking():  # a question that never ends
        started = time.perf_counter()
        foreground.pause()  # waits its bound
        assert 0.04 < time.perf_counter() - started < 2.0
        ticks[0] += 0.5  # within run_s of that pause: no wait
        started = time.perf_counter()
        foreground.pause()
        assert time.perf_counter() - started < 0.04
        ticks[0] += 1.0  # past it: waits again (at most `at_most`)
        started = time.perf_counter()
        foreground.pause(at_most=0.01)
        assert time.perf_counter() - started < 0.04


def test_timed_asker_marks_its_question_in_flight() -> None:
    foreground = Foreground()
    seen = []

    class Conversation:
        def ask(self, text: str, **_: Any) -> Answer:
            seen.append(foreground.busy)
            return Answer("help", "ok")

    TimedAsker(Conversation(), Metrics(), foreground).ask("help", user_id="U1", channel_id="C1")
    assert seen == [True]
    assert not foreground.busy


def test_the_group_commit_pauses_and_payloads_arriving_meanwhile_join() -> None:
    groups: list[list[int]] = []
    paused, release = threading.Event(), threading.Event()

    def pause() -> None:
        paused.set()
        release.wait(5)

    def commit(payloads: list[int]) -> list[object]:
        groups.append(list(payloads))
        return [f"report {p}" for p in payloads]

    commits = GroupCommit(commit, pause=pause)  # type: ignore[arg-type]

    async def burst() -> list[object]:
        first = asyncio.ensure_future(commits.submit(0))  # type: ignore[arg-type]
        while not paused.is_set():  # the writer is pausing before its commit
            await asyncio.sleep(0.001)
        rest = [asyncio.ensure_future(commits.submit(n)) for n in range(1, 4)]  # type: ignore[arg-type]
        await asyncio.sleep(0.01)
        release.set()
        return list(await asyncio.gather(first, *rest))

    answers = asyncio.run(burst())
    assert groups == [[0, 1, 2, 3]]
    assert answers == [f"report {n}" for n in range(4)]


def test_a_paced_reconcile_opens_once_and_derives_before_publishing(
    mapped_store: Store, clock: Clock
) -> None:
    """The reconcile's steps outside the write lock and the catch-up call `pause`; one
    incident is opened once; the groups at their minimum (db-01 down: orders-db holds on
    db-02 alone) are computed before the states are published, so a question's status
    finds them kept (computed once per states)."""
    calls: list[int] = []
    models = ModelService(mapped_store, pause=lambda: calls.append(1))
    desk = Incidents(
        mapped_store,
        models,
        clock=clock,
        margins=MarginWatch(mapped_store, models).refresh,
        pause=lambda: calls.append(1),
    )
    desk.ingest([down("db-01", clock), down("checkout-api", clock)], reconcile=False)
    decided = desk.reconcile()
    assert calls  # it stepped aside between steps
    assert len(decided.opens) == 1
    assert desk.reconcile().empty  # nothing left to do: opened once
    held = models.current().model.fork()
    searched = []
    kept = held.kept("margins", lambda _: searched.append(1))  # already kept: not computed
    assert not searched
    assert kept == current_margins(held)
    assert [m.group for m in kept] == ["orders-db:any_of[db-01,db-02]"]


def test_a_pause_lingers_after_a_question_while_its_reply_is_sent() -> None:
    ticks = [10.0]
    foreground = Foreground(wait_s=5.0, run_s=0.0, linger_s=0.05, monotonic=lambda: ticks[0])
    with foreground.asking():
        pass
    assert not foreground.busy
    started = time.perf_counter()
    foreground.pause()  # the question ended just now: its reply is being sent
    assert 0.04 < time.perf_counter() - started < 2.0
    ticks[0] += 0.05  # the linger is over: no wait
    started = time.perf_counter()
    for _ in range(100):
        foreground.pause()
    assert time.perf_counter() - started < 0.04


def test_the_linger_counts_in_the_bound_of_a_pause() -> None:
    ticks = [10.0]
    foreground = Foreground(wait_s=5.0, run_s=0.0, linger_s=5.0, monotonic=lambda: ticks[0])
    with foreground.asking():
        pass
    started = time.perf_counter()
    foreground.pause(at_most=0.05)  # the group commit's bound holds, linger or not
    assert 0.04 < time.perf_counter() - started < 1.0
