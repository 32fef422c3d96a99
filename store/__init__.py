"""The service-map store: SQLAlchemy schema, sessions, migrations, import and export.

Returns `impact.model` domain objects, never ORM rows; imports nothing from Slack.
"""

from __future__ import annotations

from store.errors import MapError, MapValidationError, NotFound, SchemaOutOfDate, StoreError
from store.facade import Store
from store.records import AuditEntry, ChangeCount, ImportedMap, ImportReport, Progress, Subscription

__all__ = [
    "AuditEntry",
    "ChangeCount",
    "ImportReport",
    "ImportedMap",
    "MapError",
    "MapValidationError",
    "NotFound",
    "Progress",
    "SchemaOutOfDate",
    "Store",
    "StoreError",
    "Subscription",
]
