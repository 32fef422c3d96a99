"""The composition root of `bsm serve`: the only reader of `Settings`, built once.

    runtime = Runtime.from_env()          # StartupError: one line for the operator
    runtime.run(host, port, log_level)    # HTTP or Socket Mode; jobs started and stopped

It builds one of each: the store, the compiled model (`services.model.ModelService`,
shared by the conversation and the digests; the incident desk still compiles its own until
it takes the model service), the access policy from the settings' admins, the Slack app,
the incident side (webhooks, reconcile loop, outbox), the digest service, the metrics,
/healthz, and ONE `BackgroundScheduler` (in-memory job store) that fires the table of
named cluster jobs (`bot.jobs.job_table`), each run at most once per period
across replicas through the database (`bot.jobs.ClusterJobs`); `bsm serve` builds and
starts it `SCHEDULER_AFTER_S` after it is ready, so that its first answer does not wait
for APScheduler. Nothing is changed on these objects after they are built.

The incident loop (`bot.webhooks.ReconcileLoop`) stays a thread of its own, not a job:
webhooks wake it on commit, so a lone alert is reconciled and its notice sent at once
rather than at the next tick; the `reconcile` cluster job only picks up what a replica
that died between commit and reconcile left behind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.jobs import ClusterJob, ClusterJobs, job_table
from bot.metrics import Metrics, watch_unmapped
from bot.server import Health
from bot.settings import (
    SecretFilter,
    Settings,
    SettingsError,
    database_url,
    install_secret_filter,
)
from bot.work import WorkPool
from handlers.access import AccessPolicy, Admins
from impact.bulk import no_cycle_collection
from impact.traversal import load_kernel
from services.announce import Announcer
from services.burn import BurnWatch
from services.digests import DigestService
from services.foreground import COMMIT_WAIT_S, Foreground
from services.incidents import Incidents
from services.margins import MarginWatch
from services.model import ModelService
from services.reports import MonthlyReports, ReportService
from store import Store, StoreError

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient
    from starlette.routing import BaseRoute

    from bot.home import HomeDashboard
    from bot.web import Dashboard
    from bot.webhooks import IncidentRuntime
    from handlers.conversation import Conversation
    from handlers.intent_model import IntentJudge
    from services.intake import Payload

log = logging.getLogger("bot.serve")
GROUP_FETCH_TIMEOUT_S = 5.0  # a truncated webhook's group fetch from Alertmanager's API
# In a storm of alerts a question answers from states caught up at most this long ago (the
# reconcile loop catches them up every second); the map and a quiet moment stay current.
STATES_AGE_S = 2.0
# `bsm serve` starts the scheduler this long after it is ready (its jobs' periods are 15 s
# and more): loading APScheduler is then off the way to the first answer.
SCHEDULER_AFTER_S = 3.0
# ... and this long after it is ready, the start-up reconcile of incidents, scipy's search
# kernel (~0.2 s; searches run in numpy until then) and the intent model's encoder (~0.5 s of
# CPU): the judge reads only questions no rule read or read as status, path or owner; one
# asked before loads it itself.
WARM_AFTER_S = 1.0
# On stop, a snapshot being saved (the first start of a map version) is waited for this long:
# a process stopped right after its first answer leaves the next start a snapshot to load.
SAVE_WAIT_S = 30.0


class StartupError(Exception):
    """`bsm serve` cannot start; `str(error)` is one line naming the setting and the fix."""


@dataclass(frozen=True)
class Runtime:
    """Everything `bsm serve` runs, built by `Runtime.build(settings)`."""

    settings: Settings
    store: Store
    models: ModelService
    metrics: Metrics
    conversation: Conversation
    app: App
    incidents: IncidentRuntime
    digests: DigestService
    scheduling: Scheduling  # the one scheduler, built when first needed (`scheduler`)
    health: Health
    routes: list[BaseRoute]
    socket: SocketModeHandler | None
    work: WorkPool  # long chat work (syncs, `digest now`), off Bolt's listener threads
    # questions in flight; the reconcile loop and the catch-up of states step aside for them
    foreground: Foreground = field(default_factory=Foreground)
    dashboard: Dashboard | None = None  # the web dashboard (bot/web), on the same server
    burns: BurnWatch | None = None  # error-budget burn alerts (the burn_check job runs it)
    announcer: Announcer | None = None  # maintenance announcements (maintenance_announce)
    following: threading.Event = field(default_factory=threading.Event)  # set: stop following

    @classmethod
    def from_env(cls) -> Runtime:
        """Read the settings (the only place that does), hide their secrets in logs, build."""
        try:
            settings = Settings.from_env()
        except SettingsError as error:
            raise StartupError(str(error)) from None
        install_secret_filter(settings.secrets())
        return cls.build(settings)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        store = _store(settings)
        foreground = Foreground()  # questions first: background work steps aside for them
        models = ModelService(store, states_age_s=STATES_AGE_S, pause=foreground.pause)
        metrics = Metrics()
        # the incident use case, over the same model; at-risk notices follow its reconciles
        margins = MarginWatch(store, models).refresh
        desk = Incidents(store, models, margins=margins, pause=foreground.pause)
        client = _client(settings)
        digests = _digests(store, models, client)
        conversation = _conversation(settings, models, desk, digests, client)
        home = _home(conversation, desk, digests, metrics, client, foreground)
        work = WorkPool()
        app = _app(settings, store, conversation, home, desk, metrics, client, work, foreground)
        incidents = _incidents(desk, settings, metrics, home, foreground)
        burns = BurnWatch(store, models)  # error-budget burn alerts: the burn_check job
        monthly = _monthly(settings, models, client)
        announcer = Announcer(store, models)  # maintenance announcements: their job
        table = job_table(settings, store, incidents, digests, monthly, burns, announcer)
        socket = _socket(app, settings) if settings.socket_mode else None
        return cls(
            settings=settings,
            store=store,
            models=models,
            metrics=metrics,
            conversation=conversation,
            app=app,
            incidents=incidents,
            digests=digests,
            scheduling=Scheduling(table, ClusterJobs(store.job_records, metrics)),
            health=_health(store, socket),
            routes=_routes(incidents, metrics),
            socket=socket,
            work=work,
            dashboard=_dashboard(settings, models, desk, digests),
            burns=burns,
            announcer=announcer,
            foreground=foreground,
        )

    @property
    def scheduler(self) -> BackgroundScheduler:
        """The process's one scheduler, holding the job table."""
        return self.scheduling.scheduler

    def start(self, *, scheduler_after_s: float = 0.0) -> None:
        """Start the incident loop and the scheduler (the jobs are already in its table);
        with `scheduler_after_s`, the scheduler starts that many seconds later, in a
        thread, unless stopped before."""
        # warm before the port opens: the model (a snapshot when stored) and the name index,
        # which are long-lived objects only: the cyclic collector would walk them for nothing;
        # meanwhile a thread commits the health write probe (waiting on the disk, mostly)
        primer = threading.Thread(target=self.health.prime, name="health-prime")
        primer.start()
        try:
            with no_cycle_collection():
                self.conversation.warm()
        finally:
            primer.join()
        threading.Thread(  # map changes (other replicas' too) applied from the change log
            target=self.models.follow, args=(self.following,), name="model-follow", daemon=True
        ).start()
        # off the first answer's way, like the scheduler: the start-up reconcile (states a
        # crash left behind), scipy's search kernel (searches run in numpy meanwhile) and
        # the intent model's encoder
        later_s = min(WARM_AFTER_S, scheduler_after_s)
        self.incidents.start(reconcile_after_s=later_s)
        self.scheduling.start(after_s=scheduler_after_s)
        warming = threading.Timer(later_s, _warm, (self.conversation.judge,))
        warming.daemon = True
        warming.start()

    def stop(self) -> None:
        self.following.set()
        self.scheduling.stop()
        self.incidents.stop()
        self.work.shutdown(wait=False)
        self.models.flush(SAVE_WAIT_S)

    def server(self, *, slack: bool) -> Any:
        """The ASGI app: Slack's path only when `slack` (HTTP mode), webhooks, health, metrics."""
        from bot.server import create_server

        app = self.app if slack else None
        return create_server(
            app,
            self.routes,
            health=self.health,
            metrics=self.metrics,
            dashboard=self.dashboard,
            foreground=self.foreground,
        )

    def run(self, host: str, port: int, log_level: str) -> None:
        """Serve until stopped: HTTP mode, or Socket Mode (with an HTTP server for webhooks,
        health and metrics when BSM_WEBHOOK_TOKEN is set; else no port is opened)."""
        if self.socket is None:
            terminated = self._serve_http(host, port, log_level, slack=True)
        else:
            import click

            click.echo("bsm: connecting to Slack over Socket Mode", err=True)
            self.socket.connect()
            terminated = False
            try:
                if self.settings.webhook_token:
                    terminated = self._serve_http(host, port, log_level, slack=False)
                else:
                    log.info(
                        "BSM_WEBHOOK_TOKEN is not set: no HTTP server "
                        "(webhooks, /metrics, /healthz)"
                    )
                    self._until_signal()
            finally:
                self.socket.close()
        if terminated:  # stopped: end as SIGTERM ends a process, as uvicorn would have
            import signal

            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)

    def _serve_http(self, host: str, port: int, log_level: str, *, slack: bool) -> bool:
        """Serve until uvicorn stops, then stop; True when it stopped for a SIGTERM."""
        server = self.server(slack=slack)
        self.start(scheduler_after_s=SCHEDULER_AFTER_S)
        try:
            return _uvicorn(server, host, port, log_level)
        finally:
            self.stop()

    def _until_signal(self) -> None:
        self.start(scheduler_after_s=SCHEDULER_AFTER_S)
        try:
            _wait_for_signal()
        finally:
            self.stop()


# -- the parts, each built once ----------------------------------------------------------


def _store(settings: Settings) -> Store:
    try:
        return Store(url=settings.database_url or database_url())
    except StoreError as error:  # a malformed URL is quoted in the message: hide its password
        raise StartupError(SecretFilter(settings.secrets()).redact(str(error))) from None


def _client(settings: Settings) -> WebClient:
    from bot.app import build_client

    return build_client(settings)


def _digests(store: Store, models: ModelService, client: WebClient) -> DigestService:
    from bot.digest import poster

    return DigestService(store, models, post=poster(client))


def _access(settings: Settings, client: WebClient) -> AccessPolicy:
    """The admins of the settings; admin groups expand through Slack's user-group lookup."""
    from bot.admins import UserGroups

    admins = Admins(settings.admins, settings.admin_groups)
    return AccessPolicy(admins, UserGroups(client).members if admins.groups else None)


def _conversation(
    settings: Settings,
    models: ModelService,
    desk: Incidents,
    digests: DigestService,
    client: WebClient,
) -> Conversation:
    from handlers.conversation import Conversation
    from services.sync.runner import SourceAccess

    access = _access(settings, client)
    tokens = SourceAccess(settings.source_tokens, settings.outbound)  # sync fetches by policy
    reports = _reports(models, client)
    from handlers.intent_model import IntentJudge

    return Conversation(
        models,
        incidents=desk,
        access=access,
        digests=digests,
        tokens=tokens,
        reports=reports,
        judge=IntentJudge.installed(settings.sentence_model),
    )


def _monthly(settings: Settings, models: ModelService, client: WebClient) -> MonthlyReports | None:
    """The monthly SLA report and risk register jobs, when channels are configured
    (BSM_REPORT_CHANNELS)."""
    from bot.report_delivery import channel_poster, risk_poster

    if not settings.report_channels:
        return None
    store = models.store
    return MonthlyReports(
        store,
        models,
        settings.report_channels,
        post=channel_poster(client),
        post_risks=risk_poster(client),
    )


def _reports(models: ModelService, client: WebClient) -> ReportService:
    """SLA report files: built over the process's model, uploaded to the asker."""
    from bot.report_delivery import uploader

    return ReportService(models.store, models, deliver=uploader(client))


def _home(
    conversation: Conversation,
    desk: Incidents,
    digests: DigestService,
    metrics: Metrics,
    client: WebClient,
    foreground: Foreground,
) -> HomeDashboard:
    from bot.home import HomeDashboard, HomePanels
    from bot.metrics import TimedAsker

    asker = TimedAsker(conversation, metrics, foreground)
    return HomeDashboard(asker, client=client, panels=HomePanels(desk, digests))


def _app(
    settings: Settings,
    store: Store,
    conversation: Conversation,
    home: HomeDashboard,
    desk: Incidents,
    metrics: Metrics,
    client: WebClient,
    work: WorkPool,
    foreground: Foreground,
) -> App:
    from slack_bolt.error import BoltError

    from bot.app import Deps, create_app
    from bot.metrics import TimedAsker

    # Slack may redeliver an event to another replica: the database remembers deliveries.
    asker = TimedAsker(conversation, metrics, foreground)
    deps = Deps(asker, store.deliveries, home=home, desk=desk, work=work)
    try:
        return create_app(settings, deps, client=client)
    except BoltError as error:  # auth.test failed: bad token or unreachable API
        raise StartupError(
            f"SLACK_BOT_TOKEN was not accepted by {settings.api_url}: {error}"
        ) from None


def _incidents(
    desk: Incidents,
    settings: Settings,
    metrics: Metrics,
    home: HomeDashboard,
    foreground: Foreground,
) -> IncidentRuntime:
    from slack_sdk import WebClient

    from bot.webhooks import IncidentRuntime

    # The outbox retries 429/5xx itself, with the database as memory: no client-side retries.
    notices = WebClient(token=settings.bot_token, base_url=settings.api_url)
    metrics.gauge("bsm_outbox_depth", "Outbox messages waiting to be sent.", _outbox_depth(desk))
    watch_unmapped(metrics, desk.store.incident_records.unmapped_held)
    return IncidentRuntime.for_incidents(
        desk,
        notices,
        token=settings.webhook_token,
        metrics=metrics,
        lease_s=settings.outbox_lease_s,
        on_change=home.refresh,  # incidents changed: refresh open Home tabs
        complete_group=_group_fetcher(settings),
        pause=lambda: foreground.pause(COMMIT_WAIT_S),  # a question in flight goes first
    )


def _group_fetcher(settings: Settings) -> Callable[[Payload], Payload] | None:
    """With an Alertmanager API (BSM_ALERTMANAGER_URL), truncated webhooks fetch their group."""
    url = settings.alertmanager_url
    if not url:
        return None
    import httpx

    from services.alert_api import complete_group

    http = httpx.Client(timeout=GROUP_FETCH_TIMEOUT_S)
    return partial(complete_group, policy=settings.outbound, http=http, base_url=url)


class Scheduling:
    """The process's one scheduler over the job table, built when first asked for (so
    that `bsm serve` loads APScheduler after its first answer, not before)."""

    def __init__(self, table: list[ClusterJob], jobs: ClusterJobs) -> None:
        self._table, self._jobs = table, jobs
        self._scheduler: BackgroundScheduler | None = None
        self._stopped = threading.Event()
        self._lock = threading.Lock()

    @property
    def scheduler(self) -> BackgroundScheduler:
        with self._lock:
            if self._scheduler is None:
                self._scheduler = _scheduler(self._table, self._jobs)
            return self._scheduler

    def start(self, *, after_s: float = 0.0) -> None:
        """Start the scheduler now, or `after_s` seconds from now in a thread (not at all
        when `stop` comes first)."""
        if after_s <= 0:
            self._start()
            return
        threading.Thread(
            target=self._start_after, args=(after_s,), name="scheduler-start", daemon=True
        ).start()

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            if self._scheduler is not None and self._scheduler.running:
                self._scheduler.shutdown(wait=True)

    def _start_after(self, after_s: float) -> None:
        if not self._stopped.wait(after_s):
            self._start()

    def _start(self) -> None:
        scheduler = self.scheduler
        with self._lock:
            if not self._stopped.is_set() and not scheduler.running:
                scheduler.start()


def _scheduler(table: list[ClusterJob], jobs: ClusterJobs) -> BackgroundScheduler:
    """The process's one scheduler: an in-memory job store holding the cluster jobs."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    jobs.schedule_all(scheduler, table)
    return scheduler


def _socket(app: App, settings: Settings) -> SocketModeHandler:
    from bot.socket_mode import create_socket_handler

    return create_socket_handler(app, settings)


def _health(store: Store, socket: SocketModeHandler | None) -> Health:
    if socket is None:
        return Health(store, mode="http")
    from bot.socket_mode import connection_state

    return Health(store, slack_state=lambda: connection_state(socket), mode="socket")


def _routes(incidents: IncidentRuntime, metrics: Metrics) -> list[BaseRoute]:
    from bot.metrics import instrument_webhooks

    return instrument_webhooks(incidents.routes, metrics)


def _outbox_depth(desk: Incidents) -> Callable[[], float | None]:
    outbox = desk.store.outbox

    def read() -> float | None:
        try:
            return float(outbox.depth())
        except Exception:  # the database is down: /healthz says so, the gauge is left out
            return None

    return read


def _dashboard(
    settings: Settings, models: ModelService, desk: Incidents, digests: DigestService
) -> Dashboard:
    from bot.web import build_dashboard

    return build_dashboard(settings, models, desk, digests)


def _warm(judge: IntentJudge | None) -> None:
    if not load_kernel():  # pragma: no cover - depends on the scipy build
        log.info("scipy has no search kernel here: searches stay in numpy")
    if judge is None:
        return
    try:
        judge.warm()
    except Exception:  # a question that needs it loads it again and reports the error
        log.exception("could not load the intent model")


def _wait_for_signal() -> None:
    import signal
    import threading

    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    stop.wait()


def _uvicorn(server: Any, host: str, port: int, log_level: str) -> bool:
    """Serve until stopped; True when stopped by SIGTERM. uvicorn raises the signal again
    after its graceful shutdown, to the handler there was before: with the default one
    the process would end there, before `Runtime.stop` (the incident loop, the scheduler
    and a snapshot being saved), so the handler here only notes it."""
    import signal

    import uvicorn

    terminated: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    if main:
        previous = signal.signal(signal.SIGTERM, lambda number, _: terminated.append(number))
    try:
        # log_config=None: uvicorn's loggers propagate to the root handler (redacting secrets)
        uvicorn.run(
            server,
            host=host,
            port=port,
            log_level=log_level,
            log_config=None,
            access_log=log_level == "debug",
            ws="none",  # no route is a WebSocket: the protocol's modules are not loaded
            timeout_graceful_shutdown=5,  # open streams (dashboard live tiles) end by then
        )
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    return bool(terminated)
