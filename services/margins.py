"""Redundancy at risk: groups at their minimum become muted notices in the services' channels.

    watch = MarginWatch(store, models)      # built once, by the composition root
    watch.refresh()                         # after every reconcile (states changed)
    watch.at_risk()                         # the open episodes, for status and the Home

`refresh` reads the current states through the one compiled model (`impact.risk
.current_margins` over a fork), turns each group at its minimum into one fact per channel
of the business services one more loss would hit, and lets the store open, update and
clear the episodes (`store.RiskNotices.sync`: one transaction, outbox rows in it, exactly
once across replicas).
"""

from __future__ import annotations

from collections import defaultdict

from impact.clock import Clock, utcnow
from impact.risk import Margin, current_margins
from services.model import ModelService
from store import RiskFact, RiskSync, Store


class MarginWatch:
    """At-risk notices of the current states."""

    def __init__(self, store: Store, models: ModelService, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.models = models
        self.clock = clock

    def facts(self) -> list[RiskFact]:
        """What the notices should say now: one fact per (group at minimum, channel)."""
        compiled = self.models.catch_up()  # after a reconcile: the states of now, off questions
        model = compiled.model.fork()
        components = compiled.service_map.components
        facts = []
        for margin in current_margins(model):
            by_channel: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for name in margin.services:
                service = components.get(name)
                if service is not None and service.channel:
                    by_channel[service.channel].append((name, service.display))
            facts += [_fact(margin, channel, hit) for channel, hit in sorted(by_channel.items())]
        return facts

    def refresh(self) -> RiskSync:
        """Open, update and clear the at-risk episodes to match the current states."""
        return self.store.risk_notices.sync(self.facts(), self.clock())

    def at_risk(self) -> list[RiskFact]:
        """The episodes open now (as last refreshed)."""
        return self.store.risk_notices.open()


def _fact(margin: Margin, channel: str, services: list[tuple[str, str]]) -> RiskFact:
    return RiskFact(
        margin.group,
        margin.dependant,
        channel,
        margin.up,
        margin.required,
        margin.members,
        margin.lost,
        tuple(services),
    )
