"""`report october`, `sla report for payments last quarter`: the SLA report PDF to the asker.

The period is read from the question (a month name means its latest occurrence not after
this month; "last quarter", "this year", "2026-Q4", "2026-11" ...) and turned into the
`impact.windows` forms; the report is built by `services.reports.ReportService` and
delivered (uploaded) by the root's delivery callable. It runs on the work pool
(`handlers.long_work`).
"""

from __future__ import annotations

from datetime import datetime

from handlers.answer import Answer
from handlers.request import Request
from handlers.wording import plural
from impact.clock import utcnow
from impact.errors import ImpactError
from impact.windows import Window, parse_window

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def report_window(period: str | None, now: datetime) -> Window:
    """The window a report question names (default: last month)."""
    text = "-".join((period or "last-month").casefold().split())
    year, month = now.year, now.month
    quarter = (month - 1) // 3 + 1
    name, _, given = text.partition("-")
    if name[:3] in {m[:3] for m in MONTHS} and name.isalpha() and (not given or given.isdigit()):
        wanted = next(i for i, m in enumerate(MONTHS, 1) if m.startswith(name[:3]))
        latest = year if wanted <= month else year - 1  # its latest occurrence not after now
        return parse_window(f"{int(given) if given else latest}-{wanted:02d}", now)
    text = text.replace("previous-", "last-")
    named = {
        "last-quarter": f"{year - (quarter == 1)}-Q{(quarter - 2) % 4 + 1}",
        "this-quarter": f"{year}-Q{quarter}",
        "last-year": f"{year - 1}",
        "this-year": f"{year}",
        "last-month": "last month",
        "this-month": "this month",
    }
    return parse_window(named.get(text, text), now)


def report(req: Request) -> Answer:
    """Build the SLA report the question names and send it to the asker as a PDF."""
    reports = req.reports
    if reports is None or reports.deliver is None or req.user_id is None:
        return Answer(
            "report",
            "SLA report files are sent in Slack; in a terminal use `bsm report sla`",
            ok=False,
        )
    try:
        window = report_window(req.question.args.get("period") or req.question.period, utcnow())
    except ImpactError as error:
        return Answer("report", str(error), ok=False)
    built = reports.send(req.user_id, req.channel_id, window, req.subjects)
    count = plural(len(built.services), "business service")
    return Answer(
        "report",
        f"SLA report for {window.label} ({count}) sent to you as a PDF",
        req.subjects,
        data={"period": window.label, "input_sha256": built.input_sha256},
    )
