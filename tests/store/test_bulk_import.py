"""The bulk paths of big imports (COPY, deferred foreign keys, tuple updates) on small maps."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from impact.model import Component, ServiceMap
from store import Store, bulk
from store.mapfile import parse_map

MAP = """
version: 1
business_services:
  - {name: shop, tier: 1, sla: 99.9, depends_on: [api, Search]}
components:
  - name: api
    labels: {team: web}
    check: {url: "http://api/health", timeout_s: 2}
    depends_on: [{name: search, kind: soft}, {any_of: [db-01, db-02], min: 1}]
  - {name: search, depends_on: [api]}
  - {name: db-01, kind: database}
  - {name: db-02, kind: database}
"""


@pytest.fixture
def bulk_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the big-map paths (COPY, dropped and re-added foreign keys) for every row count."""
    monkeypatch.setattr(bulk, "COPY_THRESHOLD", 1)
    monkeypatch.setattr(bulk, "FOREIGN_KEY_THRESHOLD", 1)


@pytest.mark.usefixtures("bulk_paths")
def test_bulk_import_round_trips_and_keeps_foreign_keys(store: Store) -> None:
    service_map = parse_map(MAP)
    report = store.import_map(service_map, checked=True)
    assert (report.components.added, report.dependencies.added) == (5, 4)
    assert store.load_map() == service_map
    assert not store.import_map(service_map).changed
    foreign_keys = sa.inspect(store.engine).get_foreign_keys("dependencies")
    assert sorted(fk["constrained_columns"][0] for fk in foreign_keys) == ["source_id", "target_id"]
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO dependencies (source_id, target_id, kind, origin) "
            "VALUES (999999, 999998, 'hard', 'map')"
        )


@pytest.mark.usefixtures("bulk_paths")
def test_bulk_updates_write_json_and_nulls(store: Store) -> None:
    service_map = parse_map(MAP)
    store.import_map(service_map)
    api = service_map.components["api"]
    changed = dataclasses.replace(api, labels={"team": "core", "tier": "x"}, check=None)
    components = {**service_map.components, "api": changed, "db-03": Component("db-03")}
    edited = ServiceMap(components, service_map.dependencies, service_map.groups)
    report = store.import_map(edited)
    assert (report.components.added, report.components.updated) == (1, 1)
    assert store.load_map().components == edited.components


def test_parse_reports_progress_per_entry() -> None:
    calls: list[tuple[int, int]] = []
    parse_map(MAP, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(5, 5)]
