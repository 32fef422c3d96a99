"""The service-map store: SQLAlchemy schema, sessions, migrations, import and export.

Returns `impact.model` domain objects, never ORM rows; imports nothing from Slack.
"""

from __future__ import annotations

from store.alerts import KEY_LENGTH as ALERT_KEY_LENGTH
from store.alerts import Observation, UnmappedAlert
from store.database import ping, url_password
from store.digests import LEASE_S as DIGEST_LEASE_S
from store.digests import DigestRun, DigestSchedule, DigestStore, Selector
from store.errors import (
    MapError,
    MapValidationError,
    NotFound,
    SchemaOutOfDate,
    StoreError,
    database_failure,
    driver_error,
)
from store.facade import Store
from store.incident_facts import (
    Acknowledgement,
    EntryKind,
    IncidentStatus,
    Notice,
    NoticeService,
    StateChange,
    ThreadReply,
    TimelineEntry,
)
from store.jobs import FailureCounts, JobRecords, lock_key
from store.outbox import Outbox
from store.records import AuditEntry, ChangeCount, ImportedMap, ImportReport, Progress, Subscription
from store.schema import NAME_LENGTH

__all__ = [
    "ALERT_KEY_LENGTH",
    "DIGEST_LEASE_S",
    "NAME_LENGTH",
    "Acknowledgement",
    "AuditEntry",
    "ChangeCount",
    "DigestRun",
    "DigestSchedule",
    "DigestStore",
    "EntryKind",
    "FailureCounts",
    "ImportReport",
    "ImportedMap",
    "IncidentStatus",
    "JobRecords",
    "MapError",
    "MapValidationError",
    "NotFound",
    "Notice",
    "NoticeService",
    "Observation",
    "Outbox",
    "Progress",
    "SchemaOutOfDate",
    "Selector",
    "StateChange",
    "Store",
    "StoreError",
    "Subscription",
    "ThreadReply",
    "TimelineEntry",
    "UnmappedAlert",
    "database_failure",
    "driver_error",
    "lock_key",
    "ping",
    "url_password",
]
