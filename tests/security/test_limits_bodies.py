"""Finding 2 and the non-UTF-8 body of finding 8: the Slack path caps its body while it
streams, before decoding or signature checks, and a body that is not UTF-8 is a 400."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # served, payloads

from fake_slack import FakeSlack
from served import READY, bsm_executable, free_port
from slack_payloads import SIGNING_SECRET, signed_headers

from bot.app import Deps, create_app
from bot.server import MAX_SLACK_BODY, create_server
from bot.settings import Settings
from bot.webhooks import MAX_BODY, webhook_routes
from services.incidents import Incidents
from services.model import ModelService
from store import Store

CHUNK = b"x" * (1024 * 1024)


class Script:
    def ask(
        self, text: str, *, user_id: str | None, channel_id: str | None, session: str | None = None
    ) -> Any:
        raise AssertionError("no request may reach the conversation")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def server(fake: FakeSlack) -> Any:
    settings = Settings(bot_token="xoxb-test", signing_secret=SIGNING_SECRET, api_url=fake.api_url)
    return create_server(create_app(settings, Deps(Script())))


async def post_streamed(
    server: Any, chunks: int, headers: list[tuple[bytes, bytes]], path: str = "/slack/events"
) -> int:
    """POST `chunks` MiB to `path` through ASGI, one MiB per message; the status."""
    sent, status = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        sent += 1
        return {"type": "http.request", "body": CHUNK, "more_body": sent < chunks}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    await server({**scope, "query_string": b"", "root_path": ""}, receive, send)
    return status[0]


@pytest.mark.parametrize(
    "declared",
    [None, b"100"],  # chunked (no length), and a Content-Length that lies about the size
)
def test_limits_large_unsigned_body_is_413_without_buffering_it(
    server: Any, declared: bytes | None
) -> None:
    headers = [(b"content-type", b"application/json")]
    if declared is not None:
        headers.append((b"content-length", declared))
    tracemalloc.start()
    try:
        status = asyncio.run(post_streamed(server, 64, headers))  # 64 MiB offered
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"in-process peak while refusing 64 MiB: {peak / 2**20:.1f} MiB")
    assert status == 413
    assert peak < 8 * MAX_SLACK_BODY, f"peak {peak / 2**20:.1f} MiB while refusing 64 MiB"


def test_limits_declared_oversize_is_413_before_reading(server: Any) -> None:
    from starlette.testclient import TestClient

    with TestClient(server) as client:
        answer = client.post("/slack/events", content=b"x" * (MAX_SLACK_BODY + 1))
    assert answer.status_code == 413


def test_limits_non_utf8_body_is_400(server: Any) -> None:
    from starlette.testclient import TestClient

    body = b"command=%2Fbsm&text=\xff\xfe"
    headers = signed_headers("", content_type="application/x-www-form-urlencoded")
    with TestClient(server, raise_server_exceptions=False) as client:
        answer = client.post("/slack/events", content=body, headers=headers)
    assert answer.status_code == 400 and "UTF-8" in answer.text


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident size so far (VmHWM): a freed buffer still shows."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture
def served(tmp_path: Path, fake: FakeSlack) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "SLACK_APP_TOKEN": "",
        "BSM_DATABASE_URL": f"sqlite:///{tmp_path / 'bsm.db'}",
    }
    command = [bsm_executable(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    ready = threading.Event()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if READY in line:
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        assert ready.wait(60) and process.poll() is None, "bsm serve did not start"
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_limits_served_256_mib_body_costs_no_memory(served: tuple[str, int]) -> None:
    """A 256 MiB unsigned body sent in chunks to `bsm serve`: 413, peak RSS grows < 32 MiB."""
    url, pid = served
    before = peak_rss_kib(pid)

    def body() -> Iterator[bytes]:
        for _ in range(256):
            yield CHUNK

    with httpx.Client(timeout=30) as client:
        try:
            answer = client.post(f"{url}/slack/events", content=body())
            status = answer.status_code
        except httpx.HTTPError:  # the server may close the stream after its 413
            status = 413
    after = peak_rss_kib(pid)
    print(
        f"bsm serve peak RSS {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB after 256 MiB"
    )
    assert status == 413
    assert after - before < 32 * 1024


def test_limits_webhook_body_is_capped_while_streaming(store: Store) -> None:
    """The webhooks keep their 1 MiB cap, counted on the bytes received (a lying length)."""
    desk = Incidents(store, ModelService(store))
    server = Starlette(routes=webhook_routes(desk, "limits-token-0123456789"))
    headers = [(b"authorization", b"Bearer limits-token-0123456789"), (b"content-length", b"10")]
    tracemalloc.start()
    try:
        status = asyncio.run(post_streamed(server, 64, headers, path="/webhooks/generic"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 413
    assert peak < 8 * MAX_BODY, f"peak {peak / 2**20:.1f} MiB while refusing 64 MiB"
