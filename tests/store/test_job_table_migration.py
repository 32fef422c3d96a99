"""Migration 0007: APScheduler's shared job table is gone; downgrading brings it back empty."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from store import Store
from store.database import upgrade


def tables(store: Store) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names())


def test_the_apscheduler_table_is_dropped_and_restored_by_a_downgrade(tmp_path: Path) -> None:
    store = Store(url=f"sqlite:///{tmp_path / 'bsm.db'}")
    assert "apscheduler_jobs" not in tables(store)
    assert {"digest_schedules", "digest_runs"} <= tables(store)
    from alembic import command

    from store.database import alembic_config

    command.downgrade(alembic_config(store.engine), "0005")
    assert "apscheduler_jobs" in tables(store)
    upgrade(store.engine)
    assert "apscheduler_jobs" not in tables(store)
    store.close()
