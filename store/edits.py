"""Small audited edits from chat and the CLI: one dependency, one channel subscription.

Each edit is one transaction holding the change, its audit entry (who, what, before and
after, from where) and, for the map, the map-version bump that tells every replica's
conversation to recompile. An edit that changes nothing writes nothing.

Dependencies added here are hand-written (`origin` "chat" or "cli"), so sync sources never
remove or change them; removing one a sync source contributed is allowed, and that source
will add it again on its next run if it still reports it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select, update

from impact.clock import Clock, utcnow
from impact.model import DependencyKind, name_key
from impact.suggest import Suggester
from store.audit import bump_map_version, record_audit
from store.database import dialect_of, transaction
from store.errors import NotFound, StoreError
from store.records import Subscription
from store.schema import (
    AUDIT_ORIGINS,
    ComponentRow,
    DependencyRow,
    GroupMemberRow,
    GroupRow,
    SubscriptionRow,
)


class EditError(StoreError):
    """An edit the store refuses (a self-dependency, an unknown origin)."""


@dataclass(frozen=True, slots=True)
class EdgeChange:
    """What a link or unlink did: `before`/`after` are the kinds ("hard", "soft") or None."""

    source: str
    target: str
    before: str | None
    after: str | None
    map_version: int | None = None  # the new version when something changed

    @property
    def changed(self) -> bool:
        return self.before != self.after


class MapEdits:
    """Audited single edits on the store at `engine` (a `store.Store`'s engine)."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def _write(self) -> AbstractContextManager[Connection]:
        return transaction(self.engine)

    # -- dependencies --------------------------------------------------------------------

    def link(
        self,
        source: str,
        target: str,
        *,
        kind: DependencyKind = DependencyKind.HARD,
        actor: str,
        origin: str,
    ) -> EdgeChange:
        """Make `source` depend on `target` (or change the kind of that dependency)."""
        _check_origin(origin)
        with self._write() as connection:
            (source_id, source_name), (target_id, target_name) = _ids(connection, source, target)
            if source_id == target_id:
                raise EditError(f"{source_name} cannot depend on itself: name two components")
            row = _edge(connection, source_id, target_id)
            before = row[1] if row else None
            if before == kind.value:
                return EdgeChange(source_name, target_name, before, before)
            if row is None:
                values = {
                    "source_id": source_id,
                    "target_id": target_id,
                    "kind": kind.value,
                    "origin": origin,
                }
                connection.execute(insert(DependencyRow).values(**values))
            else:
                query = update(DependencyRow).where(DependencyRow.c.id == row[0])
                connection.execute(query.values(kind=kind.value))
            return _changed(
                connection, "map.link", actor, origin, source_name, target_name, before, kind.value
            )

    def unlink(self, source: str, target: str, *, actor: str, origin: str) -> EdgeChange:
        """Remove the dependency `source` -> `target`; `NotFound` when there is none."""
        _check_origin(origin)
        with self._write() as connection:
            (source_id, source_name), (target_id, target_name) = _ids(connection, source, target)
            row = _edge(connection, source_id, target_id)
            if row is None:
                raise NotFound(_no_edge(connection, source_id, source_name, target_id, target_name))
            connection.execute(delete(DependencyRow).where(DependencyRow.c.id == row[0]))
            return _changed(
                connection, "map.unlink", actor, origin, source_name, target_name, row[1], None
            )

    # -- channel subscriptions -----------------------------------------------------------

    def subscribe(
        self, channel: str, selector: str, *, actor: str | None, origin: str
    ) -> tuple[Subscription, bool]:
        """Subscribe `channel` to `selector`; returns it and whether it is new (audited).

        The one subscribe path: concurrent subscribes of the same pair (two replicas) store
        one row and one audit entry. `actor` None stores no creator (audited as "unknown").
        """
        _check_origin(origin)
        with self._write() as connection:
            dialect = dialect_of(connection)
            values = {
                "channel": channel,
                "selector": selector,
                "created_by": actor,
                "created_at": self.clock(),
            }
            insert_new = dialect.insert(SubscriptionRow).on_conflict_do_nothing()
            added = connection.execute(insert_new.returning(SubscriptionRow.c.id), values).first()
            if added is not None:
                after = {"channel": channel, "selector": selector}
                record_audit(
                    connection, actor or "unknown", "subscription.add", origin, channel, None, after
                )
            stored = _subscription(connection, channel, selector)
            assert stored is not None
            return stored, added is not None

    def unsubscribe(self, channel: str, selector: str, *, actor: str | None, origin: str) -> bool:
        """Remove a subscription (audited); False when there was none (nothing written)."""
        _check_origin(origin)
        with self._write() as connection:
            found = _subscription(connection, channel, selector)
            if found is None:
                return False
            connection.execute(delete(SubscriptionRow).where(SubscriptionRow.c.id == found.id))
            before = {"channel": channel, "selector": selector}
            record_audit(
                connection, actor or "unknown", "subscription.remove", origin, channel, before, None
            )
            return True


def _check_origin(origin: str) -> None:
    if origin not in AUDIT_ORIGINS:
        raise EditError(f"unknown change origin {origin!r}: use one of {', '.join(AUDIT_ORIGINS)}")


def _ids(connection: Connection, *names: str) -> list[tuple[int, str]]:
    """(id, name) of each component; `NotFound` with a suggestion for an unknown one."""
    keys = [name_key(n) for n in names]
    query = select(ComponentRow.c.name_key, ComponentRow.c.id, ComponentRow.c.name).where(
        ComponentRow.c.name_key.in_(keys)
    )
    found = {key: (row_id, name) for key, row_id, name in connection.execute(query)}
    for name, key in zip(names, keys, strict=True):
        if key not in found:
            every = connection.execute(select(ComponentRow.c.name)).scalars()
            raise NotFound(f"no component {name!r} in the map{Suggester(every).hint(name)}")
    return [found[key] for key in keys]


def _edge(connection: Connection, source_id: int, target_id: int) -> tuple[int, str] | None:
    query = select(DependencyRow.c.id, DependencyRow.c.kind).where(
        DependencyRow.c.source_id == source_id, DependencyRow.c.target_id == target_id
    )
    row = connection.execute(query).first()
    return (row[0], row[1]) if row else None


def _no_edge(
    connection: Connection, source_id: int, source: str, target_id: int, target: str
) -> str:
    group = connection.execute(
        select(GroupRow.c.name)
        .join(GroupMemberRow, GroupMemberRow.c.group_id == GroupRow.c.id)
        .where(GroupRow.c.dependant_id == source_id, GroupMemberRow.c.component_id == target_id)
    ).scalar()
    if group is not None:
        return (
            f"{source} reaches {target} through redundancy group {group!r}, not a direct "
            "dependency: change groups in the map file"
        )
    return f"{source} does not depend on {target} directly: nothing to unlink"


def _changed(
    connection: Connection,
    action: str,
    actor: str,
    origin: str,
    source: str,
    target: str,
    before: str | None,
    after: str | None,
) -> EdgeChange:
    version = bump_map_version(connection, [source])
    edge = {"source": source, "target": target}
    record_audit(
        connection,
        actor,
        action,
        origin,
        source,
        {**edge, "kind": before} if before else None,
        {**edge, "kind": after, "map_version": version} if after else {"map_version": version},
    )
    return EdgeChange(source, target, before, after, version)


def _subscription(connection: Connection, channel: str, selector: str) -> Subscription | None:
    query = select(SubscriptionRow).where(
        SubscriptionRow.c.channel == channel, SubscriptionRow.c.selector == selector
    )
    row = connection.execute(query).mappings().first()
    return Subscription(**row) if row else None
