"""Memory of a running `bsm serve` holding a large map (RSS after each step).

    python bench/serve_rss.py [--components 100000] [--timeout 600]

Generates a deterministic map, imports it into an SQLite file with `bsm import`, starts
`bsm serve` on a loopback port against a fake Slack Web API (also on loopback), then sends
signed slash commands (`what does X affect?`, `status`), one Alertmanager webhook for a
component (the incident side loads its model) and `digest now` (the SLA side loads its), and
reads the server's VmRSS after each step and its VmHWM (peak) at the end. The same steps on
the 80-component demo map give the baseline of the same run. Prints ONE JSON line.

Only the CLI and HTTP are used, so the script measures any revision: run it with the Python
of the checkout to measure (`bsm` is taken from beside `sys.executable`).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

# bench/ also holds impact.py (the engine benchmark): keep it from shadowing the package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "bench-webhook-token-0123456789"
READY = "Uvicorn running on"  # logged once the port is bound (startup is logged before)
TEAM, BOT_USER, CHANNEL = "T0BENCH1", "UBENCHBOT", "C0BENCH1"


# --------------------------------------------------------------------------- the map


def generate(path: Path, components: int, seed: int = 20240601) -> str:
    """Write a deterministic YAML map; returns a mid-stack component to ask about."""
    rng = random.Random(seed)
    services = max(1, components // 1000)
    lines = ["version: 1", "business_services:"]
    for index in range(services):
        targets = sorted({rng.randrange(services, components) for _ in range(5)})
        lines += [
            f"  - name: bs-{index:05d}",
            f"    tier: {index % 4 + 1}",
            "    sla: 99.9",
            f"    owner: team-{index % 50}",
            f'    channel: "#inc-bs-{index:05d}"',
            f"    depends_on: [{', '.join(f'c-{t:06d}' for t in targets)}]",
        ]
    lines.append("components:")
    for index in range(services, components):
        lines += [
            f"  - name: c-{index:06d}",
            f"    kind: {('service', 'database', 'host')[index % 3]}",
        ]
        # Mostly edges into the rest of the map, so the graph has long paths and cycles.
        targets = {rng.randrange(services, components) for _ in range(3)} - {index}
        if targets:
            lines.append(f"    depends_on: [{', '.join(f'c-{t:06d}' for t in sorted(targets))}]")
    path.write_text("\n".join(lines) + "\n")
    return f"c-{services + components // 2:06d}"


def demo_map(path: Path) -> str:
    """The demo map shipped with the store package, copied to `path`."""
    from importlib.resources import files

    path.write_text((files("store") / "demo" / "demo.yaml").read_text())
    return "db-03"


# --------------------------------------------------------------------------- fake Slack


@dataclass
class FakeWebApi:
    """Answers every Web API method `ok`; counts calls by method, and by `response/NAME`."""

    calls: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # response/NAME -> its first text
    url: str = ""
    changed: threading.Condition = field(default_factory=threading.Condition)
    ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def record(self, method: str) -> None:
        with self.changed:
            self.calls[method] = self.calls.get(method, 0) + 1
            self.changed.notify_all()

    def count(self, method: str) -> int:
        with self.changed:
            return self.calls.get(method, 0)

    def wait(self, method: str, above: int, timeout: float) -> bool:
        """Whether `method` was called more than `above` times within `timeout` seconds."""
        with self.changed:
            return self.changed.wait_for(lambda: self.calls.get(method, 0) > above, timeout)

    def answer(self, method: str) -> dict[str, Any]:
        ts = f"1700000000.{next(self.ts):06d}"
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "team_id": TEAM, "bot_id": "B0BENCH"}
        if method == "files.getUploadURLExternal":  # digests upload their charts
            return {"ok": True, "upload_url": f"{self.url}/upload/F{ts}", "file_id": f"F{ts}"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F0BENCH", "title": "chart"}]}
        return {"ok": True, "ts": ts, "channel": CHANNEL, "message_ts": ts, "message": {"ts": ts}}


def handler_for(api: FakeWebApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            sent = self.rfile.read(int(self.headers.get("content-length") or 0))
            name = self.path.strip("/").split("/")
            method = name[1] if name[0] == "api" and len(name) > 1 else name[0]
            if method == "response":
                method = "/".join(name)
                text = str(json.loads(sent or b"{}").get("text", ""))
                api.texts.setdefault(method, text[:70])
            body = json.dumps(api.answer(method)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            api.record(method)

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def fake_slack() -> Iterator[tuple[FakeWebApi, str]]:
    api = FakeWebApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api, api.url
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- bsm serve


def bsm() -> str:
    found = shutil.which("bsm", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("the bsm entry point is not installed next to this Python")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid`, in kB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


@contextmanager
def serving(env: dict[str, str], timeout: float) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`bsm serve` on a free loopback port; yields the process and its URL once it is up."""
    port = free_port()
    command = [bsm(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    ready, output = threading.Event(), []

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            output.append(line)
            if READY in line:
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not ready.wait(timeout) or process.poll() is not None:
            raise SystemExit("bsm serve did not start:\n" + "".join(output[-40:]))
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --------------------------------------------------------------------------- requests


def signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    base = f"v0:{stamp}:{body}".encode()
    digest = hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": f"v0={digest}",
    }


def command(http: httpx.Client, slack_url: str, text: str, step: str) -> int:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "channel_id": CHANNEL,
            "user_id": "U0BENCH1",
            "command": "/bsm",
            "text": text,
            "response_url": f"{slack_url}/response/{step}",
            "trigger_id": "1.2.3",
        }
    )
    return http.post("/slack/events", content=body, headers=signed(body)).status_code


def alertmanager(component: str) -> dict[str, Any]:
    alert = {
        "status": "firing",
        "labels": {"alertname": "InstanceDown", "component": component, "severity": "critical"},
        "annotations": {"summary": f"{component} is down"},
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "b3ac4f1e2d5c6a7b",
    }
    return {
        "version": "4",
        "status": "firing",
        "receiver": "bsm-bot",
        "groupKey": '{}:{alertname="InstanceDown"}',
        "groupLabels": {"alertname": "InstanceDown"},
        "commonLabels": alert["labels"],
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": [alert],
    }


@dataclass
class Run:
    process: subprocess.Popen[str]
    http: httpx.Client
    api: FakeWebApi
    slack_url: str
    timeout: float
    kb: dict[str, int] = field(default_factory=dict)
    answered: dict[str, str | bool] = field(default_factory=dict)  # step -> reply text, or posted

    def sample(self, step: str) -> None:
        self.kb[step] = memory_kb(self.process.pid)["VmRSS"]

    def ask(self, step: str, text: str) -> None:
        status = command(self.http, self.slack_url, text, step)
        replied = status == 200 and self.api.wait(f"response/{step}", 0, self.timeout)
        self.answered[step] = self.api.texts.get(f"response/{step}", "") if replied else False

    def alert(self, component: str) -> None:
        before = self.api.count("chat.postMessage")
        answer = self.http.post(
            "/webhooks/alertmanager",
            json=alertmanager(component),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        posted = self.api.wait("chat.postMessage", before, self.timeout)
        self.answered["incident"] = answer.status_code == 200 and posted


def steps(run: Run, component: str) -> dict[str, Any]:
    run.sample("start")
    run.ask("answer", f"what does {component} affect?")
    run.sample("first_answer")
    run.ask("status", "status")
    run.alert(component)
    run.sample("incident")
    run.ask("digest", f"digest now <#{CHANNEL}|bench>")
    run.sample("digest")
    peak = memory_kb(run.process.pid)["VmHWM"]
    return {
        **{f"rss_kb_{k}": v for k, v in run.kb.items()},
        "peak_kb": peak,
        "answered": run.answered,
    }


def measure(map_file: Path, component: str, work: Path, timeout: float) -> dict[str, Any]:
    """Import `map_file` into a fresh SQLite file, serve it, run the steps."""
    database = work / f"{map_file.stem}.sqlite"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    started = time.perf_counter()
    subprocess.run(
        [bsm(), "import", str(map_file), "--db", url],
        check=True,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
    )
    imported = time.perf_counter() - started
    with fake_slack() as (api, slack_url):
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench-0123456789",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{slack_url}/api/",
            "SLACK_APP_TOKEN": "",
            "BSM_DATABASE_URL": url,
            "BSM_WEBHOOK_TOKEN": TOKEN,
        }
        with (
            serving(env, timeout) as (process, base),
            httpx.Client(base_url=base, timeout=timeout) as http,
        ):
            result = steps(Run(process, http, api, slack_url, timeout), component)
    return {"import_s": round(imported, 1), **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=600.0, help="per step, seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bsm-serve-rss-") as tmp:
        work = Path(tmp)
        baseline = measure(work / "demo.yaml", demo_map(work / "demo.yaml"), work, args.timeout)
        big = work / "generated.yaml"
        component = generate(big, args.components)
        result = measure(big, component, work, args.timeout)
    line = {"components": args.components, **result, "baseline_demo": baseline}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
