"""Importing maps into the store: round trip, idempotence, merge vs replace, atomicity."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from impact.model import (
    Component,
    Dependency,
    DependencyKind,
    HealthCheck,
    RedundancyGroup,
    ServiceMap,
)
from store import MapValidationError, Store
from store.export import export_map
from store.mapfile import dump_map, parse_map

MAP = """
version: 1
business_services:
  - {name: shop, tier: 1, sla: 99.9, owner: web-team, revenue_per_hour: 5000, depends_on: [api]}
components:
  - name: api
    owner: web-team
    labels: {team: web}
    check: {url: "http://api/health"}
    depends_on:
      - {name: search, kind: soft}
      - {any_of: [db-01, db-02, db-03], min: 2, name: db-cluster}
  - {name: search, depends_on: [api]}
  - {name: db-01, kind: database}
  - {name: db-02, kind: database}
  - {name: db-03, kind: database, depends_on: [{any_of: [db-01, db-02], min: "50%"}]}
"""
TABLES = (
    "components",
    "dependencies",
    "redundancy_groups",
    "redundancy_group_members",
    "audit_log",
)


def canonical(service_map: ServiceMap) -> tuple[object, ...]:
    """A map's content regardless of row order."""
    return (
        service_map.components,
        sorted(service_map.dependencies, key=lambda d: (d.source, d.target)),
        sorted(service_map.groups, key=lambda g: g.name),
    )


def row_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {
            t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }


def test_import_then_load_gives_the_same_map(store: Store) -> None:
    service_map = parse_map(MAP)
    report = store.import_map(service_map)
    assert (report.components.added, report.dependencies.added, report.groups.added) == (6, 3, 2)
    assert store.load_map() == service_map  # a fresh import keeps file order too
    assert store.map_version() == 1


def test_yaml_export_reimports_to_an_identical_store(store: Store) -> None:
    store.import_map(parse_map(MAP))
    exported = export_map(store.load_map(), "yaml")
    store.import_map(parse_map(exported), replace=True)
    assert store.map_version() == 1  # nothing differed
    assert dump_map(store.load_map()) == exported


def test_reimport_writes_nothing(store: Store) -> None:
    store.import_map(parse_map(MAP))
    before = row_counts(store)
    report = store.import_map(parse_map(MAP))
    assert not report.changed
    assert report.summary() == "no changes (map version 1)"
    assert row_counts(store) == before
    assert len(store.audit_log()) == 1


def test_cycles_are_stored_faithfully(store: Store) -> None:
    store.import_map(parse_map(MAP))
    dependencies = set(store.load_map().dependencies)
    assert Dependency("api", "search", DependencyKind.SOFT) in dependencies
    assert Dependency("search", "api") in dependencies
    assert '"search" -> "api";' in export_map(store.load_map(), "dot")


def test_merge_updates_declared_components_and_keeps_the_rest(store: Store) -> None:
    store.import_map(parse_map(MAP))
    edit = """
version: 1
components:
  - {name: API, owner: platform, depends_on: [db-01]}
  - {name: db-01, kind: database}
  - {name: cache, kind: cache}
"""
    report = store.import_map(parse_map(edit))
    assert (report.components.added, report.components.updated) == (1, 1)
    assert (report.dependencies.added, report.dependencies.removed) == (1, 1)
    assert (report.groups.removed, report.map_version) == (1, 2)
    loaded = store.load_map()
    assert loaded.components["API"] == Component("API", owner="platform")
    assert loaded.components["shop"].revenue_per_hour == 5000  # untouched
    assert {(d.source, d.target) for d in loaded.dependencies} == {
        ("shop", "API"),
        ("API", "db-01"),
        ("search", "API"),
    }
    assert [g.name for g in loaded.groups] == ["db-03:any_of[db-01,db-02]"]


def test_replace_makes_the_store_equal_to_the_file(store: Store) -> None:
    store.import_map(parse_map(MAP))
    small = parse_map(
        "version: 1\ncomponents:\n  - {name: api, depends_on: [db-01]}\n  - {name: db-01}\n"
    )
    report = store.import_map(small, replace=True)
    assert (report.components.removed, report.dependencies.removed, report.groups.removed) == (
        4,
        3,
        2,
    )
    assert canonical(store.load_map()) == canonical(small)
    assert row_counts(store)["redundancy_group_members"] == 0


def test_group_changes_are_updates(store: Store) -> None:
    store.import_map(parse_map(MAP))
    report = store.import_map(
        parse_map(MAP.replace("min: 2, name: db-cluster", "min: 3, name: db-cluster"))
    )
    assert report.groups.updated == 1 and report.groups.added == 0 and report.groups.removed == 0
    group = next(g for g in store.load_map().groups if g.name == "db-cluster")
    assert group == RedundancyGroup("db-cluster", "api", ("db-01", "db-02", "db-03"), 3)


def test_import_is_audited_once_with_counts(store: Store) -> None:
    store.import_map(parse_map(MAP), actor="alice", origin="chat")
    (entry,) = store.audit_log()
    assert (entry.actor, entry.origin, entry.action) == ("alice", "chat", "map.merge")
    assert entry.after["components"] == {"added": 6, "updated": 0, "removed": 0}


def test_inconsistent_programmatic_map_is_rejected_whole(store: Store) -> None:
    bad = ServiceMap.build(
        [Component("a", tier=9), Component("A")],
        [Dependency("a", "ghost")],
        [RedundancyGroup("g", "a", ("a",), 2)],
    )
    with pytest.raises(MapValidationError) as caught:
        store.import_map(bad)
    assert [str(e) for e in caught.value.errors] == [
        "components['a']: tier must be 1 (most critical) to 4, got 9",
        "components['A']: duplicate name (names are case-insensitive): 'a'",
        "dependencies[0]: unknown component 'ghost'",
        "groups[0]: min 2 is not between 1 and the group size 1",
    ]
    assert store.load_map() == ServiceMap() and store.map_version() == 0


UNSTORABLE = {
    "owner past its column": (Component("a", owner="o" * 201), "components['a'].owner"),
    "kind past its column": (Component("a", kind="k" * 65), "components['a'].kind"),
    "NUL in a title": (Component("a", title="x\x00y"), "components['a'].title"),
    "NUL in a label": (Component("a", labels={"team": "\x00"}), "components['a'].labels.team"),
    "revenue NaN": (Component("a", revenue_per_hour=math.nan), "components['a']"),
    "revenue infinite": (Component("a", revenue_per_hour=math.inf), "components['a']"),
    "revenue beyond float range": (
        Component("a", revenue_per_hour=10**400),  # type: ignore[arg-type]
        "components['a']",
    ),
    "sla NaN": (Component("a", sla=math.nan), "components['a']"),
    "check interval NaN": (
        Component("a", check=HealthCheck("http://x", interval_s=math.nan)),
        "components['a'].check.interval_s",
    ),
    "NUL in a check url": (
        Component("a", check=HealthCheck("http://x\x00")),
        "components['a'].check.url",
    ),
}


@pytest.mark.parametrize("component, location", UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_value_the_database_cannot_hold_is_refused_naming_it(
    store: Store, component: Component, location: str
) -> None:
    """Same answer on SQLite and PostgreSQL: a validation error, never a database error."""
    with pytest.raises(MapValidationError) as caught:
        store.import_map(ServiceMap.build([component], []))
    assert [e.location for e in caught.value.errors] == [location]
    assert store.load_map() == ServiceMap()


def test_group_name_past_its_column_is_refused(store: Store) -> None:
    service_map = ServiceMap.build(
        [Component("a"), Component("b")], [], [RedundancyGroup("g" * 401, "a", ("b",), 1)]
    )
    with pytest.raises(MapValidationError) as caught:
        store.import_map(service_map)
    assert [e.location for e in caught.value.errors] == ["groups[0].name"]
    assert "is 401 characters long: shorten it to 400" in str(caught.value)


def test_text_at_its_column_size_imports(store: Store) -> None:
    component = Component("n" * 200, kind="k" * 64, title="t" * 400, owner="o" * 200)
    store.import_map(ServiceMap.build([component], []))
    assert store.load_map().components["n" * 200] == component


def test_progress_reports_every_written_row(store: Store) -> None:
    calls: list[tuple[int, int]] = []
    store.import_map(parse_map(MAP), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (11, 11)  # 6 components + 3 dependencies + 2 groups
