"""Backstage catalogs and CSV edge lists: parsed, validated and merged without clobbering."""

from __future__ import annotations

from pathlib import Path

import pytest

from impact.model import BUSINESS_KIND, Dependency, DependencyKind
from store import MapValidationError, Store
from store.backstage import parse_backstage
from store.edgelist import parse_edge_list
from store.formats import read_map_file
from store.mapfile import parse_map

CATALOG = """
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: checkout, title: Checkout, description: Buying things}
spec: {owner: "group:default/team-a"}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
  labels: {lang: go}
  links: [{url: "https://wiki/runbooks/checkout", title: Runbook}]
spec:
  type: service
  owner: team-a
  system: checkout
  dependsOn: ["component:default/payments", "resource:orders-db"]
  consumesApis: [stock-api]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: orders-db}
spec: {type: database, owner: "group:dba", system: checkout}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team}
"""


def test_backstage_entities_become_components_and_systems_business_services() -> None:
    imported = parse_backstage(CATALOG)
    service_map = imported.service_map
    checkout = service_map.components["checkout"]
    assert (checkout.kind, checkout.title, checkout.owner) == (BUSINESS_KIND, "Checkout", "team-a")
    api = service_map.components["checkout-api"]
    labels = {"lang": "go", "backstage-ref": "component:default/checkout-api"}
    assert (api.kind, api.owner, api.labels) == ("service", "team-a", labels)
    assert api.runbook_url == "https://wiki/runbooks/checkout"
    assert service_map.components["orders-db"].owner == "dba"
    assert set(service_map.dependencies) == {
        Dependency("checkout-api", "payments"),
        Dependency("checkout-api", "orders-db"),
        Dependency("checkout-api", "stock-api"),
        Dependency("checkout", "checkout-api"),
        Dependency("checkout", "orders-db"),
    }
    assert imported.implied == {"payments", "stock-api"}
    assert service_map.components["stock-api"].kind == "api"
    assert "team-a" not in service_map.components


def test_backstage_problems_are_all_reported() -> None:
    text = (
        "kind: Component\nmetadata: {name: 'a b'}\n---\n"
        "kind: Component\nmetadata: {name: x}\nspec: {dependsOn: [42]}\n"
    )
    with pytest.raises(MapValidationError) as caught:
        parse_backstage(text)
    assert [e.location for e in caught.value.errors] == [
        "component:default/a b metadata.name",  # the entity, not "document 1"
        "component:default/x spec.dependsOn[0]",
    ]


def test_csv_edge_list_with_header_kinds_and_comments() -> None:
    imported = parse_edge_list("from,to,kind\n# core\napi,db-01\napi,cache,soft\nweb,API\n")
    assert imported.service_map.dependencies == [
        Dependency("api", "db-01"),
        Dependency("api", "cache", DependencyKind.SOFT),
        Dependency("web", "api"),
    ]
    assert imported.implied == {"api", "db-01", "cache", "web"}


def test_csv_errors_name_the_line() -> None:
    with pytest.raises(MapValidationError) as caught:
        parse_edge_list("a,b\na,a\nc,d,weak\nonly-one\na,b,soft\n")
    assert [str(e) for e in caught.value.errors] == [
        "line 2: 'a' cannot depend on itself",
        "line 3: kind must be hard or soft, got 'weak'",
        "line 4: expected from,to[,kind], got 1 columns: 'only-one'",
        "line 5: a -> b listed as both hard and soft",
    ]


def test_csv_merge_keeps_stored_attributes(store: Store) -> None:
    store.import_map(
        parse_map("version: 1\ncomponents:\n  - {name: db-01, kind: database, owner: dba}\n")
    )
    imported = parse_edge_list("api,db-01\n")
    report = store.import_map(imported.service_map, implied=imported.implied, source="csv")
    assert (report.components.added, report.components.updated, report.dependencies.added) == (
        1,
        0,
        1,
    )
    loaded = store.load_map()
    assert loaded.components["db-01"].owner == "dba"
    assert loaded.components["api"].kind == "service"
    again = store.import_map(imported.service_map, implied=imported.implied, source="csv")
    assert not again.changed


def test_backstage_import_into_the_store(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "catalog-info.yaml"
    path.write_text(CATALOG)
    imported = read_map_file(path)
    assert imported.source == "backstage"
    report = store.import_map(
        imported.service_map, implied=imported.implied, source=imported.source
    )
    assert report.components.added == 5 and report.dependencies.added == 5
    assert store.load_map().components["checkout"].is_business


def test_format_detection(tmp_path: Path) -> None:
    csv_path = tmp_path / "edges.csv"
    csv_path.write_text("a,b\n")
    assert read_map_file(csv_path).source == "csv"
    yaml_path = tmp_path / "map.yaml"
    yaml_path.write_text("version: 1\ncomponents: [{name: a}]\n")
    assert read_map_file(yaml_path).source == "map"
