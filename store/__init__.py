"""The service-map store: SQLAlchemy schema, sessions, migrations, import and export.

Returns `impact.model` domain objects, never table rows; imports nothing from Slack.
`Store` is the entry point: its accessors (`store.edits`, `store.outbox`, ...) give the
aggregates, built once per store; the names below are everything the rest may import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        shown,
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
    from store.records import (
        AuditEntry,
        ChangeCount,
        ImportedMap,
        ImportReport,
        Progress,
        Subscription,
    )
    from store.risk_notices import RiskFact, RiskNotices, RiskSync
    from store.schema import NAME_LENGTH
    from store.snapshots import Snapshots
    from store.sync import MapSync
    from store.sync_records import SyncOutcome, SyncRun, SyncSource
    from store.yamlsafe import load_yaml_document, load_yaml_documents

# Each public name loads its module on first use (`__getattr__` below), so that a process
# imports only the parts of the store it uses: `bsm serve` answers its first question
# without the map file readers, the Backstage validator or the sync. The names and their
# modules are those of the imports above (tests/store/test_public_api.py holds them equal).
_PUBLIC: dict[str, tuple[str, str]] = {
    "StateChange": ("impact.results", "StateChange"),
    "ALERT_KEY_LENGTH": ("store.alerts", "KEY_LENGTH"),
    "Observation": ("store.alerts", "Observation"),
    "UnmappedAlert": ("store.alerts", "UnmappedAlert"),
    "UnmappedSummary": ("store.alerts", "UnmappedSummary"),
    "AnnounceFact": ("store.announcements", "AnnounceFact"),
    "Announcements": ("store.announcements", "Announcements"),
    "parse_backstage": ("store.backstage", "parse_backstage"),
    "BurnEpisodes": ("store.burn_episodes", "BurnEpisodes"),
    "BurnFact": ("store.burn_episodes", "BurnFact"),
    "CONTEXT_TTL": ("store.contexts", "CONTEXT_TTL"),
    "Context": ("store.contexts", "Context"),
    "ConversationContexts": ("store.contexts", "ConversationContexts"),
    "ping": ("store.database", "ping"),
    "url_password": ("store.database", "url_password"),
    "DeliveryLog": ("store.deliveries", "DeliveryLog"),
    "DEMO_REASON": ("store.demo.history", "REASON"),
    "generate_history": ("store.demo.history", "generate_history"),
    "DIGEST_LEASE_S": ("store.digests", "LEASE_S"),
    "DigestRun": ("store.digests", "DigestRun"),
    "DigestSchedule": ("store.digests", "DigestSchedule"),
    "DigestStore": ("store.digests", "DigestStore"),
    "Selector": ("store.digests", "Selector"),
    "parse_edge_list": ("store.edgelist", "parse_edge_list"),
    "EdgeChange": ("store.edits", "EdgeChange"),
    "MapEdits": ("store.edits", "MapEdits"),
    "MapError": ("store.errors", "MapError"),
    "MapValidationError": ("store.errors", "MapValidationError"),
    "NotFound": ("store.errors", "NotFound"),
    "SchemaOutOfDate": ("store.errors", "SchemaOutOfDate"),
    "StoreError": ("store.errors", "StoreError"),
    "database_failure": ("store.errors", "database_failure"),
    "driver_error": ("store.errors", "driver_error"),
    "export_map": ("store.export", "export_map"),
    "Store": ("store.facade", "Store"),
    "detect_format": ("store.formats", "detect_format"),
    "fully_checked": ("store.formats", "fully_checked"),
    "read_map_file": ("store.formats", "read_map_file"),
    "Acknowledgement": ("store.incident_facts", "Acknowledgement"),
    "EntryKind": ("store.incident_facts", "EntryKind"),
    "IncidentStatus": ("store.incident_facts", "IncidentStatus"),
    "Notice": ("store.incident_facts", "Notice"),
    "NoticeService": ("store.incident_facts", "NoticeService"),
    "ThreadReply": ("store.incident_facts", "ThreadReply"),
    "TimelineEntry": ("store.incident_facts", "TimelineEntry"),
    "Decision": ("store.incidents", "Decision"),
    "Incident": ("store.incidents", "Incident"),
    "IncidentStore": ("store.incidents", "IncidentStore"),
    "IngestReport": ("store.incidents", "IngestReport"),
    "Payload": ("store.incidents", "Payload"),
    "Snapshot": ("store.incidents", "Snapshot"),
    "FailureCounts": ("store.jobs", "FailureCounts"),
    "JobRecords": ("store.jobs", "JobRecords"),
    "lock_key": ("store.jobs", "lock_key"),
    "LivingSync": ("store.living", "LivingSync"),
    "load_map_file": ("store.mapfile", "load_map_file"),
    "parse_map": ("store.mapfile", "parse_map"),
    "MapSource": ("store.mapsource", "MapSource"),
    "map_files": ("store.mapsource", "map_files"),
    "read_map_source": ("store.mapsource", "read_map_source"),
    "validate_source": ("store.mapsource", "validate_source"),
    "Outbox": ("store.outbox", "Outbox"),
    "OutboxItem": ("store.outbox", "OutboxItem"),
    "PostedNotice": ("store.outbox", "PostedNotice"),
    "AuditEntry": ("store.records", "AuditEntry"),
    "ChangeCount": ("store.records", "ChangeCount"),
    "ImportReport": ("store.records", "ImportReport"),
    "ImportedMap": ("store.records", "ImportedMap"),
    "Progress": ("store.records", "Progress"),
    "Subscription": ("store.records", "Subscription"),
    "RiskFact": ("store.risk_notices", "RiskFact"),
    "RiskNotices": ("store.risk_notices", "RiskNotices"),
    "RiskSync": ("store.risk_notices", "RiskSync"),
    "NAME_LENGTH": ("store.schema", "NAME_LENGTH"),
    "Snapshots": ("store.snapshots", "Snapshots"),
    "MapSync": ("store.sync", "MapSync"),
    "SyncOutcome": ("store.sync_records", "SyncOutcome"),
    "SyncRun": ("store.sync_records", "SyncRun"),
    "SyncSource": ("store.sync_records", "SyncSource"),
    "load_yaml_document": ("store.yamlsafe", "load_yaml_document"),
    "load_yaml_documents": ("store.yamlsafe", "load_yaml_documents"),
    "shown": ("store.errors", "shown"),
}

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


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    try:
        module, attribute = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'store' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later uses find it without this function
    return value
