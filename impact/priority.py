"""Incident priority P1-P4 from business impact: the tier, revenue and number of the
business services an incident takes down or degrades.

Rules are tried in order; the first that matches gives the priority, P4 when none does. A
rule matches when ANY of its conditions holds over the failing services:

    P1: a tier-1 service down, or >= $10,000/h down
    P2: a tier-2 service down, >= $1,000/h down, or 3 or more services down
    P3: any business service down or degraded
    P4: the rest (components only)

(the defaults, `DEFAULT_RULES`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from impact.model import State

PRIORITIES = ("P1", "P2", "P3", "P4")


@dataclass(frozen=True, slots=True)
class PriorityRule:
    """`priority` when any set condition holds (None = not a condition of this rule)."""

    priority: str
    tier_at_most: int | None = None  # a DOWN service of this tier or better
    revenue_at_least: float | None = None  # revenue per hour of the DOWN services
    services_at_least: int | None = None  # DOWN services
    any_failing: bool = False  # any service DOWN or DEGRADED


DEFAULT_RULES = (
    PriorityRule("P1", tier_at_most=1, revenue_at_least=10_000),
    PriorityRule("P2", tier_at_most=2, revenue_at_least=1_000, services_at_least=3),
    PriorityRule("P3", any_failing=True),
)


@dataclass(frozen=True, slots=True)
class Impacted:
    """One business service an incident touches."""

    state: State
    tier: int | None = None
    revenue_per_hour: float = 0.0


def incident_priority(
    services: Iterable[Impacted], rules: Sequence[PriorityRule] = DEFAULT_RULES
) -> str:
    """The priority of an incident touching `services`."""
    touched = list(services)
    down = [s for s in touched if s.state == State.DOWN]
    best_tier = min((s.tier for s in down if s.tier is not None), default=None)
    revenue = sum(s.revenue_per_hour for s in down)
    failing = any(s.state.is_failing for s in touched)
    for rule in rules:
        if (
            (
                rule.tier_at_most is not None
                and best_tier is not None
                and best_tier <= rule.tier_at_most
            )
            or (rule.revenue_at_least is not None and revenue >= rule.revenue_at_least)
            or (rule.services_at_least is not None and len(down) >= rule.services_at_least)
            or (rule.any_failing and failing)
        ):
            return rule.priority
    return PRIORITIES[-1]
