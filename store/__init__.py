"""The service-map store: SQLAlchemy schema, sessions, migrations, import and export.

Returns `impact.model` domain objects, never ORM rows; imports nothing from Slack.
`Store` is the entry point: its accessors (`store.edits`, `store.outbox`, ...) give the
aggregates, built once per store; the names below are everything the rest may import.
"""

from __future__ import annotations

from impact.results import StateChange
from store.alerts import KEY_LENGTH as ALERT_KEY_LENGTH
from store.alerts import Observation, UnmappedAlert, UnmappedSummary
from store.announcements import AnnounceFact, Announcements
from store.backstage import parse_backstage
from store.burn_episodes import BurnEpisodes, BurnFact
from store.contexts import CONTEXT_TTL, Context, ConversationContexts
from store.database import ping, url_password
from store.deliveries import DeliveryLog
from store.demo.history import REASON as DEMO_REASON
from store.demo.history import generate_history
from store.digests import LEASE_S as DIGEST_LEASE_S
from store.digests import DigestRun, DigestSchedule, DigestStore, Selector
from store.edgelist import parse_edge_list
from store.edits import EdgeChange, MapEdits
from store.errors import (
    MapError,
    MapValidationError,
    NotFound,
    SchemaOutOfDate,
    StoreError,
    database_failure,
    driver_error,
)
from store.export import export_map
from store.facade import Store
from store.formats import detect_format, fully_checked, read_map_file
from store.incident_facts import (
    Acknowledgement,
    EntryKind,
    IncidentStatus,
    Notice,
    NoticeService,
    ThreadReply,
    TimelineEntry,
)
from store.incidents import Decision, Incident, IncidentStore, IngestReport, Payload, Snapshot
from store.jobs import FailureCounts, JobRecords, lock_key
from store.living import LivingSync
from store.mapfile import load_map_file, parse_map
from store.mapsource import MapSource, map_files, read_map_source, validate_source
from store.outbox import Outbox, OutboxItem, PostedNotice
from store.records import AuditEntry, ChangeCount, ImportedMap, ImportReport, Progress, Subscription
from store.risk_notices import RiskFact, RiskNotices, RiskSync
from store.schema import NAME_LENGTH
from store.snapshots import Snapshots
from store.sync import MapSync
from store.sync_records import SyncOutcome, SyncRun, SyncSource
from store.yamlsafe import load_yaml_document, load_yaml_documents, shown

__all__ = [
    "ALERT_KEY_LENGTH",
    "CONTEXT_TTL",
    "DEMO_REASON",
    "DIGEST_LEASE_S",
    "NAME_LENGTH",
    "Acknowledgement",
    "AnnounceFact",
    "Announcements",
    "AuditEntry",
    "BurnEpisodes",
    "BurnFact",
    "ChangeCount",
    "Context",
    "ConversationContexts",
    "Decision",
    "DeliveryLog",
    "DigestRun",
    "DigestSchedule",
    "DigestStore",
    "EdgeChange",
    "EntryKind",
    "FailureCounts",
    "ImportReport",
    "ImportedMap",
    "Incident",
    "IncidentStatus",
    "IncidentStore",
    "IngestReport",
    "JobRecords",
    "LivingSync",
    "MapEdits",
    "MapError",
    "MapSource",
    "MapSync",
    "MapValidationError",
    "NotFound",
    "Notice",
    "NoticeService",
    "Observation",
    "Outbox",
    "OutboxItem",
    "Payload",
    "PostedNotice",
    "Progress",
    "RiskFact",
    "RiskNotices",
    "RiskSync",
    "SchemaOutOfDate",
    "Selector",
    "Snapshot",
    "Snapshots",
    "StateChange",
    "Store",
    "StoreError",
    "Subscription",
    "SyncOutcome",
    "SyncRun",
    "SyncSource",
    "ThreadReply",
    "TimelineEntry",
    "UnmappedAlert",
    "UnmappedSummary",
    "database_failure",
    "detect_format",
    "driver_error",
    "export_map",
    "fully_checked",
    "generate_history",
    "load_map_file",
    "load_yaml_document",
    "load_yaml_documents",
    "lock_key",
    "map_files",
    "parse_backstage",
    "parse_edge_list",
    "parse_map",
    "ping",
    "read_map_file",
    "read_map_source",
    "shown",
    "url_password",
    "validate_source",
]
