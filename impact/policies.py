"""The map's policies: the incident priority rules and the error-budget burn rules per tier.

A map file may carry a top-level `policies:` section (see docs/service-map.md); without
it every rule is the built-in default (`DEFAULT_POLICIES`), so behaviour is unchanged.

    policies.priority                  ordered impact.priority.PriorityRule, first match wins
    burn_rules_for(policies, tier)     the impact.burn.BurnRule of a tier (or "default")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from impact import burn, priority
from impact.burn import BurnRule
from impact.priority import PriorityRule

DEFAULT_TIER = "default"


@dataclass(frozen=True, slots=True)
class Policies:
    """`priority`: the rules tried in order (P4 when none matches). `burn`: tier key ("1",
    "2", ... or "default") -> the burn rules of that tier's business services."""

    priority: tuple[PriorityRule, ...] = priority.DEFAULT_RULES
    burn: Mapping[str, tuple[BurnRule, ...]] = field(
        default_factory=lambda: {DEFAULT_TIER: burn.DEFAULT_RULES}
    )


DEFAULT_POLICIES = Policies()


def burn_rules_for(policies: Policies, tier: int | None) -> tuple[BurnRule, ...]:
    """The burn rules of a business service of `tier`: its tier's, else the map's default,
    else the built-in default."""
    if tier is not None and (rules := policies.burn.get(str(tier))) is not None:
        return rules
    return policies.burn.get(DEFAULT_TIER, burn.DEFAULT_RULES)
