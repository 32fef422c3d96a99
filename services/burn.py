"""Error-budget burn alerts: the burn rates of each business service, as living notices.

    watch = BurnWatch(store, models)   # built once, by the composition root
    watch.check()                      # the `burn_check` cluster job
    watch.burns()                      # every service's rates now, for chat ("what is burning?")

The rates are measured from the status history exactly as the SLA report measures it: the
same replay (`services.digests.measure`, maintenance windows included) and the same
accounting (`impact.sla`, through `impact.burn.burn_decision`), inside each service's
service hours, with its tier's rules from the map's `policies:` (`Store.policies()`).
Each business service with an SLA target whose rules fire opens one episode per channel
(`store.BurnEpisodes`, one transaction, outbox rows in it, exactly once across replicas);
it is updated as its rate and budget evolve and resolved when every rule's short window
has recovered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from impact.burn import BurnDecision, BurnRule, RuleRates, burn_decision
from impact.clock import Clock, utcnow
from impact.model import Component
from impact.policies import Policies, burn_rules_for
from impact.service_hours import parse_service_hours
from impact.sla import SlaReport
from impact.windows import parse_window
from services.digests import measure
from services.model import ModelService
from store import BurnFact, LivingSync, Store


def rules_for(policies: Policies, service: Component) -> Sequence[BurnRule]:
    """The burn rules of `service`: its tier's thresholds from the map's `policies:`."""
    return burn_rules_for(policies, service.tier)


@dataclass(frozen=True, slots=True)
class ServiceBurn:
    """One business service's burn now: the decision and this month's SLA report (its
    error budget), measured only for a service that burns or was asked about."""

    service: Component
    decision: BurnDecision
    month: SlaReport | None = None

    @property
    def shown(self) -> RuleRates | None:
        """The rule a notice shows: the largest factor firing, else the largest whose short
        window still burns (an open episode stays), None when nothing burns."""
        firing = [r for r in self.decision.rates if r.fires]
        burning = firing or [r for r in self.decision.rates if r.short_burning]
        return max(burning, key=lambda r: r.rule.factor, default=None)


class BurnWatch:
    """Burn alerts of the recorded history, over the process's one compiled model."""

    def __init__(self, store: Store, models: ModelService, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.models = models
        self.clock = clock

    def burns(self, names: Sequence[str] = (), now: datetime | None = None) -> list[ServiceBurn]:
        """The burn of every business service with an SLA target (or of those `names`)."""
        now = now or self.clock()
        compiled = self.models.current()
        components = compiled.service_map.components
        wanted = {n.casefold() for n in names}
        services = sorted(
            (
                c
                for c in components.values()
                if c.is_business and c.sla and (not wanted or c.name.casefold() in wanted)
            ),
            key=lambda c: c.key,
        )
        if not services:
            return []
        policies = self.store.policies()
        longest = max(rule.long_s for s in services for rule in rules_for(policies, s))
        recent = measure(self.store, compiled, services, now - timedelta(seconds=longest), now)
        burns = [
            ServiceBurn(
                service,
                burn_decision(
                    recent.histories[service.name],
                    target=float(service.sla or 0),
                    at=now,
                    hours=parse_service_hours(service.service_hours),
                    rules=rules_for(policies, service),
                ),
            )
            for service in services
        ]
        # the month's replay only for what burns (or was asked about): a quiet check reads
        # no more history than its longest window
        budgeted = [b.service for b in burns if names or b.shown is not None]
        if not budgeted:
            return burns
        month = parse_window("this month", now)
        measured = measure(self.store, compiled, budgeted, month.start, now)
        return [
            replace(b, month=measured.report(b.service, month, now))
            if b.service.name in measured.histories
            else b
            for b in burns
        ]

    def facts(self, now: datetime | None = None) -> list[BurnFact]:
        """What the notices should say now: one fact per (burning service, channel)."""
        facts = []
        for burn in self.burns(now=now):
            shown, service, month = burn.shown, burn.service, burn.month
            if shown is None or month is None or not service.channel:
                continue
            facts.append(
                BurnFact(
                    service.name,
                    service.display,
                    service.channel,
                    shown.rule.factor,
                    shown.rule.long_s,
                    shown.rule.short_s,
                    shown.long,
                    shown.short,
                    month.error_budget_s,
                    month.error_budget_left_s,
                    firing=bool(burn.decision.firing),
                )
            )
        return facts

    def check(self, now: datetime | None = None) -> LivingSync:
        """The cluster job: open, update and resolve the burn episodes to match the history."""
        now = now or self.clock()
        return self.store.burn_episodes.sync(self.facts(now), now, opens=lambda f: f.firing)
