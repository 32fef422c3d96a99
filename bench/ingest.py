"""Webhook ingestion on loopback: alerts/s sustained and ack latency vs a trivial endpoint.

    python bench/ingest.py --seconds 20 --batch 10 --clients 8 [--database-url URL]
    python bench/ingest.py --soak 600 [--database-url URL]     # memory over a long run

Starts a server subprocess (uvicorn, the real webhook routes over a store holding the demo
map, plus GET /ping that does nothing) and drives it from client threads for `--seconds`
per endpoint. Alerts fire and resolve on random components at ever later times, so every
event is new and most requests change a component state; incidents are reconciled once
per burst by a background thread, as in `bsm serve`. Prints one JSON line at the end.

`--soak SECONDS` drives the webhook for that long after `--seconds` on the trivial
endpoint, prints the server's RSS when the soak starts and ends (and at each tenth of it),
and adds `soak_s`, `rss_kb_samples` and `rss_kb_growth_after_warmup` (end minus the first
tenth's sample: allocator warm-up and caches are not a leak) to the JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/impact.py would shadow the `impact` package
TOKEN = "bench-token"


def serve(url: str, port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from bot.webhooks import ReconcileLoop, webhook_routes
    from services.incidents import Incidents
    from services.model import ModelService
    from store import Store, load_map_file

    store = Store(url, upgrade=True)
    store.import_map(load_map_file(ROOT / "store" / "demo" / "demo.yaml"), actor="bench")

    async def ping(request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    desk = Incidents(store, ModelService(store))
    loop = ReconcileLoop(desk)  # what IncidentRuntime runs in `bsm serve`, minus Slack
    loop.start()
    hooks = webhook_routes(desk, TOKEN, on_commit=loop.wake, reconcile_inline=False)
    routes = [Route("/ping", ping), *hooks]
    uvicorn.run(Starlette(routes=routes), host="127.0.0.1", port=port, log_level="error")


def components(url: str) -> list[str]:
    from store import Store

    return [n for n, c in Store(url).load_map().components.items() if not c.is_business]


EPOCH = datetime(2026, 11, 28, 9, tzinfo=UTC)


def body(names: list[str], batch: int, counter: list[int]) -> dict[str, object]:
    """Alerts that fire and resolve at ever later times: every event is new, most move a state."""
    alerts = []
    for _ in range(batch):
        counter[0] += 1
        name = random.choice(names)
        firing = random.random() < 0.5
        at = EPOCH + timedelta(milliseconds=counter[0])
        starts = at if firing else at - timedelta(minutes=1)
        alerts.append(
            {
                "status": "firing" if firing else "resolved",
                "labels": {"alertname": "InstanceDown", "component": name},
                "annotations": {"summary": f"{name} down"},
                "startsAt": starts.isoformat(),
                "endsAt": "0001-01-01T00:00:00Z" if firing else at.isoformat(),
                "fingerprint": f"fp-{name}-{counter[0] % 3}",
            }
        )
    return {"version": "4", "status": "firing", "alerts": alerts}


def drive(
    base: str, path: str, seconds: float, clients: int, make: object, server: int = 0
) -> dict[str, float]:
    """`clients` threads hammering `path`; with the CPU the server (pid) and clients used."""
    cpu_before = cpu_s(server), time.process_time()
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker() -> None:
        mine: list[float] = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            while time.perf_counter() < stop:
                start = time.perf_counter()
                posting = make is not None
                response = http.post(path, json=make()) if posting else http.get(path)  # type: ignore[operator,misc]
                mine.append(time.perf_counter() - start)
                if response.status_code != 200:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    n = len(latencies)
    return {
        "requests_per_s": round(n / seconds, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 2),
        "p99_ms": round(latencies[int(n * 0.99)] * 1000, 2),
        "errors": errors[0],
        "server_cpu": round((cpu_s(server) - cpu_before[0]) / seconds, 2),  # cores busy
        "client_cpu": round((time.process_time() - cpu_before[1]) / seconds, 2),
    }


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 without a pid."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Sampler:
    """The server's RSS every `every_s` seconds during a soak, printed as it goes."""

    def __init__(self, pid: int, every_s: float) -> None:
        self.pid, self.every_s = pid, every_s
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Sampler:
        self.samples.append(rss_kb(self.pid))
        print(f"soak start: server RSS {self.samples[0]} kB", file=sys.stderr, flush=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.samples.append(rss_kb(self.pid))
            print(f"soak: server RSS {self.samples[-1]} kB", file=sys.stderr, flush=True)

    def stop(self) -> dict[str, object]:
        self._stop.set()
        self._thread.join()
        end = rss_kb(self.pid)
        print(f"soak end: server RSS {end} kB", file=sys.stderr, flush=True)
        warm = self.samples[1] if len(self.samples) > 1 else self.samples[0]
        return {
            "soak_s": round(self.every_s * 10, 1),
            "rss_kb_samples": [*self.samples, end],
            "rss_kb_growth_after_warmup": end - warm,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=18631)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--soak", type=float, default=0, help="seconds of webhook load")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    if args.serve:
        serve(url, args.port)
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, __file__, "--serve", "--port", str(args.port), "--database-url", url]
    server = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/ping")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        names = components(url)
        rss_start = rss_kb(server.pid)
        trivial = drive(base, "/ping", args.seconds, args.clients, None, server.pid)
        counter = [0]
        seconds = args.soak or args.seconds
        samples = Sampler(server.pid, seconds / 10).start() if args.soak else None
        hook = drive(
            base,
            "/webhooks/alertmanager",
            seconds,
            args.clients,
            lambda: body(names, args.batch, counter),
            server.pid,
        )
        result = {
            "bench": "ingest",
            "database": url.split(":")[0],
            "batch": args.batch,
            "clients": args.clients,
            "seconds": args.seconds,
            "alerts_per_s": round(hook["requests_per_s"] * args.batch, 1),
            "webhook": hook,
            "trivial": trivial,
            "rss_kb_start": rss_start,
            "rss_kb_end": rss_kb(server.pid),
            "client_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
        if samples is not None:
            result |= samples.stop()
        print(json.dumps(result))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
