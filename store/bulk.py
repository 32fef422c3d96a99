"""Bulk row writes that skip SQLAlchemy's per-row parameter processing.

Rows are plain tuples in the order of the `columns` given. Big inserts on PostgreSQL go
through COPY (an order of magnitude faster than multi-row INSERTs there); everything else
is one driver-level executemany per batch. JSON columns are encoded here, since the
driver sees the values without the column types.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, Connection, Table
from sqlalchemy.schema import AddConstraint, DropConstraint

BATCH = 5000
COPY_THRESHOLD = 1000
# Past this many rows PostgreSQL checks foreign keys faster in one join than row by row.
FOREIGN_KEY_THRESHOLD = 20_000
Row = tuple[Any, ...]
Tick = Callable[[int], None]


def insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Row],
    tick: Tick | None = None,
) -> None:
    """INSERT `rows` into `table`; `tick(n)` after every batch of n rows."""
    if not rows:
        return
    name = table.name
    rows = _encode_json(connection, table, columns, rows)
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_THRESHOLD:
        _copy(connection, name, columns, rows, tick)
        return
    marks = ", ".join(_placeholder(connection) for _ in columns)
    sql = f'INSERT INTO "{name}" ({_quoted(columns)}) VALUES ({marks})'
    _executemany(connection, sql, rows, tick)


def update_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Row],
    tick: Tick | None = None,
) -> None:
    """UPDATE rows of `table` by id; each row is the new `columns` values, then the id."""
    if not rows:
        return
    rows = _encode_json(connection, table, columns, rows)
    mark = _placeholder(connection)
    assignments = ", ".join(f'"{column}" = {mark}' for column in columns)
    sql = f'UPDATE "{table.name}" SET {assignments} WHERE id = {mark}'
    _executemany(connection, sql, rows, tick)


@contextmanager
def foreign_keys_deferred(connection: Connection, table: Table, rows: int) -> Iterator[None]:
    """Check `table`'s foreign keys once after a big insert instead of once per row.

    On PostgreSQL with at least `FOREIGN_KEY_THRESHOLD` rows the constraints are dropped
    and added back inside the caller's transaction: adding them validates every row in a
    single join (500k edges: ~7 s instead of ~22 s), and a violation still rolls back the
    whole import. The tables stay locked until commit. Elsewhere this does nothing.
    """
    if connection.dialect.name != "postgresql" or rows < FOREIGN_KEY_THRESHOLD:
        yield
        return
    constraints = list(table.foreign_key_constraints)
    for constraint in constraints:
        connection.execute(DropConstraint(constraint))
    yield
    for constraint in constraints:
        connection.execute(AddConstraint(constraint))


def _executemany(connection: Connection, sql: str, rows: Sequence[Row], tick: Tick | None) -> None:
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        connection.exec_driver_sql(sql, list(chunk))
        if tick is not None:
            tick(len(chunk))


def _copy(
    connection: Connection,
    name: str,
    columns: Sequence[str],
    rows: Sequence[Row],
    tick: Tick | None,
) -> None:
    """COPY rows into table `name` on the transaction's own psycopg connection."""
    raw: Any = connection.connection.dbapi_connection
    assert raw is not None
    statement = f'COPY "{name}" ({_quoted(columns)}) FROM STDIN'
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            for row in chunk:
                copy.write_row(row)
            if tick is not None:
                tick(len(chunk))


def _encode_json(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]
) -> Sequence[Row]:
    """Rows with their JSON values in the driver's form (SQL NULL for None)."""
    types = table.columns
    positions = [i for i, c in enumerate(columns) if types[c].type._type_affinity is JSON]
    if not positions:
        return rows
    encode = _json_encoder(connection)
    encoded = []
    for row in rows:
        values = list(row)
        for i in positions:
            if values[i] is not None:
                values[i] = encode(values[i])
        encoded.append(tuple(values))
    return encoded


def _json_encoder(connection: Connection) -> Callable[[Any], Any]:
    if connection.dialect.name == "postgresql":
        from psycopg.types.json import Jsonb

        return Jsonb
    return json.dumps


def _placeholder(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)
