"""Health checks and pollers under the outbound policy (issue 13, finding 7)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # outbound_servers

from outbound_servers import SECRET, answer, redirect, serving

from bot.pollers import Pollers
from impact.model import Component, HealthCheck, ServiceMap
from services.incidents import Incidents
from services.model import ModelService
from services.outbound import Allowed, OutboundPolicy
from services.sync import run_sync
from store import MapSync, Store, SyncSource


def remote_map(check_url: str) -> bytes:
    return (
        "version: 1\ncomponents:\n  - name: web\n    depends_on: [api]\n"
        f"  - name: api\n    check: {{url: '{check_url}'}}\n"
    ).encode()


@pytest.mark.parametrize("trusted", [False, True])
def test_outbound_synced_checks_are_kept_only_for_a_trusted_source(
    store: Store, trusted: bool
) -> None:
    options = {"trust_checks": True} if trusted else {}
    with (
        serving(answer(200, b"ok")) as (health, health_seen),
        serving(answer(200, remote_map(f"{health}/health"))) as (source, _seen),
    ):
        MapSync(store).add_source(
            SyncSource("remote", "yaml-url", f"{source}/map.yaml", options=options),
            actor="alice",
        )
        run_sync(store, "remote", actor="alice")
        desk = Incidents(store, ModelService(store))
        Pollers(desk, httpx.Client()).run_checks()

    check = store.load_map().components["api"].check
    assert (check is not None) is trusted
    assert health_seen == (["/health"] if trusted else [])


def checked_desk(store: Store, url: str) -> Incidents:
    component = Component("api", check=HealthCheck(url=url, failures_before_down=1))
    store.import_map(ServiceMap.build([component]), actor="alice")
    return Incidents(store, ModelService(store))


def test_outbound_health_check_redirect_to_another_host_is_not_followed(store: Store) -> None:
    with serving(answer(200, SECRET)) as (inside, inside_seen):
        other = inside.replace("127.0.0.1", "localhost")
        with serving(redirect(f"{other}/")) as (check, _seen):
            pollers = Pollers(checked_desk(store, f"{check}/health"), httpx.Client())
            pollers.run_checks()

    assert inside_seen == []
    assert "redirected to another host" in pollers.source_problems[f"{check}/health"]


def test_outbound_allow_list_applies_to_health_checks(store: Store) -> None:
    policy = OutboundPolicy(allow=Allowed.parse("10.0.0.0/8"))
    with serving(answer(200, b"ok")) as (check, seen):
        pollers = Pollers(checked_desk(store, f"{check}/health"), httpx.Client(), policy=policy)
        report: Any = pollers.run_checks()

    assert seen == []
    assert "outside the outbound allow-list" in pollers.source_problems[f"{check}/health"]
    assert report is not None


def test_outbound_allow_list_applies_to_the_alertmanager_poller(store: Store) -> None:
    policy = OutboundPolicy(allow=Allowed.parse("alertmanager.internal"))
    with serving(answer(200, b"[]", "application/json")) as (source, seen):
        pollers = Pollers(Incidents(store, ModelService(store)), httpx.Client(), policy=policy)
        assert pollers.poll_alertmanager(source) is None

    assert seen == []
    assert "outside the outbound allow-list" in pollers.source_problems[f"{source}/api/v2/alerts"]
