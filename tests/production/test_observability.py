"""Cluster jobs, health, metrics and secret redaction, in process (fast)."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator

import httpx
import prometheus_client
import pytest
import sqlalchemy as sa
from replicas import BOT_TOKEN, SIGNING_SECRET, TOKEN, Replica, serve_env, small_map
from served import bsm_executable
from starlette.testclient import TestClient

from bot.jobs import ClusterJobs
from bot.metrics import Metrics, TimedAsker, instrument_webhooks
from bot.pollers import Pollers
from bot.server import Health, create_server
from bot.settings import SecretFilter, Settings
from bot.webhooks import webhook_routes
from handlers.answer import Answer
from impact.model import Component, HealthCheck, ServiceMap
from services.incidents import Incidents
from services.model import ModelService
from store import Store, lock_key


class Ticks:
    """A wall clock the test moves: periods of 60 s."""

    def __init__(self) -> None:
        self.now = 6000.0

    def __call__(self) -> float:
        return self.now


def test_a_job_runs_once_per_period_across_replicas(store: Store) -> None:
    ticks, runs = Ticks(), []
    replicas = [ClusterJobs(store.job_records, Metrics(), clock=ticks) for _ in range(2)]
    assert replicas[0].run("sync_due", 60, lambda: runs.append("a")) == "ok"
    assert replicas[1].run("sync_due", 60, lambda: runs.append("b")) == "skipped"
    ticks.now += 60
    assert replicas[1].run("sync_due", 60, lambda: runs.append("b")) == "ok"
    assert runs == ["a", "b"]
    assert replicas[1].metrics.scheduler_runs.value(job="sync_due", outcome="skipped") == 1


def test_a_failed_run_leaves_the_period_to_the_next_replica(store: Store) -> None:
    def broken() -> None:
        raise RuntimeError("source unreachable")

    ticks, runs = Ticks(), []
    first, second = (ClusterJobs(store.job_records, Metrics(), clock=ticks) for _ in range(2))
    assert first.run("health_checks", 30, broken) == "error"
    assert second.run("health_checks", 30, lambda: runs.append(1)) == "ok"
    assert runs == [1]


@pytest.mark.postgres
def test_a_job_held_by_another_replica_is_skipped(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    other = sa.create_engine(store.engine.url)
    try:
        with other.connect() as holder:  # another replica, mid-run
            key = {"key": lock_key("reconcile")}
            assert holder.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), key).scalar()
            jobs = ClusterJobs(store.job_records, Metrics())
            assert jobs.run("reconcile", 15, lambda: None) == "skipped"
            holder.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)
        assert jobs.run("reconcile", 15, lambda: None) == "ok"
    finally:
        other.dispose()


def test_health_check_failures_add_up_across_replicas(store: Store) -> None:
    """Three failed checks spread over two replicas take the component down, not six."""
    check = HealthCheck("http://search-api:8080/healthz", failures_before_down=3)
    store.import_map(small_map(), actor="tests")
    store.import_map(ServiceMap.build([Component("search-api", check=check)]))
    failing = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(503)))
    desk = Incidents(store, ModelService(store))
    one, two = Pollers(desk, failing), Pollers(desk, failing)
    one.run_checks()
    two.run_checks()
    assert desk.incidents() == []
    one.run_checks()
    [incident] = desk.incidents()
    assert dict(incident.services) == {"search": "down"}


@pytest.fixture
def served(store: Store) -> Iterator[tuple[TestClient, Metrics]]:
    store.import_map(small_map(), actor="tests")
    metrics = Metrics()
    routes = instrument_webhooks(
        webhook_routes(Incidents(store, ModelService(store)), TOKEN), metrics
    )
    server = create_server(None, routes, health=Health(store), metrics=metrics)
    with TestClient(server) as client:
        yield client, metrics


def test_healthz_reports_the_database(served: tuple[TestClient, Metrics]) -> None:
    client, _ = served
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() | {"mode": "http"} == {
        "ok": True,
        "status": "ok",
        "database": "ok",
        "mode": "http",
    }


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    unreachable = Store(
        "postgresql+psycopg://postgres:db-password-xyz@127.0.0.1:1/none?connect_timeout=1",
        upgrade=False,
    )
    server = create_server(None, health=Health(unreachable, slack_state=lambda: "connected"))
    with TestClient(server) as client:
        answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["database"] == "down" and answer.json()["slack"] == "connected"
    assert "db-password-xyz" not in answer.text


def test_socket_mode_has_no_unsigned_slack_path(served: tuple[TestClient, Metrics]) -> None:
    client, _ = served
    assert client.post("/slack/events", content="{}").status_code == 404


def test_metrics_count_requests_and_webhook_events(served: tuple[TestClient, Metrics]) -> None:
    client, _ = served
    auth = {"Authorization": f"Bearer {TOKEN}"}
    event = {"component": "orders-db", "state": "down", "id": "e-1"}
    assert client.post("/webhooks/generic", json=event, headers=auth).status_code == 200
    assert client.post("/webhooks/generic", json=event, headers=auth).status_code == 200
    assert client.post("/webhooks/generic", json=event).status_code == 401
    text = client.get("/metrics").text
    # prometheus-client writes label pairs sorted by name
    assert 'bsm_webhook_events_total{outcome="accepted",source="generic"} 1.0' in text
    assert 'bsm_webhook_events_total{outcome="duplicate",source="generic"} 1.0' in text
    assert 'bsm_webhook_requests_rejected_total{source="generic",status="401"} 1' in text
    assert 'bsm_http_requests_total{route="/webhooks/generic",status="200"} 2' in text
    assert "# TYPE bsm_impact_query_seconds histogram" in text


def test_timed_asker_observes_each_question_by_intent() -> None:
    class Conversation:
        def ask(
            self,
            text: str,
            *,
            user_id: str | None,
            channel_id: str | None,
            session: str | None = None,
        ) -> Answer:
            return Answer(intent="impact", summary=text)

    metrics = Metrics()
    asker = TimedAsker(Conversation(), metrics)
    assert asker.ask("what does db-03 affect?", user_id="U1", channel_id=None).summary
    assert metrics.query_seconds.count(intent="impact") == 1
    assert 'bsm_impact_query_seconds_bucket{intent="impact",le="+Inf"} 1' in metrics.exposition()


def test_metrics_are_served_with_the_prometheus_content_type(
    served: tuple[TestClient, Metrics],
) -> None:
    client, _ = served
    answer = client.get("/metrics")
    assert answer.headers["content-type"] == prometheus_client.CONTENT_TYPE_LATEST
    assert "# TYPE bsm_http_requests_total counter" in answer.text
    assert "_created" not in answer.text


def test_each_metrics_counts_on_its_own() -> None:
    one, two = Metrics(), Metrics()
    one.scheduler_runs.inc(job="sync_due", outcome="ok")
    one.scheduler_runs.inc(job="sync_due", outcome="ok")
    assert one.scheduler_runs.value(job="sync_due", outcome="ok") == 2
    assert two.scheduler_runs.value(job="sync_due", outcome="ok") == 0
    assert 'bsm_scheduler_runs_total{job="sync_due",outcome="ok"} 2' in one.exposition()
    assert "bsm_scheduler_runs_total{" not in two.exposition()
    with pytest.raises(ValueError):
        one.scheduler_runs.inc(job="sync_due")


def test_gauges_are_read_at_scrape_time_and_replaced_by_name() -> None:
    metrics, depth = Metrics(), [3.0]
    metrics.gauge("bsm_outbox_depth", "Outbox messages waiting to be sent.", lambda: depth[0])
    assert "bsm_outbox_depth 3" in metrics.exposition()
    depth[0] = 7.0
    assert "bsm_outbox_depth 7" in metrics.exposition()
    metrics.gauge("bsm_outbox_depth", "Outbox messages waiting to be sent.", lambda: None)
    lines = metrics.exposition().splitlines()
    assert "# TYPE bsm_outbox_depth gauge" in lines
    assert not [line for line in lines if line.startswith("bsm_outbox_depth")]


SECRETS = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "BSM_WEBHOOK_TOKEN": TOKEN,
    "db password": "pa:ss/word%41",
}


def test_secret_filter_redacts_messages_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        webhook_token=TOKEN,
        database_url="postgresql+psycopg://bsm:pa%3Ass%2Fword%2541@db/bsm",
    )
    assert set(settings.secrets()) == set(SECRETS.values())
    caplog.handler.addFilter(SecretFilter(settings.secrets()))
    log = logging.getLogger("bsm.test")
    log.error("token %s and url %s", BOT_TOKEN, "postgresql://bsm:pa%3Ass%2Fword%2541@db")
    try:
        raise RuntimeError(f"bad signature with {SIGNING_SECRET} / {TOKEN}")
    except RuntimeError:
        log.exception("request failed")
    text = caplog.text
    for value in SECRETS.values():
        assert value not in text
    assert "pa%3Ass%2Fword%2541" not in text
    assert text.count("[redacted]") >= 4


@pytest.mark.slow
@pytest.mark.postgres
def test_bsm_serve_never_shows_a_secret(pg_url: str, slack_api: str) -> None:
    """Debug logs, errors and every endpoint of a running `bsm serve`, grepped for secrets."""
    password = "db-Secret-4242"
    url = pg_url.replace(
        "postgresql+psycopg://postgres@", f"postgresql+psycopg://postgres:{password}@"
    )
    assert password in url  # trust authentication ignores it; the bot must still hide it
    env = serve_env(url, slack_api)
    with Replica(env, "--log-level", "debug") as replica, httpx.Client() as http:
        bodies = [
            http.get(f"{replica.url}/healthz").text,
            http.get(f"{replica.url}/metrics").text,
            http.post(f"{replica.url}/webhooks/generic", content=b"{bad").text,
            http.post(
                f"{replica.url}/webhooks/generic",
                content=b"{bad",
                headers={"Authorization": f"Bearer {TOKEN}"},
            ).text,
            http.post(
                f"{replica.url}/webhooks/generic",
                json={"component": "orders-db", "state": "down"},
                headers={"Authorization": f"Bearer {TOKEN}x"},
            ).text,
            http.post(f"{replica.url}/slack/events", content=b"token=" + TOKEN.encode()).text,
        ]
    seen = replica.log + "".join(bodies)
    assert "Application startup complete" in seen
    for name, value in [*list(SECRETS.items())[:3], ("db password", password)]:
        assert value not in seen, name


@pytest.fixture
def slack_api() -> Iterator[str]:
    from fake_slack import FakeSlack

    with FakeSlack() as fake:
        yield fake.api_url


def test_a_malformed_database_url_is_refused_without_its_password() -> None:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "BSM_DATABASE_URL": "postgresql+psycopg://bsm:Hunter2-db-pw@db:notaport/bsm",
    }
    done = subprocess.run(
        [bsm_executable(), "serve"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "bad database URL" in done.stderr and "[redacted]" in done.stderr
    assert "Hunter2-db-pw" not in done.stdout + done.stderr
