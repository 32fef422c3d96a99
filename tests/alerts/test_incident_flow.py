"""Alerts in, notices out: the issue's "done when" scenarios on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fake_slack import FakeSlack
from payloads import Clock, alertmanager, am_alert, grafana
from settled_slack import slack_client
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.outbox_worker import OutboxWorker
from impact.model import MaintenanceWindow
from services.incidents import Incidents
from store import Store, outbox
from store.database import transaction

CHECKOUT_API = {"job": "checkout-api", "instance": "checkout-api-7f9c:8080", "severity": "critical"}
FIRST_TS = "1700000000.000001"  # the fake Slack numbers its messages from 1
PAYMENTS_API = {"job": "payments-api", "instance": "10.0.3.7:9100", "severity": "critical"}


def fire(http: TestClient, labels: dict[str, str], fingerprint: str, **kw: str) -> None:
    body = alertmanager(am_alert("InstanceDown", labels, fingerprint=fingerprint, **kw))
    response = http.post("/webhooks/alertmanager", json=body)
    assert response.status_code == 200, response.text


def posts(slack: FakeSlack, *, threaded: bool = False) -> list[dict]:
    return [
        c.body
        for c in slack.delivered("chat.postMessage")
        if bool(c.body.get("thread_ts")) == threaded
    ]


def event_count(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(_events())).scalar_one())


def _events():  # type: ignore[no-untyped-def]
    from store.schema import StatusEventRow

    return StatusEventRow


def test_firing_posts_once_per_target_channel(
    http: TestClient, worker: OutboxWorker, slack: FakeSlack, mapped_store: Store
) -> None:
    mapped_store.subscribe("#ops", "tier 1")
    mapped_store.subscribe("#search-team", "search")
    fire(http, CHECKOUT_API, "fp-checkout")
    worker.drain()
    sent = posts(slack)
    assert sorted(b["channel"] for b in sent) == ["#inc-checkout", "#ops"]
    assert all(b["text"].startswith("Incident #") and "Online Checkout" in b["text"] for b in sent)
    blocks = str(sent[0]["blocks"])
    assert "checkout-api" in blocks and "$12,000/h" in blocks and "Acknowledge" in blocks


def test_same_payload_again_changes_nothing(
    http: TestClient,
    worker: OutboxWorker,
    slack: FakeSlack,
    mapped_store: Store,
    desk: Incidents,
) -> None:
    fire(http, CHECKOUT_API, "fp-checkout")
    worker.drain()
    events = event_count(mapped_store)
    for _ in range(3):  # Alertmanager retries and HA pairs send the same notification again
        fire(http, CHECKOUT_API, "fp-checkout")
    worker.drain()
    assert len(posts(slack)) == 1
    assert slack.delivered("chat.update") == []
    assert event_count(mapped_store) == events
    assert len(desk.incidents()) == 1


def test_second_component_updates_the_same_notice_and_threads(
    http: TestClient, worker: OutboxWorker, slack: FakeSlack, desk: Incidents
) -> None:
    fire(http, CHECKOUT_API, "fp-checkout")
    worker.drain()
    [post] = posts(slack)
    fire(http, PAYMENTS_API, "fp-payments")
    worker.drain()
    assert len(posts(slack)) == 1  # no second notice
    [update] = [c.body for c in slack.delivered("chat.update")]
    ts = FIRST_TS
    assert update["ts"] == ts and "payments-api" in str(update["blocks"])
    [reply] = posts(slack, threaded=True)
    assert reply["thread_ts"] == ts and "payments-api" in reply["text"]
    [incident] = desk.incidents()
    assert set(incident.causes) == {"checkout-api", "payments-api"}
    assert post["channel"] == "#inc-checkout"


def test_shared_root_cause_pulls_other_services_into_the_incident(
    http: TestClient, worker: OutboxWorker, slack: FakeSlack, desk: Incidents
) -> None:
    fire(http, CHECKOUT_API, "fp-checkout")
    worker.drain()
    fire(http, {"component": "db-01"}, "fp-db01")
    fire(http, {"component": "db-02"}, "fp-db02")  # the redundancy group falls: orders-db down
    worker.drain()
    [incident] = desk.incidents()
    assert {name for name, _ in incident.services} == {"checkout", "search"}
    assert sorted(b["channel"] for b in posts(slack)) == ["#inc-checkout", "#inc-search"]


def test_resolved_updates_to_resolved_with_duration(
    http: TestClient, worker: OutboxWorker, slack: FakeSlack, clock: Clock, desk: Incidents
) -> None:
    starts = "2026-11-28T09:00:00Z"
    fire(http, CHECKOUT_API, "fp-checkout", starts=starts)
    worker.drain()
    clock.advance(3900)
    fire(
        http,
        CHECKOUT_API,
        "fp-checkout",
        starts=starts,
        status="resolved",
        ends="2026-11-28T10:05:00Z",
    )
    worker.drain()
    [update] = [c.body for c in slack.delivered("chat.update")]
    assert update["text"].startswith("Resolved #") and "1h 05m" in str(update["blocks"])
    [reply] = posts(slack, threaded=True)
    assert "Resolved after 1h 05m" in reply["text"]
    assert desk.incidents() == []
    [resolved] = desk.incidents(open_only=False)
    assert resolved.status == "resolved" and resolved.resolved_at == clock.now


def test_wrong_or_missing_token_is_refused_and_nothing_stored(
    desk: Incidents, http: TestClient, mapped_store: Store
) -> None:
    body = alertmanager(am_alert("InstanceDown", CHECKOUT_API))
    wrong = http.post("/webhooks/alertmanager", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    http.headers.pop("Authorization")
    assert (
        http.post("/webhooks/generic", json={"component": "db-01", "state": "down"}).status_code
        == 401
    )
    assert event_count(mapped_store) == 0


def test_malformed_payload_is_400_naming_the_field(http: TestClient, mapped_store: Store) -> None:
    broken = alertmanager(am_alert("InstanceDown", CHECKOUT_API))
    del broken["alerts"][0]["startsAt"]
    response = http.post("/webhooks/alertmanager", json=broken)
    assert response.status_code == 400 and response.json()["field"] == "alerts[0].startsAt"
    bad_json = http.post(
        "/webhooks/grafana", content=b'{"alerts": [', headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json()["field"] == "body"
    generic = http.post("/webhooks/generic", json=[{"component": "db-01", "state": "on fire"}])
    assert generic.status_code == 400 and generic.json()["field"] == "[0].state"
    long_source = http.post(
        "/webhooks/generic", json={"component": "db-01", "state": "down", "source": "s" * 65}
    )
    assert long_source.status_code == 400 and long_source.json()["field"] == "source"
    too_big = http.post("/webhooks/generic", content=b" " * (1024 * 1024 + 1))
    assert too_big.status_code == 413
    assert event_count(mapped_store) == 0


def test_planned_maintenance_gives_a_muted_planned_notice(
    http: TestClient, worker: OutboxWorker, slack: FakeSlack, mapped_store: Store, clock: Clock
) -> None:
    window = MaintenanceWindow(
        "checkout-api", clock.now - timedelta(minutes=5), clock.now + timedelta(hours=2), "upgrade"
    )
    mapped_store.add_maintenance(window)
    fire(http, CHECKOUT_API, "fp-checkout")
    worker.drain()
    [post] = posts(slack)
    assert post["text"].startswith("Planned maintenance #")
    assert ":wrench:" in str(post["blocks"]) and ":red_circle:" not in str(post["blocks"])


def test_slack_429_is_delivered_after_retry_after(
    http: TestClient, worker: OutboxWorker, slack: FakeSlack, clock: Clock
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=30)
    fire(http, CHECKOUT_API, "fp-checkout")
    assert worker.drain() == 0
    clock.advance(29)
    assert worker.drain() == 0 and len(slack.calls("chat.postMessage")) == 1
    clock.advance(2)
    assert worker.drain() == 1
    assert len(posts(slack)) == 1


def test_slack_5xx_backs_off_then_delivers(
    http: TestClient, worker: OutboxWorker, slack: FakeSlack, clock: Clock
) -> None:
    slack.fail_next("chat.postMessage", 2, status=503)
    fire(http, CHECKOUT_API, "fp-checkout")
    worker.drain()
    clock.advance(1.5)
    worker.drain()
    clock.advance(2.5)
    worker.drain()
    assert len(slack.calls("chat.postMessage")) == 3 and len(posts(slack)) == 1


def test_crash_after_commit_before_post_gives_exactly_one_post(
    mapped_store: Store, slack: FakeSlack, clock: Clock, http: TestClient
) -> None:
    fire(http, CHECKOUT_API, "fp-checkout")  # committed; the process dies before any post
    fire(http, PAYMENTS_API, "fp-payments")
    restarted = Store(mapped_store.url)
    try:
        worker = OutboxWorker(restarted.outbox, slack_client(slack), clock=clock, min_interval_s=0)
        worker.drain()
        worker.drain()
    finally:
        restarted.close()
    assert len(posts(slack)) == 1


def test_crash_during_send_is_retried_after_the_lease(
    desk: Incidents, worker: OutboxWorker, slack: FakeSlack, clock: Clock, http: TestClient
) -> None:
    fire(http, CHECKOUT_API, "fp-checkout")
    with transaction(desk.store.engine) as connection:  # a worker claimed the row, then was killed
        [_claimed] = outbox.claim(connection, clock(), min_interval_s=0)
    assert worker.drain() == 0  # the lease still holds
    clock.advance(61)
    assert worker.drain() == 1 and len(posts(slack)) == 1


def test_acknowledge_is_shown_on_the_notice(
    http: TestClient, worker: OutboxWorker, slack: FakeSlack, desk: Incidents
) -> None:
    fire(http, CHECKOUT_API, "fp-checkout")
    worker.drain()
    [incident] = desk.incidents()
    assert desk.acknowledge(incident.id, "U0ALICE01") is True
    assert desk.acknowledge(incident.id, "U0ALICE01") is False
    worker.drain()
    [update] = [c.body for c in slack.delivered("chat.update")]
    assert "Acknowledged by <@U0ALICE01>" in str(update["blocks"])


def test_grafana_and_generic_payloads(
    http: TestClient, worker: OutboxWorker, slack: FakeSlack, desk: Incidents
) -> None:
    body = grafana(am_alert("HighLatency", {"service": "search-api", "severity": "warning"}))
    assert http.post("/webhooks/grafana", json=body).status_code == 200
    worker.drain()
    [post] = posts(slack)
    assert post["channel"] == "#inc-search" and "degraded" in post["text"] + str(post["blocks"])
    generic = [{"component": "checkout-api", "state": "down", "id": "evt-1", "source": "nagios"}]
    assert http.post("/webhooks/generic", json=generic).json()["events"] == 1
    assert http.post("/webhooks/generic", json=generic).json()["events"] == 0


def test_unmapped_alerts_are_kept_and_counted(http: TestClient, desk: Incidents) -> None:
    body = alertmanager(am_alert("DiskFull", {"instance": "backup-07:9100"}, fingerprint="fp-x"))
    assert http.post("/webhooks/alertmanager", json=body).json()["unmapped"] == 1
    http.post("/webhooks/alertmanager", json=body)
    [kept] = desk.unmapped()
    assert (
        kept.name == "DiskFull" and kept.count == 1 and kept.labels["instance"] == "backup-07:9100"
    )
