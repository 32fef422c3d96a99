"""The HTTP server: Slack's events, commands and interactivity on one path, health, metrics.

    create_server(app, routes=(), *, health=None, metrics=None) -> starlette.applications.Starlette

Bolt's `App.dispatch` is synchronous (it verifies the signature, acks, and hands slow work
to its listener threads), so it runs in Starlette's thread pool, never on the event loop.
`app=None` serves no Slack path (Socket Mode receives Slack over its WebSocket; an HTTP
path without signature checks must not exist then). Webhooks come in through `routes`.

GET /healthz answers 200 `{"ok": true, "status": "ok", "database": "ok", ...}` when the
database answers `SELECT 1` (`Store.ping`) within `Health.timeout_s`, else 503 with
`"database": "down"`;
in Socket Mode it adds the WebSocket state (`"slack": "connected"`), which does not make it
fail: the database is what a load balancer must route around. No value in it is secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.metrics import Metrics, RequestMetrics, metrics_route
from store import Store

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


@dataclass(frozen=True)
class Health:
    """What /healthz reports: the database, and the Slack connection in Socket Mode.

    `store.ping` asks the database for `SELECT 1`; `store` None: no database.
    """

    store: Store | None = None
    slack_state: Callable[[], str] | None = None
    mode: str = "http"
    timeout_s: float = 2.0

    async def report(self) -> tuple[int, dict[str, Any]]:
        database = "ok" if self.store is None else await self._database()
        body: dict[str, Any] = {"ok": database == "ok", "status": "ok", "database": database}
        body["mode"] = self.mode
        if self.slack_state is not None:
            body["slack"] = self.slack_state()
        if database != "ok":
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
) -> Starlette:
    """The ASGI application: POST /slack/events (when `app`), GET /healthz, GET /metrics
    (when `metrics`), and `routes`."""
    checker = health or Health()

    async def healthz(request: Request) -> Response:
        status, body = await checker.report()
        return JSONResponse(body, status_code=status)

    served: list[BaseRoute] = [Route(HEALTH_PATH, healthz, methods=["GET"])]
    if app is not None:
        served.append(Route(SLACK_PATH, _slack_endpoint(app), methods=["POST"]))
    if metrics is not None:
        served.append(metrics_route(metrics))
    middleware = [Middleware(RequestMetrics, metrics=metrics)] if metrics is not None else []
    return Starlette(routes=[*served, *routes], middleware=middleware)


def _slack_endpoint(app: App) -> Callable[[Request], Any]:
    async def slack_events(request: Request) -> Response:
        bolt_request = BoltRequest(
            body=(await request.body()).decode("utf-8"),
            query=request.url.query,
            headers={key: request.headers.getlist(key) for key in request.headers},
        )
        return _to_starlette(await run_in_threadpool(app.dispatch, bolt_request))

    return slack_events


def _to_starlette(response: BoltResponse) -> Response:
    headers = {k: v for k, values in response.headers.items() for v in values[:1]}
    headers.pop("content-length", None)
    return Response(content=response.body, status_code=response.status, headers=headers)
