"""An SLA compliance report as files: CSV, JSON, HTML (Jinja2) and PDF (WeasyPrint).

Input is `services.reports.ComplianceReport`; nothing here computes a figure. CSV and JSON
hold no generation time, so the same period over the same data gives the same bytes. The
HTML and the PDF state the accounting method, "data as of" and the sha256 of the input data,
carry inline SVG charts (daily status against target, error budget burn-down) and end with
an appendix of the period's map changes and maintenance windows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.render.digest import FAR_BELOW, GOOD, day_color
from handlers.wording import money
from impact.durations import format_duration
from services.priorities import Risk
from services.reports import ComplianceReport, Maintenance, ServiceCompliance

FORMATS = ("pdf", "html", "csv", "json")
CSV_COLUMNS = (
    "service",
    "title",
    "tier",
    "target",
    "scheduled_s",
    "excluded_s",
    "downtime_s",
    "degraded_s",
    "no_data_s",
    "availability",
    "met",
    "incidents",
    "mttr_s",
    "mtbf_s",
    "error_budget_s",
    "error_budget_left_s",
)
TEMPLATES = Path(__file__).resolve().parent / "report_templates"
METHOD = (
    "Down: the business service's propagated state is DOWN (the impact engine over the "
    "recorded component events, redundancy groups applied). Degraded: DEGRADED; it counts as "
    "up and is shown apart.",
    "Service hours: only time inside each service's weekly service hours is scheduled; the "
    "rest of the period is not counted at all.",
    "Maintenance: scheduled time where the service is in planned maintenance (a failing "
    "component inside one of its maintenance windows) is excluded from the denominator.",
    "No data: scheduled, not excluded time with no known state (before the history starts, "
    "gaps, UNKNOWN) is not measured and never counted as up.",
    "Availability = (measured - downtime) / measured, measured = scheduled - excluded - no "
    "data. Error budget = (1 - target) x (measured + scheduled time still to come).",
    "An incident is a run of down time not separated by up time; MTTR = downtime / incidents, "
    "MTBF = up time / incidents.",
)


def render(report: ComplianceReport, fmt: str) -> bytes:
    """The report in `fmt` (one of FORMATS) as bytes."""
    if fmt == "csv":
        return csv_bytes(report)
    if fmt == "json":
        return json_bytes(report)
    if fmt == "html":
        return html_text(report).encode()
    if fmt == "pdf":
        return pdf_bytes(report)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


# -- CSV and JSON ------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    """Seconds as text: a whole number when whole (to the millisecond), else 3 decimals."""
    if value is None:
        return ""
    rounded = round(value, 3)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.3f}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def csv_row(row: ServiceCompliance) -> dict[str, str]:
    s = row.sla
    return {
        "service": row.service,
        "title": row.title,
        "tier": "" if row.tier is None else str(row.tier),
        "target": f"{s.target:g}",
        "scheduled_s": seconds(s.scheduled_s),
        "excluded_s": seconds(s.excluded_s),
        "downtime_s": seconds(s.downtime_s),
        "degraded_s": seconds(s.degraded_s),
        "no_data_s": seconds(s.no_data_s),
        "availability": percent(s.availability),
        "met": "" if s.met is None else str(s.met).lower(),
        "incidents": str(s.incidents),
        "mttr_s": seconds(s.mttr_s),
        "mtbf_s": seconds(s.mtbf_s),
        "error_budget_s": seconds(s.error_budget_s),
        "error_budget_left_s": seconds(s.error_budget_left_s),
    }


def csv_bytes(report: ComplianceReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report.services:
        writer.writerow(csv_row(row))
    return buffer.getvalue().encode()


def json_data(report: ComplianceReport) -> dict[str, Any]:
    return {
        "period": _window(report.window),
        "previous_period": _window(report.previous_window),
        "data_as_of": report.data_as_of.isoformat(),
        "complete": report.complete,
        "map_version": report.map_version,
        "input_sha256": report.input_sha256,
        "events": report.events,
        "method": list(METHOD),
        "services": [_service_json(row) for row in report.services],
        "map_changes": [
            {"at": c.at.isoformat(), "actor": c.actor, "origin": c.origin, "action": c.action}
            | {"target": c.target}
            for c in report.changes
        ],
        "maintenance": [_maintenance_json(m) for m in report.maintenance],
    }


def json_bytes(report: ComplianceReport) -> bytes:
    return (json.dumps(json_data(report), indent=2, ensure_ascii=False) + "\n").encode()


def _window(window: Any) -> dict[str, str]:
    return {"label": window.label, "start": window.start.isoformat(), "end": window.end.isoformat()}


def _service_json(row: ServiceCompliance) -> dict[str, Any]:
    s = row.sla
    return {
        "service": row.service,
        "title": row.title,
        "tier": row.tier,
        "target": s.target,
        "service_hours": row.service_hours,
        "timezone": row.timezone,
        "scheduled_s": _number(s.scheduled_s),
        "excluded_s": _number(s.excluded_s),
        "downtime_s": _number(s.downtime_s),
        "degraded_s": _number(s.degraded_s),
        "no_data_s": _number(s.no_data_s),
        "measured_s": _number(s.measured_s),
        "availability": None if s.availability is None else round(s.availability, 6),
        "met": s.met,
        "error_budget_s": _number(s.error_budget_s),
        "error_budget_left_s": _number(s.error_budget_left_s),
        "error_budget_used": _used(s.error_budget_s, s.downtime_s),
        "incidents": s.incidents,
        "mttr_s": _number(s.mttr_s),
        "mtbf_s": _number(s.mtbf_s),
        "previous": {
            "availability": _rounded(row.previous.availability),
            "downtime_s": _number(row.previous.downtime_s),
            "incidents": row.previous.incidents,
            "met": row.previous.met,
        },
        "availability_change_pp": _rounded(row.availability_change),
        "incident_list": [
            {
                "start": i.start.isoformat(),
                "end": i.end.isoformat(),
                "downtime_s": _number(i.downtime_s),
                "root_causes": list(i.causes),
            }
            for i in row.incidents
        ],
        "maintenance": [_maintenance_json(m) for m in row.maintenance],
        "days": [
            {
                "day": d.day.isoformat(),
                "availability": _rounded(d.availability),
                "downtime_s": _number(d.downtime_s),
                "budget_left_s": _number(d.budget_left_s),
            }
            for d in row.days
        ],
    }


def _maintenance_json(m: Maintenance) -> dict[str, Any]:
    return {
        "component": m.component,
        "start": m.start.isoformat(),
        "end": m.end.isoformat(),
        "reason": m.reason,
        "set_by": m.created_by,
    }


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    rounded = round(value, 3)
    return int(rounded) if rounded == int(rounded) else rounded


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _used(budget: float, downtime: float) -> float | None:
    return None if budget <= 0 else round(downtime / budget * 100, 3)


# -- HTML and PDF ------------------------------------------------------------------------


def html_text(report: ComplianceReport) -> str:
    """The report as one HTML page (CSS inlined, charts as inline SVG)."""
    from markupsafe import Markup

    template = _environment().get_template("sla_report.html")
    return template.render(
        report=report,
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        method=METHOD,
        status_svg={r.service: Markup(status_svg(r)) for r in report.services},
        burn_svg={r.service: Markup(burn_svg(r)) for r in report.services},
        used={r.service: _used(r.sla.error_budget_s, r.sla.downtime_s) for r in report.services},
    )


def pdf_bytes(report: ComplianceReport) -> bytes:
    """The HTML page printed to PDF by WeasyPrint."""
    return print_pdf(html_text(report))


def print_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf


def risks_html(risks: Sequence[Risk], *, as_of: datetime, days: int) -> str:
    """The risk register as one HTML page (the same CSS as the SLA report)."""
    from markupsafe import Markup

    environment = _environment()
    environment.filters["money"] = money
    return environment.get_template("risks.html").render(
        risks=risks,
        as_of=as_of,
        days=days,
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
    )


def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(("html",))
    )
    environment.filters["duration"] = _duration
    environment.filters["pct"] = _pct
    environment.filters["when"] = _when
    environment.filters["secs"] = seconds
    return environment


def _duration(value: float | None) -> str:
    return "-" if value is None else format_duration(value)


def _pct(value: float | None, digits: int = 3) -> str:
    return "no data" if value is None else f"{value:.{digits}f}%"


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


# -- charts (inline SVG) -----------------------------------------------------------------

DOWN_COLOR = FAR_BELOW


def status_svg(row: ServiceCompliance, width: int = 640, height: int = 40) -> str:
    """One bar per day, coloured against the target (as status pages draw it)."""
    days = row.days
    if not days:
        return ""
    step = width / len(days)
    bars = []
    for index, day in enumerate(days):
        value = "no data" if day.availability is None else f"{day.availability:.3f}%"
        bars.append(
            f'<rect x="{index * step:.2f}" y="0" width="{max(step - 1.5, 0.5):.2f}"'
            f' height="{height - 12}" fill="{day_color(day.availability, row.sla.target)}">'
            f"<title>{day.day.isoformat()}: {value}</title></rect>"
        )
    first, last = days[0].day.isoformat(), days[-1].day.isoformat()
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img">{"".join(bars)}'
        f'<text x="0" y="{height - 1}" font-size="9">{first}</text>'
        f'<text x="{width}" y="{height - 1}" font-size="9" text-anchor="end">{last}</text></svg>'
    )


def burn_svg(row: ServiceCompliance, width: int = 640, height: int = 110) -> str:
    """The period's error budget left at the end of each day, from full to what is left."""
    days, budget = row.days, row.sla.error_budget_s
    if not days or budget <= 0:
        return ""
    low = min(0.0, *(d.budget_left_s for d in days))
    top, plot_h = budget, height - 20

    def y(value: float) -> float:
        return 4 + (top - value) / (top - low) * (plot_h - 4)

    step = width / len(days)
    points = [f"0,{y(budget):.2f}"] + [
        f"{(i + 1) * step:.2f},{y(d.budget_left_s):.2f}" for i, d in enumerate(days)
    ]
    ideal = f"0,{y(budget):.2f} {width},{y(0):.2f}"
    color = GOOD if days[-1].budget_left_s >= 0 else DOWN_COLOR
    left = format_duration(days[-1].budget_left_s)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img">'
        f'<line x1="0" y1="{y(0):.2f}" x2="{width}" y2="{y(0):.2f}" stroke="#757575"'
        f' stroke-width="0.8"/>'
        f'<polyline points="{ideal}" fill="none" stroke="#9e9e9e" stroke-dasharray="4 3"/>'
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="2"/>'
        f'<text x="2" y="{height - 3}" font-size="9">budget {format_duration(budget)}'
        f"; left at the end: {left} (dashed: an even burn)</text></svg>"
    )
