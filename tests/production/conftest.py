"""Fixtures for production proofs: PostgreSQL reachability, a fake Slack, fresh databases.

PostgreSQL tests skip with the reason when the server is unreachable, unless
BSM_REQUIRE_POSTGRES=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))  # replicas
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # fake_slack, served

from fake_slack import FakeSlack
from replicas import bsm, postgres_schema, small_map

from store import Store

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_base() -> str:
    """The PostgreSQL server URL, or a skip (a failure under BSM_REQUIRE_POSTGRES=1)."""
    base = os.environ.get("BSM_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    engine = sa.create_engine(base, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        reason = f"PostgreSQL unreachable at {base} ({type(error.orig).__name__})"
        if os.environ.get("BSM_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}; BSM_REQUIRE_POSTGRES=1 forbids skipping")
        pytest.skip(reason)
    finally:
        engine.dispose()
    return base


@pytest.fixture
def pg_url(postgres_base: str) -> Iterator[str]:
    """A fresh schema migrated with `bsm db upgrade` (as an operator would), holding the map."""
    with postgres_schema(postgres_base) as url:
        bsm("db", "upgrade", "--db", url)
        store = Store(url)
        store.import_map(small_map(), actor="tests")
        store.close()
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bsm.db'}"
    store = Store(url)
    store.import_map(small_map(), actor="tests")
    store.close()
    return url


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake
