"""`bsm serve` with the dashboard: kiosk sign-in over real HTTP, a live stream, and a
shutdown that open streams cannot hold up."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from fake_slack import FakeSlack
from served import bsm_serve
from webkit import KIOSK, demo_store, serve_env

pytestmark = pytest.mark.slow


def test_an_open_stream_does_not_hold_the_server(tmp_path: Path) -> None:
    store = demo_store(tmp_path)
    received: list[str] = []
    hello, ended = threading.Event(), threading.Event()
    with FakeSlack() as fake:
        env = serve_env(fake.api_url, store)
        with bsm_serve(env) as url:
            client = httpx.Client(base_url=url, timeout=30)
            signed = client.get(f"/dashboard?token={KIOSK}")
            assert signed.status_code == 303 and signed.headers["location"] == "/dashboard"
            assert client.get("/dashboard").status_code == 200
            assert httpx.get(f"{url}/dashboard/events").status_code == 401  # no cookie

            def listen() -> None:
                try:
                    with client.stream("GET", "/dashboard/events?since=0") as stream:
                        assert stream.headers["content-type"].startswith("text/event-stream")
                        for line in stream.iter_lines():
                            received.append(line)
                            if line.startswith("event: hello"):
                                hello.set()
                except httpx.HTTPError:
                    pass  # the server went away: that is the point
                finally:
                    ended.set()

            thread = threading.Thread(target=listen, daemon=True)
            thread.start()
            assert hello.wait(30), received
        # Leaving the block stops the server (SIGTERM, then at most 10 s): it did stop.
        assert ended.wait(30)
        thread.join(5)
        client.close()
