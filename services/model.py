"""The one compiled model of the process: the current map and states, shared by every use case.

    models = ModelService(store)            # built once, by the composition root
    compiled = models.current()             # chat, Home: the map with the states of now
    compiled = models.compiled(version, load)   # incidents: the map as a transaction reads it

Compiling a map costs seconds at 100k components, so it happens once per map version, here
and nowhere else (and is saved as a snapshot the next process loads); everything else asks
this object. `current()` costs one change-token query
when nothing changed (a store with a database); the map is recompiled only when its version
moved, and the states are pushed into the model only when they differ from the last ones.
Replays and what-ifs that set states of their own take `model.fork()`, which shares the
compiled graph.

A `Compiled` handed out is never changed afterwards: new states are a fork of the model
holding them, a map change applied from the change log is a copy of the model with the
change (`ImpactModel.edited`), a new component a model patched from the held one's arrays
(`ImpactModel.patched`). Each is built aside and published by swapping one reference, so a
question reads one consistent version (version, map and states agree) without taking the
lock a refresh holds, and never waits for a catch-up of states in progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from impact.clock import Clock, utcnow
from impact.engine import ImpactModel, SnapshotError
from impact.mapdiff import MapDelta
from impact.model import MaintenanceWindow, ServiceMap, State
from impact.risk import current_margins

log = logging.getLogger(__name__)
BACKGROUND_AFTER = 20_000  # components: a map this big is rebuilt off the request path
STORM_AGE_CAP = 4.0  # held states are never older than this many times `states_age_s`


class MapSource(Protocol):
    """What the model service reads: the store, or a map held in memory.

    A store may also offer (the model service looks for them): `change_token()` (one cheap
    query that moves whenever the map, states or maintenance change), `versioned_map()` (the
    version and the map in one read), `states_since(event_id)` (the states of the components
    with newer events), `snapshots` (stored compiled models by version) and
    `maintenance_windows()`.
    """

    def load_map(self) -> ServiceMap: ...
    def map_version(self) -> int: ...
    def current_states(self, at: Any = None) -> dict[str, State]: ...


class SnapshotCopy(Protocol):
    """One stored copy of a snapshot (`store.snapshots.Copy`)."""

    @property
    def version(self) -> int: ...
    @property
    def data(self) -> bytes | memoryview: ...
    @property
    def source(self) -> str: ...
    def intact(self) -> bool: ...


class SnapshotStore(Protocol):
    def copies(self, version: int) -> Iterable[SnapshotCopy]: ...
    def save(self, version: int, data: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class Compiled:
    """One map version, compiled: the map as read and the model answering over it."""

    version: int
    service_map: ServiceMap
    model: ImpactModel
    labels: int | None = None  # the version whose names and titles these still are
    # values derived from this very map, stored with its snapshot (`ModelService.attach`):
    # given only to a version loaded from a snapshot of it, never to one caught up since
    attached: Mapping[str, Any] | None = None

    @property
    def labels_version(self) -> int:
        """Moves only when a component's name, title or labels may have changed (name
        indexes)."""
        return self.labels if self.labels is not None else self.version


class ModelService:
    """The single compiled `ImpactModel` of the current map and states, for every thread.

    `store` is the store (or any `MapSource`); `clock` tells when a maintenance window
    starts or ends, which changes states with no write to watch for.

    A map version is compiled once across restarts and replicas: the compiled model is
    saved as a snapshot (`store.snapshots`, in a thread of its own, off the request path)
    and the next process loads it instead of reading and compiling the map. States are
    caught up from the events newer than the last one seen (`states_since`), not re-read.
    """

    def __init__(
        self,
        store: MapSource,
        *,
        clock: Clock = utcnow,
        background_after: int = BACKGROUND_AFTER,
        states_age_s: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
        pause: Callable[[], object] | None = None,
    ) -> None:
        self.store = store
        # called between the steps of what is derived from new states off the request
        # path (`catch_up`), and before a rebuild in its thread: background work stepping
        # aside for questions (`Foreground`)
        self.pause = pause
        self.clock = clock
        self.background_after = background_after
        # Questions may answer from states read this long ago when only new events moved
        # the change token (a storm): `catch_up` (the reconcile loop) reads them meanwhile.
        self.states_age_s = states_age_s
        self.monotonic = monotonic
        self._states_at = -float("inf")  # when the held states were last caught up
        self._catch_up_every: float | None = None  # seconds between the last two catch-ups
        self._caught_up_at: float | None = None
        self._rebuild: threading.Thread | None = None
        self._rebuilding: int | None = None  # the version the rebuild thread builds
        self._compiled: Compiled | None = None  # the newest model (under the lock)
        self._states: dict[str, State] | None = None
        self._token: Any = None
        self._event: int | None = None  # the last event whose state is in _states
        self._stale_at: datetime | None = None  # the next maintenance start or end
        # what questions read without the lock: the model published with its change token
        self._view: tuple[Compiled, Any] | None = None
        self._lock = threading.Lock()
        self._savers: list[threading.Thread] = []
        self.loaded_from_snapshot: list[int] = []  # versions loaded, not compiled (telemetry)
        self.applied_deltas: list[int] = []  # versions reached from the change log, no compile
        self.compiled_versions: list[int] = []  # versions compiled from a whole map (telemetry)
        self.patched_versions: list[int] = []  # new components patched into the held model
        self._attach: dict[str, Callable[[ServiceMap], Any]] = {}
        self._delta: tuple[int, MapDelta] | None = None  # the last delta read, and its start

    def attach(self, name: str, make: Callable[[ServiceMap], Any]) -> None:
        """Store `make(service_map)` (JSON values) with each snapshot saved from now on, as
        `name`; a version loaded from a snapshot holding it has it in `Compiled.attached`
        (a reader's own tables of the same map: built in the saver's thread, loaded
        instead of built by the next process). Register before the first `current()`."""
        self._attach[name] = make

    def current(self) -> Compiled:
        """The model of the current map, holding the current states.

        With `states_age_s`, when only new events moved the change token since states
        were caught up less than that long ago, the held states answer: in a storm of
        alerts, a question does not pay for the alerts of the last second; the map, the
        maintenance windows and a quiet moment are always current. When only events
        moved and another thread is catching the states up, the held version answers
        at once: a question never waits for a catch-up of states.
        """
        return self._current(fresh=False)

    def catch_up(self) -> Compiled:
        """`current()` with the states of now whatever their age, and what is derived from
        them (`derive`: the status and the groups at their minimum) computed before they
        are published: for a thread off the request path (the reconcile loop, after each
        reconcile), so that questions in a storm find them ready."""
        compiled = self._current(fresh=True)
        now, before = self.monotonic(), self._caught_up_at
        self._catch_up_every = now - before if before is not None else None
        self._caught_up_at = now
        derive(compiled.model, self.pause)
        return compiled

    def _current(self, *, fresh: bool) -> Compiled:
        token = self._change_token()  # read without the lock: one cheap query
        view = self._view
        if view is not None and not fresh:
            held, seen = view
            if token is not None and token == seen and not self._boundary_passed():
                self._states_at = self.monotonic()  # found unchanged: current as of now
                return held
            if self._recent_enough(token) or (
                self._lock.locked() and _only_events_moved(seen, token)
            ):  # held states of a moment ago; or a catch-up is under way: never wait for it
                return held
        with self._lock:
            view = self._view
            published = view is not None and token is not None and token == view[1]
            if view is not None and published and not self._boundary_passed():
                self._states_at = self.monotonic()  # another thread published it meanwhile
                return view[0]
            self._refresh(token, status=fresh)
            self._token = token
            self._states_at = self.monotonic()  # read or found unchanged: current as of now
            compiled = self._compiled
            assert compiled is not None
            if not fresh or self._view is None or compiled is self._view[0]:
                self._view = (compiled, token)
                return compiled
        # a catch-up of new states: the rest of what is derived from them (the groups at
        # their minimum, stepping aside for questions) outside the lock, then published
        derive(compiled.model, self.pause)
        with self._lock:
            if self._compiled is compiled:  # else a newer version was published meanwhile
                self._view = (compiled, token)
        return compiled

    def _recent_enough(self, token: Any) -> bool:
        """Whether the held states may answer although `token` moved (only events did)."""
        return (
            self.states_age_s > 0
            and self._compiled is not None
            and self._states is not None
            and _only_events_moved(self._token, token)
            and not self._boundary_passed()
            and self.monotonic() - self._states_at < self._states_age()
        )

    def _states_age(self) -> float:
        """How old held states may be: `states_age_s`, or while catch-ups come back to back
        (a storm on a map so big that one cycle takes longer) one and a half of their
        interval, at most `STORM_AGE_CAP` times `states_age_s`."""
        every = self._catch_up_every
        if every is None or every > STORM_AGE_CAP * self.states_age_s:
            return self.states_age_s
        return min(max(self.states_age_s, 1.5 * every), STORM_AGE_CAP * self.states_age_s)

    def compiled(self, version: int, load: Callable[[], ServiceMap]) -> Compiled:
        """The model of map `version`, compiled from `load()` only when it is not the one held.

        For readers that see the map inside a transaction of their own (incident reconcile):
        they pass the version they read and how to read the map in that transaction. The
        states of the returned model are whatever was current; fork it to set others.
        The version held answers without the lock (webhooks ask it for every commit).
        """
        held = self._compiled
        if held is not None and held.version == version:
            return held
        with self._lock:
            found = self._held_or_delta(version)
            if found is not None:
                return found
            rebuild = self._rebuild if self._rebuilding == version else None
        if rebuild is not None:  # the thread already builds this version: wait, build once
            rebuild.join()
            with self._lock:
                if self._compiled is not None and self._compiled.version == version:
                    return self._compiled
        built = self._build(version, lambda: (version, load()))  # outside the lock
        with self._lock:
            return self._install(built)

    def map_delta(self, since: int, version: int) -> MapDelta | None:
        """The change log's delta from map version `since` to `version` (the store's
        `map_delta`), None when the log cannot tell or the map is past `version`. The last
        one read is kept: the model and the name index of one change read it once."""
        kept = self._delta
        if kept is not None and kept[0] == since and kept[1].version == version:
            return kept[1]
        delta_since = getattr(self.store, "map_delta", None)
        delta: MapDelta | None = delta_since(since) if delta_since is not None else None
        if delta is None or delta.version != version:
            return None
        self._delta = (since, delta)
        return delta

    def invalidate(self) -> None:
        """Forget the change token: the next `current()` re-reads the version and states."""
        with self._lock:
            self._token = None
            self._event = None
            self._states_at = -float("inf")
            if self._view is not None:
                self._view = (self._view[0], None)

    def follow(self, stop: threading.Event, wait_s: float = 5.0) -> None:
        """Keep the model current until `stop` is set: woken by each map change (the
        store's `wait_for_map_change`: NOTIFY on PostgreSQL, polling on SQLite), it catches
        up from the change log before any question asks. Runs in a thread of its own."""
        wait = getattr(self.store, "wait_for_map_change", None)
        if wait is None:
            return
        while not stop.is_set():
            held = self._compiled
            try:
                version = wait(held.version if held is not None else -1, wait_s)
                if held is None or version > held.version:
                    self.current()
            except Exception:  # the database is away: questions report it; retry later
                log.exception("following the map change log")
                stop.wait(wait_s)

    def flush(self, timeout: float | None = None) -> None:
        """Wait for the rebuild and the snapshots being saved (tests; a one-shot CLI)."""
        rebuild = self._rebuild
        if rebuild is not None:
            rebuild.join(timeout)
        for saver in list(self._savers):
            saver.join(timeout)

    def _change_token(self) -> Any:
        read = getattr(self.store, "change_token", None)
        return read() if read is not None else None

    def _boundary_passed(self) -> bool:
        return self._stale_at is not None and self.clock() >= self._stale_at

    def _refresh(self, token: Any, *, status: bool = False) -> None:
        """Bring `_compiled` to the map and states of `token` (the lock held); with
        `status`, the status of new states is computed before anyone is handed them."""
        held = self._compiled
        compiled = self._compile(self.store.map_version(), self._read_versioned)
        since = getattr(self.store, "states_since", None)
        if (
            since is None
            or self._states is None
            or self._event is None
            or not _only_events_moved(self._token, token)
            or self._boundary_passed()
        ):
            self._event, states = since(None) if since is not None else (None, None)
            if states is None:
                states = self.store.current_states()
            compiled = self._push(compiled, dict(states))
        else:
            self._event, moved = since(self._event)
            if moved:
                compiled = self._push(compiled, {**self._states, **moved})
        if status and compiled is not held:
            compiled.model.status()  # before it is published: no question pays for it
        self._compiled = compiled
        windows = getattr(self.store, "maintenance_windows", None)
        if windows is not None:
            self._stale_at = next_boundary(windows(), self.clock())

    def _push(self, compiled: Compiled, states: dict[str, State]) -> Compiled:
        """`compiled` holding `states`: a fork of its model (the one handed out keeps its
        own), or `compiled` itself when it holds them already (`_states` is None for a
        model built since, which holds none)."""
        if self._states is not None and states == self._states:
            return compiled
        known = compiled.model.service_map.components
        model = compiled.model.fork()
        model.set_states({n: s for n, s in states.items() if n in known})
        self._states = states
        return Compiled(
            compiled.version, compiled.service_map, model, compiled.labels, compiled.attached
        )

    def _read_versioned(self) -> tuple[int, ServiceMap]:
        read = getattr(self.store, "versioned_map", None)
        if read is not None:
            version, service_map = read()
            return int(version), service_map
        return self.store.map_version(), self.store.load_map()

    def _compile(self, version: int, load: Callable[[], tuple[int, ServiceMap]]) -> Compiled:
        """The model of `version` for `current()` (the lock held): the one held, caught up
        from the change log, or built; a big map is rebuilt in a thread while the held
        version keeps answering, swapped in when ready."""
        found = self._held_or_delta(version)
        if found is not None:
            return found
        held = self._compiled
        if held is None or len(held.service_map.components) < self.background_after:
            return self._install(self._build(version, load))
        if self._rebuilding is None or self._rebuilding < version:
            self._rebuilding = version
            self._rebuild = threading.Thread(
                target=self._rebuild_in_background, args=(version, load), name="model-rebuild"
            )
            self._rebuild.start()
        return held

    def _rebuild_in_background(
        self, version: int, load: Callable[[], tuple[int, ServiceMap]]
    ) -> None:
        if self.pause is not None:  # the question that found the change answers first
            self.pause()
        try:
            built = self._build(version, load)
        except Exception:  # the held version keeps answering; the next change retries
            log.exception("could not rebuild the model of map version %s", version)
            built = None
        with self._lock:
            if built is not None:
                self._install(built)
            if self._rebuilding == version:
                self._rebuilding = None
            try:  # the states pushed into the new model, then published
                token = self._change_token()
                self._refresh(token)
                self._token = token
                assert self._compiled is not None
                self._view = (self._compiled, token)
            except Exception:  # the next question pushes them
                log.exception("could not publish the model of map version %s", version)
                self._token = None
                if self._view is not None:
                    self._view = (self._view[0], None)

    def _held_or_delta(self, version: int) -> Compiled | None:
        """The held model when it is of `version`, or a copy of it caught up from the change
        log (an edit, a small merge: no compile); None when it must be built."""
        held = self._compiled
        if held is None or held.version > version:
            return None
        if held.version == version:
            return held
        delta = self.map_delta(held.version, version)
        if delta is None:
            return None
        components = held.service_map.components
        retitled = any(  # a label may name it too (a vendor's name: handlers.names)
            c.name not in components
            or components[c.name].title != c.title
            or components[c.name].labels != c.labels
            for c in delta.components.values()
        )
        model = held.model.edited(delta)  # a copy: the held version stays as handed out
        if model is None:
            return None
        labels = version if retitled else held.labels_version
        self._compiled = Compiled(version, model.service_map, model, labels)
        self.applied_deltas.append(version)  # no snapshot: a start catches up from the log
        return self._compiled

    def _build(self, version: int, load: Callable[[], tuple[int, ServiceMap]]) -> Compiled:
        """The model of `version`: the held model patched with the change log's delta (a
        new component: renumbered from the held arrays, no map read, no compile), else its
        snapshot when stored, else the map read and compiled."""
        patched = self._patched(version)
        if patched is not None:
            self.patched_versions.append(version)  # no snapshot: a start patches it again
            return Compiled(version, patched.service_map, patched)
        snapshots: SnapshotStore | None = getattr(self.store, "snapshots", None)
        model, attached = self._from_snapshot(snapshots, version)
        if model is None:
            version, service_map = load()
            model = ImpactModel.from_map(service_map)
            self.compiled_versions.append(version)
            if snapshots is not None:
                self._save_later(snapshots, version, model)
        return Compiled(version, model.service_map, model, attached=attached)

    def _patched(self, version: int) -> ImpactModel | None:
        held = self._compiled
        if held is None or held.version >= version:
            return None
        delta = self.map_delta(held.version, version)
        return held.model.patched(delta) if delta is not None else None

    def _install(self, built: Compiled) -> Compiled:
        """Hold `built` when it is newer than the held model; returns it either way."""
        if self._compiled is None or built.version > self._compiled.version:
            self._compiled = built
            self._states = None
        return built

    def _from_snapshot(
        self, snapshots: SnapshotStore | None, version: int
    ) -> tuple[ImpactModel | None, Mapping[str, Any] | None]:
        """The model of `version` from the newest snapshot up to it, caught up from the
        change log when it is older (versions reached by deltas save no snapshot), and the
        values attached to the snapshot when it is of `version` itself."""
        loaded = self._loaded(snapshots, version) if snapshots is not None else None
        if loaded is None:
            return None, None
        stored, model, attached = loaded
        if stored < version:
            if self._compiled is not None:  # a held model is a better start: patched below
                return None, None
            delta_since = getattr(self.store, "map_delta", None)
            delta = delta_since(stored) if delta_since is not None else None
            if delta is None or delta.version != version:
                return None, None
            caught = model.edited(delta) or model.patched(delta)
            if caught is None:
                return None, None
            model, attached = caught, {}  # derived from the older map: not this one's
        self.loaded_from_snapshot.append(stored)
        return model, attached

    def _loaded(
        self, snapshots: SnapshotStore, version: int
    ) -> tuple[int, ImpactModel, dict[str, Any]] | None:
        """The newest snapshot up to `version` decoded from its first intact copy (the file
        beside the database, then the database's): each copy is decoded while its checksum
        is computed in a thread, and used only once it holds."""
        for copy in snapshots.copies(version):
            try:
                model, attached = ImpactModel.from_snapshot_attached(copy.data)
            except Exception as error:  # a damaged copy may fail anywhere: the next one
                if not copy.intact():
                    log.warning("snapshot %s of map version %s damaged", copy.source, copy.version)
                    continue
                if not isinstance(error, SnapshotError):
                    raise
                log.warning("snapshot of map version %s not used: %s", copy.version, error)
                return None  # another format: so is every copy of it; compile instead
            if copy.intact():
                return copy.version, model, attached
            log.warning("snapshot %s of map version %s damaged", copy.source, copy.version)
        return None

    def _save_later(self, snapshots: SnapshotStore, version: int, model: ImpactModel) -> None:
        makers = dict(self._attach)

        def save() -> None:
            attached = {}
            for name, make in makers.items():
                try:
                    attached[name] = make(model.service_map)
                except Exception:  # saved without it: the next process builds its own
                    log.exception(
                        "could not attach %s to the snapshot of version %s", name, version
                    )
            try:
                snapshots.save(version, model.to_snapshot(attached))
            except Exception:  # a snapshot is an optimisation: never fail a question for it
                log.exception("could not save the snapshot of map version %s", version)

        self._savers = [t for t in self._savers if t.is_alive()]
        saver = threading.Thread(target=save, name=f"snapshot-{version}")
        saver.start()
        self._savers.append(saver)


def derive(model: ImpactModel, pause: Callable[[], object] | None = None) -> None:
    """Compute what questions and the at-risk notices read of the states (kept by the
    model per states, `ImpactModel.kept`, shared with the forks taken after it): the
    status, and the groups at their minimum with what one more loss would take (`status`
    lists them). The groups are searched on a fork: not under the lock of `model`, which
    questions may be reading."""
    model.status()
    if pause is not None:
        pause()
    current_margins(model.fork(), pause)


def _only_events_moved(before: Any, after: Any) -> bool:
    """Whether two change tokens differ at most in their last event (states only)."""
    if before is None or after is None or len(before) != len(after):
        return False
    return bool(before[0] == after[0] and tuple(before[2:]) == tuple(after[2:]))


def next_boundary(windows: Iterable[MaintenanceWindow], now: datetime) -> datetime | None:
    """The next instant a maintenance window starts or ends after `now`, if any."""
    later = [t for w in windows for t in (w.start, w.end) if t > now]
    return min(later, default=None)
