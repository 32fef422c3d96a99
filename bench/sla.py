"""SLA benchmark: the monthly SLA of many business services from a long event history.

    python bench/sla.py --db sqlite:////tmp/bsm-bench.db --services 1000 --days 90 --events 1000000

The map: `services` business services, each over its own app and database, plus a handful
of shared components (network, DNS) that a tenth of the services use. The history: the given
number of status events over `days` days (outages lasting minutes, then recovery), 60 % of
them repeated "still ok"/"still down" reports as monitoring sends them. Timed: the baseline
(reading every event from the store, the floor for any replay), then the SLA of every
business service for the last calendar month of the history (events read, replayed through
the engine, measured). The last line printed is one JSON object with the measurements.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impact.model import Component, Dependency, ServiceMap, State, StatusEvent
from impact.windows import month_window
from store import Store

SHARED = ["core-net", "dns", "edge-lb", "auth"]
END = datetime(2026, 10, 1, tzinfo=UTC)  # the history ends here; the month measured: September


def build_map(services: int, rng: random.Random) -> ServiceMap:
    components = [Component(n, kind="infra") for n in SHARED]
    deps: list[Dependency] = []
    for i in range(services):
        bs, app, db = f"bs-{i:04d}", f"app-{i:04d}", f"db-{i:04d}"
        components += [
            Component(bs, kind="business_service", sla=99.9, tier=1 + i % 4),
            Component(app),
            Component(db, kind="database"),
        ]
        deps += [Dependency(bs, app), Dependency(app, db)]
        if rng.random() < 0.1:
            deps.append(Dependency(app, rng.choice(SHARED)))
    return ServiceMap.build(components, deps)


def history(
    service_map: ServiceMap, events: int, days: int, rng: random.Random
) -> list[StatusEvent]:
    names = [c.name for c in service_map.components.values() if not c.is_business]
    start = END - timedelta(days=days)
    out = [StatusEvent(n, State.OK, start, "bench") for n in names]
    span = days * 86400
    while len(out) < events:
        name = rng.choice(names[len(SHARED) :]) if rng.random() > 0.001 else rng.choice(SHARED)
        at = start + timedelta(seconds=rng.uniform(0, span - 7200))
        state = State.DOWN if rng.random() < 0.85 else State.DEGRADED
        lasted = rng.uniform(60, 3600)
        out.append(StatusEvent(name, state, at, "bench"))
        for k in range(3):  # repeated reports while it is down, then recovered and "still ok"
            out.append(
                StatusEvent(name, state, at + timedelta(seconds=lasted * (k + 1) / 4), "bench")
            )
        out.append(StatusEvent(name, State.OK, at + timedelta(seconds=lasted), "bench"))
    return out[:events]


def load(store: Store, args: argparse.Namespace) -> float:
    if store.map_version() and store.events(since=END - timedelta(days=1)):
        return 0.0  # already loaded by an earlier run
    rng = random.Random(args.seed)
    began = time.perf_counter()
    service_map = build_map(args.services, rng)
    store.import_map(service_map, replace=True)
    events = history(service_map, args.events, args.days, rng)
    for i in range(0, len(events), 50_000):
        store.record_events(events[i : i + 50_000])
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL")
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    store = Store(args.db, upgrade=True)
    loaded = load(store, args)
    from services.digests import measure
    from services.model import ModelService

    began = time.perf_counter()
    stored = store.events()
    baseline = time.perf_counter() - began
    window = month_window(2026, 9, UTC)
    now = END + timedelta(days=1)
    began = time.perf_counter()
    services = store.load_map().business_services
    measured = measure(store, ModelService(store).current(), services, window.start, window.end)
    reports = [measured.report(s, window, now) for s in services]
    total = time.perf_counter() - began
    worst = min(r.availability for r in reports if r.availability is not None)
    result = {
        "backend": store.backend,
        "services": len(services),
        "events": len(stored),
        "days": args.days,
        "load_s": round(loaded, 2),
        "baseline_read_events_s": round(baseline, 2),
        "monthly_sla_all_services_s": round(total, 2),
        "worst_availability": round(worst, 4),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
