"""Error-budget burn from chat: "what is burning?", "burn rate for payments".

The rates are `services.burn.BurnWatch`'s, measured now from the status history as the SLA
report measures it (service hours, maintenance excluded), against each service's tier
rules from the map's policies. Without a subject: the business services burning (a rule
fires or a short window still burns); with one: every rule's rates for it.
"""

from __future__ import annotations

from handlers.answer import Answer, Item, Section
from handlers.request import Request
from impact.burn import RuleRates, rate_text, rule_text
from impact.durations import format_duration, spell_duration
from impact.model import State
from services.burn import BurnWatch, ServiceBurn

USAGE = ("what is burning?", "burn rate for payments")


def burn(req: Request) -> Answer:
    """The `burn` intent."""
    if req.digests is None:
        return Answer("burn", "Burn rates need the event history of a store", ok=False)
    watch = BurnWatch(req.digests.store, req.digests.models)
    named = [n for n in req.subjects if req.names.component(n).is_business]
    if req.subjects and not named:
        return Answer(
            "burn",
            f"{req.label(req.subjects)} is not a business service: burn rates are per business "
            "service with an SLA target",
            req.subjects,
            ok=False,
        )
    burns = watch.burns(named)
    if named and not burns:
        return Answer(
            "burn",
            f"{req.label(tuple(named))} has no SLA target: no error budget to burn",
            ok=False,
        )
    data = {"burn": [_data(b) for b in burns]}
    if named:
        return _detail(req, burns, data)
    burning = [b for b in burns if b.shown is not None]
    if not burning:
        return Answer(
            "burn",
            f"Nothing is burning: all {len(burns)} business services with an SLA target are "
            "within their burn-rate rules",
            data=data,
            notes=(_NOTE,),
        )
    items = tuple(_burning_item(b) for b in burning)
    count = len(burning)
    return Answer(
        "burn",
        f"{count} business service{'s' * (count != 1)} burning {'its' if count == 1 else 'their'}"
        f" error budget too fast: {', '.join(b.service.display for b in burning)}",
        tuple(b.service.name for b in burning),
        (Section("Burning now", items),),
        notes=(_NOTE,),
        data=data,
    )


_NOTE = "Measured inside service hours; maintenance is excluded, as in the SLA report."


def _detail(req: Request, burns: list[ServiceBurn], data: dict[str, object]) -> Answer:
    sections = tuple(
        Section(
            f"{b.service.display} (target {b.service.sla:g}%, {_budget(b)})",
            tuple(_rule_item(r) for r in b.decision.rates),
        )
        for b in burns
    )
    first = burns[0]
    shown = first.shown
    if all(r.long is None for r in first.decision.rates):
        summary = f"{first.service.display}: no data to measure a burn rate (no status history)"
    elif shown is None:
        summary = f"{first.service.display} is not burning: every rule is below its factor"
    else:
        verb = "is burning" if shown.fires else "is still burning"
        summary = (
            f"{first.service.display} {verb} its error budget {rate_text(shown.long)} too fast "
            f"over {spell_duration(shown.rule.long_s)} (alert at {shown.rule.factor:g}x)"
        )
    return Answer(
        "burn",
        summary,
        tuple(b.service.name for b in burns),
        sections,
        notes=(_NOTE,),
        data=data,
    )


def _rule_item(rates: RuleRates) -> Item:
    state = State.DOWN if rates.fires else State.DEGRADED if rates.short_burning else State.OK
    return Item(
        f"{rule_text(rates.rule)}: {rate_text(rates.long)} over "
        f"{spell_duration(rates.rule.long_s)}, {rate_text(rates.short)} over "
        f"{spell_duration(rates.rule.short_s)}",
        state,
        "firing" if rates.fires else "short window still burning" if rates.short_burning else None,
    )


def _burning_item(b: ServiceBurn) -> Item:
    shown = b.shown
    assert shown is not None
    state = State.DOWN if shown.fires else State.DEGRADED
    return Item(
        f"{b.service.display}: {rate_text(shown.long)} over {spell_duration(shown.rule.long_s)}, "
        f"{rate_text(shown.short)} over {spell_duration(shown.rule.short_s)} "
        f"(alert at {shown.rule.factor:g}x)",
        state,
        _budget(b),
    )


def _budget(b: ServiceBurn) -> str:
    if b.month is None:
        return "budget not measured"
    left, total = b.month.error_budget_left_s, b.month.error_budget_s
    if left >= 0:
        return f"{format_duration(left)} of {format_duration(total)} budget left this month"
    return f"{format_duration(total)} budget overspent by {format_duration(-left)} this month"


def _data(b: ServiceBurn) -> dict[str, object]:
    return {
        "service": b.service.name,
        "firing": [r.rule.factor for r in b.decision.rates if r.fires],
        "rules": [
            {
                "factor": r.rule.factor,
                "long_s": r.rule.long_s,
                "short_s": r.rule.short_s,
                "long": r.long,
                "short": r.short,
            }
            for r in b.decision.rates
        ],
        "error_budget_s": b.month.error_budget_s if b.month else None,
        "error_budget_left_s": b.month.error_budget_left_s if b.month else None,
    }
