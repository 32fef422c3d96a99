"""`Store`: the one object the rest of bsm-bot uses to read and change the service map.

Every mutation runs in one transaction and lands whole or not at all. Reads and writes
return `impact.model` values (or `store.records` values), never table rows.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, select, update

from impact.clock import Clock, utcnow
from impact.mapdiff import MapDelta
from impact.model import MaintenanceWindow, ServiceMap, State, StatusEvent
from impact.policies import DEFAULT_POLICIES, Policies
from store import database, history
from store.announcements import Announcements
from store.audit import bump_map_version, map_version, record_audit
from store.burn_episodes import BurnEpisodes
from store.changelog import CHANNEL, prune_changes, read_delta, wait_for_notify
from store.contexts import ConversationContexts
from store.deliveries import DeliveryLog
from store.digests import DigestStore
from store.edits import MapEdits
from store.errors import MapValidationError, NotFound, StoreError
from store.freshness import Token, change_token
from store.incidents import IncidentStore
from store.jobs import FailureCounts, JobRecords
from store.map_reader import read_map
from store.map_writer import stored_names, write_map
from store.outbox import Outbox
from store.policy_rows import read_policies, write_policies
from store.records import AuditEntry, ImportedMap, ImportReport, Progress, Subscription
from store.risk_notices import RiskNotices
from store.schema import (
    AUDIT_ORIGINS,
    AuditRow,
    MaintenanceRow,
    SubscriptionRow,
)
from store.snapshots import Snapshots
from store.validation import check_service_map, outside_reference_errors


class Store:
    """The service-map store on SQLite or PostgreSQL.

    `url` is an SQLAlchemy URL (`bot.settings.database_url` gives the configured one).
    `clock` is what "now" means for what it records (events, maintenance, edits).
    `upgrade` None upgrades SQLite automatically and requires PostgreSQL to be at head
    (run `bsm db upgrade` there); True always upgrades; False never does.
    """

    def __init__(
        self,
        url: str,
        *,
        upgrade: bool | None = None,
        echo: bool = False,
        clock: Clock = utcnow,
    ):
        self.url = url
        self.clock = clock
        self.engine = database.create(self.url, echo=echo)
        if upgrade if upgrade is not None else database.is_sqlite(self.url):
            database.upgrade(self.engine)
        elif upgrade is None:
            database.ensure_current(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.url_text()!r})"

    # -- the database itself -------------------------------------------------------------

    @property
    def is_sqlite(self) -> bool:
        """True on SQLite (one writer at a time), False on PostgreSQL."""
        return self.engine.dialect.name == "sqlite"

    @property
    def backend(self) -> str:
        """The dialect's name: "sqlite" or "postgresql"."""
        return str(self.engine.dialect.name)

    def url_text(self) -> str:
        """The database URL as text, the password masked."""
        return self.engine.url.render_as_string()

    def ping(self, timeout_s: float = 2.0) -> None:
        """`SELECT 1` within `timeout_s` (on PostgreSQL); raises when the database is down."""
        database.ping(self.engine, timeout_s)

    def revision(self) -> str | None:
        """The schema's migration revision (None before the first migration)."""
        return database.current_revision(self.engine)

    # -- the aggregates, one each per store ----------------------------------------------

    @cached_property
    def edits(self) -> MapEdits:
        """Chat's map edits: links, unlinks and subscriptions, audited."""
        return MapEdits(self.engine, clock=self.clock)

    @cached_property
    def digest_schedules(self) -> DigestStore:
        """Digest schedules and their runs."""
        return DigestStore(self.engine)

    @cached_property
    def incident_records(self) -> IncidentStore:
        """Incidents, their timelines and notices, and the unmapped alerts."""
        return IncidentStore(self.engine)

    @cached_property
    def risk_notices(self) -> RiskNotices:
        """Redundancy-at-risk notices: one living message per group and channel."""
        return RiskNotices(self.engine)

    @cached_property
    def burn_episodes(self) -> BurnEpisodes:
        """Error-budget burn alerts: one living message per service's episode and channel."""
        return BurnEpisodes(self.engine)

    @cached_property
    def announcements(self) -> Announcements:
        """Maintenance announcements: one living message per planned window and channel."""
        return Announcements(self.engine)

    @cached_property
    def outbox(self) -> Outbox:
        """Notices waiting to be posted, updated or replied to in Slack."""
        return Outbox(self.engine)

    @cached_property
    def job_records(self) -> JobRecords:
        """The cluster jobs' locks and completed periods."""
        return JobRecords(self.engine)

    @cached_property
    def failure_counts(self) -> FailureCounts:
        """Consecutive failed health checks per component."""
        return FailureCounts(self.engine)

    @cached_property
    def snapshots(self) -> Snapshots:
        """Compiled model snapshots, one per map version."""
        return Snapshots(self.engine, clock=self.clock)

    @cached_property
    def deliveries(self) -> DeliveryLog:
        """Slack deliveries seen (a redelivered event is answered once)."""
        return DeliveryLog(self.engine, clock=self.clock)

    @cached_property
    def contexts(self) -> ConversationContexts:
        """The last answer of each thread or DM, for follow-ups on any replica."""
        return ConversationContexts(self.engine, clock=self.clock)

    def _write(self) -> AbstractContextManager[Connection]:
        return database.transaction(self.engine)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    # -- the map -------------------------------------------------------------------------

    def load_map(self) -> ServiceMap:
        """The whole map: components, dependencies, redundancy groups."""
        with self._read() as connection:
            return read_map(connection)

    def versioned_map(self) -> tuple[int, ServiceMap]:
        """The map version and the whole map, read in one transaction (they match)."""
        with self._read() as connection:
            return map_version(connection), read_map(connection)

    def map_delta(self, since: int) -> MapDelta | None:
        """What changed in the map after version `since`, for a holder of that version to
        catch up (`store.changelog`); None when only reading the whole map will do."""
        with self._read() as connection:
            return read_delta(connection, since, map_version(connection))

    def prune_map_changes(self) -> int:
        """Forget the change log of old map versions (a cluster job); returns rows deleted.

        Kept: the last `store.changelog.KEEP_VERSIONS` versions, and everything after the
        oldest stored snapshot, so that a process starting from it still catches up from
        the log. A replica further behind reads the whole map once.
        """
        oldest = min(self.snapshots.versions(), default=None)
        with self._write() as connection:
            version = map_version(connection)
            return prune_changes(connection, version, version if oldest is None else oldest)

    def wait_for_map_change(self, since: int, timeout: float, poll: float = 1.0) -> int:
        """The map version once it is past `since`, or as it is after `timeout` seconds.

        PostgreSQL wakes up on the NOTIFY of the committing writer (`store.changelog`);
        SQLite reads the version every `poll` seconds.
        """
        deadline = time.monotonic() + timeout
        if self.is_sqlite:
            while (version := self.map_version()) <= since and time.monotonic() < deadline:
                time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
            return version
        with self.engine.connect() as connection:
            connection.exec_driver_sql(f"LISTEN {CHANNEL}")
            connection.commit()
            version = map_version(connection)
            connection.commit()
            if version <= since:
                wait_for_notify(connection, timeout)
                version = map_version(connection)
            connection.exec_driver_sql(f"UNLISTEN {CHANNEL}")
            connection.commit()
            return version

    def map_version(self) -> int:
        """A counter that increases with every change to the map (0 for a fresh store)."""
        with self._read() as connection:
            return map_version(connection)

    def change_token(self) -> Token:
        """A value that changes whenever the map, the states or maintenance change."""
        with self.engine.connect() as connection:
            return change_token(connection)

    def component_names(self) -> dict[str, str]:
        """name key -> name of every stored component (what a merge may reference)."""
        with self._read() as connection:
            return stored_names(connection)

    def import_map(
        self,
        service_map: ServiceMap,
        *,
        replace: bool = False,
        actor: str = "cli",
        origin: str = "cli",
        source: str = "map",
        implied: Collection[str] = (),
        progress: Progress | None = None,
        checked: bool = False,
    ) -> ImportReport:
        """Merge `service_map` into the store (or make the store equal to it with `replace`).

        A merge's references may name stored components as well as the map's own (the map
        wins for what it defines); a replace is checked alone.
        Raises `MapValidationError` (nothing written) when the map is inconsistent.
        An import that changes nothing writes nothing: no version bump, no audit entry.
        `checked` skips the consistency check for a map straight from `parse_map` or
        `read_map_file`, which already passed it (seconds saved on a 500k-edge map).
        `progress(done, total)` is called as rows are written.
        """
        _check_origin(origin)
        imported = ImportedMap(service_map, frozenset(implied), source)
        with self._write() as connection:
            _check_import(connection, service_map, replace=replace, checked=checked)
            before = map_version(connection)
            changes = write_map(connection, imported, replace=replace, progress=progress)
            policies = _write_policies(connection, service_map, replace=replace)
            touched = None if replace else service_map.components.keys()
            changed = changes.changed or policies
            version = bump_map_version(connection, touched) if changed else before
            report = ImportReport(
                changes.components, changes.dependencies, changes.groups, version, policies
            )
            if report.changed:
                action = "map.replace" if replace else "map.merge"
                record_audit(
                    connection,
                    actor,
                    action,
                    origin,
                    source,
                    {"map_version": before},
                    {
                        **report.as_dict(),
                        **({"policies": "changed"} if policies else {}),
                        "map_version": version,
                    },
                )
            return report

    def policies(self) -> Policies:
        """The map's policies: its `policies:` section, else the defaults."""
        with self._read() as connection:
            return read_policies(connection) or DEFAULT_POLICIES

    def preview_import(
        self,
        service_map: ServiceMap,
        *,
        replace: bool = False,
        source: str = "map",
        implied: Collection[str] = (),
        checked: bool = False,
    ) -> tuple[ServiceMap, ServiceMap]:
        """The stored map before and after `import_map` with these arguments, writing nothing.

        The import's own checks and writer run inside a transaction that is rolled back, so
        the preview is the import, not a second account of its merge rules.
        Raises `MapValidationError` as `import_map` would.
        """
        imported = ImportedMap(service_map, frozenset(implied), source)
        try:
            with self._write() as connection:
                _check_import(connection, service_map, replace=replace, checked=checked)
                before = read_map(connection)
                write_map(connection, imported, replace=replace)
                _write_policies(connection, service_map, replace=replace)
                raise _Preview(before, read_map(connection))
        except _Preview as preview:
            return preview.before, preview.after

    # -- status events -------------------------------------------------------------------

    def record_events(self, events: Sequence[StatusEvent]) -> int:
        """Append events, skipping those whose `event_id` is stored; returns how many are new."""
        with self._write() as connection:
            return history.insert_events(connection, events, self.clock())

    def events(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        components: Collection[str] | None = None,
    ) -> list[StatusEvent]:
        """Events with since <= at < until, oldest first, optionally for some components only."""
        with self._read() as connection:
            return history.read_events(connection, since, until, components)

    def current_states(self, at: datetime | None = None) -> dict[str, State]:
        """Latest state per component (as of `at`, default now).

        A failing component inside an active maintenance window reads MAINTENANCE.
        Components without events are absent (callers treat them as OK).
        """
        return self.states_since(None, at)[1]

    def states_since(
        self, event_id: int | None, at: datetime | None = None
    ) -> tuple[int | None, dict[str, State]]:
        """The last event id, and the states as `current_states` reads them of the
        components with an event after `event_id` (of every component when None).

        What a holder of the states of event `event_id` needs to catch up: the events since,
        not the whole history.
        """
        when = at or self.clock()
        with self._read() as connection:
            last = history.last_event_id(connection)
            if event_id is not None and last == event_id:
                return last, {}
            states = history.latest_states(connection, at, event_id)
            planned = {w.component.casefold() for w in history.read_windows(connection, when)}
        return last, {
            name: State.MAINTENANCE if state.is_failing and name.casefold() in planned else state
            for name, state in states.items()
        }

    # -- maintenance ---------------------------------------------------------------------

    def add_maintenance(
        self, window: MaintenanceWindow, *, origin: str = "cli"
    ) -> MaintenanceWindow:
        """Store a planned-work window (audited); returns it with its id."""
        _check_origin(origin)
        if window.end <= window.start:
            raise StoreError(
                f"maintenance for {window.component} ends ({window.end.isoformat()}) before it "
                f"starts ({window.start.isoformat()}): pick an end after the start"
            )
        with self._write() as connection:
            window_id = history.insert_window(connection, window, self.clock())
            stored = history.read_windows(connection, window_id=window_id)[0]
            record_audit(
                connection,
                window.created_by or "unknown",
                "maintenance.add",
                origin,
                window.component,
                None,
                _window_json(stored),
            )
            return stored

    def maintenance_windows(self, active_at: datetime | None = None) -> list[MaintenanceWindow]:
        """All windows (or those active at `active_at`), by start."""
        with self._read() as connection:
            return history.read_windows(connection, active_at)

    def end_maintenance(
        self, window_id: int, at: datetime, *, actor: str = "unknown", origin: str = "cli"
    ) -> MaintenanceWindow:
        """End window `window_id` at `at` (audited); returns the updated window."""
        _check_origin(origin)
        with self._write() as connection:
            found = history.read_windows(connection, window_id=window_id)
            if not found:
                raise NotFound(
                    f"no maintenance window with id {window_id}: list them to see the ids"
                )
            old = found[0]
            # Ending a window before it starts leaves it empty: it covers nothing, history stays.
            end = max(at, old.start)
            query = update(MaintenanceRow).where(MaintenanceRow.c.id == window_id).values(end=end)
            connection.execute(query)
            new = history.read_windows(connection, window_id=window_id)[0]
            record_audit(
                connection,
                actor,
                "maintenance.end",
                origin,
                old.component,
                _window_json(old),
                _window_json(new),
            )
            return new

    # -- channel subscriptions -----------------------------------------------------------

    def subscribe(
        self, channel: str, selector: str, created_by: str | None = None, *, origin: str = "cli"
    ) -> Subscription:
        """Subscribe `channel` to the components matched by `selector` (idempotent, audited).

        The same path as chat's `subscribe` (`store.edits.MapEdits.subscribe`).
        """
        return self.edits.subscribe(channel, selector, actor=created_by, origin=origin)[0]

    def unsubscribe(
        self, channel: str, selector: str, *, actor: str | None = None, origin: str = "cli"
    ) -> bool:
        """Remove a subscription (audited); False when there was none."""
        return self.edits.unsubscribe(channel, selector, actor=actor, origin=origin)

    def subscriptions(self, channel: str | None = None) -> list[Subscription]:
        with self._read() as connection:
            return _subscriptions(connection, channel)

    # -- audit log -----------------------------------------------------------------------

    def audit(
        self,
        actor: str,
        action: str,
        origin: str,
        target: str | None = None,
        before: Any = None,
        after: Any = None,
    ) -> AuditEntry:
        """Append one audit entry (before/after must be JSON-serialisable)."""
        _check_origin(origin)
        with self._write() as connection:
            entry_id = record_audit(connection, actor, action, origin, target, before, after)
            return _audit_entries(connection, 1, entry_id=entry_id)[0]

    def audit_log(
        self,
        limit: int = 50,
        target: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEntry]:
        """The newest `limit` entries, newest first, optionally for one target or with
        since <= at < until."""
        with self._read() as connection:
            return _audit_entries(connection, limit, target=target, since=since, until=until)


def _check_origin(origin: str) -> None:
    if origin not in AUDIT_ORIGINS:
        raise StoreError(f"unknown change origin {origin!r}: use one of {', '.join(AUDIT_ORIGINS)}")


def _audit_entries(
    connection: Connection,
    limit: int,
    *,
    target: str | None = None,
    entry_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEntry]:
    query = select(AuditRow)
    if since is not None:
        query = query.where(AuditRow.c.at >= since)
    if until is not None:
        query = query.where(AuditRow.c.at < until)
    if target is not None:
        query = query.where(AuditRow.c.target == target)
    if entry_id is not None:
        query = query.where(AuditRow.c.id == entry_id)
    rows = connection.execute(query.order_by(AuditRow.c.id.desc()).limit(limit)).mappings()
    return [AuditEntry(**row) for row in rows]


def _subscriptions(
    connection: Connection, channel: str | None, selector: str | None = None
) -> list[Subscription]:
    query = select(SubscriptionRow)
    if channel is not None:
        query = query.where(SubscriptionRow.c.channel == channel)
    if selector is not None:
        query = query.where(SubscriptionRow.c.selector == selector)
    rows = connection.execute(query.order_by(SubscriptionRow.c.id)).mappings()
    return [Subscription(**row) for row in rows]


def _window_json(window: MaintenanceWindow) -> Mapping[str, Any]:
    return {
        "id": window.id,
        "component": window.component,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "reason": window.reason,
        **({"announce_s": window.announce_s} if window.announce_s else {}),
    }


def _check_import(
    connection: Connection, service_map: ServiceMap, *, replace: bool, checked: bool
) -> None:
    """An import's checks in its transaction: a merge may reference stored names."""
    known = {} if replace else stored_names(connection)
    if errors := (
        outside_reference_errors(service_map, known)
        if checked
        else check_service_map(service_map, known)
    ):
        raise MapValidationError(errors)


def _write_policies(connection: Connection, service_map: ServiceMap, *, replace: bool) -> bool:
    """A map without a `policies:` section keeps the stored one on a merge, drops it on a
    replace; True when the stored section changed."""
    if service_map.policies is None and not replace:
        return False
    return write_policies(connection, service_map.policies)


class _Preview(Exception):
    """Raised to roll a previewed import back, carrying the maps it read."""

    def __init__(self, before: ServiceMap, after: ServiceMap) -> None:
        super().__init__("preview")
        self.before = before
        self.after = after
