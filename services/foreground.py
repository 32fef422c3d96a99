"""Questions first: background work steps aside while a question is being answered.

    foreground = Foreground()                  # one per process, built by the composition root
    with foreground.asking():                  # a surface, around a question and its answer
        ...
    foreground.pause()                         # background loops, between small steps

In `bsm serve` every thread shares one interpreter lock: during an alert storm the reconcile
loop (incident writes, the status of new states, the groups at their minimum) computes for
hundreds of milliseconds a second, and a question running beside it gets the lock one
millisecond in two. Background loops that call `pause()` between steps of a few
milliseconds wait while a question is in flight, so the question runs mostly alone.

A question's answer is still being sent, and a Slack request hands its question to another
thread, just after the question's mark ends: a pause also waits `linger_s` past the end of
the last question (a background step starting in that gap would share the interpreter
with the reply for its whole length).

Bounded both ways: a pause waits at most `wait_s` (the linger included), and after a pause
the thread runs `run_s` before it steps aside again. Under questions asked back to back the
background still gets at least `run_s / (run_s + wait_s)` of the time (more in the gaps
between questions), so the work it does (incidents, at-risk notices) is late, never
starved. The webhooks' group commit pauses at most `COMMIT_WAIT_S` before a commit: an
alert's 2xx is that much later at worst, and the payloads that arrive meanwhile share the
commit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["COMMIT_WAIT_S", "Foreground"]

WAIT_S = 0.1  # a pause waits at most this long for the questions in flight
RUN_S = 0.005  # then the background runs at least this long before it pauses again
COMMIT_WAIT_S = 0.02  # the webhooks' group commit waits at most this long
LINGER_S = 0.02  # and this long after the last question ended (its reply is being sent)


class Foreground:
    """The questions in flight, and the pause background loops take for them."""

    def __init__(
        self,
        *,
        wait_s: float = WAIT_S,
        run_s: float = RUN_S,
        linger_s: float = LINGER_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.wait_s, self.run_s, self.monotonic = wait_s, run_s, monotonic
        self.linger_s = linger_s
        self._asking = 0
        self._ended = -float("inf")  # when the last question in flight ended
        self._idle = threading.Condition()
        self._running = threading.local()  # per background thread: pauses not before this
        self.paused_s = 0.0  # time background work spent stepping aside (telemetry)

    @contextmanager
    def asking(self) -> Iterator[None]:
        """Mark a question in flight for the duration of the block (nests, any thread)."""
        with self._idle:
            self._asking += 1
        try:
            yield
        finally:
            with self._idle:
                self._asking -= 1
                if not self._asking:
                    self._ended = self.monotonic()
                    self._idle.notify_all()

    @property
    def busy(self) -> bool:
        """Whether a question is in flight now."""
        return self._asking > 0

    def pause(self, at_most: float | None = None) -> None:
        """For background work between small steps: while a question is in flight, wait
        for it to end and then `linger_s` past its end, at most `at_most` (default
        `wait_s`) in all, unless this thread paused less than `run_s` ago. Costs a clock
        read when no question is in flight or ended within `linger_s`."""
        if not self._asking and self.monotonic() >= self._ended + self.linger_s:
            return
        now = self.monotonic()
        if now < getattr(self._running, "until", 0.0):
            return
        bound = self.wait_s if at_most is None else at_most
        with self._idle:
            self._idle.wait_for(lambda: not self._asking, bound)
            waited = self.monotonic()
            left = min(self._ended + self.linger_s, now + bound) - waited
            if not self._asking and left > 0:  # its reply is being sent
                self._idle.wait(left)
        after = self.monotonic()
        self.paused_s += after - now
        self._running.until = after + self.run_s
