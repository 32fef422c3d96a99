"""Latency of the served bot on a large map, quiet and during an alert storm.

    python bench/serve.py [--nodes 100000] [--rounds 15] [--storm-rate 500] [--start-only]

Generates the layered map of `bench/impact.py` (with 1,000 business services, so that
"what does dns affect?" is a 1,000-service answer), imports it into an SQLite file, starts
`bsm serve` on a loopback port against a fake Slack Web API (the one of
`bench/serve_rss.py`), and sends signed slash commands and Alertmanager webhooks over HTTP.
Each latency is from the request sent to the reply posted to its response_url.

Measured: start -> first answer (the process started to its first `affects` reply) on a
restart, against the same on the demo map (the process's own start, the baseline; below it,
`python -c pass` and `import bot.runtime` as floors), and on
the very first start (nothing stored beside the map yet), the first answer
after a one-component merge import, then p50/p99 of `help` (the baseline, in
the same run), `affects` of a random component, `status` and the 1,000-service `affects`,
quiet and while webhooks bring `--storm-rate` alerts per second; plus the server's RSS and
the CPU it used per second of each phase (its own work, whatever else the machine runs),
and the machine's load average (another load on a 2-core machine slows every figure).
The quiet phase starts `--settle` seconds after the first answer: `bsm serve` starts its
scheduler 3 s after it is ready, which is start-up, not a quiet moment.
Prints ONE JSON line; ratios are against `help` and against quiet.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))


def sibling(name: str) -> ModuleType:
    """A script of bench/ as a module (bench/impact.py would shadow the package by name)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


served = sibling("serve_rss")  # fake Slack, `bsm serve`, signed commands
estate = sibling("impact")  # the layered map generator

DEMO_MAP = HERE.parent / "store" / "demo" / "demo.yaml"
WIDE = "dns"  # every host depends on it: the answer names every business service
BUSINESS = 1000


def generate(nodes: int, seed: int) -> Any:
    builder = estate.Estate(nodes, seed)
    builder.sizes["biz"] = BUSINESS
    return builder.build()


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(pick(0.5), 1), "p99_ms": round(pick(0.99), 1), "n": len(ordered)}


class Client:
    """Signed slash commands; each waits for its reply at the fake response_url."""

    def __init__(self, http: httpx.Client, api: Any, slack_url: str, timeout: float) -> None:
        self.http, self.api, self.slack_url, self.timeout = http, api, slack_url, timeout
        self.steps = itertools.count()
        self.failures: list[str] = []

    def ask(self, text: str) -> float:
        """Milliseconds from the request to the reply (raises when there is none)."""
        step = f"q{next(self.steps)}"
        started = time.perf_counter()
        status = served.command(self.http, self.slack_url, text, step)
        if status != 200 or not self.api.wait(f"response/{step}", 0, self.timeout):
            raise SystemExit(f"no answer to {text!r} (HTTP {status})")
        elapsed = (time.perf_counter() - started) * 1000
        reply = self.api.texts.get(f"response/{step}", "")
        if "went wrong" in reply or "error" in reply.casefold()[:40]:
            self.failures.append(f"{text}: {reply}")
        return elapsed


def alert(component: str, firing: bool, at: str) -> dict[str, Any]:
    return {
        "status": "firing" if firing else "resolved",
        "labels": {"alertname": "InstanceDown", "component": component, "severity": "critical"},
        "annotations": {"summary": f"{component} is down"},
        "startsAt": at,
        "endsAt": "0001-01-01T00:00:00Z" if firing else at,
        "fingerprint": f"{abs(hash(component)):016x}"[:16],
    }


class Storm:
    """Webhook senders keeping `rate` alerts per second flowing, in batches of `batch`."""

    def __init__(self, base: str, names: list[str], rate: int, batch: int = 10) -> None:
        self.base, self.names, self.rate, self.batch = base, names, rate, batch
        self.stop = threading.Event()
        self.sent = self.errors = 0
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.started = 0.0

    def __enter__(self) -> Storm:
        self.started = time.perf_counter()
        senders = 4
        for index in range(senders):
            thread = threading.Thread(target=self.send, args=(index, senders), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
        self.elapsed = time.perf_counter() - self.started

    def send(self, index: int, senders: int) -> None:
        rng = random.Random(index)
        period = self.batch * senders / self.rate  # seconds between this sender's webhooks
        headers = {"Authorization": f"Bearer {served.TOKEN}"}
        with httpx.Client(base_url=self.base, timeout=60) as http:
            due = time.perf_counter() + index * period / senders
            while not self.stop.is_set():
                wait = due - time.perf_counter()
                if wait > 0:
                    self.stop.wait(wait)
                due += period
                at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                alerts = [
                    alert(rng.choice(self.names), rng.random() < 0.5, at) for _ in range(self.batch)
                ]
                body = {"version": "4", "status": "firing", "receiver": "bsm", "alerts": alerts}
                try:
                    answer = http.post("/webhooks/alertmanager", json=body, headers=headers)
                    ok = answer.status_code == 200
                except httpx.HTTPError:
                    ok = False
                with self.lock:
                    self.sent += self.batch if ok else 0
                    self.errors += 0 if ok else 1

    def achieved(self) -> float:
        return round(self.sent / max(self.elapsed, 1e-9), 1)


def latencies(client: Client, questions: dict[str, Callable[[], str]], rounds: int) -> Any:
    samples: dict[str, list[float]] = {kind: [] for kind in questions}
    for _ in range(rounds):
        for kind, question in questions.items():
            samples[kind].append(client.ask(question()))
    return {kind: percentiles(values) for kind, values in samples.items()}


def seen_within(client: Client, question: str, name: str, timeout: float) -> float:
    """When a question about `name` was first answered as about a known component."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        step = next(client.steps)
        served.command(client.http, client.slack_url, question, f"q{step}")
        client.api.wait(f"response/q{step}", 0, timeout)
        if client.api.texts.get(f"response/q{step}", "").startswith(name):
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"{name} never became known")


def wait_healthy(http: httpx.Client, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            if http.get("/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.005)  # a coarser poll would add up to its period to each start measured
    raise SystemExit("bsm serve never reported healthy")


def merge_one(url: str, service_map: Any, host: str, new: str | None = None) -> None:
    """A one-component merge import through the store (what `bsm import` of it does):
    `host` re-described with one more dependency (soft, on ntp), or a `new` component
    depending on `host`."""
    from dataclasses import replace

    from impact.model import Component, Dependency, DependencyKind, ServiceMap
    from store import Store

    if new is not None:
        merged = ServiceMap.build([Component(new)], [Dependency(new, host)], [])
    else:
        own = [d for d in service_map.dependencies if d.source == host]
        extra = Dependency(host, "ntp", DependencyKind.SOFT)
        owner = replace(service_map.components[host], owner="bench-merge")
        merged = ServiceMap.build([owner], [*(d for d in own if d.target != "ntp"), extra], [])
    store = Store(url)
    try:
        store.import_map(merged, source="bench")
    finally:
        store.close()


def server_env(slack_url: str, url: str) -> dict[str, str]:
    """The environment of `bsm serve` against the fake Slack at `slack_url` and the
    database `url`."""
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-bench-0123456789",
        "SLACK_SIGNING_SECRET": served.SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        "SLACK_APP_TOKEN": "",
        "BSM_DATABASE_URL": url,
        "BSM_WEBHOOK_TOKEN": served.TOKEN,
    }


def first_answer(
    env: dict[str, str], api: Any, slack_url: str, timeout: float, pick: Callable[[], str]
) -> float:
    """Seconds from `bsm serve` started to its first answer, then the server is stopped.
    The client is made before the start (its SSL context is not the server's time)."""
    with httpx.Client(timeout=timeout) as http:
        launched = time.perf_counter()
        with served.serving(env, timeout) as (_, base):
            http.base_url = httpx.URL(base)
            wait_healthy(http, timeout)
            Client(http, api, slack_url, timeout).ask(pick())
            return time.perf_counter() - launched


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_start(code: str, times: int = 3) -> float:
    """Seconds for `python -c code` in this interpreter, the median of `times` (a floor)."""
    import subprocess

    taken = []
    for _ in range(times):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=HERE.parent)
        taken.append(time.perf_counter() - started)
    return sorted(taken)[len(taken) // 2]


def floors() -> dict[str, float]:
    """`python -c pass` and `import bot.runtime` (the floors under a start)."""
    return {
        "python_start_s": round(process_start("pass"), 3),
        "python_import_runtime_s": round(process_start("import bot.runtime"), 3),
    }


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from store import Store, load_map_file

    started = time.perf_counter()
    service_map = generate(args.nodes, args.seed)
    generated_s = time.perf_counter() - started
    url = f"sqlite:///{work / 'serve.sqlite'}"
    started = time.perf_counter()
    store = Store(url)
    store.import_map(service_map, source="bench", checked=True)
    store.close()
    imported_s = time.perf_counter() - started
    names = sorted(service_map.components)
    hosts = [n for n in names if n.startswith("host-")]
    rng = random.Random(args.seed)
    pick = lambda: f"what does {rng.choice(names)} affect?"  # noqa: E731
    questions: dict[str, Callable[[], str]] = {
        "help": lambda: "help",
        "affects": pick,
        "status": lambda: "status",
        "affects_1000": lambda: f"what does {WIDE} affect?",
    }
    with served.fake_slack() as (api, slack_url):
        env = server_env(slack_url, url)
        demo_url = f"sqlite:///{work / 'demo.sqlite'}"
        demo = Store(demo_url)
        demo.import_map(load_map_file(DEMO_MAP), source="bench")
        demo.close()
        demo_env = {**env, "BSM_DATABASE_URL": demo_url}
        ask_demo = lambda: "what does db-03 affect?"  # noqa: E731
        first_answer(demo_env, api, slack_url, args.timeout, ask_demo)  # compiles, saves
        demo_s = first_answer(demo_env, api, slack_url, args.timeout, ask_demo)
        cold_s = first_answer(env, api, slack_url, args.timeout, pick)  # nothing stored yet
        if args.start_only:  # restarts and demo starts alternated, `--starts` of each
            starts, demos = [], [demo_s]
            for _ in range(args.starts):
                starts.append(first_answer(env, api, slack_url, args.timeout, pick))
                if len(demos) < args.starts:
                    demos.append(first_answer(demo_env, api, slack_url, args.timeout, ask_demo))
            first_s, demo_s = statistics.median(starts), statistics.median(demos)
            return {
                "nodes": args.nodes,
                "components": len(names),
                "start_to_first_answer_s": round(first_s, 2),  # the median of `--starts`
                "start_to_first_answer_min_s": round(min(starts), 2),
                "first_start_to_first_answer_s": round(cold_s, 2),
                "demo_start_to_first_answer_s": round(demo_s, 2),
                "ratio_start_vs_demo": round(first_s / max(demo_s, 1e-9), 2),
                "starts": args.starts,
                **floors(),
            }
        with httpx.Client(timeout=args.timeout) as http:  # made before the start, as above
            launched = time.perf_counter()
            with served.serving(env, args.timeout) as (process, base):
                http.base_url = httpx.URL(base)
                wait_healthy(http, args.timeout)
                client = Client(http, api, slack_url, args.timeout)
                client.ask(pick())
                first_s = time.perf_counter() - launched
                client.ask("help")  # the first help pays nothing of the map: warm Bolt alike
                time.sleep(args.settle)
                load_before = os.getloadavg()[0]
                cpu, started = cpu_seconds(process.pid), time.perf_counter()
                quiet = latencies(client, questions, args.rounds)
                quiet_cpu = (cpu_seconds(process.pid) - cpu) / (time.perf_counter() - started)
                merge_one(url, service_map, rng.choice(hosts))
                after_change_ms = client.ask(pick())
                after_second = [client.ask(pick()) for _ in range(5)]
                added = "bench-added-1"
                merge_one(url, service_map, rng.choice(hosts), added)
                merged_at = time.perf_counter()
                after_add_ms = client.ask(pick())
                new_seen_s = seen_within(client, f"what does {added} affect?", added, args.timeout)
                new_seen_s -= merged_at
                with Storm(base, hosts, args.storm_rate) as storm:
                    time.sleep(2.0)  # let the storm reach its rate before asking
                    cpu, started = cpu_seconds(process.pid), time.perf_counter()
                    stormy = latencies(client, questions, args.rounds)
                    storm_cpu = (cpu_seconds(process.pid) - cpu) / (time.perf_counter() - started)
                memory = served.memory_kb(process.pid)
                load_after = os.getloadavg()[0]
    help_ms = quiet["help"]["p50_ms"]
    return {
        "nodes": args.nodes,
        "components": len(names),
        "dependencies": len(service_map.dependencies),
        "business_services": len(service_map.business_services),
        "generate_s": round(generated_s, 1),
        "import_s": round(imported_s, 1),
        "start_to_first_answer_s": round(first_s, 2),
        "first_start_to_first_answer_s": round(cold_s, 2),
        "demo_start_to_first_answer_s": round(demo_s, 2),  # the same on the 80-component map
        **floors(),
        "ratio_start_vs_demo": round(first_s / max(demo_s, 1e-9), 2),
        "after_change_first_answer_ms": round(after_change_ms, 1),
        "after_change_next_p50_ms": round(sorted(after_second)[len(after_second) // 2], 1),
        "after_new_component_first_answer_ms": round(after_add_ms, 1),
        "new_component_answered_after_s": round(new_seen_s, 2),
        "quiet": quiet,
        "storm": stormy,
        "storm_alerts_per_s": storm.achieved(),
        "storm_errors": storm.errors,
        "ratio_storm_vs_quiet_p50": {
            kind: round(stormy[kind]["p50_ms"] / max(quiet[kind]["p50_ms"], 1e-9), 2)
            for kind in quiet
        },
        "ratio_vs_help_p50": {
            kind: round(quiet[kind]["p50_ms"] / max(help_ms, 1e-9), 2) for kind in quiet
        },
        "quiet_server_cpu_per_s": round(quiet_cpu, 2),
        "storm_server_cpu_per_s": round(storm_cpu, 2),
        "loadavg_1m": [round(load_before, 2), round(load_after, 2)],
        "rss_kb": memory["VmRSS"],
        "peak_rss_kb": memory["VmHWM"],
        "answer_failures": client.failures[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=15, help="questions of each kind per phase")
    parser.add_argument("--storm-rate", type=int, default=500, help="alerts per second")
    parser.add_argument("--timeout", type=float, default=900.0, help="per step, seconds")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds after the first answer before quiet"
    )
    parser.add_argument(
        "--start-only",
        action="store_true",
        help="measure the starts only (restart, first start, demo, floors), no latencies",
    )
    parser.add_argument(
        "--starts", type=int, default=1, help="with --start-only: restarts (and demo starts) timed"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bsm-serve-") as tmp:
        print(json.dumps(run(args, Path(tmp))))


if __name__ == "__main__":
    main()
