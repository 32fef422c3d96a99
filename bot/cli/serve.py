"""`bsm serve`: the Slack app, alert webhooks, the outbox, scheduled jobs, health and metrics.

HTTP mode (no SLACK_APP_TOKEN): one uvicorn server on --host/--port with POST /slack/events,
POST /webhooks/{alertmanager,grafana,generic}, GET /healthz and GET /metrics.

Socket Mode (SLACK_APP_TOKEN set): Slack arrives over the WebSocket; when BSM_WEBHOOK_TOKEN
is set the same HTTP server runs too, without /slack/events, for webhooks, health and
metrics. Without it, no port is opened.

Both modes run the background jobs (`bot.jobs.BackgroundJobs`): outbox drain, Alertmanager
poll, health checks, reconcile, map sync of due sources, SLA digests. Every log line goes
through `SecretFilter`: tokens, the signing secret and the database password never appear.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from bot.settings import SecretFilter, Settings, SettingsError, install_secret_filter

if TYPE_CHECKING:
    from slack_bolt import App
    from starlette.routing import BaseRoute

    from bot.jobs import BackgroundJobs
    from bot.metrics import Metrics
    from bot.server import Health

log = logging.getLogger("bot.serve")


def register(group: click.Group) -> None:
    """Add this module's commands to the `bsm` group."""
    group.add_command(serve)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP: address to bind.")
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def serve(host: str, port: int, log_level: str) -> None:
    """Answer Slack (HTTP or Socket Mode), ingest alerts, post notices and digests."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    install_secret_filter(settings.secrets())
    service = _build(settings)
    if settings.socket_mode:
        _run_socket_mode(service, settings, host, port, log_level)
    else:
        service.health.mode = "http"
        _run_http(service, service.app, host, port, log_level)


@dataclass
class _Service:
    app: App
    jobs: BackgroundJobs
    routes: list[BaseRoute]
    health: Health
    metrics: Metrics


def _build(settings: Settings) -> _Service:
    # Imported here so that `bsm --help` and the other commands stay quick to start.
    from slack_bolt.error import BoltError
    from slack_sdk import WebClient

    from bot.app import Deps, build_client, create_app
    from bot.home import HomeDashboard, HomePanels
    from bot.jobs import BackgroundJobs
    from bot.metrics import METRICS, TimedAsker, instrument_webhooks
    from bot.scheduler import DigestRuntime, DigestScheduler
    from bot.server import Health
    from bot.webhooks import IncidentRuntime
    from handlers.access import AccessConfigError
    from handlers.conversation import Conversation
    from services.incidents import Incidents
    from services.model import ModelService
    from store import Store, StoreError
    from store.deliveries import DeliveryLog

    try:
        store = Store(url=settings.database_url)
    except StoreError as error:  # a malformed URL is quoted in the message: hide its password
        redacted = SecretFilter(settings.secrets()).redact(str(error))
        raise click.ClickException(redacted) from None
    try:
        models = ModelService(store)  # the one compiled model, shared with the incidents
        incidents = Incidents(store, models)
        conversation = Conversation(models, incidents=incidents)
    except AccessConfigError as error:  # BSM_ADMINS / BSM_ADMIN_GROUPS malformed
        raise click.ClickException(str(error)) from None
    # Slack may redeliver an event to another replica: the database remembers deliveries.
    asker, client = TimedAsker(conversation, METRICS), build_client(settings)
    home = HomeDashboard(asker, client=client, panels=HomePanels(store, incidents))
    deps = Deps(asker, DeliveryLog(store.engine), home=home, desk=incidents)
    try:
        app = create_app(settings, deps, client=client)
    except BoltError as error:  # auth.test failed: bad token or unreachable API
        raise click.ClickException(
            f"SLACK_BOT_TOKEN was not accepted by {settings.api_url}: {error}"
        ) from None
    # The outbox retries 429/5xx itself, with the database as memory: no client-side retries.
    notices = WebClient(token=settings.bot_token, base_url=settings.api_url)
    # incidents changed: refresh open Home tabs
    runtime = IncidentRuntime.from_env(
        store, notices, os.environ, incidents=incidents, on_change=home.refresh
    )
    runtime.worker.lease_s = settings.outbox_lease_s
    digests = DigestScheduler(DigestRuntime(store, app.client), tick_s=settings.digest_tick_s)
    every = settings.sync_every_s
    jobs = BackgroundJobs(store, runtime, digests, metrics=METRICS, sync_every_s=every)
    METRICS.gauge("bsm_outbox_depth", "Outbox messages waiting to be sent.", _outbox_depth(store))
    routes = instrument_webhooks(runtime.routes, METRICS)
    return _Service(app, jobs, routes, Health(store.engine), METRICS)


def _outbox_depth(store: Any) -> Any:
    from store import outbox

    def read() -> float | None:
        try:
            with store.engine.connect() as connection:
                return float(outbox.depth(connection))
        except Exception:  # the database is down: /healthz says so, the gauge is left out
            return None

    return read


def _run_http(service: _Service, app: App | None, host: str, port: int, log_level: str) -> None:
    from bot.server import create_server

    server = create_server(app, service.routes, health=service.health, metrics=service.metrics)
    service.jobs.start()
    try:
        _uvicorn(server, host, port, log_level)
    finally:
        service.jobs.stop()


def _run_socket_mode(
    service: _Service, settings: Settings, host: str, port: int, log_level: str
) -> None:
    from bot.socket_mode import connection_state, create_socket_handler

    handler = create_socket_handler(service.app, settings)
    service.health.mode = "socket"
    service.health.slack_state = lambda: connection_state(handler)
    click.echo("bsm: connecting to Slack over Socket Mode", err=True)
    handler.connect()
    try:
        if settings.webhook_token:
            _run_http(service, None, host, port, log_level)
        else:
            log.info("BSM_WEBHOOK_TOKEN is not set: no HTTP server (webhooks, /metrics, /healthz)")
            service.jobs.start()
            try:
                _wait_for_signal()
            finally:
                service.jobs.stop()
    finally:
        handler.close()


def _wait_for_signal() -> None:
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    stop.wait()


def _uvicorn(server: Any, host: str, port: int, log_level: str) -> None:
    import uvicorn

    # log_config=None: uvicorn's loggers propagate to the root handler, which redacts secrets.
    uvicorn.run(
        server,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,
        access_log=log_level == "debug",
    )
