"""Shared fixtures: `store` (empty, migrated) and `demo_store` (demo map loaded).

Both run once on SQLite and once on PostgreSQL. PostgreSQL comes from BSM_TEST_POSTGRES_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/test); when it is unreachable its
half skips, unless BSM_REQUIRE_POSTGRES=1 (CI), where it fails. Each test session gets its
own PostgreSQL schema, so parallel runs sharing the database never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from store import Store
from store.mapfile import load_map_file

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEMO_MAP = Path(__file__).resolve().parents[1] / "store" / "demo" / "demo.yaml"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "bsm.db"
    Store(f"sqlite:///{path}").close()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema of this session, migrated to head."""
    base = os.environ.get("BSM_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    engine = sa.create_engine(base, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        engine.dispose()
        reason = f"PostgreSQL unreachable at {base} ({type(error.orig).__name__})"
        if os.environ.get("BSM_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}; BSM_REQUIRE_POSTGRES=1 forbids skipping")
        pytest.skip(reason)
    schema = f"bsm_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    Store(url, upgrade=True).close()
    yield url
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


def _empty_postgres(store: Store) -> None:
    """Delete every row but the migration version (TRUNCATE costs ~0.4 s a test)."""
    with store.engine.begin() as connection:
        tables = connection.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        # Replica mode skips foreign-key triggers, so the order of the deletes does not matter.
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for name in tables:
            connection.exec_driver_sql(f'DELETE FROM "{name}"')
        connection.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('map_version', 0)")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty, migrated store; the test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "bsm.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        opened = Store(f"sqlite:///{path}")
    else:
        opened = Store(request.getfixturevalue("postgres_url"))
        _empty_postgres(opened)
    yield opened
    opened.close()


@pytest.fixture
def demo_store(store: Store) -> Store:
    """`store` with the bundled demo map (store/demo/demo.yaml) imported."""
    if not DEMO_MAP.exists():
        pytest.skip(f"demo map {DEMO_MAP} not written yet")
    store.import_map(load_map_file(DEMO_MAP), actor="tests")
    return store
