"""Error-budget burn alerts: multi-window, multi-burn-rate decisions per business service.

The SRE workbook's rules: a rule fires when the burn rate over its long window AND over its
short window are both at or above its factor (defaults: 14.4x over 1 h confirmed by 5 min,
6x over 6 h confirmed by 30 min, 1x over 3 days confirmed by 6 h). The rates are
`impact.sla.burn_rate`, so service hours and maintenance exclusion count exactly as in the
SLA report. An episode opens when any rule fires and resolves when every rule's short
window has recovered (below its factor, or nothing measured).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from impact.durations import spell_duration
from impact.service_hours import ServiceHours
from impact.sla import History, Span, Spans, StateInterval, burn_rate, union


@dataclass(frozen=True, slots=True)
class BurnRule:
    long_s: float
    short_s: float
    factor: float


DEFAULT_RULES = (
    BurnRule(3600.0, 300.0, 14.4),
    BurnRule(6 * 3600.0, 1800.0, 6.0),
    BurnRule(3 * 86400.0, 6 * 3600.0, 1.0),
)


@dataclass(frozen=True, slots=True)
class RuleRates:
    rule: BurnRule
    long: float | None  # None: nothing measured in that window
    short: float | None

    @property
    def fires(self) -> bool:
        return _over(self.long, self.rule.factor) and _over(self.short, self.rule.factor)

    @property
    def short_burning(self) -> bool:
        return _over(self.short, self.rule.factor)


@dataclass(frozen=True, slots=True)
class BurnDecision:
    """The rates of every rule at `at`, and what an episode should do."""

    at: datetime
    rates: tuple[RuleRates, ...]

    @property
    def firing(self) -> tuple[BurnRule, ...]:
        return tuple(r.rule for r in self.rates if r.fires)

    @property
    def severity(self) -> float | None:
        """The largest factor firing (14.4 pages harder than 1), None when none fires."""
        return max((rule.factor for rule in self.firing), default=None)

    def action(self, episode_open: bool) -> str:
        """ "open", "update"-able "keep", "resolve" or "none" for a service's episode."""
        if not episode_open:
            return "open" if self.firing else "none"
        return "keep" if any(r.short_burning for r in self.rates) else "resolve"


def _over(rate: float | None, factor: float) -> bool:
    return rate is not None and rate >= factor


def burn_decision(
    intervals: Iterable[StateInterval] | History,
    *,
    target: float,
    at: datetime,
    hours: ServiceHours,
    excluded: Iterable[Span] = (),
    rules: Sequence[BurnRule] = DEFAULT_RULES,
) -> BurnDecision:
    """The burn rates of one service's history as of `at`, per rule."""
    history = intervals if isinstance(intervals, History) else History(intervals)
    skip: Spans = union((a.timestamp(), b.timestamp()) for a, b in excluded)
    rates = tuple(
        RuleRates(
            rule,
            burn_rate(history, hours, skip, at, rule.long_s, target),
            burn_rate(history, hours, skip, at, rule.short_s, target),
        )
        for rule in rules
    )
    return BurnDecision(at, rates)


def rate_text(rate: float | None) -> str:
    """A burn rate in words: 14x, 0.5x, 2,000x; "no data" when nothing was measured."""
    if rate is None:
        return "no data"
    if rate >= 1e9:  # a 100 % target: any downtime burns a budget of zero infinitely fast
        return "unbounded"
    return f"{rate:.2g}x" if rate < 100 else f"{rate:,.0f}x"


def rule_text(rule: BurnRule) -> str:
    """A rule in words: "14.4x over 1h, confirmed by 5m"."""
    long, short = spell_duration(rule.long_s), spell_duration(rule.short_s)
    return f"{rule.factor:g}x over {long}, confirmed by {short}"
