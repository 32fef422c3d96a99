"""Live tiles over server-sent events: one watcher, bounded clients, fragments that changed.

    live = Live(render)                 # render() -> Frame, run in a worker thread
    frame = await live.refresh()        # pages render from the same frame (its version)
    response = live.stream(since)       # a StreamingResponse, or 503 when full

One watcher task runs while at least one client listens: every `check_s` (or at once when
`wake()` is called from any thread) it renders a frame in a worker thread, never on the
event loop; when a fragment changed, the version moves on and every client gets the
changed tiles, the banner and the new order. A client that connects with an older
version than the current one gets every tile once. Streams are bounded: at most
`max_clients` at once (503 past that), a comment line every `heartbeat_s` so proxies keep
them open and dead peers are found, at most `lifetime_s` long (the browser's EventSource
reconnects by itself), and all of them end on `close()` (server shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response, StreamingResponse

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Frame:
    """The live parts of the overview: the banner, each tile's HTML, the tile order."""

    banner: str
    tiles: dict[str, str] = field(default_factory=dict)
    order: tuple[str, ...] = ()


class Live:
    def __init__(
        self,
        render: Callable[[], Frame],
        *,
        max_clients: int = 100,
        heartbeat_s: float = 15.0,
        check_s: float = 1.0,
        lifetime_s: float = 600.0,
    ) -> None:
        self.render = render
        self.max_clients, self.heartbeat_s = max_clients, heartbeat_s
        self.check_s, self.lifetime_s = check_s, lifetime_s
        self.version = 0
        self.frame: Frame | None = None
        self._clients: set[asyncio.Queue[str | None]] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._refreshing: asyncio.Lock | None = None

    @property
    def clients(self) -> int:
        return len(self._clients)

    def wake(self) -> None:
        """Check for changes now (safe from any thread: the incident loop, a webhook)."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def refresh(self) -> tuple[Frame, int]:
        """Render a frame now (in a thread); send what changed to every client."""
        if self._refreshing is None:
            self._refreshing = asyncio.Lock()
        async with self._refreshing:
            frame = await run_in_threadpool(self.render)
            before = self.frame
            if before is None or frame != before:
                self.version += 1
                self.frame = frame
                if before is not None:
                    self._send(_changes(before, frame, self.version))
            return frame, self.version

    def stream(self, since: int | None) -> Response:
        if self._closed:
            return PlainTextResponse("the server is shutting down", status_code=503)
        if len(self._clients) >= self.max_clients:
            return PlainTextResponse(
                f"too many live clients (at most {self.max_clients})",
                status_code=503,
                headers={"Retry-After": "30"},
            )
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=64)
        self._clients.add(queue)
        self._start()
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(
            self._events(queue, since), media_type="text/event-stream", headers=headers
        )

    async def close(self) -> None:
        """End every stream and the watcher (the server is stopping)."""
        self._closed = True
        for queue in list(self._clients):
            _offer(queue, None)
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watcher

    # -- parts -----------------------------------------------------------------------------
    async def _events(
        self, queue: asyncio.Queue[str | None], since: int | None
    ) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + self.lifetime_s
        try:
            yield f"retry: 3000\nevent: hello\ndata: {self.version}\n\n"
            if since is not None and self.frame is not None and since != self.version:
                yield _full(self.frame, self.version)
            while not self._closed and (left := ends - loop.time()) > 0:
                try:
                    message = await asyncio.wait_for(queue.get(), min(self.heartbeat_s, left))
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if message is None:
                    break
                yield message
        finally:
            self._clients.discard(queue)

    def _start(self) -> None:
        if self._watcher is not None and not self._watcher.done():
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._watcher = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        assert self._wake is not None
        while self._clients and not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.check_s)
            self._wake.clear()
            try:
                await self.refresh()
            except Exception:  # a database hiccup: the next check tries again
                log.exception("dashboard live refresh failed")

    def _send(self, messages: list[str]) -> None:
        for queue in list(self._clients):
            for message in messages:
                _offer(queue, message)


def _offer(queue: asyncio.Queue[str | None], message: str | None) -> None:
    """Queue a message; a client too slow to keep up loses its oldest ones."""
    while True:
        try:
            queue.put_nowait(message)
            return
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()


def _event(kind: str, data: object, version: int) -> str:
    return f"id: {version}\nevent: {kind}\ndata: {json.dumps(data)}\n\n"


def _changes(before: Frame, after: Frame, version: int) -> list[str]:
    changed = {n: h for n, h in after.tiles.items() if before.tiles.get(n) != h}
    messages = []
    if changed:
        messages.append(_event("tiles", changed, version))
    if after.banner != before.banner:
        messages.append(_event("banner", after.banner, version))
    if after.order != before.order:
        messages.append(_event("order", list(after.order), version))
    return messages


def _full(frame: Frame, version: int) -> str:
    return (
        _event("tiles", frame.tiles, version)
        + _event("banner", frame.banner, version)
        + _event("order", list(frame.order), version)
    )
