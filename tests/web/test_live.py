"""The live stream: changed tiles only, bounded clients, heartbeats, closed on shutdown.

Driven on one event loop with a render function the test controls; no sleeping: every
wait is for a message, bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

from bot.web.live import Frame, Live

TIMEOUT = 10.0


class Renders:
    def __init__(self) -> None:
        self.frame = Frame("banner ok", {"a": "<a ok>", "b": "<b ok>"}, ("a", "b"))
        self.threads: set[int] = set()

    def __call__(self) -> Frame:
        self.threads.add(threading.get_ident())
        return self.frame


async def next_event(body: AsyncIterator[Any]) -> str:
    chunk = await asyncio.wait_for(body.__anext__(), TIMEOUT)
    return chunk if isinstance(chunk, str) else chunk.decode()


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 30))


def test_changed_tiles_reach_the_client_and_nothing_else() -> None:
    async def scenario() -> None:
        render = Renders()
        live = Live(render, check_s=0.05, heartbeat_s=60)
        _, version = await live.refresh()
        response = live.stream(version)
        assert isinstance(response, StreamingResponse)
        body = response.body_iterator
        assert "event: hello" in await next_event(body)
        render.frame = Frame("banner down", {"a": "<a down>", "b": "<b ok>"}, ("a", "b"))
        live.wake()
        message = await next_event(body)
        assert "event: tiles" in message and "a down" in message and "b ok" not in message
        assert "banner down" in await next_event(body)
        await live.close()
        await asyncio.wait_for(_drain(body), TIMEOUT)  # the stream ends on close
        assert live.clients == 0
        assert threading.get_ident() not in render.threads  # rendered off the event loop

    run(scenario())


def test_a_client_behind_gets_every_tile_once() -> None:
    async def scenario() -> None:
        live = Live(Renders(), check_s=60)
        await live.refresh()
        response = live.stream(0)
        body = response.body_iterator  # type: ignore[attr-defined]
        await next_event(body)  # hello
        full = await next_event(body)
        assert "a ok" in full and "b ok" in full and "event: order" in full
        await live.close()

    run(scenario())


def test_heartbeats_keep_the_stream_open() -> None:
    async def scenario() -> None:
        live = Live(Renders(), check_s=60, heartbeat_s=0.01)
        _, version = await live.refresh()
        body = live.stream(version).body_iterator  # type: ignore[attr-defined]
        await next_event(body)  # hello
        assert (await next_event(body)).startswith(": heartbeat")
        await live.close()

    run(scenario())


def test_clients_are_bounded() -> None:
    async def scenario() -> None:
        live = Live(Renders(), max_clients=2, check_s=60)
        first, second = live.stream(None), live.stream(None)
        assert isinstance(first, StreamingResponse) and isinstance(second, StreamingResponse)
        third = live.stream(None)
        assert third.status_code == 503 and third.headers["retry-after"]
        await live.close()
        assert live.stream(None).status_code == 503  # shutting down: no new streams

    run(scenario())


def test_a_stream_ends_after_its_lifetime() -> None:
    async def scenario() -> None:
        live = Live(Renders(), check_s=60, heartbeat_s=60, lifetime_s=0.05)
        body = live.stream(None).body_iterator  # type: ignore[attr-defined]
        await next_event(body)  # hello
        await asyncio.wait_for(_drain(body), TIMEOUT)
        assert live.clients == 0
        await live.close()

    run(scenario())


async def _drain(body: AsyncIterator[Any]) -> None:
    async for _ in body:
        pass
