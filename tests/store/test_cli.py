"""`bsm db upgrade`, `bsm import`, `bsm export`, `bsm map summary` through the real CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from store import Store
from store.mapfile import parse_map

MAP = """
version: 1
business_services:
  - {name: shop, title: Shop, tier: 1, sla: 99.9, owner: web-team, depends_on: [api]}
components:
  - {name: api, depends_on: [db, {name: cache, kind: soft}]}
  - {name: db, kind: database, depends_on: [api]}
  - {name: cache, kind: cache}
"""
BAD = """
version: 1
components:
  - {name: api, tier: 0, depends_on: [dbb]}
  - {name: db, sla: 101}
  - {name: DB}
"""


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bsm.db'}"


def bsm(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"BSM_DATABASE_URL": db_url})
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_import_prints_a_summary_and_reimport_changes_nothing(tmp_path: Path, db_url: str) -> None:
    path = write(tmp_path, "map.yaml", MAP)
    code, out, _ = bsm(db_url, "import", path)
    assert code == 0
    assert "components:   4 added, 0 updated, 0 removed" in out
    assert "dependencies: 4 added, 0 updated, 0 removed" in out
    code, out, _ = bsm(db_url, "import", path)
    assert (code, out.splitlines()[-1]) == (0, "no changes (map version 1)")


def test_bad_map_prints_every_error_and_leaves_the_database_unchanged(
    tmp_path: Path, db_url: str
) -> None:
    bsm(db_url, "import", write(tmp_path, "map.yaml", MAP))
    database = tmp_path / "bsm.db"
    Store(db_url).close()  # checkpoint the WAL into the file before hashing
    before = digest(database)
    code, out, err = bsm(db_url, "import", "--replace", write(tmp_path, "bad.yaml", BAD))
    assert code == 1 and out == ""
    bad = tmp_path / "bad.yaml"  # BAD's lines: 4 api, 5 db, 6 DB (the text opens with \n)
    assert err.splitlines() == [
        f"Error: {bad}: 4 problems, nothing was imported",
        f"  {bad}:6:12: components[2].name: duplicate name 'DB' (names are case-insensitive; "
        f"first at components[1], {bad}:5)",
        f"  {bad}:4:23: components[0].tier: tier must be 1 (most critical) to 4, got 0",
        f"  {bad}:4:39: components[0].depends_on[0]: unknown component 'dbb' (did you mean 'db'?)",
        f"  {bad}:5:21: components[1].sla: sla is an availability in percent "
        "(0 < sla <= 100, e.g. 99.9), got 101",
    ]
    assert "Traceback" not in err
    assert digest(database) == before


def test_export_yaml_round_trips_and_graph_formats(tmp_path: Path, db_url: str) -> None:
    bsm(db_url, "import", write(tmp_path, "map.yaml", MAP))
    code, exported, _ = bsm(db_url, "export")
    assert code == 0 and parse_map(exported) == parse_map(MAP)
    out_file = tmp_path / "map.dot"
    code, _, err = bsm(db_url, "export", "--format", "dot", "-o", str(out_file))
    assert code == 0 and f"Wrote {out_file}" in err
    dot = out_file.read_text()
    assert '"api" -> "db";' in dot and '"db" -> "api";' in dot
    assert '"api" -> "cache" [style=dashed, label="soft"];' in dot
    _, mermaid, _ = bsm(db_url, "export", "--format", "mermaid")
    assert mermaid.startswith("flowchart LR\n")
    assert "  n1 -. soft .-> n3" in mermaid


def test_map_summary_lists_business_services(tmp_path: Path, db_url: str) -> None:
    bsm(db_url, "import", write(tmp_path, "map.yaml", MAP))
    code, out, _ = bsm(db_url, "map", "summary")
    assert code == 0
    assert "Service map (version 1): 4 components, 4 dependencies, 0 redundancy groups" in out
    assert "  database                  1" in out
    assert "shop" in out and "tier 1" in out and "SLA 99.9%" in out and "owner web-team" in out


def test_replace_csv_and_format_option(tmp_path: Path, db_url: str) -> None:
    bsm(db_url, "import", write(tmp_path, "map.yaml", MAP))
    edges = write(tmp_path, "edges.txt", "api,db\n")
    code, out, _ = bsm(db_url, "import", "--format", "csv", "--replace", edges)
    assert code == 0 and "components:   0 added, 0 updated, 2 removed" in out


def test_db_upgrade_and_unreadable_input(tmp_path: Path, db_url: str) -> None:
    code, out, _ = bsm(db_url, "db", "upgrade")
    assert code == 0 and "schema at revision" in out
    code, _, err = bsm(
        "sqlite:///" + str(tmp_path / "x.db"), "import", str(tmp_path / "missing.yaml")
    )
    assert code == 2 and "does not exist" in err
