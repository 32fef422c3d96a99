"""Maintenance announcements: planned work told to the affected channels before it starts.

    announcer = Announcer(store, models)   # built once, by the composition root
    announcer.check()                      # the `maintenance_announce` cluster job

A window stored with a lead (`maintenance db-03 at saturday 02:00 for 2h announce 1h`) is
announced once the lead has begun: the change-risk preview of the window
(`services.risk.preview_risk`, the same findings `maintenance` warned about) names the
business services it takes down, degrades or leaves at their minimum, and each of their
channels gets one muted living message (`store.Announcements`: one transaction, outbox
rows in it, exactly once across replicas). It is updated when the work starts, and when it
is over. A window ended before it started (removed) is cancelled: a message already posted
says so, and one not yet posted never is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from impact.clock import Clock, utcnow
from impact.model import MaintenanceWindow
from services.model import ModelService
from services.risk import preview_risk
from store import AnnounceFact, LivingSync, Store


class Announcer:
    """Maintenance announcements of the stored windows, over the process's one model."""

    def __init__(self, store: Store, models: ModelService, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.models = models
        self.clock = clock

    def facts(self, now: datetime | None = None) -> list[AnnounceFact]:
        """What the announcements should say now: one fact per (due window, channel)."""
        now = now or self.clock()
        facts: list[AnnounceFact] = []
        for window in self.store.maintenance_windows():
            if not window.announce_s or window.id is None or window.end <= window.start:
                continue  # not announced, or removed (ended before it started)
            if window.start - timedelta(seconds=window.announce_s) <= now < window.end:
                facts += self._announce(window, now)
        return facts

    def check(self, now: datetime | None = None) -> LivingSync:
        """The cluster job: post, update and close the announcements to match the windows
        (one closed before its start was removed: it says cancelled)."""
        now = now or self.clock()
        return self.store.announcements.sync(self.facts(now), now)

    def _announce(self, window: MaintenanceWindow, now: datetime) -> list[AnnounceFact]:
        compiled = self.models.current()
        preview = preview_risk(
            self.store,
            compiled.model,
            [window.component],
            window.start,
            window.end,
            skip=window.id,
        )
        components = compiled.service_map.components
        hit = (*preview.down, *preview.degraded, *preview.at_risk)
        channels = sorted({c.channel for name in hit if (c := components.get(name)) and c.channel})

        def shown(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(preview.titles.get(n, n) for n in names)

        assert window.id is not None
        return [
            AnnounceFact(
                window.id,
                window.component,
                channel,
                window.start,
                window.end,
                window.reason,
                shown(preview.down),
                shown(preview.degraded),
                shown(preview.at_risk),
                started=now >= window.start,
            )
            for channel in channels
        ]
