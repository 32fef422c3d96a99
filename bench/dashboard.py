"""Dashboard render times on a 100k-component map (1,000 business services), over HTTP.

Builds the generated map of bench/ask.py in a SQLite store (kept in the temporary
directory between runs), marks a few infrastructure components down so that business
services fail, serves the dashboard with uvicorn on loopback, and times, with one kiosk
session: the overview (`/dashboard`), a service page (`/dashboard/services/NAME`, graph,
90 days of availability, incidents) and, as the in-run baseline, a static file of the same
server (`/dashboard/static/dashboard.css`). The first overview (the map compiled, the SLA
of every service measured) is reported apart as `first_overview_ms`. Targets: overview
<= 200 ms, service page <= 300 ms. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# bench/ also holds impact.py (the engine benchmark): keep it from shadowing the package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from bot.server import create_server  # noqa: E402
from bot.settings import DashboardSettings  # noqa: E402
from bot.web import Dashboard  # noqa: E402
from bot.web.auth import Access  # noqa: E402
from bot.web.figures import Board  # noqa: E402
from impact.model import State, StatusEvent  # noqa: E402
from services.digests import DigestService  # noqa: E402
from services.incidents import Incidents  # noqa: E402
from services.model import ModelService  # noqa: E402

TOKEN = "bench-kiosk-token-0123456789abcdef"


def _ask_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_ask", HERE / "ask.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _store(size: int) -> Any:
    """A SQLite store of bench/ask.py's generated map, imported once into a file of its own
    (kept in the temporary directory, keyed by size, generator and schema head)."""
    from store import Store

    ask = _ask_module()
    versions = HERE.parent / "store" / "migrations" / "versions"
    head = max(p.name.split("_")[0] for p in versions.glob("*.py"))
    name = f"bsm-bench-dashboard-{size}-v{ask.GENERATOR_VERSION}-{head}.db"
    path = Path(tempfile.gettempdir()) / name
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        store = Store(url=f"sqlite:///{partial}")
        store.import_map(ask.generated_map(size))
        store.close()
        os.replace(partial, path)
    return Store(url=f"sqlite:///{path}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _timed(client: httpx.Client, path: str, rounds: int) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        answer = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code}")
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[min(len(samples) - 1, int(len(samples) * 0.95))],
        "bytes": len(answer.content),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--down", type=int, default=20, help="infrastructure components down")
    args = parser.parse_args()

    store = _store(args.nodes)
    service_map = store.load_map()
    business = sorted(c.name for c in service_map.business_services)
    infra = sorted(n for n in service_map.components if n.startswith("l3-"))
    now = datetime.now(UTC) - timedelta(seconds=1)
    store.record_events(
        [StatusEvent(n, State.DOWN, now, source="bench") for n in infra[: args.down]]
    )
    models = ModelService(store)
    desk = Incidents(store, models)
    settings = DashboardSettings(session_secret="bench-session-secret-0123456789", token=TOKEN)
    dashboard = Dashboard(
        Board(models, desk, DigestService(store, models)),
        Access(settings, api_url="http://127.0.0.1:9/api/"),
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_server(None, dashboard=dashboard),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            client.get(f"/dashboard/incidents?token={TOKEN}")  # sets the kiosk cookie
            start = time.perf_counter()
            first = client.get("/dashboard")
            first_ms = (time.perf_counter() - start) * 1000
            assert first.status_code == 200, first.status_code
            failing = first.text.count('data-state="down"') + first.text.count(
                'data-state="degraded"'
            )
            service = business[0]
            client.get(f"/dashboard/services/{service}")  # warm
            static = _timed(client, "/dashboard/static/dashboard.css", args.rounds)
            overview = _timed(client, "/dashboard", args.rounds)
            page = _timed(client, f"/dashboard/services/{service}", args.rounds)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    result = {
        "bench": "dashboard",
        "components": len(service_map.components),
        "business_services": len(business),
        "failing_tiles": failing,
        "first_overview_ms": first_ms,
        "static": static,
        "overview": overview,
        "service_page": page,
        "overview_vs_static": overview["median_ms"] / static["median_ms"],
        "service_vs_static": page["median_ms"] / static["median_ms"],
        "overview_target_met": overview["median_ms"] <= 200,
        "service_target_met": page["median_ms"] <= 300,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
