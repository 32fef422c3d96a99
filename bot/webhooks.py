"""Alert webhooks: POST /webhooks/alertmanager, POST|PUT /webhooks/grafana, /webhooks/generic.

    routes = webhook_routes(desk, token=settings.webhook_token, on_commit=wake.set)
    create_server(app, routes=routes)

Every endpoint wants `Authorization: Bearer <BSM_WEBHOOK_TOKEN>` (constant-time compare,
401 otherwise), refuses bodies over 1 MiB (413, counted while the body streams:
`bot.limits`), answers 400 naming the bad field for malformed payloads (nothing stored;
JSON nested deeper than 64 levels included), answers
503 with Retry-After only when the database cannot be reached (a value it refuses is a
400), and answers 200 only after the transaction holding its events and alert states
committed (with `reconcile_inline`, also the incident changes and outbox rows). Payloads
are checked on the event loop; the database work runs in a group commit (`GroupCommit`):
concurrent webhooks share one transaction and one fsync.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.limits import BodyTooLarge, read_body
from services.incidents import Incidents
from services.intake import (
    AlertMapping,
    AlertPayloadError,
    Payload,
    read_alertmanager,
    read_generic,
)
from store import IngestReport, Observation, UnmappedAlert, database_failure, driver_error

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
INLINE_PARSE = 64 * 1024  # bodies up to this size are parsed on the event loop
MAX_GROUP = 256  # payloads per group commit
MAX_DEPTH = 64  # JSON nesting; real payloads use 4, and deeper ones exhaust the stack
TOKEN_VARIABLE = "BSM_WEBHOOK_TOKEN"


Outcome = IngestReport | Exception


class GroupCommit:
    """Group commit: webhooks queue their payloads, one writer thread commits them together.

    Each request waits for the commit holding its payload (durable before its 2xx); the
    requests that arrive while a commit runs share the next transaction and its fsync, so
    concurrency turns into bigger transactions instead of a queue of small ones. Threads
    start on demand and end after `idle_s` without work. With `writers` > 1 (PostgreSQL,
    which takes concurrent writers) a request arriving mid-commit starts the next group
    at once instead of waiting for the one in flight (SQLite: one writer at a time).
    `pause` is called before each commit (`services.foreground`: a short wait while a
    question is in flight).
    """

    def __init__(
        self,
        commit: Callable[[list[Payload]], list[Outcome]],
        *,
        max_group: int = MAX_GROUP,
        idle_s: float = 5.0,
        writers: int = 1,
        pause: Callable[[], object] = lambda: None,
    ) -> None:
        self._commit, self.max_group, self.idle_s = commit, max_group, idle_s
        self.writers, self.pause = writers, pause
        self._ready = threading.Condition()
        self._queue: list[tuple[Payload, asyncio.Future[Outcome]]] = []
        self._running = 0  # writer threads alive

    async def submit(self, payload: Payload) -> IngestReport:
        """Queue `payload`; return its report once committed (or raise its error)."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        with self._ready:
            self._queue.append((payload, future))
            self._ready.notify()  # an idle writer takes it; else another writer starts
            if self._running < self.writers:
                self._running += 1
                threading.Thread(target=self._run, name="bsm-webhook-commit", daemon=True).start()
        outcome = await future
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _run(self) -> None:
        while group := self._next_group():
            try:
                outcomes = self._commit([payload for payload, _ in group])
            except Exception as error:  # a bug must answer 500, not leave requests hanging
                log.exception("webhook group commit failed")
                outcomes = [error] * len(group)
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Outcome], Outcome]]]
            by_loop = {}
            for (_, future), outcome in zip(group, outcomes, strict=True):
                by_loop.setdefault(future.get_loop(), []).append((future, outcome))
            for loop, settled in by_loop.items():  # one wake-up per event loop, not per request
                loop.call_soon_threadsafe(_settle, settled)

    def _next_group(self) -> list[tuple[Payload, asyncio.Future[Outcome]]]:
        while True:
            with self._ready:
                if not self._queue:
                    self._ready.wait(self.idle_s)
                if not self._queue:
                    self._running -= 1
                    return []
            self.pause()  # a question in flight: a moment's wait, the payloads meanwhile join
            with self._ready:
                group = self._queue[: self.max_group]
                self._queue = self._queue[self.max_group :]
                if group:  # else another writer took them during the pause
                    return group


def _settle(settled: list[tuple[asyncio.Future[Outcome], Outcome]]) -> None:
    for future, outcome in settled:
        if not future.done():  # cancelled: the client went away (its payload is committed)
            future.set_result(outcome)


class Webhooks:
    """The three endpoints over one `Incidents`."""

    def __init__(
        self,
        desk: Incidents,
        token: str | None,
        mapping: AlertMapping | None = None,
        on_commit: Callable[[], None] = lambda: None,
        *,
        max_body: int = MAX_BODY,
        reconcile_inline: bool = True,  # False: `on_commit` must trigger `desk.reconcile()` soon
        complete_group: Callable[[Payload], Payload] | None = None,  # truncated -> whole group
        pause: Callable[[], object] = lambda: None,  # before each group commit
    ) -> None:
        self.desk, self.token, self.on_commit = desk, token, on_commit
        self.complete_group = complete_group
        self.mapping = mapping or AlertMapping()
        self.max_body, self.reconcile_inline = max_body, reconcile_inline
        writers = 1 if desk.store.is_sqlite else 2
        self.commits = GroupCommit(self._commit, writers=writers, pause=pause)

    def routes(self) -> list[Route]:
        return [
            Route("/webhooks/alertmanager", self._endpoint("alertmanager"), methods=["POST"]),
            # Grafana's webhook contact point may be set to PUT; generic senders too.
            Route("/webhooks/grafana", self._endpoint("grafana"), methods=["POST", "PUT"]),
            Route("/webhooks/generic", self._endpoint("generic"), methods=["POST", "PUT"]),
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
            body = await read_body(request, self.max_body)
        except BodyTooLarge:
            return _error(
                413, f"body larger than {self.max_body} bytes: send fewer alerts per request"
            )
        except ClientDisconnect:
            return _error(400, "client disconnected before the body arrived")
        try:
            if len(body) <= INLINE_PARSE:  # microseconds: cheaper than a thread hop
                payload = self._read(kind, body)
            else:  # a big body must not stall the event loop
                payload = await run_in_threadpool(self._read, kind, body)
            truncated = payload.truncated
            if truncated and self.complete_group is not None:  # ask Alertmanager's API
                payload = await run_in_threadpool(self.complete_group, payload)
            _log_left_out(kind, payload, truncated)
            report = await self.commits.submit(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return _error(400, f"body is not valid JSON: {error}", field="body")
        except AlertPayloadError as error:
            return _error(400, str(error), field=error.field)
        except Exception as error:
            return _database_error(kind, error)
        return JSONResponse(
            {
                "ok": True,
                "events": report.events,
                "unmapped": report.unmapped,
                "alerts": len(payload.alerts),
                "tests": payload.tests,
                "truncated": truncated,  # as the sender said
                "missing": payload.truncated,  # still missing after fetching the group
            }
        )

    def _authorized(self, request: Request) -> bool:
        if not self.token:
            return False
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        )

    def _read(self, kind: str, body: bytes) -> Payload:
        data = _json(body)
        if kind == "generic":
            return read_generic(data, now=self.desk.clock())
        return read_alertmanager(data, source=kind)

    def _commit(self, payloads: list[Payload]) -> list[Outcome]:
        """Commit a group in one transaction; if that fails, each payload on its own."""
        try:
            resolved = self._resolve(payloads)
            reports: list[Outcome] = list(
                self.desk.ingest_many(resolved, reconcile=self.reconcile_inline)
            )
        except Exception as error:
            if not isinstance(error, AlertPayloadError) and database_failure(error) is None:
                raise
            if len(payloads) == 1:
                return [error]
            # One bad payload must not fail the others: isolate it (rare, so slow is fine).
            return [outcome for p in payloads for outcome in self._commit([p])]
        self.on_commit()
        return reports

    def _resolve(
        self, payloads: list[Payload]
    ) -> list[tuple[Sequence[Observation], Sequence[UnmappedAlert]]]:
        """Tie alerts to components with the current map (its index built once per version)."""
        index = self.desk.component_index()
        found = [p.resolve(self.mapping, index) for p in payloads]
        return [(f.observations, f.unmapped) for f in found]


def _log_left_out(kind: str, payload: Payload, truncated: int) -> None:
    """Say what a payload did not carry: truncated alerts, test notifications."""
    if payload.truncated:
        log.warning(
            "webhook %s: the sender truncated %d alerts (its max_alerts): they were not received",
            kind,
            payload.truncated,
        )
    elif truncated:
        log.info("webhook %s: %d truncated alerts fetched from the API", kind, truncated)
    if payload.tests:
        log.info("webhook %s: %d test notifications, no incident opened", kind, payload.tests)


def webhook_routes(
    desk: Incidents,
    token: str | None,
    *,
    mapping: AlertMapping | None = None,
    on_commit: Callable[[], None] = lambda: None,
    reconcile_inline: bool = True,
    complete_group: Callable[[Payload], Payload] | None = None,
    pause: Callable[[], object] = lambda: None,
) -> list[Route]:
    """The webhook routes for `create_server(app, routes=...)`."""
    if not token:
        log.warning("%s is not set: every webhook request will be refused (401)", TOKEN_VARIABLE)
    hooks = Webhooks(
        desk,
        token,
        mapping,
        on_commit,
        reconcile_inline=reconcile_inline,
        complete_group=complete_group,
        pause=pause,
    )
    return hooks.routes()


def _json(body: bytes) -> Any:
    """The body's JSON, refused (400 naming `body`) when nested deeper than `MAX_DEPTH`."""
    too_deep = AlertPayloadError("body", f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(body)
    except RecursionError:
        raise too_deep from None
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:  # iterative: the check itself must not recurse
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise too_deep
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return data


def _database_error(kind: str, error: Exception) -> JSONResponse:
    """400 for a value the database refused, 503 when it is unreachable; else re-raise.

    Only a lost or unreachable database is worth a retry; a refused value never is.
    """
    failure = database_failure(error)
    if failure == "refused":
        log.error("webhook %s: the database refused a value: %s", kind, driver_error(error))
        return _error(400, "the database refused a value of this payload", field="body")
    if failure != "unavailable":
        raise error
    log.error("webhook %s: database unavailable: %s", kind, type(driver_error(error)).__name__)
    return _error(503, "database unavailable, nothing stored: retry", retry_after=5)


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


class ReconcileLoop:
    """The thread behind the webhooks: reconcile once per burst of commits, then `then()`.

    Webhooks commit states only and `wake()` this loop, which reconciles incidents at most
    once per `every_s` (a storm of alerts costs one reconcile a second, not one per
    request; Slack takes one message per second per channel anyway, so notices lose
    nothing) and otherwise wakes every second to run `then` (the outbox drain). A lone
    alert after a quiet second is reconciled at once.
    """

    def __init__(
        self,
        desk: Incidents,
        then: Callable[[], object] = lambda: None,
        every_s: float = 1.0,
        *,
        on_change: Callable[[], object] = lambda: None,
    ) -> None:
        self.desk, self.then, self.every_s = desk, then, every_s
        # Called after a reconcile that opened, updated or resolved incidents (App Home).
        self.on_change: Callable[[], object] = on_change
        self._stop, self._wake = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="bsm-incidents", daemon=True)
        self._first_at = 0.0

    def wake(self) -> None:
        self._wake.set()

    def start(self, *, first_after_s: float = 0.0) -> None:
        """Run the loop; its first reconcile (the one at start) `first_after_s` from now."""
        self._first_at = time.monotonic() + first_after_s
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=5)

    def _run(self) -> None:
        # once at start (a crash may have left states behind), at `_first_at`
        due, last = True, self._first_at - self.every_s
        while not self._stop.is_set():
            try:
                if due:
                    self._stop.wait(last + self.every_s - time.monotonic())
                    last = time.monotonic()
                    if not self.desk.reconcile().empty:
                        self.on_change()
                self.then()
            except Exception:  # a database hiccup must not end the loop; work stays queued
                log.exception("incident reconcile or outbox drain failed; retrying")
            due = self._wake.wait(1.0)
            self._wake.clear()


class IncidentRuntime:
    """The alert side of `bsm serve`: webhook routes, the reconcile loop and the outbox worker.

        runtime = IncidentRuntime.for_incidents(incidents, client, token=settings.webhook_token)
        server = create_server(app, routes=runtime.routes)     # client: a WebClient without
        runtime.start(); ...; runtime.stop()                   # rate-limit retry handlers

    The polls, health checks and the periodic reconcile are cluster jobs of the runtime
    (`bot.runtime`), on its one scheduler.
    """

    def __init__(
        self,
        desk: Incidents,
        worker: Any,
        token: str | None,
        *,
        on_change: Callable[[], object] = lambda: None,
        complete_group: Callable[[Payload], Payload] | None = None,
        pause: Callable[[], object] = lambda: None,  # before each webhook group commit
    ) -> None:
        self.desk, self.worker = desk, worker
        self.loop = ReconcileLoop(desk, then=worker.drain, on_change=on_change)
        self.routes = webhook_routes(
            desk,
            token,
            on_commit=self.loop.wake,
            reconcile_inline=False,
            complete_group=complete_group,
            pause=pause,
        )

    @classmethod
    def for_incidents(
        cls,
        incidents: Incidents,
        client: Any,
        *,
        token: str | None,
        metrics: Any = None,
        lease_s: float = 60.0,
        on_change: Callable[[], object] = lambda: None,
        complete_group: Callable[[Payload], Payload] | None = None,
        pause: Callable[[], object] = lambda: None,
    ) -> IncidentRuntime:
        from bot.outbox_worker import OutboxWorker

        worker = OutboxWorker(incidents.store.outbox, client, lease_s=lease_s, metrics=metrics)
        return cls(
            incidents,
            worker,
            token,
            on_change=on_change,
            complete_group=complete_group,
            pause=pause,
        )

    def start(self, *, reconcile_after_s: float = 0.0) -> None:
        """Start the reconcile loop; its start-up reconcile `reconcile_after_s` from now."""
        self.loop.start(first_after_s=reconcile_after_s)

    def stop(self) -> None:
        self.loop.stop()
