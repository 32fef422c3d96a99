"""The YAML map format: every problem reported at once with its location; dump round trips."""

from __future__ import annotations

import pytest

from impact.model import BUSINESS_KIND, Dependency, DependencyKind, HealthCheck, RedundancyGroup
from store.mapfile import MapValidationError, dump_map, parse_map

GOOD = """
version: 1
business_services:
  - name: online-checkout
    title: Online Checkout
    tier: 1
    sla: 99.9
    owner: payments-team
    channel: "#inc-checkout"
    revenue_per_hour: 12000
    service_hours: "Mon-Fri 08:00-20:00 Europe/Berlin"
    depends_on: [checkout-api, payments-api]
components:
  - name: checkout-api
    kind: service
    owner: payments-team
    labels: {team: payments, version: 2}
    check: {url: "http://checkout/health", failures_before_down: 2}
    depends_on:
      - orders-db
      - name: recommendations
        kind: soft
      - any_of: [db-01, db-02, db-03]
        min: 2
        name: orders-db-cluster
  - name: payments-api
    depends_on: [checkout-api]
  - name: orders-db
    kind: database
    depends_on: [{any_of: [db-01, db-02], min: "50%"}]
  - {name: recommendations}
  - {name: db-01, kind: database}
  - {name: db-02, kind: database}
  - {name: db-03, kind: database}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(MapValidationError) as caught:
        parse_map(text)
    return [str(error) for error in caught.value.errors]


def test_parses_the_documented_example() -> None:
    service_map = parse_map(GOOD)
    checkout = service_map.components["online-checkout"]
    assert checkout.kind == BUSINESS_KIND
    assert (checkout.tier, checkout.sla, checkout.revenue_per_hour) == (1, 99.9, 12000.0)
    api = service_map.components["checkout-api"]
    assert api.labels == {"team": "payments", "version": "2"}
    assert api.check == HealthCheck("http://checkout/health", failures_before_down=2)
    assert Dependency("checkout-api", "recommendations", DependencyKind.SOFT) in (
        service_map.dependencies
    )
    assert service_map.groups == [
        RedundancyGroup("orders-db-cluster", "checkout-api", ("db-01", "db-02", "db-03"), 2),
        RedundancyGroup(
            "orders-db:any_of[db-01,db-02]", "orders-db", ("db-01", "db-02"), None, 50.0
        ),
    ]


def test_every_problem_is_reported_with_its_location() -> None:
    text = """
version: 1
business_services:
  - {name: shop, tier: 5, sla: 120, kind: x, depends_on: [api]}
components:
  - {name: api, ownr: me, depends_on: [db-9, {name: cache, kind: weak}]}
  - {name: db-03, service_hours: "Mon-Fri 18:00-08:00"}
  - {name: cache, depends_on: [{any_of: [db-03], min: 2}, {any_of: [api, db-03], min: "0%"}]}
  - {name: "bad name!"}
  - {name: API}
"""
    assert problems(text) == [
        "components[3].name: bad name 'bad name!': use letters, digits, '.', '_' and '-', "
        "starting with a letter or digit",
        "components[4].name: duplicate name 'API' (names are case-insensitive; first at "
        "components[0])",
        "business_services[0]: unknown key 'kind': business services always have kind "
        "business_service",
        "business_services[0].tier: tier must be 1 (most critical) to 4, got 5",
        "business_services[0].sla: sla is an availability in percent (0 < sla <= 100, e.g. "
        "99.9), got 120",
        "components[0]: unknown key 'ownr' (did you mean 'owner'?)",
        "components[0].depends_on[0]: unknown component 'db-9' (did you mean 'db-03'?)",
        "components[0].depends_on[1].kind: kind must be hard or soft, got 'weak'",
        "components[1].service_hours: time range '18:00-08:00' ends before it starts; split "
        "an overnight range into two clauses, e.g. Mon 22:00-24:00, Tue 00:00-06:00",
        "components[2].depends_on[0].min: min 2 is larger than the group (1 members)",
        "components[2].depends_on[1].min: min '0%' must be a percentage above 0% and at most 100%",
    ]


def test_version_and_top_level_keys_are_checked() -> None:
    assert problems("components: []\nservices: []\n") == [
        "top level: unknown key 'services' (did you mean 'business_services'?)",
        "version: missing: add `version: 1` at the top of the file",
    ]


def test_yaml_syntax_error_names_line_and_column() -> None:
    (message,) = problems("version: 1\ncomponents:\n  - {name: a\n")
    assert message.startswith("line 4, column 1: YAML syntax error")


def test_references_are_case_insensitive_and_use_the_declared_spelling() -> None:
    text = "version: 1\ncomponents:\n  - {name: DB-01}\n  - {name: api, depends_on: [db-01]}\n"
    assert parse_map(text).dependencies == [Dependency("api", "DB-01")]


def test_self_and_duplicate_dependencies_are_errors() -> None:
    text = "version: 1\ncomponents:\n  - {name: a, depends_on: [a, b, B]}\n  - {name: b}\n"
    assert problems(text) == [
        "components[0].depends_on[0]: 'a' cannot depend on itself",
        "components[0].depends_on[2]: duplicate dependency on 'b'",
    ]


def test_dump_round_trips_cycles_groups_and_every_field() -> None:
    text = GOOD.replace(
        "  - {name: db-03, kind: database}",
        "  - {name: db-03, kind: database, depends_on: [payments-api]}",
    )
    service_map = parse_map(text)
    dumped = dump_map(service_map)
    assert parse_map(dumped) == service_map
    assert "depends_on: [checkout-api]" in dumped  # payments-api -> checkout-api -> ... cycle
    assert "min: 50%" in dumped and "name: orders-db-cluster" in dumped
