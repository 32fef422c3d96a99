"""Alembic environment: runs migrations on the engine the store hands over (or the URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

# Every module that declares tables, so `METADATA` is the whole schema (autogenerate
# and compare_type would otherwise see tables of unimported modules as dropped).
from store import (  # noqa: F401
    alerts,
    changelog,
    contexts,
    database,
    deliveries,
    digests,
    incident_rows,
    outbox,
    risk_rows,
    snapshots,
    sync_schema,
)
from store.schema import METADATA

config = context.config


def run() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = database.create(str(config.get_main_option("sqlalchemy.url")))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=METADATA,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported: run `bsm db upgrade`")
run()
