"""The change token: one cheap query that moves whenever what a question reads changes.

The map version moves with every map change; events are append-only, so the last event id
moves with every report; adding or ending a maintenance window writes an audit entry and a
window row. All four are index-only lookups, read in one round trip, so another process's
change is seen by the next question of this one.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select

from store.schema import MAP_VERSION, AuditRow, MaintenanceRow, MetaRow, StatusEventRow


class Token(NamedTuple):
    """What `change_token` reads; compare whole tokens, or a part to see what moved."""

    map_version: Any
    last_event: int | None
    last_audit: int | None
    last_window: int | None


_TOKEN_QUERY = select(
    select(MetaRow.c.value).where(MetaRow.c.key == MAP_VERSION).scalar_subquery(),
    select(func.max(StatusEventRow.c.id)).scalar_subquery(),
    select(func.max(AuditRow.c.id)).scalar_subquery(),
    select(func.max(MaintenanceRow.c.id)).scalar_subquery(),
)


def change_token(connection: Connection) -> Token:
    """Map version, last event, last audit entry and last maintenance window, in one query."""
    return Token(*connection.execute(_TOKEN_QUERY).one())
