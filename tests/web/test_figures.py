"""The dashboard's SLA figures: measured once per map version, then again in the background."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from webkit import demo_store

from bot.web.figures import SlaCache
from services.digests import DigestService
from services.model import ModelService


class CountingDigests(DigestService):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.calls = 0
        self.gate = threading.Event()
        self.gate.set()

    def measure(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        self.calls += 1
        assert self.gate.wait(10)
        return super().measure(*args, **kwargs)  # type: ignore[arg-type]


def test_stale_figures_are_answered_while_measured_again(tmp_path: Path) -> None:
    store = demo_store(tmp_path)
    models = ModelService(store)
    digests = CountingDigests(store, models)
    now = [0.0]
    cache = SlaCache(digests, ttl=60, clock=lambda: now[0])
    compiled = models.current()
    at = datetime.now(UTC)
    first, window = cache.reports(compiled, at)
    assert digests.calls == 1 and window.label
    # 8 business services in the demo map, each with its target from the map.
    assert len(first) == 8 and first["online-checkout"].target == 99.95
    assert cache.reports(compiled, at)[0] is first and digests.calls == 1  # within the ttl
    now[0] = 61.0
    digests.gate.clear()  # the background measure waits: the old figures are answered
    assert cache.reports(compiled, at)[0] is first
    assert cache.reports(compiled, at)[0] is first
    digests.gate.set()
    assert cache._measuring is not None
    cache._measuring.join(10)
    assert digests.calls == 2  # one background measure, however many asked meanwhile
    assert cache.reports(compiled, at)[0] is not first
