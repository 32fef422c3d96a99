"""The bundled demo company keeps the promises docs, tests and the demo run rely on."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import yaml

from impact.model import NAME_PATTERN, RedundancyGroup, ServiceMap, name_key

DEMO_PATH = Path(__file__).resolve().parents[2] / "store" / "demo" / "demo.yaml"
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NAMES_OTHERS_USE = [
    "online-checkout",
    "checkout-api",
    "payments-api",
    "orders-db",
    "db-01",
    "db-02",
    "db-03",
    "dns",
    "core-router-1",
    "core-router-2",
    "recommendations",
    "eu-central-1",
]


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(DEMO_PATH.read_text(), Loader=SafeLoader)
    return loaded


@pytest.fixture(scope="module")
def entries(demo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every business service and component by name."""
    return {e["name"]: e for e in demo["business_services"] + demo["components"]}


def edges(entry: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(target, kind) for each reference; group members get kind 'member'."""
    for dep in entry.get("depends_on", []):
        if isinstance(dep, str):
            yield dep, "hard"
        elif "any_of" in dep:
            yield from ((member, "member") for member in dep["any_of"])
        else:
            yield dep["name"], dep.get("kind", "hard")


def groups(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in entry.get("depends_on", []) if isinstance(d, dict) and "any_of" in d]


def graph(entries: dict[str, dict[str, Any]], kinds: set[str]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(entries)
    for name, entry in entries.items():
        g.add_edges_from((name, t) for t, kind in edges(entry) if kind in kinds)
    return g


def test_business_services_span_every_tier_with_targets(demo) -> None:
    services = demo["business_services"]
    assert len(services) >= 6
    assert {s["tier"] for s in services} == {1, 2, 3, 4}
    for s in services:
        assert s["owner"] and s["channel"].startswith("#inc-"), s["name"]
        assert 0 < s["sla"] <= 100, s["name"]
    assert all(s.get("revenue_per_hour", 0) > 0 for s in services if s["tier"] <= 2)


def test_online_checkout_is_the_tier_1_money_maker(entries) -> None:
    checkout = entries["online-checkout"]
    assert (checkout["title"], checkout["tier"], checkout["sla"]) == ("Online Checkout", 1, 99.95)
    top = max(e.get("revenue_per_hour", 0) for e in entries.values())
    assert checkout["revenue_per_hour"] == top == 14000


def test_some_services_run_on_office_hours(entries) -> None:
    hours = {n: e["service_hours"] for n, e in entries.items() if "service_hours" in e}
    assert hours["order-fulfilment"] == "Mon-Sat 06:00-22:00 Europe/Berlin"
    assert hours["internal-reporting"] == "Mon-Fri 08:00-18:00 Europe/Berlin"
    assert "online-checkout" not in hours  # 24x7


def test_component_count_is_a_realistic_estate(demo) -> None:
    assert 60 <= len(demo["components"]) <= 90


@pytest.mark.parametrize("name", NAMES_OTHERS_USE)
def test_names_used_by_docs_and_tests_exist(entries, name) -> None:
    assert name in entries


def test_names_are_valid_and_unique_case_insensitively(demo) -> None:
    names = [e["name"] for e in demo["business_services"] + demo["components"]]
    assert all(NAME_PATTERN.match(n) for n in names)
    assert len({name_key(n) for n in names}) == len(names)


def test_every_component_has_an_owner(demo) -> None:
    assert [c["name"] for c in demo["components"] if not c.get("owner")] == []


def test_every_reference_resolves(entries) -> None:
    dangling = [(n, t) for n, e in entries.items() for t, _ in edges(e) if t not in entries]
    assert dangling == []


def test_orders_db_is_a_two_of_three_cluster(entries) -> None:
    orders_db = entries["orders-db"]
    assert orders_db["kind"] == "database-cluster"
    assert groups(orders_db) == [
        {"any_of": ["db-01", "db-02", "db-03"], "min": 2, "name": "orders-db-cluster"}
    ]


def test_kafka_brokers_need_a_percentage_that_rounds_up(entries) -> None:
    (group,) = groups(entries["kafka-cluster"])
    assert isinstance(group["min"], str) and group["min"].endswith("%")
    percent = float(group["min"].rstrip("%"))
    members = tuple(group["any_of"])
    model_group = RedundancyGroup("kafka-brokers", "kafka-cluster", members, min_percent=percent)
    assert model_group.required == math.ceil(percent * len(members) / 100) == 3


def test_core_routers_form_a_redundancy_group(entries) -> None:
    router_groups = [
        g for e in entries.values() for g in groups(e) if "core-router-1" in g["any_of"]
    ]
    assert router_groups == [
        {"any_of": ["core-router-1", "core-router-2"], "min": 1, "name": "core-routers"}
    ]


def test_recommendations_is_a_soft_dependency_of_checkout_api(entries) -> None:
    kinds = dict(edges(entries["checkout-api"]))
    assert kinds["recommendations"] == "soft"
    soft = [t for t, kind in kinds.items() if kind == "soft"]
    assert {"recommendations", "analytics-collector", "email-service"} <= set(soft)


def test_the_map_contains_a_dependency_cycle(entries) -> None:
    cycle = nx.find_cycle(graph(entries, {"hard", "soft", "member"}))
    assert {a for a, _ in cycle} == {"accounts-api", "auth-service"}


def test_dns_and_checkout_api_are_single_points_of_failure_for_checkout(entries) -> None:
    hard_only = graph(entries, {"hard"})  # no redundancy group on the way
    for spof in ("dns", "checkout-api", "cart-cache", "dx-link"):
        assert nx.has_path(hard_only, "online-checkout", spof), spof
    assert not nx.has_path(hard_only, "online-checkout", "db-01")


def test_dns_is_shared_by_most_of_the_estate(entries) -> None:
    direct = [n for n, e in entries.items() if ("dns", "hard") in set(edges(e))]
    assert len(direct) >= 15


def test_everything_ends_in_the_cloud_region_or_the_colocation(entries) -> None:
    g = graph(entries, {"hard", "soft", "member"})
    assert entries["eu-central-1"].get("depends_on", []) == []
    for service in ("online-checkout", "payments", "product-search", "customer-accounts"):
        assert nx.has_path(g, service, "eu-central-1"), service
    external = {n for n, e in entries.items() if e.get("kind") == "external"}
    assert "payment-gateway" in external
    bottoms = {n for n in g if g.out_degree(n) == 0} - external
    assert bottoms == {"eu-central-1", "fra-dc1"}


def test_a_few_components_carry_example_health_checks(entries) -> None:
    checks = {n: e["check"] for n, e in entries.items() if "check" in e}
    assert 2 <= len(checks) <= 3
    assert all(c["url"].startswith("http://127.0.0.1:") for c in checks.values())


def test_the_store_parser_loads_the_demo_without_errors() -> None:
    mapfile = pytest.importorskip(
        "store.mapfile", reason="store.mapfile (the map parser) is not importable yet"
    )
    loaded = mapfile.load_map_file(DEMO_PATH)
    assert isinstance(loaded, ServiceMap)
    assert len(loaded.components) == 88
    assert loaded.components["online-checkout"].is_business
    (orders_cluster,) = [g for g in loaded.groups if g.name == "orders-db-cluster"]
    assert (orders_cluster.dependant, orders_cluster.required) == ("orders-db", 2)
    assert set(orders_cluster.members) == {"db-01", "db-02", "db-03"}
