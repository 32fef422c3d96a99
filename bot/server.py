"""The HTTP server: Slack's events, commands and interactivity on one path, plus health.

    create_server(app, routes=()) -> starlette.applications.Starlette

Bolt's `App.dispatch` is synchronous (it verifies the signature, acks, and hands slow work
to its listener threads), so it runs in Starlette's thread pool, never on the event loop.
Later features add their own routes (webhooks, metrics) through `routes`.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_bolt import App, BoltRequest, BoltResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def create_server(app: App, routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The ASGI application serving `app` at POST /slack/events, GET /healthz and `routes`."""

    async def slack_events(request: Request) -> Response:
        bolt_request = BoltRequest(
            body=(await request.body()).decode("utf-8"),
            query=request.url.query,
            headers={key: request.headers.getlist(key) for key in request.headers},
        )
        return _to_starlette(await run_in_threadpool(app.dispatch, bolt_request))

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route(SLACK_PATH, slack_events, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
            *routes,
        ]
    )


def _to_starlette(response: BoltResponse) -> Response:
    headers = {k: v for k, values in response.headers.items() for v in values[:1]}
    headers.pop("content-length", None)
    return Response(content=response.body, status_code=response.status, headers=headers)
