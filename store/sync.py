"""`MapSync`: apply what a sync source discovered to the stored map, one transaction per sync.

Each source owns the components and edges it contributed and changes only those;
hand-written values win (see `store.sync_plan`). What a source stops reporting is stale
for the source's grace period before removal. A sync that drops more than the source's
`shrink_limit` of its edges or components is held as *pending* until an admin confirms
it. Sources with their schedules, pending syncs and the history of runs are stored; every
applied sync writes its diff to the audit log (action `map.sync`, origin `sync`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from impact.mapdiff import MapDiff
from impact.model import NAME_PATTERN, ServiceMap, name_key
from impact.suggest import Suggester
from store import database
from store.audit import bump_map_version as _bump_version
from store.audit import map_version as _map_version
from store.audit import record_audit as _audit
from store.errors import NotFound, StoreError
from store.facade import Store
from store.sync_plan import (
    Plan,
    map_payload,
    payload_map,
    plan_sync,
    reported_diff,
    shrink_share,
    with_implied,
)
from store.sync_records import (
    RESERVED_SOURCES,
    SOURCE_TYPES,
    SyncOutcome,
    SyncRun,
    SyncSource,
)
from store.sync_schema import SOURCE_NAME_LENGTH, SyncRunRow, SyncSourceRow
from store.sync_state import load_others, load_state, write_plan

AUDIT_LIST_LIMIT = 200  # names per list in an audit entry; counts stay exact
SOURCE_FIELDS = ("name", "type", "url", "every_s", "grace_s", "shrink_limit", "options")


class SyncError(StoreError):
    """A sync request the store refuses: unknown source or run, bad settings."""


class MapSync:
    """Sync sources, their runs, and applying discovered maps to a `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _write(self) -> AbstractContextManager[Connection]:
        return database.transaction(self.store.engine)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.store.engine.connect() as connection, connection.begin():
            yield connection

    # -- sources -------------------------------------------------------------------------

    def add_source(
        self, source: SyncSource, *, actor: str = "cli", replace: bool = False
    ) -> SyncSource:
        """Store a source (with `replace`, update the one of that name); audited."""
        _check_source(source)
        with self._write() as connection:
            existing = _find_source(connection, source.name)
            if existing is not None and not replace:
                raise SyncError(
                    f"a sync source named {existing.name!r} exists: "
                    "pick another name or remove it first"
                )
            values = _source_values(source)
            if existing is None:
                _insert_source(connection, source, actor, self.store.clock())
            else:
                query = update(SyncSourceRow).where(SyncSourceRow.c.id == existing.id)
                connection.execute(query.values(**values))
            after = {k: v for k, v in values.items() if k in SOURCE_FIELDS}
            _audit(connection, actor, "sync.source", "cli", source.name, None, after)
            return _get_source(connection, source.name)

    def preview(
        self, source: SyncSource, discovered: ServiceMap, *, now: datetime | None = None
    ) -> SyncOutcome:
        """A dry run for a source that is not registered: nothing is stored."""
        _check_source(source)
        with self.store.engine.connect() as connection:
            connection.execution_options(bsm_write=True)
            transaction = connection.begin()
            try:
                _insert_source(connection, source, "preview", self.store.clock())
                return _sync(
                    connection,
                    source.name,
                    discovered,
                    "preview",
                    True,
                    False,
                    now or self.store.clock(),
                )
            finally:
                transaction.rollback()

    def remove_source(self, name: str, *, actor: str = "cli") -> None:
        """Forget a source and its history; the rows it contributed stay in the map."""
        with self._write() as connection:
            source = _get_source(connection, name)
            connection.execute(delete(SyncSourceRow).where(SyncSourceRow.c.id == source.id))
            before = {"type": source.type, "url": source.url}
            _audit(connection, actor, "sync.source.remove", "cli", source.name, before, None)

    def sources(self) -> list[SyncSource]:
        with self._read() as connection:
            query = select(SyncSourceRow).order_by(SyncSourceRow.c.name_key)
            return [_source(row) for row in connection.execute(query).mappings()]

    def source(self, name: str) -> SyncSource:
        """The source called `name` (case-insensitive); `NotFound` with a suggestion otherwise."""
        with self._read() as connection:
            return _get_source(connection, name)

    def due(self, now: datetime | None = None) -> list[SyncSource]:
        """Scheduled sources whose next sync is due at `now`."""
        when = now or self.store.clock()
        return [s for s in self.sources() if s.is_due(when)]

    # -- syncing -------------------------------------------------------------------------

    def apply(
        self,
        name: str,
        discovered: ServiceMap,
        *,
        actor: str = "sync",
        dry_run: bool = False,
        force: bool = False,
        now: datetime | None = None,
    ) -> SyncOutcome:
        """Make `discovered` the contribution of source `name`, in one transaction.

        A dry run computes the outcome and writes nothing. Without `force`, a report that
        drops more than the source's shrink limit is stored as a pending run instead.
        """
        with self._write() as connection:
            return _sync(
                connection, name, discovered, actor, dry_run, force, now or self.store.clock()
            )

    def record_failure(
        self, name: str, error: str, *, actor: str = "sync", now: datetime | None = None
    ) -> SyncRun:
        """Note a sync that could not reach or read its source; the map is not touched."""
        when = now or self.store.clock()
        with self._write() as connection:
            source = _get_source(connection, name)
            run_id = _record_run(connection, source, "failed", actor, when, None, None, error)
            _mark_source(connection, _id(source), when, "failed", error)
            return _runs(connection, run_id=run_id)[0]

    def pending(self) -> list[SyncRun]:
        """Syncs held for confirmation, oldest first."""
        with self._read() as connection:
            return list(reversed(_runs(connection, status="pending")))

    def confirm(self, run_id: int, *, actor: str, now: datetime | None = None) -> SyncOutcome:
        """Apply a held sync as it was discovered (the shrink guard is bypassed)."""
        with self._write() as connection:
            row = _pending_row(connection, run_id)
            discovered = payload_map(row["payload"] or {})
            outcome = _sync(
                connection, row["source"], discovered, actor, False, True, now or self.store.clock()
            )
            _set_run(connection, run_id, "confirmed", actor)
            return outcome

    def reject(self, run_id: int, *, actor: str) -> SyncRun:
        """Drop a held sync: the map stays as it is."""
        with self._write() as connection:
            row = _pending_row(connection, run_id)
            _set_run(connection, run_id, "rejected", actor)
            _audit(connection, actor, "sync.reject", "cli", row["source"], None, {"run": run_id})
            return _runs(connection, run_id=run_id)[0]

    def history(
        self,
        *,
        source: str | None = None,
        since: datetime | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[SyncRun]:
        """Sync runs, newest first, optionally for one source / since a time / one status."""
        with self._read() as connection:
            key = _get_source(connection, source).name if source else None
            return _runs(connection, source=key, since=since, status=status, limit=limit)


def _sync(
    connection: Connection,
    name: str,
    discovered: ServiceMap,
    actor: str,
    dry_run: bool,
    force: bool,
    when: datetime,
) -> SyncOutcome:
    discovered = with_implied(discovered)
    source = _get_source(connection, name)
    state = load_state(connection, _id(source))
    shrink = shrink_share(state, discovered)
    reported = reported_diff(state, discovered)
    version = _map_version(connection)
    if shrink > source.shrink_limit and not force:
        held = SyncOutcome(source.name, "pending", MapDiff(), reported, shrink=shrink)
        held = dataclasses.replace(held, map_version=version)
        if dry_run:
            return held
        return _hold(connection, source, held, discovered, actor, when)
    state.others = load_others(connection, _id(source))
    plan = plan_sync(state, discovered, source.name, when, timedelta(seconds=source.grace_s))
    outcome = _outcome(source.name, plan, reported, shrink, version)
    if dry_run:
        return dataclasses.replace(outcome, status="dry_run")
    return _commit(connection, source, plan, outcome, actor, when)


def _commit(
    connection: Connection,
    source: SyncSource,
    plan: Plan,
    outcome: SyncOutcome,
    actor: str,
    when: datetime,
) -> SyncOutcome:
    write_plan(connection, plan, source.name, _id(source))
    version = _bump_version(connection) if plan.map_changed else outcome.map_version
    diff = _diff_json(outcome, version)
    run_id = _record_run(connection, source, outcome.status, actor, when, diff, outcome.shrink)
    _supersede_pending(connection, _id(source))
    if outcome.status == "applied":
        before = {"map_version": outcome.map_version}
        _audit(connection, actor, "map.sync", "sync", source.name, before, {**diff, "run": run_id})
    _mark_source(connection, _id(source), when, outcome.status, None)
    return dataclasses.replace(outcome, run_id=run_id, map_version=version)


def _hold(
    connection: Connection,
    source: SyncSource,
    outcome: SyncOutcome,
    discovered: ServiceMap,
    actor: str,
    when: datetime,
) -> SyncOutcome:
    diff = {"reported": outcome.reported.as_dict(AUDIT_LIST_LIMIT), "shrink": outcome.shrink}
    run_id = _record_run(
        connection,
        source,
        "pending",
        actor,
        when,
        diff,
        outcome.shrink,
        None,
        map_payload(discovered),
    )
    _mark_source(connection, _id(source), when, "pending", None)
    return dataclasses.replace(outcome, run_id=run_id)


def _outcome(
    source: str, plan: Plan, reported: MapDiff, shrink: float, version: int
) -> SyncOutcome:
    status = "applied" if plan.map_changed or plan.items_changed else "unchanged"
    return SyncOutcome(
        source=source,
        status=status,
        effect=plan.effect(),
        reported=reported,
        newly_stale=tuple(plan.newly_stale),
        still_stale=plan.still_stale,
        kept=tuple(plan.kept),
        skipped=tuple(plan.skipped),
        shrink=shrink,
        map_version=version,
    )


def _diff_json(outcome: SyncOutcome, version: int) -> dict[str, Any]:
    return {
        **outcome.effect.as_dict(AUDIT_LIST_LIMIT),
        "stale": list(outcome.newly_stale[:AUDIT_LIST_LIMIT]),
        "stale_count": len(outcome.newly_stale),
        "kept": list(outcome.kept[:AUDIT_LIST_LIMIT]),
        "shrink": outcome.shrink,
        "map_version": version,
    }


def _record_run(
    connection: Connection,
    source: SyncSource,
    status: str,
    actor: str,
    when: datetime,
    diff: dict[str, Any] | None,
    shrink: float | None,
    error: str | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    values = {
        "source_id": _id(source),
        "source": source.name,
        "status": status,
        "actor": actor,
        "at": when,
        "diff": diff,
        "error": error,
        "shrink": shrink,
        "payload": payload,
    }
    query = insert(SyncRunRow).returning(SyncRunRow.c.id)
    return int(connection.execute(query, values).scalar_one())


def _supersede_pending(connection: Connection, source_id: int) -> None:
    # A later sync that passed the guard makes any held one for the source obsolete.
    query = update(SyncRunRow).where(
        SyncRunRow.c.source_id == source_id, SyncRunRow.c.status == "pending"
    )
    connection.execute(query.values(status="superseded", payload=None))


def _set_run(connection: Connection, run_id: int, status: str, actor: str) -> None:
    query = update(SyncRunRow).where(SyncRunRow.c.id == run_id)
    connection.execute(query.values(status=status, actor=actor, payload=None))


def _pending_row(connection: Connection, run_id: int) -> RowMapping:
    query = select(SyncRunRow).where(SyncRunRow.c.id == run_id)
    row = connection.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"no sync run {run_id}: `bsm sync list` shows the pending ones")
    if row["status"] != "pending":
        raise SyncError(f"sync run {run_id} is {row['status']}, not pending: nothing to confirm")
    return row


def _runs(
    connection: Connection,
    *,
    run_id: int | None = None,
    source: str | None = None,
    since: datetime | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[SyncRun]:
    table = SyncRunRow
    query = select(*(table.c[f.name] for f in dataclasses.fields(SyncRun)))
    if run_id is not None:
        query = query.where(SyncRunRow.c.id == run_id)
    if source is not None:
        query = query.where(SyncRunRow.c.source == source)
    if since is not None:
        query = query.where(SyncRunRow.c.at >= since)
    if status is not None:
        query = query.where(SyncRunRow.c.status == status)
    rows = connection.execute(query.order_by(SyncRunRow.c.id.desc()).limit(limit)).mappings()
    return [SyncRun(**row) for row in rows]


def _mark_source(
    connection: Connection, source_id: int, when: datetime, status: str, error: str | None
) -> None:
    query = update(SyncSourceRow).where(SyncSourceRow.c.id == source_id)
    connection.execute(query.values(last_run_at=when, last_status=status, last_error=error))


def _source_values(source: SyncSource) -> dict[str, Any]:
    values = {f: getattr(source, f) for f in SOURCE_FIELDS}
    return values | {"options": dict(source.options), "name_key": name_key(source.name)}


def _insert_source(
    connection: Connection, source: SyncSource, actor: str, created_at: datetime
) -> None:
    values = _source_values(source) | {"created_at": created_at, "created_by": actor}
    connection.execute(insert(SyncSourceRow).values(**values))


def _find_source(connection: Connection, name: str) -> SyncSource | None:
    query = select(SyncSourceRow).where(SyncSourceRow.c.name_key == name_key(name))
    row = connection.execute(query).mappings().first()
    return _source(row) if row is not None else None


def _get_source(connection: Connection, name: str) -> SyncSource:
    found = _find_source(connection, name)
    if found is not None:
        return found
    names = list(connection.execute(select(SyncSourceRow.c.name)).scalars())
    hint = Suggester(names).hint(name) if names else ""
    known = f"; known: {', '.join(sorted(names))}" if names else "; add one with `bsm sync add`"
    raise NotFound(f"no sync source {name!r}{hint}{known}")


def _source(row: Any) -> SyncSource:
    fields = {f.name for f in dataclasses.fields(SyncSource)}
    return SyncSource(**{k: v for k, v in dict(row).items() if k in fields})


def _id(source: SyncSource) -> int:
    assert source.id is not None
    return source.id


def _check_source(source: SyncSource) -> None:
    if not NAME_PATTERN.match(source.name) or len(source.name) > SOURCE_NAME_LENGTH:
        raise SyncError(
            f"bad sync source name {source.name!r}: use letters, digits, . _ - "
            f"(at most {SOURCE_NAME_LENGTH} characters), e.g. backstage-prod"
        )
    if name_key(source.name) in RESERVED_SOURCES:
        raise SyncError(f"{source.name!r} is reserved for hand-written rows: pick another name")
    if source.type not in SOURCE_TYPES:
        raise SyncError(
            f"unknown sync source type {source.type!r}: use one of {', '.join(SOURCE_TYPES)}"
        )
    if not 0 < source.shrink_limit <= 1:
        raise SyncError(f"shrink limit {source.shrink_limit!r} must be a share in (0, 1], e.g. 0.2")
    if source.grace_s < 0 or (source.every_s is not None and source.every_s < 60):
        raise SyncError("grace must be >= 0 and a schedule at least every 60 seconds")
