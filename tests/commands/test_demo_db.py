"""`bsm demo` uses a database of its own and never writes into someone's real map."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from bot.cli import main
from store import Store
from store.mapfile import parse_map

REAL = """
version: 1
business_services:
  - {name: payroll, depends_on: [dns, ledger]}
components:
  - {name: dns}
  - {name: ledger}
"""


def bsm(home: Path, *args: str) -> Result:
    env = {"XDG_DATA_HOME": str(home), "BSM_DATABASE_URL": None}
    return CliRunner().invoke(main, list(args), env=env, input="")


def settled(path: Path) -> str:
    """The SQLite file's bytes (with its WAL), once the import's connections are closed."""
    gc.collect()  # the CLI's pooled connections close (and checkpoint) now, not mid-demo
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return digest(path)


def digest(path: Path) -> str:
    wal = path.with_name(path.name + "-wal")
    data = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    return hashlib.sha256(data).hexdigest()


def test_demo_leaves_the_default_database_alone(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text(REAL)
    assert bsm(tmp_path, "import", str(real)).exit_code == 0
    default = tmp_path / "bsm-bot" / "bsm.db"
    before = settled(default)
    result = bsm(tmp_path, "demo", "--no-color")
    assert result.exit_code == 0, result.output
    demo_db = tmp_path / "bsm-bot" / "demo.db"
    first = result.output.splitlines()[0]
    assert first.startswith("Demo map (Northwind Outfitters) loaded into")
    assert f"sqlite:///{demo_db}" in first
    assert digest(default) == before
    # The demo's own database may be used again; a real map's database may not.
    again = bsm(tmp_path, "demo", "--no-color", "--db", f"sqlite:///{demo_db}")
    assert again.exit_code == 0, again.output
    refused = bsm(tmp_path, "demo", "--no-color", "--db", f"sqlite:///{default}")
    assert refused.exit_code != 0
    assert "holds another map" in refused.output and "--force" in refused.output
    assert digest(default) == before


def test_demo_refuses_a_database_with_another_map(store: Store, tmp_path: Path) -> None:
    store.import_map(parse_map(REAL), actor="tests")
    version, components = store.map_version(), store.component_names()
    url = store.engine.url.render_as_string(hide_password=False)
    refused = bsm(tmp_path, "demo", "--no-color", "--db", url)
    assert refused.exit_code != 0
    assert "holds another map" in refused.output
    assert store.map_version() == version
    assert store.component_names() == components
    assert store.events() == []
    assert store.audit_log(limit=5)[0].actor == "tests"


def test_demo_force_writes_into_another_map(store: Store, tmp_path: Path) -> None:
    store.import_map(parse_map(REAL), actor="tests")
    url = store.engine.url.render_as_string(hide_password=False)
    result = bsm(tmp_path, "demo", "--no-color", "--db", url, "--force")
    assert result.exit_code == 0, result.output
    assert "payroll" in store.component_names().values()
    assert "online-checkout" in store.component_names().values()
