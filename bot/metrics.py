"""Prometheus metrics of `bsm serve`: instruments, the exposition, and the HTTP pieces.

    metrics = Metrics()                       # one per process, built by the composition root
    metrics.notices.inc(kind="post", outcome="posted")
    server = create_server(app, routes, metrics=metrics)     # GET /metrics, request counts
    asker = TimedAsker(conversation, metrics, foreground)     # latency; questions first

The instruments and the text exposition are `prometheus-client`'s; each `Metrics` holds its own
`CollectorRegistry`, so tests and replicas in one process never share a count. The small API
below (`inc(**labels)`, `value(**labels)`, `observe`, `count`, `gauge`) is what the rest of the
bot calls. Label sets stay small (routes, job names, intents, outcomes), never user input.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import prometheus_client
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handlers.answer import Answer
from services.foreground import Foreground

CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _sample(metric: Collector, name: str, labels: dict[str, str]) -> float:
    """The value of sample `name` with exactly `labels` in `metric` (0 when never recorded)."""
    wanted = {key: str(value) for key, value in labels.items()}
    for family in metric.collect():
        for sample in family.samples:
            if sample.name == name and sample.labels == wanted:
                return float(sample.value)
    return 0.0


class Counter:
    """A monotonically increasing count per label set."""

    def __init__(
        self, registry: CollectorRegistry, name: str, help_text: str, labels: Sequence[str]
    ) -> None:
        self.name, self.label_names = name, tuple(labels)
        self._counter = prometheus_client.Counter(name, help_text, labels, registry=registry)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self._counter.labels(**labels).inc(amount)

    def value(self, **labels: str) -> float:
        """The current count of one label set (0 when never incremented)."""
        return _sample(self._counter, self.name, labels)


class Histogram:
    """Observations in cumulative buckets, with their sum and count, per label set."""

    def __init__(
        self,
        registry: CollectorRegistry,
        name: str,
        help_text: str,
        labels: Sequence[str],
        buckets: Sequence[float] = LATENCY_BUCKETS,
    ) -> None:
        self.name, self.label_names = name, tuple(labels)
        self._histogram = prometheus_client.Histogram(
            name, help_text, labels, registry=registry, buckets=buckets
        )

    def observe(self, value: float, **labels: str) -> None:
        self._histogram.labels(**labels).observe(value)

    def count(self, **labels: str) -> float:
        """How many observations one label set holds."""
        return _sample(self._histogram, f"{self.name}_count", labels)


class ReadGauges(Collector):
    """Values read when scraped; a `read` that returns None (unknown now) gives no sample."""

    def __init__(self) -> None:
        self._reads: dict[str, tuple[str, Callable[[], float | None]]] = {}

    def add(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        self._reads[name] = (help_text, read)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (help_text, read) in list(self._reads.items()):
            family = GaugeMetricFamily(name, help_text)
            value = read()
            if value is not None:
                family.add_metric([], value)
            yield family


class Metrics:
    """Every instrument of `bsm serve` in one registry of its own, and their exposition."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = self._counter(
            "bsm_http_requests_total", "HTTP requests by route and status.", ("route", "status")
        )
        self.http_seconds = self._histogram(
            "bsm_http_request_seconds", "HTTP request latency by route.", ("route",)
        )
        self.webhook_events = self._counter(
            "bsm_webhook_events_total",
            "Alerts received by webhook: accepted (stored), duplicate (changed nothing), "
            "unmapped (kept, no component).",
            ("source", "outcome"),
        )
        self.webhook_rejected = self._counter(
            "bsm_webhook_requests_rejected_total",
            "Webhook requests refused (401, 400, 413, 503), nothing stored.",
            ("source", "status"),
        )
        self.webhook_tests = self._counter(
            "bsm_webhook_test_notifications_total",
            "Test notifications received (Grafana's contact point Test): no incident opened.",
            ("source",),
        )
        self.alerts_truncated = self._counter(
            "bsm_alerts_truncated_total",
            "Alerts the sender left out of its webhook (truncatedAlerts): never received.",
            ("source",),
        )
        self.notices = self._counter(
            "bsm_notices_total",
            "Outbox messages to Slack: posted, retried (429/5xx/network) or failed for good.",
            ("kind", "outcome"),
        )
        self.scheduler_runs = self._counter(
            "bsm_scheduler_runs_total",
            "Scheduled job runs: ok, error, or skipped (another replica ran it).",
            ("job", "outcome"),
        )
        self.query_seconds = self._histogram(
            "bsm_impact_query_seconds", "Time to answer a question, by intent.", ("intent",)
        )
        self._gauges = ReadGauges()
        self.registry.register(self._gauges)

    def _counter(self, name: str, help_text: str, labels: Sequence[str]) -> Counter:
        return Counter(self.registry, name, help_text, labels)

    def _histogram(self, name: str, help_text: str, labels: Sequence[str]) -> Histogram:
        return Histogram(self.registry, name, help_text, labels)

    def gauge(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        """Add (or replace) a value read at scrape time (e.g. outbox depth)."""
        self._gauges.add(name, help_text, read)

    def exposition(self) -> str:
        """All instruments in the Prometheus text format."""
        return prometheus_client.generate_latest(WithoutCreated(self.registry)).decode("utf-8")


class WithoutCreated(Collector):
    """A registry's families without the `_created` timestamps of counters and histograms.

    Nothing reads them here, and they would double the series of every label set.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        for family in self.registry.collect():
            if family.type in ("counter", "histogram"):
                family.samples = [s for s in family.samples if not s.name.endswith("_created")]
            yield family


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
        _count_left_out(metrics, source, body)
        return response

    counted.__name__ = getattr(endpoint, "__name__", "webhook")
    return counted


def _count_left_out(metrics: Metrics, source: str, body: dict[str, Any]) -> None:
    """Test notifications and truncated alerts an accepted request reported."""
    tests, truncated = int(body.get("tests") or 0), int(body.get("truncated") or 0)
    if tests:
        metrics.webhook_tests.inc(tests, source=source)
    if truncated:
        metrics.alerts_truncated.inc(truncated, source=source)


class TimedAsker:
    """The conversation, timing each question into `bsm_impact_query_seconds{intent}`.

    Anything else the wrapped conversation offers is passed through untouched.
    """

    def __init__(
        self, conversation: Any, metrics: Metrics, foreground: Foreground | None = None
    ) -> None:
        self._conversation, self._metrics = conversation, metrics
        self._foreground = foreground or Foreground()  # background work steps aside

    def ask(
        self,
        text: str,
        *,
        user_id: str | None,
        channel_id: str | None,
        session: str | None = None,
    ) -> Answer:
        start = time.perf_counter()
        intent = "error"
        try:
            with self._foreground.asking():
                answer: Answer = self._conversation.ask(
                    text, user_id=user_id, channel_id=channel_id, session=session
                )
            intent = answer.intent
            return answer
        finally:
            self._metrics.query_seconds.observe(time.perf_counter() - start, intent=intent)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conversation, name)


def watch_unmapped(metrics: Metrics, held: Callable[[], int]) -> None:
    """`bsm_unmapped_alerts`: the unmapped alerts kept (`held()` at scrape time)."""

    def read() -> float | None:
        try:
            return float(held())
        except Exception:  # the database is down: /healthz says so, the gauge is left out
            return None

    metrics.gauge("bsm_unmapped_alerts", "Unmapped alerts kept (oldest dropped at the cap).", read)
