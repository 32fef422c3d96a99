"""Finding 8: unmapped alerts are capped and aged out; /healthz fails when writes fail."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import store.alerts as alerts_table
from bot.metrics import Metrics, watch_unmapped
from bot.server import Health, create_server
from bot.webhooks import webhook_routes
from services.incidents import Incidents
from services.model import ModelService
from store import Store

TOKEN = "limits-token-0123456789"
CAP = 50


def alertmanager(batch: int, size: int, day: int = 28) -> bytes:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": f"Invented{batch}-{n}", "instance": f"h{n}"},
            "startsAt": f"2026-11-{day:02d}T09:00:00Z",
            "fingerprint": f"fp{batch}-{n}",
        }
        for n in range(size)
    ]
    return json.dumps({"version": "4", "alerts": alerts}).encode()


@pytest.fixture
def hooks(store: Store) -> Iterator[TestClient]:
    desk = Incidents(store, ModelService(store), clock=lambda: datetime(2026, 11, 28, tzinfo=UTC))
    app = Starlette(routes=webhook_routes(desk, TOKEN))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def test_limits_unmapped_alerts_stay_under_the_cap(
    store: Store, hooks: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alerts_table, "MAX_UNMAPPED", CAP)
    for batch in range(7):  # 7 requests of 40 invented alerts each: 280 distinct
        answer = hooks.post("/webhooks/alertmanager", content=alertmanager(batch, 40))
        assert answer.status_code == 200 and answer.json()["unmapped"] == 40
    held = Incidents(store, ModelService(store)).unmapped(limit=1000)
    assert len(held) == CAP
    metrics = Metrics()
    watch_unmapped(metrics, store.incident_records.unmapped_held)
    assert f"bsm_unmapped_alerts {float(CAP)}" in metrics.exposition()
    assert {a.name for a in held} >= {f"Invented6-{n}" for n in range(10)}  # newest kept


def test_limits_unmapped_alerts_expire(store: Store, hooks: TestClient) -> None:
    hooks.post("/webhooks/alertmanager", content=alertmanager(0, 5, day=1))
    hooks.post(
        "/webhooks/alertmanager", content=alertmanager(1, 5, day=28)
    )  # 27 days later; then 32 days after the first
    assert len(Incidents(store, ModelService(store)).unmapped()) == 10
    hooks.post(
        "/webhooks/alertmanager", content=alertmanager(2, 1, day=3).replace(b"-11-", b"-12-")
    )
    held = Incidents(store, ModelService(store)).unmapped()
    assert {a.name for a in held} == {f"Invented1-{n}" for n in range(5)} | {"Invented2-0"}


def test_limits_healthz_is_503_while_writes_fail(tmp_path: Path) -> None:
    path = tmp_path / "bsm.db"
    store_ = Store(f"sqlite:///{path}")
    server = create_server(None, health=Health(store_, timeout_s=0.5, write_every_s=0))
    with TestClient(server) as client:
        assert client.get("/healthz").status_code == 200
        blocker = sqlite3.connect(path, timeout=0)
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        try:
            failing = client.get("/healthz")
        finally:
            blocker.rollback()
            blocker.close()
        assert failing.status_code == 503
        assert failing.json()["writes"] == "failing" and "reason" in failing.json()
        recovered = client.get("/healthz")
        assert recovered.status_code == 200 and "writes" not in recovered.json()


def test_limits_healthz_reports_a_refused_write(store: Store) -> None:
    failing = {"on": True}

    def probe() -> None:
        if failing["on"]:
            raise OSError("No space left on device")

    from bot.server import WriteProbe

    health = Health(store, writes=WriteProbe(probe, every_s=0))
    with TestClient(create_server(None, health=health)) as client:
        answer = client.get("/healthz")
        assert answer.status_code == 503 and "refuses writes" in answer.json()["reason"]
        failing["on"] = False
        assert client.get("/healthz").status_code == 200
