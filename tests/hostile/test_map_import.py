"""The map importer never writes partially: a mutated map imports whole or not at all.

Each example mutates a valid small map, its policies included (wrong types, unknown keys,
missing names, bad references, huge numbers, negative tiers, names duplicated in another
case, oversized text) and imports it into a store already holding a map. Either the import
succeeds, or it raises `MapValidationError` whose every error has a location, and the
database content (every row of every table; on SQLite also the bytes of the database
files) is exactly as before.
"""

from __future__ import annotations

import copy
import hashlib
import math
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hostile_inputs import table_dump
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impact.model import Component, Dependency, RedundancyGroup, ServiceMap
from store import Store
from store.errors import MapValidationError
from store.mapfile import parse_map

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

BASE: dict[str, Any] = {
    "version": 1,
    "business_services": [
        {
            "name": "checkout",
            "title": "Online Checkout",
            "tier": 1,
            "sla": 99.9,
            "owner": "payments",
            "channel": "#inc-checkout",
            "revenue_per_hour": 12000,
            "depends_on": ["checkout-api", {"name": "search-api", "kind": "soft"}],
        },
        {"name": "search", "tier": 2, "depends_on": ["search-api"]},
    ],
    "components": [
        {
            "name": "checkout-api",
            "kind": "service",
            "owner": "payments",
            "labels": {"team": "payments"},
            "check": {"url": "http://127.0.0.1:1/health", "expect_status": 200},
            "depends_on": ["orders-db"],
        },
        {"name": "search-api", "depends_on": ["orders-db"]},
        {
            "name": "orders-db",
            "kind": "database",
            "depends_on": [{"any_of": ["db-01", "db-02"], "min": 1}],
        },
        {"name": "db-01", "kind": "host"},
        {"name": "db-02", "kind": "host"},
    ],
    "policies": {
        "priority": [
            {"priority": "P1", "tier_at_most": 1, "revenue_at_least": 10000},
            {"priority": "P2", "services_at_least": 2},
            {"priority": "P3", "any_failing": True},
        ],
        "burn": {
            1: [{"long": "1h", "short": "5m", "factor": 14.4}],
            "default": [{"long": "3d", "short": "6h", "factor": 1}],
        },
    },
}

# The map already in the store: overlaps BASE so merges and replaces both change rows.
SEED = ServiceMap.build(
    [
        Component("checkout", kind="business_service", tier=2, owner="old-team"),
        Component("checkout-api"),
        Component("legacy-db", kind="database"),
    ],
    [Dependency("checkout", "checkout-api"), Dependency("checkout-api", "legacy-db")],
)

# Text up to past the column sizes (64 for kind, 200 for names and owners, 400 for titles),
# NUL included; numbers PostgreSQL and JSON cannot hold (NaN, inf, beyond float range).
TEXT = st.one_of(
    st.text(max_size=20),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["k", "\x00", "é", "a\x00"]), st.integers(60, 450)
    ),
)
WEIRD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**31, max_value=2**80),
    st.integers(max_value=-1),
    st.sampled_from([10**400, -(10**400)]),
    st.floats(),  # -0.0, 1e308, 5e-324, NaN, inf
    TEXT,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(TEXT, st.integers(), max_size=3),
    st.sampled_from(["CHECKOUT", "Db-01", "db-9", "", " ", "checkout-api", "a b", "<!channel>"]),
)
KEYS = st.sampled_from(
    [
        "name",
        "kind",
        "title",
        "owner",
        "channel",
        "tier",
        "sla",
        "revenue_per_hour",
        "service_hours",
        "labels",
        "check",
        "depends_on",
        "runbook_url",
        "description",
        "status_page",
        "min",
        "any_of",
        "url",
        "expect_status",
        "timeout_s",
        "interval_s",
        "failures_before_down",
        "version",
        "policies",
        "priority",
        "tier_at_most",
        "revenue_at_least",
        "services_at_least",
        "any_failing",
        "burn",
        "long",
        "short",
        "factor",
        "default",
        "unknown_key",
        "Name",
    ]
)


def _containers(node: Any, found: list[Any]) -> list[Any]:
    """Every dict and list inside `node` (itself included), depth first."""
    if isinstance(node, dict | list):
        found.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, found)
    return found


@st.composite
def mutation(draw: st.DrawFn, data: Any) -> None:
    """Apply one random mutation to `data` in place."""
    target = draw(st.sampled_from(_containers(data, [])))
    how = draw(
        st.sampled_from(("set", "set", "delete", "add", "duplicate", "case_dup", "ref", "swap"))
    )
    if isinstance(target, dict):
        key = draw(st.sampled_from(list(target)) if target and how != "add" else KEYS)
        if how == "delete":
            target.pop(key, None)
        elif how == "case_dup" and isinstance(target.get("name"), str):
            twin = copy.deepcopy(target)
            twin["name"] = target["name"].upper()
            for section in ("business_services", "components"):
                if isinstance(data.get(section), list):
                    data[section].append(twin)
                    break
        elif how == "ref":
            target[key] = draw(st.sampled_from(["db-9", "CHECKOUT", "Checkout-API", "nope"]))
        elif how == "swap" and key in target:
            target[key] = [target[key]] if not isinstance(target[key], list) else {"x": 1}
        else:
            target[key] = draw(WEIRD_VALUES)
    elif target:  # a list
        index = draw(st.integers(0, len(target) - 1))
        if how == "delete":
            del target[index]
        elif how in ("duplicate", "case_dup"):
            target.append(copy.deepcopy(target[index]))
        else:
            target[index] = draw(WEIRD_VALUES)
    else:
        target.append(draw(WEIRD_VALUES))


@st.composite
def mutated_maps(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(0, 4))):
        draw(mutation(data))
    return data


def file_hash(store: Store) -> str | None:
    """SQLite: a hash of the database file and its WAL (None on PostgreSQL)."""
    database = store.engine.url.database
    if store.engine.dialect.name != "sqlite" or not database:
        return None
    digest = hashlib.sha256()
    for path in (Path(database), Path(f"{database}-wal")):
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


def snapshot(store: Store) -> tuple[Any, str | None]:
    return table_dump(store.engine), file_hash(store)


def assert_whole_or_nothing(store: Store, attempt: Any) -> None:
    """Run `attempt()`; on `MapValidationError` every error is located and nothing changed."""
    before = snapshot(store)
    try:
        attempt()
    except MapValidationError as error:
        assert error.errors, "a MapValidationError with no errors"
        assert all(e.location.strip() for e in error.errors), [str(e) for e in error.errors]
        assert all(e.message.strip() for e in error.errors), [str(e) for e in error.errors]
        assert snapshot(store) == before, "the database changed although the import failed"


@pytest.fixture
def seeded(store: Store) -> Store:
    store.import_map(SEED, actor="tests")
    return store


def import_file_data(store: Store, data: dict[str, Any], replace: bool) -> None:
    store.import_map(parse_map(data), replace=replace, actor="tests", checked=True)


@SETTINGS
@given(data=mutated_maps(), replace=st.booleans())
def test_mutated_map_imports_whole_or_not_at_all(
    seeded: Store, data: dict[str, Any], replace: bool
) -> None:
    assert_whole_or_nothing(seeded, lambda: import_file_data(seeded, data, replace))


def test_base_map_imports(seeded: Store) -> None:
    """The unmutated map is valid: the property above exercises both outcomes."""
    import_file_data(seeded, copy.deepcopy(BASE), replace=True)
    assert set(seeded.load_map().components) == {
        "checkout",
        "search",
        "checkout-api",
        "search-api",
        "orders-db",
        "db-01",
        "db-02",
    }


# -- programmatic maps (`bsm sync`, importers): `import_map` checks them itself ------------

NAMES = st.sampled_from(["svc", "SVC", "db-01", "db-9", "", "a b", "-x", "checkout"])
NUMBERS = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.sampled_from([-1, 0, 5, 1e308, 10**400]),
)


@st.composite
def programmatic_maps(draw: st.DrawFn) -> ServiceMap:
    components = [
        Component(
            draw(NAMES),
            kind=draw(st.sampled_from(["service", "business_service", "host", ""])),
            owner=draw(st.one_of(st.none(), TEXT)),
            title=draw(st.one_of(st.none(), TEXT)),
            labels=draw(st.dictionaries(TEXT, TEXT, max_size=2)),
            tier=draw(NUMBERS),
            sla=draw(NUMBERS),
            revenue_per_hour=draw(NUMBERS),
        )
        for _ in range(draw(st.integers(1, 4)))
    ]
    declared = [c.name for c in components]
    pick = st.sampled_from([*declared, "ghost", "SVC"])
    dependencies = [Dependency(draw(pick), draw(pick)) for _ in range(draw(st.integers(0, 3)))]
    groups = [
        RedundancyGroup(
            draw(st.sampled_from(["g", "G", "orders"])),
            draw(pick),
            tuple(draw(st.lists(pick, min_size=1, max_size=3))),
            min_up=draw(st.one_of(st.none(), st.integers(-2, 4))),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    return ServiceMap.build(components, dependencies, groups)


@SETTINGS
@given(service_map=programmatic_maps(), replace=st.booleans())
def test_programmatic_map_imports_whole_or_not_at_all(
    seeded: Store, service_map: ServiceMap, replace: bool
) -> None:
    assert_whole_or_nothing(
        seeded, lambda: seeded.import_map(service_map, replace=replace, actor="tests")
    )


# Inputs that once broke the contract: the importer raised something other than
# MapValidationError (a crash in the parser, or a database error naming no field), or stored
# a value other than the one given. Each case: map data, the location the error must name,
# what went wrong.
REFUSED: dict[str, tuple[dict[str, Any], str, str]] = {
    "entry without a name": (
        {"version": 1, "components": [{"title": "x"}]},
        "components[0]",
        "KeyError 'name' from store/mapentry.EntryParser.parse: parse_map("
        "{'version': 1, 'components': [{'title': 'x'}]}) (the guard compares None == None)",
    ),
    "entry with name null": (
        {"version": 1, "components": [{"name": None, "depends_on": ["b"]}, {"name": "b"}]},
        "components[0]",
        "AttributeError 'NoneType' has no 'casefold' from EntryParser._depends_on: parse_map("
        "{'version': 1, 'components': [{'name': None, 'depends_on': ['b']}, {'name': 'b'}]})",
    ),
    "owner longer than its column": (
        {"version": 1, "components": [{"name": "a", "owner": "o" * 300}]},
        "components[0].owner",
        "owner of 300 characters: PostgreSQL DataError (varchar(200)) naming no field; "
        "SQLite stores it: the same map imports on one backend and not the other",
    ),
    "name longer than its column": (
        {"version": 1, "components": [{"name": "n" * 300}]},
        "components[0].name",
        "name of 300 characters: PostgreSQL DataError (varchar(200)); SQLite stores it",
    ),
    "kind longer than its column": (
        {"version": 1, "components": [{"name": "a", "kind": "k" * 100}]},
        "components[0].kind",
        "kind of 100 characters: PostgreSQL DataError (varchar(64)); SQLite stores it",
    ),
    "title longer than its column": (
        {"version": 1, "components": [{"name": "a", "title": "t" * 500}]},
        "components[0].title",
        "title of 500 characters: PostgreSQL DataError (varchar(400)); SQLite stores it",
    ),
    "NUL in a title": (
        {"version": 1, "components": [{"name": "a", "title": "x\x00y"}]},
        "components[0].title",
        "title 'x\\x00y': PostgreSQL DataError (text cannot contain NUL); SQLite stores it",
    ),
    "check interval NaN": (
        {
            "version": 1,
            "components": [{"name": "a", "check": {"url": "http://x", "interval_s": math.nan}}],
        },
        "components[0].check.interval_s",
        "check.interval_s: .nan passes `value <= 0`: PostgreSQL DataError (invalid json); "
        "SQLite stores non-standard JSON NaN",
    ),
    "check timeout infinite": (
        {
            "version": 1,
            "components": [{"name": "a", "check": {"url": "http://x", "timeout_s": math.inf}}],
        },
        "components[0].check.timeout_s",
        "check.timeout_s: .inf accepted: PostgreSQL DataError (invalid json)",
    ),
    "revenue NaN": (
        {"version": 1, "components": [{"name": "a", "revenue_per_hour": math.nan}]},
        "components[0].revenue_per_hour",
        "revenue_per_hour: .nan passes revenue_problem (nan < 0 is False); SQLite reads it "
        "back as None, PostgreSQL as NaN",
    ),
    "revenue infinite": (
        {"version": 1, "components": [{"name": "a", "revenue_per_hour": math.inf}]},
        "components[0].revenue_per_hour",
        "revenue_per_hour: .inf accepted (revenue at risk becomes inf)",
    ),
    "revenue beyond float range": (
        {"version": 1, "components": [{"name": "a", "revenue_per_hour": 10**400}]},
        "components[0].revenue_per_hour",
        "revenue_per_hour: 10**400 (an integer YAML reads) -> OverflowError from "
        "EntryParser._fields float()",
    ),
    "sla beyond float range": (
        {"version": 1, "components": [{"name": "a", "sla": 10**400}]},
        "components[0].sla",
        "sla: 10**400 -> OverflowError from sla_problem float()",
    ),
    "check timeout beyond float range": (
        {"version": 1, "components": [{"name": "a", "check": {"url": "x", "timeout_s": 10**400}}]},
        "components[0].check.timeout_s",
        "check.timeout_s: 10**400 -> OverflowError from EntryParser._check float()",
    ),
    "NUL in a check url": (
        {"version": 1, "components": [{"name": "a", "check": {"url": "http://x\x00"}}]},
        "components[0].check.url",
        "PostgreSQL DataError (jsonb cannot hold \\u0000)",
    ),
    "NUL in a label": (
        {"version": 1, "components": [{"name": "a", "labels": {"team": "p\x00"}}]},
        "components[0].labels.team",
        "PostgreSQL DataError (jsonb cannot hold \\u0000)",
    ),
    "NUL in an owner": (
        {"version": 1, "business_services": [{"name": "a", "owner": "\x00"}]},
        "business_services[0].owner",
        "PostgreSQL DataError (text cannot contain NUL)",
    ),
    "group name longer than its column": (
        {
            "version": 1,
            "components": [
                {"name": "a", "depends_on": [{"any_of": ["b", "c"], "name": "g" * 401}]},
                {"name": "b"},
                {"name": "c"},
            ],
        },
        "components[0].depends_on[0].name",
        "group name of 401 characters: PostgreSQL DataError (varchar(400)); SQLite stores it",
    ),
}


@pytest.mark.parametrize(
    "data, location",
    [pytest.param(data, where, id=name) for name, (data, where, _) in REFUSED.items()],
)
def test_bad_value_refused_with_its_location(
    seeded: Store, data: dict[str, Any], location: str
) -> None:
    before = snapshot(seeded)
    with pytest.raises(MapValidationError) as caught:
        import_file_data(seeded, copy.deepcopy(data), replace=False)
    assert any(e.location.startswith(location) for e in caught.value.errors), str(caught.value)
    assert snapshot(seeded) == before


def test_table_dump_sees_every_map_table(seeded: Store) -> None:
    """The comparison is only as good as the dump: it must hold the map's rows."""
    dump = table_dump(seeded.engine)
    assert {"components", "dependencies", "redundancy_groups"} <= set(dump)
    assert len(dump["components"]) == 3
    inspector = sa.inspect(seeded.engine)
    assert set(inspector.get_table_names()) == set(dump)
