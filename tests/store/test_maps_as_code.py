"""Maps kept as code: `bsm import DIR`, `bsm validate` and `bsm diff` through the real CLI.

Line and column numbers in the expectations are counted by hand in the texts below
(1-based; a column is where the offending value starts).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from store import Store

SHOP = """\
version: 1
business_services:
  - name: shop
    tier: 1
    depends_on: [api]
"""
API = """\
version: 1
components:
  - name: api
    depends_on: [db]
"""
DB = """\
version: 1
components:
  - {name: db, kind: database}
"""


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bsm.db'}"


def bsm(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def team_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_directory_imports_as_one_map_in_one_transaction(tmp_path: Path, db_url: str) -> None:
    teams = team_files(
        tmp_path / "map", {"shop.yaml": SHOP, "teams/api.yml": API, "teams/data/db.json": ""}
    )
    (teams / "teams/data/db.json").write_text(
        json.dumps({"version": 1, "components": [{"name": "db", "kind": "database"}]})
    )
    (teams / "README.md").write_text("not a map file")
    code, _, err = bsm("import", str(teams), "--db", db_url)
    assert code == 0, err
    store = Store(db_url)
    assert {(d.source, d.target) for d in store.load_map().dependencies} == {
        ("shop", "api"),
        ("api", "db"),
    }
    assert store.map_version() == 1  # one transaction: one version, one audit entry
    assert [e.action for e in store.audit_log(10)] == ["map.merge"]


def test_replace_with_a_directory_makes_the_map_equal_to_the_union(
    tmp_path: Path, db_url: str
) -> None:
    old = team_files(tmp_path / "old", {"old.yaml": "version: 1\ncomponents: [{name: legacy}]\n"})
    assert bsm("import", str(old), "--db", db_url)[0] == 0
    teams = team_files(tmp_path / "map", {"a.yaml": SHOP, "b.yaml": API, "c.yaml": DB})
    code, _, err = bsm("import", "--replace", str(teams), "--db", db_url)
    assert code == 0, err
    assert set(Store(db_url).load_map().components) == {"shop", "api", "db"}


def test_a_name_defined_in_two_files_names_both(tmp_path: Path, db_url: str) -> None:
    teams = team_files(tmp_path / "map", {"a.yaml": API + "  - name: db\n", "b.yaml": DB})
    code, out, err = bsm("import", str(teams), "--db", db_url)
    a, b = teams / "a.yaml", teams / "b.yaml"
    assert code == 1 and out == ""
    # b.yaml line 3: "  - {name: db, kind: database}" (db at column 12); a.yaml line 5
    assert (
        f"  {b}:3:12: components[0].name: duplicate name 'db' (names are case-insensitive; "
        f"first at components[1], {a}:5)"
    ) in err.splitlines()


def test_import_reads_and_checks_the_file_before_opening_the_database(tmp_path: Path) -> None:
    bad = team_files(tmp_path, {"bad.yaml": "version: 1\ncomponents:\n  - {name: a, tier: 7}\n"})
    database = tmp_path / "never.db"
    code, _, err = bsm("import", str(bad / "bad.yaml"), "--db", f"sqlite:///{database}")
    assert code == 1
    assert f"{bad / 'bad.yaml'}:3:21: components[0].tier" in err
    assert not database.exists()  # the database was never opened (nor created)


def test_a_merge_may_still_reference_stored_components(tmp_path: Path, db_url: str) -> None:
    team_files(tmp_path, {"db.yaml": DB, "api.yaml": API})
    assert bsm("import", str(tmp_path / "db.yaml"), "--db", db_url)[0] == 0
    code, _, err = bsm("import", str(tmp_path / "api.yaml"), "--db", db_url)
    assert code == 0, err


BAD_TEAM = """\
version: 1
components:
  - name: api
    tier: 9
    colour: blue
    depends_on: [dbb]
  - name: Bad Name
"""


def test_validate_reports_every_error_with_file_line_and_column(tmp_path: Path) -> None:
    teams = team_files(tmp_path / "map", {"a.yaml": BAD_TEAM, "b.yaml": DB})
    a = teams / "a.yaml"
    code, out, err = bsm("validate", str(teams))
    assert code == 1
    assert out.splitlines() == [
        f"{a}:4:11: components[0].tier: tier must be 1 (most critical) to 4, got 9",
        f"{a}:5:5: components[0]: unknown key 'colour' (allowed: channel, check, depends_on, "
        "description, kind, labels, name, owner, revenue_per_hour, runbook_url, "
        "service_hours, sla, status_page, tier, title)",
        f"{a}:6:18: components[0].depends_on[0]: unknown component 'dbb' (did you mean 'db'?)",
        f"{a}:7:11: components[1].name: bad name 'Bad Name': use letters, digits, '.', '_' "
        "and '-', starting with a letter or digit",
    ]
    assert err.strip() == f"{teams}: 4 problems"


def test_validate_json_and_github_annotations(tmp_path: Path) -> None:
    path = team_files(tmp_path, {"a.yaml": "version: 1\ncomponents:\n  - {name: a, sla: 0}\n"})
    code, out, _ = bsm("validate", str(path / "a.yaml"), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False
    assert [(e["file"], e["line"], e["column"], e["location"]) for e in report["errors"]] == [
        (str(path / "a.yaml"), 3, 20, "components[0].sla")
    ]
    code, out, _ = bsm("validate", str(path / "a.yaml"), "--format", "github")
    assert code == 1
    assert out.splitlines() == [
        f"::error file={path / 'a.yaml'},line=3,col=20::components[0].sla: sla is an "
        "availability in percent (0 < sla <= 100, e.g. 99.9), got 0"
    ]


def test_validate_a_valid_directory_exits_0_and_a_yaml_error_carries_its_line(
    tmp_path: Path,
) -> None:
    teams = team_files(tmp_path / "map", {"a.yaml": SHOP, "b.yaml": API, "c.yaml": DB})
    code, out, err = bsm("validate", str(teams))
    assert (code, out) == (0, "")
    assert "valid (3 files, 3 components, 2 dependencies, 0 groups)" in err
    (teams / "d.yaml").write_text("version: 1\ncomponents:\n  - {name: x\n")
    code, out, _ = bsm("validate", str(teams))
    assert code == 1
    assert out.startswith(f"{teams / 'd.yaml'}:4:1: line 4, column 1: YAML syntax error")


def test_diff_shows_the_plan_and_business_services_whose_impact_changes(
    tmp_path: Path, db_url: str
) -> None:
    teams = team_files(tmp_path / "map", {"a.yaml": SHOP, "b.yaml": API, "c.yaml": DB})
    assert bsm("import", str(teams), "--db", db_url)[0] == 0
    (teams / "b.yaml").write_text(
        "version: 1\ncomponents:\n  - {name: api, depends_on: [db, cache]}\n"
        "  - {name: cache, kind: cache}\n"
    )
    store = Store(db_url)
    version = store.map_version()
    code, out, err = bsm("diff", str(teams), "--db", db_url)
    assert code == 0, err
    assert out.splitlines() == [
        "+ component cache (cache)",
        "+ edge api -> cache (hard)",
        "Business services whose impact changes:",
        "  changed shop: +depends on cache; +single point of failure cache",
        "Plan: 1 to add, 0 to change, 0 to remove (components); 1 to add, 0 to change, "
        "0 to remove (edges).",
    ]
    assert store.map_version() == version and "cache" not in store.load_map().components
    only_db = team_files(tmp_path / "db-only", {"c.yaml": DB})
    code, out, _ = bsm("diff", str(only_db), "--replace", "--format", "json", "--db", db_url)
    plan = json.loads(out)
    assert code == 0
    assert (plan["components_removed"], plan["edges_removed"]) == (
        ["api", "shop"],
        [
            {"source": "api", "target": "db", "kind": "hard"},
            {"source": "shop", "target": "api", "kind": "hard"},
        ],
    )
    assert [(s["name"], s["change"]) for s in plan["business_services"]] == [("shop", "removed")]


def test_diff_of_what_is_stored_is_empty(tmp_path: Path, db_url: str) -> None:
    teams = team_files(tmp_path / "map", {"a.yaml": SHOP, "b.yaml": API, "c.yaml": DB})
    assert bsm("import", str(teams), "--db", db_url)[0] == 0
    code, out, _ = bsm("diff", str(teams), "--db", db_url)
    assert (code, out.strip()) == (0, "No changes: the stored map already matches.")


def test_preview_import_returns_both_maps_and_rolls_back(store: Store) -> None:
    """On SQLite and PostgreSQL: the previewed merge is the import, and nothing stays."""
    from impact.model import Component, Dependency, ServiceMap

    store.import_map(
        ServiceMap.build([Component("api"), Component("db")], [Dependency("api", "db")])
    )
    version, stored = store.map_version(), store.load_map()
    change = ServiceMap.build([Component("cache"), Component("api")], [Dependency("api", "cache")])
    before, after = store.preview_import(change)
    assert before == stored
    assert set(after.components) == {"api", "db", "cache"}
    assert (store.map_version(), store.load_map()) == (version, stored)
    assert len(store.audit_log(10)) == 1
    store.import_map(change)  # the preview is what the import then does
    assert store.load_map() == after
