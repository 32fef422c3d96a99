"""Living notices (`store.living`) as one muted Slack message each: redundancy at risk,
error-budget burn and maintenance announcements.

    :warning: At risk: orders-db-cluster is down to 2 of 3 (needs 2): one more loss takes
    Online Checkout, Order Fulfilment down.
    :fire: Burning: Payments is burning its error budget 500x too fast (rule 14.4x over
    1h, confirmed by 5m at 1000x); 62% of this month's budget left (16m).

Muted: no @-mentions, no buttons that open incidents; the last update says the margin is
back or the burn is over. Map names go through `fit`, so they cannot ping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.render.blocks import MAX_SECTION_TEXT, Message, fit
from impact.burn import rate_text
from impact.durations import format_duration, spell_duration
from store import AnnounceFact, BurnFact, RiskFact

RISK_BLOCK = "bsm.risk"
BURN_BLOCK = "bsm.burn"
ANNOUNCE_BLOCK = "bsm.announce"


def risk_line(fact: RiskFact) -> str:
    """The notice's one sentence, plain (not escaped)."""
    names = ", ".join(display for _, display in fact.services)
    if fact.cleared:
        return f"Margin back: {fact.group} has its redundancy again; {names} no longer at risk."
    lost = f" ({', '.join(fact.lost)} lost)" if fact.lost else ""
    return (
        f"At risk: {fact.group} is down to {fact.up} of {len(fact.members)} "
        f"(needs {fact.required}){lost}: one more loss takes {names} down."
    )


def render_living_notice(kind: str, facts: Mapping[str, Any]) -> Message:
    """The message of an outbox row's living notice, by the kind its payload names."""
    if kind == "burn":
        return render_burn_notice(BurnFact.from_json(facts))
    if kind == "announce":
        return render_announce_notice(AnnounceFact.from_json(facts))
    return render_risk_notice(RiskFact.from_json(facts))


def render_risk_notice(fact: RiskFact) -> Message:
    """The whole notice for chat.postMessage / chat.update."""
    emoji = ":white_check_mark:" if fact.cleared else ":warning:"
    since = f"At risk since {fact.since:%Y-%m-%d %H:%M} UTC" if fact.since else ""
    notes = "; ".join(p for p in (since, f"group of {fit(fact.dependant, 200)}") if p)
    return _living(RISK_BLOCK, emoji, risk_line(fact), notes)


def burn_line(fact: BurnFact) -> str:
    """The burn notice's one sentence, plain (not escaped)."""
    share = fact.budget_left_share
    left = format_duration(fact.budget_left_s)
    budget = (
        f"{share:.0%} of this month's error budget left ({left})"
        if share is not None and fact.budget_left_s >= 0
        else f"this month's error budget is spent ({left})"
    )
    if fact.resolved:
        return (
            f"Burn over: {fact.display} no longer burns its error budget faster than "
            f"{fact.factor:g}x over {spell_duration(fact.short_s)}; {budget}."
        )
    verb = "is burning" if fact.firing else "is still burning"
    short = f"{rate_text(fact.short_rate)} over {spell_duration(fact.short_s)}"
    return (
        f"Burning: {fact.display} {verb} its error budget {rate_text(fact.long_rate)} too fast "
        f"over {spell_duration(fact.long_s)} ({short}; alert at {fact.factor:g}x); {budget}."
    )


def render_burn_notice(fact: BurnFact) -> Message:
    """The whole burn notice for chat.postMessage / chat.update."""
    emoji = ":white_check_mark:" if fact.resolved else ":fire:"
    since = f"Burning since {fact.since:%Y-%m-%d %H:%M} UTC" if fact.since else ""
    notes = "; ".join(
        p for p in (since, "measured inside service hours, maintenance excluded") if p
    )
    return _living(BURN_BLOCK, emoji, burn_line(fact), notes)


def announce_line(fact: AnnounceFact) -> str:
    """The announcement's one sentence, plain (not escaped)."""
    span = f"{fact.start:%a %Y-%m-%d %H:%M}-{fact.end:%H:%M} UTC"
    what = f"maintenance #{fact.window_id} on {fact.component} ({span})"
    if fact.cancelled:
        return f"Cancelled: {what} will not happen."
    if fact.over:
        return f"Done: {what} is over."
    hits = [
        f"takes {', '.join(fact.down)} down" if fact.down else "",
        f"degrades {', '.join(fact.degraded)}" if fact.degraded else "",
        f"one more loss during it takes {', '.join(fact.at_risk)} down" if fact.at_risk else "",
    ]
    effect = "; ".join(h for h in hits if h)
    head = "In progress" if fact.started else "Planned"
    why = f" for {fact.reason}" if fact.reason else ""
    return f"{head}: {what}{why}: it {effect}." if effect else f"{head}: {what}{why}."


def render_announce_notice(fact: AnnounceFact) -> Message:
    """The whole announcement for chat.postMessage / chat.update."""
    done = fact.cancelled or fact.over
    emoji = ":white_check_mark:" if done else ":construction:" if fact.started else ":calendar:"
    notes = "Failures inside the window are planned work, not outages"
    return _living(ANNOUNCE_BLOCK, emoji, announce_line(fact), notes)


def _living(block: str, emoji: str, line: str, notes: str) -> Message:
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": f"{block}.summary",
            "text": {
                "type": "mrkdwn",
                "text": f"{emoji} {fit(line, MAX_SECTION_TEXT - len(emoji) - 1)}",
            },
        },
        {
            "type": "context",
            "block_id": f"{block}.facts",
            "elements": [{"type": "mrkdwn", "text": notes[:MAX_SECTION_TEXT]}],
        },
    ]
    return Message(fit(line, MAX_SECTION_TEXT), blocks)
