"""Two replicas of the runtime on one database, and how to drive them (proactive tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from bot.runtime import Runtime
from store import Store

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@", "<!subteam")


def both(replicas: list[Runtime], step: Callable[[Runtime], object]) -> None:
    """Run `step` on both replicas at once; a failure in either fails the test."""
    errors: list[BaseException] = []

    def run(replica: Runtime) -> None:
        try:
            step(replica)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]


def settle(replicas: list[Runtime], store: Store) -> None:
    """Drain both outboxes until every row is decided (the pace allows 1 msg/s/channel)."""
    for _ in range(100):  # bounded: 100 x 0.2 s
        both(replicas, lambda r: r.incidents.worker.drain())
        with store.engine.connect() as connection:
            open_rows = connection.execute(
                sa.text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
            ).scalar_one()
        if not open_rows:
            return
        time.sleep(0.2)
    raise AssertionError("the outbox did not settle")
