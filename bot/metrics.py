"""Prometheus metrics of `bsm serve`: instruments, the text exposition, and the HTTP pieces.

    metrics = Metrics()                       # or the process-wide `METRICS`
    metrics.notices.inc(kind="post", outcome="posted")
    server = create_server(app, routes, metrics=metrics)     # GET /metrics, request counts
    asker = TimedAsker(conversation, metrics)                 # impact-query latency

The exposition (text format 0.0.4) is written here: a few counters, one gauge read at
scrape time and two histograms do not need a client library. Label values are escaped;
label sets stay small (routes, job names, intents, outcomes), never user input.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handlers.answer import Answer

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
Labels = tuple[tuple[str, str], ...]


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    escaped = [f'{k}="{_escape(v)}"' for k, v in pairs]
    return "{" + ",".join(escaped) + "}" if escaped else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    """A monotonically increasing count per label set."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        self.name, self.help, self.label_names = name, help_text, tuple(labels)
        self._values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        """The current count of one label set (0 when never incremented)."""
        return self._values.get(self._key(labels), 0.0)

    def _key(self, labels: dict[str, str]) -> Labels:
        if set(labels) != set(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}, got {tuple(labels)}")
        return tuple((name, str(labels[name])) for name in self.label_names)

    def samples(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return [f"{self.name}{_labels(key)} {_number(value)}" for key, value in items]


class Histogram:
    """Observations in cumulative buckets, with their sum and count, per label set."""

    kind = "histogram"

    def __init__(
        self,
        name: str,
        help_text: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = LATENCY_BUCKETS,
    ) -> None:
        self.name, self.help, self.label_names = name, help_text, tuple(labels)
        self.buckets = tuple(sorted(buckets))
        self._series: dict[Labels, list[float]] = {}  # bucket counts..., sum, count
        self._lock = threading.Lock()

    def observe(self, value: float, **labels: str) -> None:
        key = tuple((name, str(labels[name])) for name in self.label_names)
        with self._lock:
            series = self._series.setdefault(key, [0.0] * (len(self.buckets) + 2))
            for index, bound in enumerate(self.buckets):
                if value <= bound:
                    series[index] += 1
            series[-2] += value
            series[-1] += 1

    def count(self, **labels: str) -> float:
        key = tuple((name, str(labels[name])) for name in self.label_names)
        return self._series.get(key, [0.0])[-1]

    def samples(self) -> list[str]:
        with self._lock:
            items = sorted((key, list(series)) for key, series in self._series.items())
        lines = []
        for key, series in items:
            cumulative = [*series[:-2], series[-1]]
            for bound, count in zip((*self.buckets, math.inf), cumulative, strict=True):
                bucket = _labels((*key, ("le", _number(bound))))
                lines.append(f"{self.name}_bucket{bucket} {_number(count)}")
            lines.append(f"{self.name}_sum{_labels(key)} {_number(series[-2])}")
            lines.append(f"{self.name}_count{_labels(key)} {_number(series[-1])}")
        return lines


class Gauge:
    """A value read when scraped (`read` returns None when it cannot be known now)."""

    kind = "gauge"

    def __init__(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        self.name, self.help, self.read = name, help_text, read

    def samples(self) -> list[str]:
        value = self.read()
        return [] if value is None else [f"{self.name} {_number(value)}"]


Instrument = Counter | Histogram | Gauge


class Metrics:
    """Every instrument of `bsm serve`, and the exposition of all of them."""

    def __init__(self) -> None:
        self.http_requests = Counter(
            "bsm_http_requests_total", "HTTP requests by route and status.", ("route", "status")
        )
        self.webhook_events = Counter(
            "bsm_webhook_events_total",
            "Alerts received by webhook: accepted (stored), duplicate (changed nothing), "
            "unmapped (kept, no component).",
            ("source", "outcome"),
        )
        self.webhook_rejected = Counter(
            "bsm_webhook_requests_rejected_total",
            "Webhook requests refused (401, 400, 413, 503), nothing stored.",
            ("source", "status"),
        )
        self.notices = Counter(
            "bsm_notices_total",
            "Outbox messages to Slack: posted, retried (429/5xx/network) or failed for good.",
            ("kind", "outcome"),
        )
        self.scheduler_runs = Counter(
            "bsm_scheduler_runs_total",
            "Scheduled job runs: ok, error, or skipped (another replica ran it).",
            ("job", "outcome"),
        )
        self.query_seconds = Histogram(
            "bsm_impact_query_seconds", "Time to answer a question, by intent.", ("intent",)
        )
        self.http_seconds = Histogram(
            "bsm_http_request_seconds", "HTTP request latency by route.", ("route",)
        )
        self._gauges: list[Gauge] = []

    def gauge(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        """Add a value read at scrape time (e.g. outbox depth)."""
        self._gauges = [g for g in self._gauges if g.name != name] + [Gauge(name, help_text, read)]

    def instruments(self) -> list[Instrument]:
        return [
            self.http_requests,
            self.http_seconds,
            self.webhook_events,
            self.webhook_rejected,
            self.notices,
            self.scheduler_runs,
            self.query_seconds,
            *self._gauges,
        ]

    def exposition(self) -> str:
        """All instruments in Prometheus text format."""
        lines: list[str] = []
        for instrument in self.instruments():
            lines.append(f"# HELP {instrument.name} {instrument.help}")
            lines.append(f"# TYPE {instrument.name} {instrument.kind}")
            lines.extend(instrument.samples())
        return "\n".join(lines) + "\n"


METRICS = Metrics()  # the process's instruments; tests build their own


def metrics_route(metrics: Metrics, path: str = "/metrics") -> Route:
    """GET /metrics; gauges that query the database run in the thread pool."""
    from starlette.concurrency import run_in_threadpool

    async def scrape(request: Request) -> Response:
        text = await run_in_threadpool(metrics.exposition)
        return Response(text, media_type=CONTENT_TYPE)

    return Route(path, scrape, methods=["GET"])


class RequestMetrics:
    """ASGI middleware: counts requests by matched route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.http_requests.inc(route=route, status=str(status[0]))
            self.metrics.http_seconds.observe(time.perf_counter() - start, route=route)


def instrument_webhooks(routes: Sequence[BaseRoute], metrics: Metrics) -> list[BaseRoute]:
    """The webhook routes, counting the alerts each accepted request carried.

    The endpoints answer `{"events", "unmapped", "alerts"}`; alerts that stored no event and
    were not unmapped changed nothing: redeliveries (Alertmanager HA pairs send each twice).
    """
    counted: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Route) and route.path.startswith("/webhooks/"):
            methods = sorted((route.methods or {"POST"}) - {"HEAD"})
            counted.append(Route(route.path, _counting(route, metrics), methods=methods))
        else:
            counted.append(route)
    return counted


def _counting(route: Route, metrics: Metrics) -> Callable[[Request], Any]:
    source = route.path.rsplit("/", 1)[-1]
    endpoint = route.endpoint

    async def counted(request: Request) -> Response:
        response: Response = await endpoint(request)
        if response.status_code >= 300:
            metrics.webhook_rejected.inc(source=source, status=str(response.status_code))
            return response
        try:
            body = json.loads(bytes(response.body))
            events, unmapped = int(body.get("events", 0)), int(body.get("unmapped", 0))
            duplicate = max(0, int(body.get("alerts", 0)) - events - unmapped)
        except (ValueError, TypeError, AttributeError):
            return response
        outcomes = {"accepted": events, "unmapped": unmapped, "duplicate": duplicate}
        for outcome, count in outcomes.items():
            if count:
                metrics.webhook_events.inc(count, source=source, outcome=outcome)
        return response

    counted.__name__ = getattr(endpoint, "__name__", "webhook")
    return counted


class TimedAsker:
    """The conversation, timing each question into `bsm_impact_query_seconds{intent}`.

    Anything else the wrapped conversation offers is passed through untouched.
    """

    def __init__(self, conversation: Any, metrics: Metrics) -> None:
        self._conversation, self._metrics = conversation, metrics

    def ask(self, text: str, *, user_id: str | None, channel_id: str | None) -> Answer:
        start = time.perf_counter()
        intent = "error"
        try:
            answer: Answer = self._conversation.ask(text, user_id=user_id, channel_id=channel_id)
            intent = answer.intent
            return answer
        finally:
            self._metrics.query_seconds.observe(time.perf_counter() - start, intent=intent)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conversation, name)
