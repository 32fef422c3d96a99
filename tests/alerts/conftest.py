"""Fixtures for alerts and incidents: a small map, the desk, a fake Slack, a settable clock."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # payloads
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # fake_slack

from fake_slack import FakeSlack
from payloads import TOKEN, Clock
from settled_slack import slack_client
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.outbox_worker import OutboxWorker
from bot.webhooks import webhook_routes
from impact.model import Component, Dependency, RedundancyGroup, ServiceMap
from services.incidents import Incidents
from services.model import ModelService
from store import Store


def small_map() -> ServiceMap:
    """checkout (tier 1, #inc-checkout) and search (tier 2, #inc-search) share orders-db."""
    biz = "business_service"
    return ServiceMap.build(
        [
            Component(
                "checkout",
                kind=biz,
                title="Online Checkout",
                tier=1,
                owner="payments",
                channel="#inc-checkout",
                revenue_per_hour=12000,
            ),
            Component(
                "search",
                kind=biz,
                tier=2,
                owner="discovery",
                channel="#inc-search",
                revenue_per_hour=3000,
            ),
            Component("checkout-api", owner="payments"),
            Component("payments-api", owner="payments"),
            Component("search-api", owner="discovery"),
            Component("orders-db", kind="database"),
            Component("db-01", kind="host"),
            Component("db-02", kind="host"),
        ],
        [
            Dependency("checkout", "checkout-api"),
            Dependency("checkout", "payments-api"),
            Dependency("search", "search-api"),
            Dependency("checkout-api", "orders-db"),
            Dependency("search-api", "orders-db"),
        ],
        [
            RedundancyGroup(
                "orders-db:any_of[db-01,db-02]", "orders-db", ("db-01", "db-02"), min_up=1
            )
        ],
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mapped_store(store: Store) -> Store:
    store.import_map(small_map(), actor="tests")
    return store


@pytest.fixture
def desk(mapped_store: Store, clock: Clock) -> Incidents:
    return Incidents(mapped_store, ModelService(mapped_store), clock=clock)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def worker(desk: Incidents, slack: FakeSlack, clock: Clock) -> OutboxWorker:
    return OutboxWorker(desk.store.outbox, slack_client(slack), clock=clock, min_interval_s=0)


@pytest.fixture
def http(desk: Incidents) -> Iterator[TestClient]:
    app = Starlette(routes=webhook_routes(desk, TOKEN))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client
