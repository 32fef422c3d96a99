"""The real `prometheus` and `prometheus-alertmanager` binaries around `bsm serve`, on loopback.

    with Stack(tmp_path, slack, store_url) as stack:     # bsm serve, Alertmanager, Prometheus
        stack.fire("checkout-api")                          # a rule whose expr is vector(1)
        stack.quiet("checkout-api"); stack.reload()         # the same rule, now never true

Every port is a free loopback one, every wait polls with a deadline, and every process is
stopped (terminate, then kill) when the block ends; the files live in the test's tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fake_slack import FakeSlack
from payloads import TOKEN
from served import bsm_executable, free_port

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
ALERT = "BsmDemoDown"
T = TypeVar("T")


def require_binaries() -> None:
    """Skip (or fail with BSM_REQUIRE_ALERTMANAGER=1) when the binaries are absent."""
    missing = [b for b in (PROMETHEUS, ALERTMANAGER) if not shutil.which(b)]
    if not missing:
        return
    reason = (
        f"{', '.join(missing)} not installed (Debian packages prometheus, "
        "prometheus-alertmanager): the end-to-end tests with real binaries are skipped"
    )
    if os.environ.get("BSM_REQUIRE_ALERTMANAGER") == "1":
        pytest.fail(reason + ", but BSM_REQUIRE_ALERTMANAGER=1")
    pytest.skip(reason)


def wait_until(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll `probe` until it returns something truthy, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = probe()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


class Process:
    def __init__(self, name: str, command: list[str], log: Path, env: dict[str, str]) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}
            )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


class Stack:
    """bsm serve + Alertmanager (webhook receiver -> bsm) + Prometheus (rules -> Alertmanager)."""

    def __init__(
        self,
        root: Path,
        slack: FakeSlack,
        database_url: str,
        *,
        webhook: bool = True,
        poller: bool = False,
        api: bool = False,
        max_alerts: int = 0,
    ) -> None:
        self.root, self.slack, self.database_url = root, slack, database_url
        self.webhook, self.poller, self.max_alerts = webhook, poller, max_alerts
        self.api = api or poller  # bsm knows Alertmanager's API URL
        self.bsm_port, self.am_port, self.prom_port = free_port(), free_port(), free_port()
        self.rules: dict[str, bool] = {}  # job -> firing
        self.processes: dict[str, Process] = {}
        self._exit = ExitStack()

    # URLs
    @property
    def bsm(self) -> str:
        return f"http://127.0.0.1:{self.bsm_port}"

    @property
    def am(self) -> str:
        return f"http://127.0.0.1:{self.am_port}"

    @property
    def prometheus(self) -> str:
        return f"http://127.0.0.1:{self.prom_port}"

    def __enter__(self) -> Stack:
        require_binaries()
        try:
            self._start_bsm()
            self._write_alertmanager_config()
            self.start_alertmanager()
            self._write_rules()
            self._start_prometheus()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        self._exit.close()

    # bsm serve
    def _start_bsm(self) -> None:
        env = {
            "BSM_DATABASE_URL": self.database_url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
            "SLACK_API_URL": self.slack.api_url,
            "BSM_WEBHOOK_TOKEN": TOKEN,
        }
        if self.api:
            # without the poller, its interval is days: the URL serves only group fetches
            every = "1" if self.poller else "600000"
            env |= {"BSM_ALERTMANAGER_URL": self.am, "BSM_POLL_INTERVAL_S": every}
        command = [bsm_executable(), "serve", "--host", "127.0.0.1", "--port", str(self.bsm_port)]
        self.processes["bsm"] = Process("bsm", command, self.root / "bsm.log", env)
        wait_until("bsm serve", lambda: self._ok(f"{self.bsm}/healthz"), 60)

    # Alertmanager
    def _write_alertmanager_config(self) -> None:
        receivers: list[dict[str, Any]] = [{"name": "nobody"}]
        if self.webhook:
            hook: dict[str, Any] = {
                "url": f"{self.bsm}/webhooks/alertmanager",
                "send_resolved": True,
                "http_config": {"authorization": {"credentials": TOKEN}},
            }
            if self.max_alerts:
                hook["max_alerts"] = self.max_alerts
            receivers.append({"name": "bsm", "webhook_configs": [hook]})
        config = {
            "route": {
                "receiver": "bsm" if self.webhook else "nobody",
                "group_by": ["alertname"],
                # with max_alerts, long enough for both alerts to be in the first notification
                "group_wait": "3s" if self.max_alerts else "1s",
                "group_interval": "1s",
                "repeat_interval": "2s",
            },
            "receivers": receivers,
        }
        (self.root / "alertmanager.yml").write_text(json.dumps(config))

    def start_alertmanager(self) -> None:
        command = [
            ALERTMANAGER,
            f"--config.file={self.root / 'alertmanager.yml'}",
            f"--storage.path={self.root / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{self.am_port}",
            "--cluster.listen-address=",  # no gossip port: a single, private Alertmanager
        ]
        log = self.root / "alertmanager.log"
        self.processes["alertmanager"] = Process("alertmanager", command, log, {})
        wait_until("Alertmanager ready", lambda: self._ok(f"{self.am}/-/ready"))

    def restart_alertmanager(self) -> None:
        """Stop and start it again: it keeps silences and its log, never alerts."""
        self.processes["alertmanager"].stop()
        self.start_alertmanager()

    def alerts(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.am}/api/v2/alerts", timeout=5)
        answer.raise_for_status()
        listed: list[dict[str, Any]] = answer.json()
        return listed

    def silence(self, job: str) -> str:
        now = time.time()
        body = {
            "matchers": [{"name": "job", "value": job, "isRegex": False, "isEqual": True}],
            "startsAt": _rfc3339(now - 1),
            "endsAt": _rfc3339(now + 3600),
            "createdBy": "tests",
            "comment": "maintenance",
        }
        answer = httpx.post(f"{self.am}/api/v2/silences", json=body, timeout=5)
        answer.raise_for_status()
        silence_id: str = answer.json()["silenceID"]
        return silence_id

    def expire(self, silence_id: str) -> None:
        httpx.delete(f"{self.am}/api/v2/silence/{silence_id}", timeout=5).raise_for_status()

    # Prometheus
    def fire(self, *jobs: str) -> None:
        self.rules |= dict.fromkeys(jobs, True)
        self._write_rules()

    def quiet(self, *jobs: str) -> None:
        self.rules |= dict.fromkeys(jobs, False)
        self._write_rules()
        self.reload()

    def reload(self) -> None:
        self.processes["prometheus"].popen.send_signal(signal.SIGHUP)

    def _write_rules(self) -> None:
        rules = [
            {
                "alert": ALERT,
                # a static expression: always one sample while firing, none once quiet
                "expr": "vector(1)" if firing else "vector(1) < 0",
                "labels": {"job": job, "severity": "critical"},
                "annotations": {"summary": f"{job} is down"},
            }
            for job, firing in sorted(self.rules.items())
        ]
        groups = {"groups": [{"name": "bsm-demo", "interval": "1s", "rules": rules}]}
        (self.root / "rules.yml").write_text(json.dumps(groups))

    def _start_prometheus(self) -> None:
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(self.root / "rules.yml")],
            "alerting": {
                "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{self.am_port}"]}]}]
            },
        }
        (self.root / "prometheus.yml").write_text(json.dumps(config))
        command = [
            PROMETHEUS,
            f"--config.file={self.root / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.root / 'prom-data'}",
            f"--web.listen-address=127.0.0.1:{self.prom_port}",
            "--rules.alert.resend-delay=1s",  # endsAt = 4 x 1s ahead: quick, honest resolves
            "--web.enable-lifecycle",
        ]
        log = self.root / "prometheus.log"
        self.processes["prometheus"] = Process("prometheus", command, log, {})
        wait_until("Prometheus ready", lambda: self._ok(f"{self.prometheus}/-/ready"))

    # bsm observations
    def polls(self) -> float:
        """How many Alertmanager polls bsm serve ran (its /metrics)."""
        text = httpx.get(f"{self.bsm}/metrics", timeout=5).text
        total = 0.0
        for line in text.splitlines():
            if line.startswith("bsm_scheduler_runs_total{") and 'job="poll_alertmanager"' in line:
                total += float(line.rsplit(" ", 1)[1])
        return total

    def wait_polls(self, count: int = 3) -> None:
        """Let bsm poll Alertmanager `count` more times (each poll sees the API as it is)."""
        start = self.polls()
        wait_until(f"{count} polls", lambda: self.polls() >= start + count)

    def logs(self) -> str:
        return "\n".join(f"--- {n}\n{p.output()}" for n, p in self.processes.items())

    @staticmethod
    def _ok(url: str) -> bool:
        return httpx.get(url, timeout=2).status_code == 200


def _rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@contextmanager
def stack(root: Path, slack: FakeSlack, url: str, **options: Any) -> Iterator[Stack]:
    with Stack(root, slack, url, **options) as running:
        try:
            yield running
        except BaseException:
            print(running.logs())  # shown by pytest on failure
            raise
