"""Redundancy-at-risk notices: a group at its minimum as one muted Slack message.

    :warning: At risk: orders-db-cluster is down to 2 of 3 (needs 2): one more loss takes
    Online Checkout, Order Fulfilment down.

Muted: no @-mentions, no buttons that open incidents; cleared notices say the margin is
back. Map names go through `fit`, so they cannot ping.
"""

from __future__ import annotations

from typing import Any

from bot.render.blocks import MAX_SECTION_TEXT, Message, fit
from store import RiskFact

RISK_BLOCK = "bsm.risk"


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


def render_risk_notice(fact: RiskFact) -> Message:
    """The whole notice for chat.postMessage / chat.update."""
    emoji = ":white_check_mark:" if fact.cleared else ":warning:"
    line = fit(risk_line(fact), MAX_SECTION_TEXT - len(emoji) - 1)
    since = f"At risk since {fact.since:%Y-%m-%d %H:%M} UTC" if fact.since else ""
    notes = "; ".join(p for p in (since, f"group of {fit(fact.dependant, 200)}") if p)
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": f"{RISK_BLOCK}.summary",
            "text": {"type": "mrkdwn", "text": f"{emoji} {line}"},
        },
        {
            "type": "context",
            "block_id": f"{RISK_BLOCK}.facts",
            "elements": [{"type": "mrkdwn", "text": notes[:MAX_SECTION_TEXT]}],
        },
    ]
    return Message(fit(risk_line(fact), MAX_SECTION_TEXT), blocks)
