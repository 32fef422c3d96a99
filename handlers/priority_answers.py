"""`what should we fix first?` and `top risks`: rankings by business value, worded.

The rankings come from `services.priorities`; this module only words them, for chat (an
`Answer`) and for the terminal (`fix_line`, `risk_line`, used by `bsm priorities` and
`bsm report risks`).
"""

from __future__ import annotations

from datetime import timedelta

from handlers.answer import Answer, Item
from handlers.request import Request
from handlers.wording import capped, joined, money, plural
from impact.clock import utcnow
from services.priorities import Fix, Risk, fix_priorities, risk_register

RISK_HISTORY = timedelta(days=90)  # the failure history a risk's frequency is counted over


def fix_line(rank: int, fix: Fix) -> str:
    """One ranked fix as a sentence."""
    if fix.restores:
        money_part = f", {money(fix.revenue_per_hour)} back" if fix.revenue_per_hour else ""
        tier = f", best tier {fix.best_tier}" if fix.best_tier is not None else ""
        return (
            f"{rank}. {fix.component} ({fix.state}): restores {joined(list(fix.restores))}"
            f"{money_part}{tier}"
        )
    if fix.still_short:
        short = fix.still_short[0]
        return (
            f"{rank}. {fix.component} ({fix.state}): fixing it alone restores nothing:"
            f" {short.group} of {short.dependant} would still have {short.up} of"
            f" {short.required} needed members up"
        )
    if fix.blocked_by:
        return (
            f"{rank}. {fix.component} ({fix.state}): fixing it alone restores nothing while"
            f" {joined(list(fix.blocked_by))} stays down"
        )
    return f"{rank}. {fix.component} ({fix.state}): no business service depends on it failing"


def risk_line(rank: int, risk: Risk) -> str:
    """One ranked risk with the redundancy that would remove it."""
    spof = "tier-1 single point of failure; " if risk.tier1_spof else ""
    failed = plural(risk.failures, "failure")
    return (
        f"{rank}. {risk.component}: {spof}takes down {joined(list(risk.takes_down))}"
        f" ({money(risk.revenue_per_hour)}), {failed} in the history;"
        f" a second {risk.remedy} would protect {money(risk.protects)}"
    )


def priorities(req: Request) -> Answer:
    """The failing components, best fix first."""
    states = req.store.current_states() if req.store is not None else {}
    fixes = fix_priorities(req.model, states)
    if not fixes:
        return Answer("priorities", "Nothing is failing: nothing to fix", data={"fixes": []})
    best = fixes[0]
    summary = (
        f"Fix {best.component} first: {fix_line(1, best).split(': ', 1)[1]}"
        if best.restores
        else f"{plural(len(fixes), 'failing component')}, none restores a service alone"
    )
    items = [Item(fix_line(i, f)) for i, f in enumerate(fixes, 1)]
    data = {
        "fixes": [
            {
                "component": f.component,
                "restores": list(f.restores),
                "revenue_per_hour": f.revenue_per_hour,
                "best_tier": f.best_tier,
                "still_short": [s.group for s in f.still_short],
            }
            for f in fixes
        ]
    }
    return Answer("priorities", summary, sections=(capped("What to fix first", items),), data=data)


def risks(req: Request) -> Answer:
    """The risk register: components by business exposure, tier-1 SPOFs first."""
    now = utcnow()
    events = req.store.events(since=now - RISK_HISTORY, until=now) if req.store else []
    compiled_risks = risk_register(req.model, events)
    if not compiled_risks:
        return Answer("risks", "No single component takes a business service down", data={})
    items = [Item(risk_line(i, r)) for i, r in enumerate(compiled_risks, 1)]
    top = compiled_risks[0]
    summary = (
        f"Top risk: {top.component} ({money(top.revenue_per_hour)},"
        f" {plural(top.failures, 'failure')} in 90 days)"
    )
    data = {
        "risks": [
            {
                "component": r.component,
                "takes_down": list(r.takes_down),
                "revenue_per_hour": r.revenue_per_hour,
                "failures": r.failures,
                "exposure": r.exposure,
                "tier1_spof": r.tier1_spof,
            }
            for r in compiled_risks
        ]
    }
    return Answer("risks", summary, sections=(capped("Top risks", items),), data=data)
