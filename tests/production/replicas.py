"""`bsm serve` replicas as subprocesses on one database, and the data they share in tests.

    with Replica(env) as replica:        # started on a free port, ready on uvicorn's line
        httpx.post(replica.url + "/webhooks/alertmanager", ...)
        replica.kill()                   # SIGKILL: no shutdown code runs
        replica.start()                  # the same replica again, on a new port

Output is kept (`replica.output`) so tests can grep it for secrets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # fake_slack, served

from served import READY, bsm_executable, free_port

from impact.model import Component, Dependency, ServiceMap

TOKEN = "prod-webhook-token-0123456789"
BOT_TOKEN = "xoxb-prod-0123456789-abcdefghij"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"


def small_map() -> ServiceMap:
    """checkout (#inc-checkout) and search (#inc-search) both ride on orders-db."""
    biz = "business_service"
    return ServiceMap.build(
        [
            Component("checkout", kind=biz, tier=1, owner="payments", channel="#inc-checkout"),
            Component("search", kind=biz, tier=2, owner="discovery", channel="#inc-search"),
            Component("checkout-api", owner="payments"),
            Component("search-api", owner="discovery"),
            Component("orders-db", kind="database"),
            *(Component(f"edge-{i:02d}", kind="host") for i in range(20)),
        ],
        [
            Dependency("checkout", "checkout-api"),
            Dependency("search", "search-api"),
            Dependency("checkout-api", "orders-db"),
            Dependency("search-api", "orders-db"),
            *(Dependency("checkout-api", f"edge-{i:02d}") for i in range(20)),
        ],
        [],
    )


class Replica:
    """One `bsm serve` process; `start()` again after `kill()` or `stop()` to restart it."""

    def __init__(self, env: Mapping[str, str], *args: str, timeout: float = 60.0) -> None:
        self.env = {**os.environ, **env}
        self.args = args
        self.timeout = timeout
        self.output: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> Replica:
        port = free_port()
        command = [bsm_executable(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        self.process = subprocess.Popen(
            [*command, *self.args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()
        threading.Thread(target=self._drain, args=(self.process, ready), daemon=True).start()
        if not ready.wait(self.timeout) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError("bsm serve did not start:\n" + "".join(self.output[-40:]))
        self.url = f"http://127.0.0.1:{port}"
        return self

    def _drain(self, process: subprocess.Popen[str], ready: threading.Event) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line)
            if READY in line:
                ready.set()
        ready.set()

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a node failure would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def log(self) -> str:
        return "".join(self.output)


def serve_env(database_url: str, slack_api_url: str, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": slack_api_url,
        "BSM_DATABASE_URL": database_url,
        "BSM_WEBHOOK_TOKEN": TOKEN,
        **extra,
    }


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A URL whose search_path is a new, empty schema; dropped afterwards."""
    engine = sa.create_engine(base, poolclass=sa.pool.NullPool)  # survives a server restart
    schema = f"bsm_prod_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


def bsm(*args: str, env: Mapping[str, str] | None = None) -> str:
    """Run a `bsm` command to completion; its output, or an error with it."""
    done = subprocess.run(
        [bsm_executable(), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise AssertionError(f"bsm {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll `condition` every 50 ms until it is truthy; its value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(0.05)
