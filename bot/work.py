"""The worker pool for long work (syncs, `digest now`), so listener threads stay free.

    pool = WorkPool(workers=4, queued=16)
    if not pool.submit(job, first=say_working):  # full: nothing ran
        say_busy()
    pool.shutdown()

Bolt runs listeners on a small thread pool: five slow syncs there would leave no thread
for anyone's `status`. Listeners ack, hand long work to this pool and return. At most
`workers` jobs run at once and `queued` more wait; past that `submit` refuses, and the
listener answers "busy". `first` runs on the caller's thread once a place is held and
before the job can start, so "working on it" always precedes the result. A job's
exception goes to its `on_error` (the listeners send the usual apology) and never
reaches the pool. Built once by the composition root (`bot.runtime`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

Job = Callable[[], None]
ErrorHandler = Callable[[Exception], None]


class WorkPool:
    """A bounded pool: `workers` threads, `queued` more jobs waiting, refusals beyond."""

    def __init__(self, workers: int = 4, queued: int = 16) -> None:
        if workers < 1 or queued < 0:
            raise ValueError("a work pool needs at least one worker and a non-negative queue")
        self.workers = workers
        self.capacity = workers + queued
        self._places = threading.BoundedSemaphore(self.capacity)
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="bsm-work")

    def submit(
        self, job: Job, *, first: Job | None = None, on_error: ErrorHandler | None = None
    ) -> bool:
        """Queue `job`; False (and nothing run) when the pool is full or shut down."""
        if not self._places.acquire(blocking=False):
            return False
        try:
            if first is not None:
                first()
            self._executor.submit(self._run, job, on_error)
        except BaseException:
            self._places.release()
            raise
        return True

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking work; with `wait`, let the running and queued jobs finish."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)

    def _run(self, job: Job, on_error: ErrorHandler | None) -> None:
        try:
            job()
        except Exception as error:  # a job's failure must not kill the worker
            if on_error is None:
                log.exception("background job failed")
            else:
                _report(on_error, error)
        finally:
            self._places.release()


def _report(on_error: ErrorHandler, error: Exception) -> None:
    try:
        on_error(error)
    except Exception:  # the error handler itself failed: log, carry on
        log.exception("background job failed, and so did reporting it")
