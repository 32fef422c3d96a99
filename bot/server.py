"""The HTTP server: Slack's events, commands and interactivity on one path, health, metrics.

    create_server(app, routes=(), *, health=None, metrics=None) -> starlette.applications.Starlette

Bolt's `App.dispatch` is synchronous (it verifies the signature, acks, and hands slow work
to its listener threads), so it runs in Starlette's thread pool, never on the event loop.
`app=None` serves no Slack path (Socket Mode receives Slack over its WebSocket; an HTTP
path without signature checks must not exist then). Webhooks come in through `routes`.

POST /slack/events reads its body with a cap while it streams (`MAX_SLACK_BODY`, 1 MiB:
Slack's payloads are a few kilobytes), before any decoding or signature check: a bigger
body (declared or actual) is a 413, a body that is not UTF-8 a 400.

GET /healthz answers 200 `{"ok": true, "status": "ok", "database": "ok", ...}` when the
database answers `SELECT 1` (`Store.ping`) within `Health.timeout_s`, else 503 with
`"database": "down"`; it is also 503 (`"writes": "failing"`, with a `"reason"`) while a
write probe (`WriteProbe`: one small committed write, at most every `write_every_s`) fails
or times out, so a full disk or a locked database takes the replica out of rotation;
in Socket Mode it adds the WebSocket state (`"slack": "connected"`), which does not make it
fail: the database is what a load balancer must route around. No value in it is secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.limits import BodyTooLarge, read_body
from bot.metrics import Metrics, RequestMetrics, metrics_route
from services.foreground import Foreground
from store import Store, driver_error

if TYPE_CHECKING:
    from bot.web import Dashboard

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
MAX_SLACK_BODY = 1024 * 1024
HEALTH_PATH = "/healthz"


class WriteProbe:
    """Whether the database takes writes: `write()` run in a thread, one at a time.

    A success is trusted for `every_s`; a failure is re-checked on the next call. A probe
    still blocked (a locked database) is not started twice: callers wait on the same one.
    """

    def __init__(self, write: Callable[[], None], every_s: float = 5.0) -> None:
        self._write, self.every_s = write, every_s
        self._ok_at = -float("inf")
        self._pending: asyncio.Future[str | None] | None = None

    async def failure(self, timeout_s: float) -> str | None:
        """None when writes work; else why not (no secret in it)."""
        if time.monotonic() - self._ok_at < self.every_s:
            return None
        pending = self._pending
        if (
            pending is None
            or pending.done()
            or pending.get_loop() is not asyncio.get_running_loop()
        ):
            self._pending = asyncio.ensure_future(run_in_threadpool(self._attempt))
        try:
            reason = await asyncio.wait_for(asyncio.shield(self._pending), timeout_s)
        except TimeoutError:
            return f"a write did not finish within {timeout_s:g}s (database locked or stalled)"
        if reason is None:
            self._ok_at = time.monotonic()
        return reason

    def prime(self) -> None:
        """Probe now, in this thread (a process about to open its port: its first /healthz
        then finds a success of a moment ago instead of waiting for a committed write)."""
        if self._attempt() is None:
            self._ok_at = time.monotonic()

    def _attempt(self) -> str | None:
        try:
            self._write()
        except Exception as error:
            cause = driver_error(error)
            log.warning("health write probe failed: %s: %s", type(cause).__name__, cause)
            return f"the database refuses writes ({type(cause).__name__})"
        return None


@dataclass
class Health:
    """What /healthz reports: the database, its writes, and the Slack connection in Socket Mode.

    `store.ping` asks the database for `SELECT 1`; `store` None: no database. Writes are
    probed through `store.deliveries.probe` (`write_every_s` <= 0 probes on every call).
    """

    store: Store | None = None
    slack_state: Callable[[], str] | None = None
    mode: str = "http"
    timeout_s: float = 2.0
    write_every_s: float = 5.0
    writes: WriteProbe | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.writes is None and self.store is not None:
            self.writes = WriteProbe(self.store.deliveries.probe, self.write_every_s)

    def prime(self) -> None:
        """Probe the writes now (see `WriteProbe.prime`); blocking, for a start-up thread."""
        if self.writes is not None:
            self.writes.prime()

    async def report(self) -> tuple[int, dict[str, Any]]:
        database = "ok" if self.store is None else await self._database()
        body: dict[str, Any] = {"ok": database == "ok", "status": "ok", "database": database}
        body["mode"] = self.mode
        if self.slack_state is not None:
            body["slack"] = self.slack_state()
        if database == "ok" and self.writes is not None:
            reason = await self.writes.failure(self.timeout_s)
            if reason is not None:
                body |= {"ok": False, "writes": "failing", "reason": reason}
        if not body["ok"]:
            body["status"] = "unavailable"
            return 503, body
        return 200, body

    async def _database(self) -> str:
        try:
            await asyncio.wait_for(run_in_threadpool(self._select_one), self.timeout_s)
        except TimeoutError:
            return "timeout"
        except Exception:  # the reason stays in the logs of the request that failed
            return "down"
        return "ok"

    def _select_one(self) -> None:
        if self.store is not None:
            self.store.ping(self.timeout_s)


def create_server(
    app: App | None,
    routes: Sequence[BaseRoute] = (),
    *,
    health: Health | None = None,
    metrics: Metrics | None = None,
    dashboard: Dashboard | None = None,
    foreground: Foreground | None = None,
) -> Starlette:
    """The ASGI application: POST /slack/events (when `app`), GET /healthz, GET /metrics
    (when `metrics`), `routes`, and the web dashboard's pages (when `dashboard`).
    A Slack request is a question in flight for `foreground` until Bolt has dispatched it
    (the listener's answer marks itself: `bot.metrics.TimedAsker`)."""
    checker = health or Health()

    async def healthz(request: Request) -> Response:
        status, body = await checker.report()
        return JSONResponse(body, status_code=status)

    served: list[BaseRoute] = [Route(HEALTH_PATH, healthz, methods=["GET"])]
    if app is not None:
        served.append(
            Route(SLACK_PATH, _slack_endpoint(app, foreground or Foreground()), methods=["POST"])
        )
    if metrics is not None:
        served.append(metrics_route(metrics))
    middleware = [Middleware(RequestMetrics, metrics=metrics)] if metrics is not None else []
    web = dashboard.routes() if dashboard is not None else []
    return Starlette(
        routes=[*served, *routes, *web], middleware=middleware, lifespan=_lifespan(dashboard)
    )


def _lifespan(dashboard: Dashboard | None) -> Callable[[Starlette], Any]:
    """On shutdown, end the dashboard's live streams (they would hold the server open)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if dashboard is not None:
                await dashboard.close()

    return lifespan


def _slack_endpoint(app: App, foreground: Foreground) -> Callable[[Request], Any]:
    async def slack_events(request: Request) -> Response:
        try:
            raw = await read_body(request, MAX_SLACK_BODY)
            text = raw.decode("utf-8")
        except BodyTooLarge:
            return PlainTextResponse(f"body larger than {MAX_SLACK_BODY} bytes", status_code=413)
        except UnicodeDecodeError:
            return PlainTextResponse("body is not UTF-8", status_code=400)
        except ClientDisconnect:
            return PlainTextResponse("client disconnected", status_code=400)
        bolt_request = BoltRequest(
            body=text,
            query=request.url.query,
            headers={key: request.headers.getlist(key) for key in request.headers},
        )
        with foreground.asking():  # the body is in: a slow sender holds nothing back
            return _to_starlette(await run_in_threadpool(app.dispatch, bolt_request))

    return slack_events


def _to_starlette(response: BoltResponse) -> Response:
    headers = {k: v for k, values in response.headers.items() for v in values[:1]}
    headers.pop("content-length", None)
    return Response(content=response.body, status_code=response.status, headers=headers)
