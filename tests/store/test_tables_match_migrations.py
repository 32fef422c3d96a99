"""The store's Core tables are the schema the migrations create (`alembic upgrade head`).

The migrations in `store/migrations/versions` are the schema of record; the tables the
store queries are declared again in `store.schema` and the modules beside it. Both are
held equal here, on SQLite and on PostgreSQL: the tables, their columns (name, kind of
type, nullability) and primary keys read back with `sqlalchemy.inspect`, and whatever
else Alembic's own comparison sees (types, indexes, unique and foreign keys).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from store import Store
from store.schema import METADATA

STORE = Path(__file__).resolve().parents[2] / "store"
# the kinds of type the tables use; a reflected type is of the kind of its first match
KINDS: tuple[tuple[str, type[sa.types.TypeEngine[Any]]], ...] = (
    ("boolean", sa.Boolean),
    ("datetime", sa.DateTime),
    ("json", sa.JSON),
    ("binary", sa.LargeBinary),
    ("integer", sa.Integer),
    ("float", sa.Float),
    ("text", sa.String),  # Text and VARCHAR too
)


def _all_tables() -> dict[str, sa.Table]:
    """Every table of the store: each module of `store/` imported (the tables' modules)."""
    for path in sorted(STORE.glob("*.py")):
        importlib.import_module(f"store.{path.stem}" if path.stem != "__init__" else "store")
    return dict(METADATA.tables)


def _kind(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> str:
    if isinstance(type_, sa.types.TypeDecorator):
        type_ = type_.load_dialect_impl(dialect)
    type_ = type_.dialect_impl(dialect)
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        if isinstance(type_, JSONB):
            return "json"
    for kind, family in KINDS:
        if isinstance(type_, family):
            return kind
    return repr(type_)


def _declared(table: sa.Table, dialect: sa.Dialect) -> dict[str, tuple[str, bool]]:
    return {c.name: (_kind(c.type, dialect), bool(c.nullable)) for c in table.columns}


def _migrated(inspector: sa.Inspector, name: str, dialect: sa.Dialect) -> dict[str, Any]:
    return {
        c["name"]: (_kind(c["type"], dialect), bool(c["nullable"]))
        for c in inspector.get_columns(name)
    }


def test_the_tables_are_the_migrated_schema(store: Store) -> None:
    tables = _all_tables()
    inspector = sa.inspect(store.engine)
    dialect = store.engine.dialect
    migrated = set(inspector.get_table_names()) - {"alembic_version"}
    assert sorted(tables) == sorted(migrated)
    for name, table in tables.items():
        assert _declared(table, dialect) == _migrated(inspector, name, dialect), name
        keys = inspector.get_pk_constraint(name)["constrained_columns"]
        assert sorted(keys) == sorted(c.name for c in table.primary_key.columns), name


def test_alembic_sees_no_difference(store: Store) -> None:
    _all_tables()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, METADATA) == []
