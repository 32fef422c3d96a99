"""`bsm alerts unmapped`, `bsm incidents`, `bsm maintenance` through click's runner."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from payloads import alertmanager, am_alert
from starlette.testclient import TestClient

from bot.cli import alerts as alert_commands
from store import Store


@pytest.fixture
def bsm(mapped_store: Store, monkeypatch: pytest.MonkeyPatch) -> click.Group:
    monkeypatch.setenv("BSM_DATABASE_URL", mapped_store.url)

    @click.group()
    def main() -> None:
        pass

    alert_commands.register(main)
    return main


def test_incidents_unmapped_and_maintenance(bsm: click.Group, http: TestClient) -> None:
    runner = CliRunner()
    http.post("/webhooks/alertmanager", json=alertmanager(am_alert("Down", {"job": "search-api"})))
    http.post(
        "/webhooks/alertmanager",
        json=alertmanager(am_alert("Disk", {"host": "x"}, fingerprint="f2")),
    )
    listed = runner.invoke(bsm, ["incidents"])
    assert listed.exit_code == 0 and "search down; root cause search-api" in listed.output
    assert (
        "Disk (down, 1x) alertname=Disk, host=x"
        in runner.invoke(bsm, ["alerts", "unmapped"]).output
    )
    added = runner.invoke(bsm, ["maintenance", "add", "DB-01", "--for", "2h", "--reason", "patch"])
    assert added.exit_code == 0 and "on db-01 until" in added.output
    assert "db-01" in runner.invoke(bsm, ["maintenance", "list"]).output
    bad = runner.invoke(bsm, ["maintenance", "add", "db-99", "--for", "2h"])
    assert bad.exit_code != 0 and "unknown component 'db-99'" in bad.output
    assert (
        "not a duration"
        in runner.invoke(bsm, ["maintenance", "add", "db-01", "--for", "soon"]).output
    )


def test_maintenance_length_uses_the_one_duration_grammar(bsm: click.Group) -> None:
    runner = CliRunner()
    bad = runner.invoke(bsm, ["maintenance", "add", "db-01", "--for", "soon"])
    assert bad.exit_code == 2 and "'soon' is not a duration" in bad.output
    added = runner.invoke(bsm, ["maintenance", "add", "db-01", "--for", "90 min"])
    assert added.exit_code == 0, added.output
    assert "maintenance #" in added.output and "on db-01 until" in added.output
