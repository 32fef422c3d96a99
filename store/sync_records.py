"""Values of map synchronisation the store returns: sources, runs and sync outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from impact.mapdiff import MapDiff

SOURCE_TYPES = ("backstage", "jaeger", "otel-prometheus", "yaml-url")
DEFAULT_GRACE_S = 24 * 3600
DEFAULT_SHRINK_LIMIT = 0.2
RESERVED_SOURCES = ("map", "cli", "chat")  # provenance names hand-written rows already use


@dataclass(frozen=True, slots=True)
class SyncSource:
    """A configured sync source; `every_s` None means on demand only.

    `options` holds the type's settings (e.g. `lookback`, `query`, name rules under
    `rules`); `grace_s` is how long a component or edge the source stopped reporting is
    kept as stale; a sync that drops more than `shrink_limit` of the source's edges (or
    components) is held for confirmation.
    """

    name: str
    type: str
    url: str
    every_s: int | None = None
    grace_s: int = DEFAULT_GRACE_S
    shrink_limit: float = DEFAULT_SHRINK_LIMIT
    options: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    last_run_at: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None

    def is_due(self, now: datetime) -> bool:
        """Whether a scheduled sync should run at `now`."""
        if self.every_s is None:
            return False
        return self.last_run_at is None or now - self.last_run_at >= timedelta(seconds=self.every_s)


@dataclass(frozen=True, slots=True)
class SyncRun:
    """One entry of the sync history; `diff` is `MapDiff.as_dict` plus stale lists."""

    id: int
    source: str
    status: str  # applied | unchanged | pending | confirmed | rejected | superseded | failed
    actor: str
    at: datetime
    diff: Mapping[str, Any] | None = None
    error: str | None = None
    shrink: float | None = None


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What a sync did (or, for a dry run or a held sync, would do) to the map.

    `effect` is the change to the stored map; `reported` is how the source's report differs
    from its previous one (hand-written values can make the two differ).
    """

    source: str
    status: str  # applied | unchanged | pending | dry_run
    effect: MapDiff
    reported: MapDiff
    newly_stale: tuple[str, ...] = ()  # components, then edges as "a -> b"
    still_stale: int = 0
    kept: tuple[str, ...] = ()  # expired but still referenced by hand-written rows
    skipped: tuple[str, ...] = ()  # edges covered by a hand-written redundancy group
    shrink: float = 0.0
    run_id: int | None = None
    map_version: int = 0

    @property
    def held(self) -> bool:
        return self.status == "pending"
