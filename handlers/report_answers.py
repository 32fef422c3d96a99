"""`report october`, `sla report for payments last quarter`: the SLA report PDF to the asker.

The period is read from the question (a month name means its latest occurrence not after
this month; "last quarter", "this year", "2026-Q4", "2026-11" ...) and read by the one window
grammar (`impact.windows`); the report is built by `services.reports.ReportService` and
delivered (uploaded) by the root's delivery callable. It runs on the work pool
(`handlers.long_work`).
"""

from __future__ import annotations

import re
from datetime import datetime

from handlers.answer import Answer
from handlers.request import Request
from handlers.wording import plural
from impact.clock import utcnow
from impact.errors import ImpactError
from impact.windows import Window, parse_window


def report_window(period: str | None, now: datetime) -> Window:
    """The window a report question names (default: last month), read by the one window
    grammar; the older hyphenated forms ("last-quarter", "this-year") are read as spoken."""
    text = (period or "last month").strip()
    if re.fullmatch(r"(?:last|this|previous)-(?:month|quarter|year)", text, re.I):
        text = text.replace("-", " ")
    return parse_window(text, now)


def report(req: Request) -> Answer:
    """Build the SLA report the question names and send it to the asker as a PDF."""
    reports = req.reports
    if reports is None or reports.deliver is None or req.user_id is None:
        return Answer(
            "report",
            "SLA report files are sent in Slack; in a terminal use `bsm report sla`",
            req.subjects,
            ok=False,
        )
    try:
        window = report_window(req.question.args.get("period") or req.question.period, utcnow())
    except ImpactError as error:
        return Answer("report", str(error), req.subjects, ok=False)
    built = reports.send(req.user_id, req.channel_id, window, req.subjects)
    count = plural(len(built.services), "business service")
    return Answer(
        "report",
        f"SLA report for {window.label} ({count}) sent to you as a PDF",
        req.subjects,
        data={"period": window.label, "input_sha256": built.input_sha256},
    )
