"""The one compiled model of the process: the current map and states, shared by every use case.

    models = ModelService(store)            # built once, by the composition root
    compiled = models.current()             # chat, Home: the map with the states of now
    compiled = models.compiled(version, load)   # incidents: the map as a transaction reads it

Compiling a map costs seconds at 100k components, so it happens once per map version, here
and nowhere else; everything else asks this object. `current()` costs one change-token query
when nothing changed (a store with a database); the map is recompiled only when its version
moved, and the states are pushed into the model only when they differ from the last ones.
Replays and what-ifs that set states of their own take `model.fork()`, which shares the
compiled graph.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from impact.clock import Clock, utcnow
from impact.engine import ImpactModel
from impact.model import MaintenanceWindow, ServiceMap, State


class MapSource(Protocol):
    """What the model service reads: the store, or a map held in memory."""

    def load_map(self) -> ServiceMap: ...
    def map_version(self) -> int: ...
    def current_states(self, at: Any = None) -> dict[str, State]: ...


@dataclass(frozen=True, slots=True)
class Compiled:
    """One map version, compiled: the map as read and the model answering over it."""

    version: int
    service_map: ServiceMap
    model: ImpactModel


class ModelService:
    """The single compiled `ImpactModel` of the current map and states, for every thread.

    `store` is the store (or any `MapSource`); `clock` tells when a maintenance window
    starts or ends, which changes states with no write to watch for.
    """

    def __init__(self, store: MapSource, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock
        self._compiled: Compiled | None = None
        self._states: dict[str, State] | None = None
        self._token: Any = None
        self._stale_at: datetime | None = None  # the next maintenance start or end
        self._lock = threading.Lock()

    def current(self) -> Compiled:
        """The model of the current map, holding the current states."""
        with self._lock:
            token = self._change_token()
            if token is None or token != self._token or self._boundary_passed():
                self._refresh()
                self._token = token
            assert self._compiled is not None
            return self._compiled

    def compiled(self, version: int, load: Callable[[], ServiceMap]) -> Compiled:
        """The model of map `version`, compiled from `load()` only when it is not the one held.

        For readers that see the map inside a transaction of their own (incident reconcile):
        they pass the version they read and how to read the map in that transaction. The
        states of the returned model are whatever was current; fork it to set others.
        """
        with self._lock:
            return self._compile(version, load)

    def invalidate(self) -> None:
        """Forget the change token: the next `current()` re-reads the version and states."""
        with self._lock:
            self._token = None

    def _change_token(self) -> Any:
        read = getattr(self.store, "change_token", None)
        return read() if read is not None else None

    def _boundary_passed(self) -> bool:
        return self._stale_at is not None and self.clock() >= self._stale_at

    def _refresh(self) -> None:
        compiled = self._compile(self.store.map_version(), self.store.load_map)
        states = self.store.current_states()
        if states != self._states:
            compiled.model.set_states(dict(states))
            self._states = dict(states)
        windows = getattr(self.store, "maintenance_windows", None)
        if windows is not None:
            self._stale_at = next_boundary(windows(), self.clock())

    def _compile(self, version: int, load: Callable[[], ServiceMap]) -> Compiled:
        if self._compiled is None or self._compiled.version != version:
            service_map = load()
            self._compiled = Compiled(version, service_map, ImpactModel.from_map(service_map))
            self._states = None
        return self._compiled


def next_boundary(windows: Iterable[MaintenanceWindow], now: datetime) -> datetime | None:
    """The next instant a maintenance window starts or ends after `now`, if any."""
    later = [t for w in windows for t in (w.start, w.end) if t > now]
    return min(later, default=None)
