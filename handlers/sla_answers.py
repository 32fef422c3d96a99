"""SLA answers: availability of business services over a window, from the recorded events.

The events are replayed through a fork of the process's model (the replay overwrites
states) by the request's digest service (`services.digests.DigestService.measure`), then
measured by `impact.sla`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from handlers import commands
from handlers.answer import Action, Answer, Item
from handlers.request import Request
from handlers.wording import capped, details, plural
from impact.durations import format_duration
from impact.errors import ImpactError
from impact.model import Component, State
from impact.sla import SlaReport
from impact.windows import Window

_PHRASES = {"d": "last {} days", "w": "last {} weeks"}


def sla(req: Request) -> Answer:
    """SLA of the business services asked about (all of them when none is named)."""
    if req.store is None:
        return Answer("sla", "SLA needs the event history of a store", req.subjects, ok=False)
    now = datetime.now(UTC)
    try:
        window = commands.window(window_phrase(req.question.period), now)
        reports = _reports(req, _services(req), window, now)
    except (ImpactError, ValueError) as error:
        return Answer("sla", f"Cannot compute the SLA: {error}", req.subjects, ok=False)
    if not reports:
        return Answer("sla", "The map has no business services to measure yet", (), ok=False)
    reports.sort(key=lambda r: (r.availability is None, r.availability or 0.0))
    items = [_item(req, r) for r in reports]
    first = reports[0]
    summary = _line(req, first) if len(reports) == 1 else _overall(req, reports, window)
    return Answer(
        "sla",
        summary,
        req.subjects,
        (capped(f"SLA, {window.label}", items),),
        notes=("Measured inside service hours; maintenance is excluded; no events = no data.",),
        actions=(Action("share", "Share in channel", req.text),),
        data={"window": window.label, "sla": [r.to_dict() for r in reports]},
    )


def window_phrase(period: str | None) -> str:
    """The `impact.windows` phrase for a parsed period ("7d" -> "last 7 days")."""
    if period is None:
        return "this month"
    if period[:-1].isdigit():
        count, unit = int(period[:-1]), period[-1]
        days = count * 7 if unit == "w" else count
        return f"last {days} days" if unit in "dw" else period
    if re.fullmatch(r"(?:this|last)-(?:week|month|quarter|year)", period):
        return period.replace("-", " ")
    return period  # a window phrase as typed ("september", "since monday")


def _services(req: Request) -> list[Component]:
    named = [req.names.component(n) for n in req.subjects]
    if named:
        return [c for c in named if c.is_business] or named
    return [c for n in req.model.names() if (c := req.model.component(n)).is_business]


def _reports(
    req: Request, services: list[Component], window: Window, now: datetime
) -> list[SlaReport]:
    assert req.digests is not None
    measured = req.digests.measure(services, window.start, min(window.end, now))
    return [measured.report(c, window, now) for c in services]


def _line(req: Request, r: SlaReport) -> str:
    name = req.display(r.service)
    if r.availability is None:
        return f"{name}: no data for {r.window.label} (no status events recorded yet)"
    verdict = "met" if r.met else "MISSED"
    return (
        f"{name}: {r.availability:.3f}% over {r.window.label} (target {r.target:g}%, {verdict});"
        f" {budget(r)}"
    )


def budget(r: SlaReport) -> str:
    """The error budget in one wording, for the headline and the body alike."""
    total = format_duration(r.error_budget_s)
    if r.error_budget_left_s >= 0:
        return f"{format_duration(r.error_budget_left_s)} of {total} error budget left"
    return f"{total} error budget overspent by {format_duration(-r.error_budget_left_s)}"


def _overall(req: Request, reports: list[SlaReport], window: Window) -> str:
    missed = [req.display(r.service) for r in reports if r.met is False]
    if missed:
        return (
            f"{len(missed)} of {len(reports)} business services miss their SLA"
            f" over {window.label}: " + ", ".join(missed)
        )
    return (
        f"All {len(reports)} business services meet their SLA over {window.label} (or have no data)"
    )


def _item(req: Request, r: SlaReport) -> Item:
    if r.availability is None:
        return Item(req.display(r.service), State.UNKNOWN, "no data")
    state = State.OK if r.met else State.DOWN
    text = f"{req.display(r.service)}: {r.availability:.3f}%"
    return Item(
        text,
        state,
        details(
            f"target {r.target:g}%",
            plural(r.incidents, "incident"),
            budget(r),
            f"MTTR {format_duration(r.mttr_s)}" if r.mttr_s is not None else None,
            f"MTBF {format_duration(r.mtbf_s)}" if r.mtbf_s is not None else None,
        ),
    )
