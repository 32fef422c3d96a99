"""Outage-impact notices: an incident's `Notice` (from the outbox) becomes a Slack message.

The notice is the incident's one living message per channel: its priority (P1-P4 by the
map's rules), impacted business services (state, tier, owner), root causes, revenue per
hour at risk, started at, current state and who acknowledged, with Acknowledge and Show
paths buttons. Planned work renders muted.
Every text from the map or an alert goes through `bot.render.blocks.fit`, so names cannot ping.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.render.blocks import MAX_SECTION_TEXT, STATE_EMOJI, ActionId, Message, button, fit
from handlers.incident_answers import entry_text
from handlers.wording import money
from impact.durations import format_duration
from impact.model import State
from store import (
    Acknowledgement,
    IncidentStatus,
    Notice,
    NoticeService,
    TimelineEntry,
)

ACK_ACTION = "bsm.incident.ack"
NOTICE_BLOCK = "bsm.incident"
MAX_SERVICES = 15


def render_notice(notice: Notice) -> Message:
    """The whole notice for chat.postMessage / chat.update."""
    title = _title(notice)
    blocks = [
        _section("summary", title),
        _section("services", _services(notice.services)),
        {"type": "section", "block_id": f"{NOTICE_BLOCK}.facts", "fields": _facts(notice)},
    ]
    if acks := notice.acknowledged:
        blocks.append(_context("acks", "Acknowledged by " + ", ".join(_ack(a) for a in acks)))
    if left_out := notice.alerts_left_out:
        blocks.append(_context("left_out", _left_out(left_out)))
    blocks.append(_buttons(notice))
    return Message(_fallback(notice), blocks)


def render_thread_line(entry: TimelineEntry, *, resolved: bool = False) -> Message:
    """A timeline reply under the notice."""
    line = entry_text(entry)
    emoji = ":white_check_mark: " if resolved else ""
    text = fit(line, MAX_SECTION_TEXT - len(emoji))
    return Message(fit(line, MAX_SECTION_TEXT), [_section("timeline", emoji + text)])


def _title(notice: Notice) -> str:
    number = f"#{notice.incident}"
    hit = [s for s in notice.services if s.state is not State.OK]
    names = ", ".join(fit(s.display, 200) for s in (hit or list(notice.services))[:3])
    if notice.status is IncidentStatus.RESOLVED:
        took = format_duration(notice.duration_s or 0)
        return f":large_green_circle: *Resolved {number}: {names}* (lasted {took})"
    if notice.planned:
        return f":wrench: _Planned maintenance {number}: {names}_"
    worst = State.DOWN if any(s.state is State.DOWN for s in hit) else State.DEGRADED
    rank = f"{notice.priority} " if notice.priority else ""
    return f"{STATE_EMOJI[worst]} *{rank}Incident {number}: {names} {worst.value}*"


def _fallback(notice: Notice) -> str:
    names = ", ".join(s.display for s in notice.services[:3])
    if notice.status is IncidentStatus.RESOLVED:
        head = "Resolved"
    elif notice.planned:
        head = "Planned maintenance"
    else:
        head = "Incident"
        names += f" ({notice.priority})" if notice.priority else ""
    return fit(f"{head} #{notice.incident}: {names}", MAX_SECTION_TEXT)


def _services(services: Sequence[NoticeService]) -> str:
    lines = [_service_line(s) for s in services[:MAX_SERVICES]]
    if len(services) > MAX_SERVICES:
        lines.append(f"and {len(services) - MAX_SERVICES} more")
    return "*Business services*\n" + "\n".join(lines)


def _service_line(service: NoticeService) -> str:
    state = service.state
    details = [state.value if state is not State.OK else "recovered"]
    if service.tier:
        details.append(f"tier {service.tier}")
    if service.owner:
        details.append(fit(str(service.owner), 100))
    return f"{STATE_EMOJI[state]} *{fit(service.display, 200)}* · {' · '.join(details)}"


def _facts(notice: Notice) -> list[dict[str, str]]:
    causes = ", ".join(fit(c, 200) for c in notice.causes[:10]) or "unknown"
    if notice.status is IncidentStatus.RESOLVED:
        state = f"resolved after {format_duration(notice.duration_s or 0)}"
    else:
        state = "planned work" if notice.planned else "open"
    return [
        {"type": "mrkdwn", "text": f"*Root cause*\n{causes}"},
        {"type": "mrkdwn", "text": f"*Revenue at risk*\n{money(notice.revenue_at_risk)}"},
        {"type": "mrkdwn", "text": f"*Started*\n{_when(notice.started_at)}"},
        {"type": "mrkdwn", "text": f"*State*\n{state}"},
    ]


def _left_out(count: int) -> str:
    alerts = "alert was" if count == 1 else "alerts were"
    return (
        f":warning: Some alerts were not included: {count} {alerts} left out of the group "
        "by the sender (Alertmanager `max_alerts`); the notice may miss causes."
    )


def _when(at: datetime) -> str:
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _ack(ack: Acknowledgement) -> str:
    user = ack.user
    shown = f"<@{user}>" if user.isalnum() and user[:1] in "UW" else fit(user, 80)
    return f"{shown} at {_when(ack.at)}"


def _buttons(notice: Notice) -> dict[str, Any]:
    incident = str(notice.incident)
    elements = [button(ACK_ACTION, "Acknowledge", incident)]
    if notice.causes and notice.services:
        question = f"path from {notice.causes[0]} to {notice.services[0].name}"
        elements.append(button(f"{ActionId.SHOW_PATHS}.0", "Show paths", question))
    return {"type": "actions", "block_id": f"{NOTICE_BLOCK}.actions", "elements": elements}


def _section(name: str, text: str) -> dict[str, Any]:
    return {
        "type": "section",
        "block_id": f"{NOTICE_BLOCK}.{name}",
        "text": {"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]},
    }


def _context(name: str, text: str) -> dict[str, Any]:
    return {
        "type": "context",
        "block_id": f"{NOTICE_BLOCK}.{name}",
        "elements": [{"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]}],
    }
