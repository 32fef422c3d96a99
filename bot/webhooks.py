"""Alert webhooks: POST /webhooks/alertmanager, /webhooks/grafana, /webhooks/generic.

    routes = webhook_routes(desk, token=os.environ["BSM_WEBHOOK_TOKEN"], on_commit=wake.set)
    create_server(app, routes=routes)

Every endpoint wants `Authorization: Bearer <BSM_WEBHOOK_TOKEN>` (constant-time compare,
401 otherwise), refuses bodies over 1 MiB (413), answers 400 naming the bad field for
malformed payloads (nothing stored), and answers 200 only after the transaction holding the
events, incident changes and outbox rows committed. Database work runs in the thread pool.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.alerts import (
    AlertMapping,
    AlertPayloadError,
    ComponentIndex,
    Ingest,
    map_rules,
    parse_alertmanager,
    parse_generic,
)
from store.incidents import IncidentDesk

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
TOKEN_VARIABLE = "BSM_WEBHOOK_TOKEN"


class _TooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Webhooks:
    """The three endpoints over one `IncidentDesk`."""

    desk: IncidentDesk
    token: str | None
    mapping: AlertMapping = field(default_factory=AlertMapping)
    on_commit: Callable[[], None] = lambda: None
    max_body: int = MAX_BODY
    reconcile_inline: bool = True  # False: `on_commit` must trigger `desk.reconcile()` soon

    def routes(self) -> list[Route]:
        return [
            Route("/webhooks/alertmanager", self._endpoint("alertmanager"), methods=["POST"]),
            Route("/webhooks/grafana", self._endpoint("grafana"), methods=["POST"]),
            Route("/webhooks/generic", self._endpoint("generic"), methods=["POST"]),
        ]

    def _endpoint(self, kind: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self.handle(kind, request)

        endpoint.__name__ = f"{kind}_webhook"
        return endpoint

    async def handle(self, kind: str, request: Request) -> Response:
        if not self._authorized(request):
            return _error(
                401, "missing or wrong bearer token (Authorization: Bearer $BSM_WEBHOOK_TOKEN)"
            )
        try:
            body = await _body(request, self.max_body)
        except _TooLarge:
            return _error(
                413, f"body larger than {self.max_body} bytes: send fewer alerts per request"
            )
        except ClientDisconnect:
            return _error(400, "client disconnected before the body arrived")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return _error(400, f"body is not valid JSON: {error}", field="body")
        try:
            return await run_in_threadpool(self._ingest, kind, payload)
        except AlertPayloadError as error:
            return _error(400, str(error), field=error.field)
        except DBAPIError as error:
            log.error("webhook %s: database unavailable: %s", kind, type(error.orig).__name__)
            return _error(503, "database unavailable, nothing stored: retry", retry_after=5)

    def _authorized(self, request: Request) -> bool:
        if not self.token:
            return False
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        )

    def _ingest(self, kind: str, payload: Any) -> Response:
        parsed = self._parse(kind, payload)
        report = self.desk.ingest(
            parsed.observations, parsed.unmapped, reconcile=self.reconcile_inline
        )
        self.on_commit()
        return JSONResponse(
            {
                "ok": True,
                "events": report.events,
                "unmapped": report.unmapped,
                "alerts": len(parsed.observations) + len(parsed.unmapped),
            }
        )

    def _parse(self, kind: str, payload: Any) -> Ingest:
        service_map = self.desk.service_map()
        labels = {name: c.labels for name, c in service_map.components.items() if c.labels}
        index = ComponentIndex(service_map.components, map_rules(labels))
        if kind == "generic":
            return parse_generic(payload, index, now=self.desk.clock())
        return parse_alertmanager(payload, self.mapping, index, source=kind)


def webhook_routes(
    desk: IncidentDesk,
    token: str | None,
    *,
    mapping: AlertMapping | None = None,
    on_commit: Callable[[], None] = lambda: None,
    reconcile_inline: bool = True,
) -> list[Route]:
    """The webhook routes for `create_server(app, routes=...)`."""
    if not token:
        log.warning("%s is not set: every webhook request will be refused (401)", TOKEN_VARIABLE)
    hooks = Webhooks(
        desk, token, mapping or AlertMapping(), on_commit, reconcile_inline=reconcile_inline
    )
    return hooks.routes()


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(
    status: int, message: str, *, field: str | None = None, retry_after: int | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error": message}
    if field is not None:
        body["field"] = field
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(body, status_code=status, headers=headers)


class IncidentRuntime:
    """What `bsm serve` runs for alerts: webhook routes, the outbox worker, the pollers.

        runtime = IncidentRuntime.from_env(store, client)   # client: a WebClient without
        server = create_server(app, routes=runtime.routes)  # rate-limit retry handlers
        runtime.start(); ...; runtime.stop()

    Environment: BSM_WEBHOOK_TOKEN, BSM_ALERTMANAGER_URL (optional: poll its API),
    BSM_POLL_INTERVAL_S (30).
    """

    def __init__(self, desk: IncidentDesk, worker: Any, pollers: Any, env: Mapping[str, str]):
        import threading

        self.desk, self.worker, self.pollers, self.env = desk, worker, pollers, env
        self._stop, self._wake = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bsm-incidents", daemon=True)
        # Webhooks commit states only; this thread reconciles once per burst, then drains.
        self.routes = webhook_routes(
            desk, env.get(TOKEN_VARIABLE), on_commit=self._wake.set, reconcile_inline=False
        )
        self.scheduler: Any = None

    @classmethod
    def from_env(
        cls, store: Any, client: Any, env: Mapping[str, str] | None = None
    ) -> IncidentRuntime:
        import os

        import httpx

        from bot.outbox_worker import OutboxWorker
        from bot.pollers import Pollers

        desk = IncidentDesk(store.engine)
        pollers = Pollers(desk, httpx.Client(timeout=10))
        return cls(desk, OutboxWorker(store.engine, client), pollers, env or os.environ)

    def _loop(self) -> None:
        due = True  # reconcile once at start: a crash may have left committed states behind
        while not self._stop.is_set():
            try:
                if due:
                    self.desk.reconcile()
                self.worker.drain()
            except Exception:  # a database hiccup must not end the loop; work stays queued
                log.exception("incident reconcile or outbox drain failed; retrying")
            due = self._wake.wait(1.0)
            self._wake.clear()

    def start(self) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        from bot.pollers import schedule

        self._thread.start()
        self.scheduler = BackgroundScheduler(timezone="UTC")
        every = float(self.env.get("BSM_POLL_INTERVAL_S", "30"))
        url = self.env.get("BSM_ALERTMANAGER_URL") or None
        schedule(self.scheduler, self.pollers, alertmanager_url=url, every_s=every)
        self.scheduler.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        self._thread.join(timeout=5)
