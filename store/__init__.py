"""The service-map store: SQLAlchemy schema, sessions, migrations, import and export.

Returns `impact.model` domain objects, never ORM rows; imports nothing from Slack.
"""

from __future__ import annotations

from store.alerts import KEY_LENGTH as ALERT_KEY_LENGTH
from store.alerts import Observation, UnmappedAlert
from store.errors import MapError, MapValidationError, NotFound, SchemaOutOfDate, StoreError
from store.facade import Store
from store.records import AuditEntry, ChangeCount, ImportedMap, ImportReport, Progress, Subscription
from store.schema import NAME_LENGTH

__all__ = [
    "ALERT_KEY_LENGTH",
    "NAME_LENGTH",
    "AuditEntry",
    "ChangeCount",
    "ImportReport",
    "ImportedMap",
    "MapError",
    "MapValidationError",
    "NotFound",
    "Observation",
    "Progress",
    "SchemaOutOfDate",
    "Store",
    "StoreError",
    "Subscription",
    "UnmappedAlert",
]
