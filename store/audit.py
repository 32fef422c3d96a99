"""The audit log and the map version, written inside the caller's transaction.

Any store module that changes the map calls these on its own `Connection`, so the change,
its audit entry and the version bump land together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from store.changelog import record_changes
from store.errors import StoreError
from store.schema import MAP_VERSION, AuditRow, MetaRow


def map_version(connection: Connection) -> int:
    """The map's change counter (0 for a fresh store)."""
    value = connection.execute(select(MetaRow.c.value).where(MetaRow.c.key == MAP_VERSION)).scalar()
    return int(value or 0)


def bump_map_version(connection: Connection, touched: Collection[str] | None = None) -> int:
    """Increase the map version by one; returns the new version.

    `touched` names the components whose description the change wrote (None: possibly
    any); it goes to the change log (`store.changelog`) that model holders catch up from.
    """
    # An atomic increment: two concurrent writers on PostgreSQL cannot both read n and write n+1.
    query = update(MetaRow).where(MetaRow.c.key == MAP_VERSION).values(value=MetaRow.c.value + 1)
    if not connection.execute(query).rowcount:
        connection.execute(insert(MetaRow).values(key=MAP_VERSION, value=1))
    version = map_version(connection)
    record_changes(connection, version, touched)
    return version


def record_audit(
    connection: Connection,
    actor: str,
    action: str,
    origin: str,
    target: str | None,
    before: Any,
    after: Any,
) -> int:
    """Append one audit entry; returns its id. `before`/`after` must be JSON values."""
    try:
        json.dumps([before, after])
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"audit entry {action!r}: before/after must be JSON values ({error})"
        ) from None
    values = {
        "at": datetime.now(UTC),
        "actor": actor,
        "origin": origin,
        "action": action,
        "target": target,
        "before": before,
        "after": after,
    }
    return int(connection.execute(insert(AuditRow).returning(AuditRow.c.id), values).scalar_one())
