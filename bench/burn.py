"""Cost of one `burn_check` on the demo map with four weeks of generated history, against
the measurement an SLA figure for this month needs (`services.digests.measure` of every
business service from the month's start, or 3 days back when earlier), in the same run.

The check replays only its longest window (3 days) for every service, decides every rule,
replays the month for the services that burn (their budget), and syncs the episodes in
one write transaction. Prints ONE JSON line: medians in ms and the ratio.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from impact.windows import parse_window
from services.burn import BurnWatch
from services.digests import measure
from services.model import ModelService
from store import Store, generate_history
from store.mapfile import load_map_file

DEMO = Path(__file__).resolve().parents[1] / "store" / "demo" / "demo.yaml"
RUNS = 15


def median_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/bench.db")
        store.import_map(load_map_file(DEMO), actor="bench")
        now = datetime.now(UTC)
        history = generate_history(store.load_map(), end=now, days=28)
        store.record_events(history.events)
        models = ModelService(store)
        watch = BurnWatch(store, models)
        compiled = models.current()
        services = [c for c in compiled.service_map.components.values() if c.is_business]
        start = min(parse_window("this month", now).start, now - timedelta(days=3))
        baseline = median_ms(lambda: measure(store, compiled, services, start, now))
        check = median_ms(lambda: watch.check(now=now))
        facts = median_ms(lambda: watch.facts(now=now))  # the check without its write
        store.close()
    print(
        json.dumps(
            {
                "bench": "burn",
                "events": len(history.events),
                "baseline_measure_ms": round(baseline, 1),
                "burn_check_ms": round(check, 1),
                "facts_ms": round(facts, 1),
                "check_ratio": round(check / baseline, 2),
                "facts_ratio": round(facts / baseline, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
