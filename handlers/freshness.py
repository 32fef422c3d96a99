"""Freshness of the conversation's cached map and states: one cheap query per question.

The states a question is answered from change when the map changes (its version), when a
status event is recorded (events are append-only, so the last event id moves), when a
maintenance window is added or ended (both write an audit entry; the last window id is
read as well), and when a maintenance window starts or ends with the passing of time. The
first three are read in one round trip of index-only lookups, so another process's change
is seen by the next question; the last is tracked from the windows read with the states.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from impact.model import MaintenanceWindow
from store.schema import MAP_VERSION, AuditRow, MaintenanceRow, MetaRow, StatusEventRow

Token = tuple[Any, ...]

_TOKEN_QUERY = select(
    select(MetaRow.value).where(MetaRow.key == MAP_VERSION).scalar_subquery(),
    select(func.max(StatusEventRow.id)).scalar_subquery(),
    select(func.max(AuditRow.id)).scalar_subquery(),
    select(func.max(MaintenanceRow.id)).scalar_subquery(),
)


def change_token(store: Any) -> Token | None:
    """What changed data would change, read in one query; None for a source without a database."""
    engine = getattr(store, "engine", None)
    if engine is None:
        return None
    with engine.connect() as connection:
        row = connection.execute(_TOKEN_QUERY).one()
    return tuple(row)


def next_boundary(windows: Iterable[MaintenanceWindow], now: datetime) -> datetime | None:
    """The next instant a maintenance window starts or ends after `now`, if any."""
    later = [t for w in windows for t in (w.start, w.end) if t > now]
    return min(later, default=None)


def now() -> datetime:
    return datetime.now(UTC)
