"""`bsm report sla`: the SLA compliance report of a period as PDF, HTML, CSV or JSON.

bsm report sla --period 2026-11 --format pdf --output november.pdf
bsm report sla --period 2026-Q4 --service payments --format csv --output q4.csv
bsm report sla --from 2026-11-01 --to 2026-11-15 --tier 1 --format json --output half.json
bsm report risks [--days 90] [--json]   # components by business exposure, tier-1 SPOFs first
bsm priorities [--json]                 # the failing components, best fix first
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.options import DB_OPTION, moment, open_store

if TYPE_CHECKING:
    from impact.windows import Window


def register(group: click.Group) -> None:
    """Add `report` to the `bsm` group."""
    group.add_command(report)
    group.add_command(priorities)


@click.group()
def report() -> None:
    """Reports for compliance and planning."""


@report.command("sla")
@click.option("--period", metavar="TEXT", help="2026-11, 2026-Q4, 2026, last month, ...")
@click.option("--from", "start", metavar="ISO", help="Period start: a date or ISO datetime.")
@click.option("--to", "end", metavar="ISO", help="Period end (exclusive; a date means midnight).")
@click.option("--service", "services", multiple=True, metavar="NAME", help="Only these services.")
@click.option("--tier", type=int, default=None, help="Only business services of this tier.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "html", "csv", "json"]),
    default="pdf",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="The file to write ('-' for standard output, not for pdf).",
)
@click.option("--tz", default="UTC", show_default=True, help="Time zone of period boundaries.")
@DB_OPTION
def sla_report_command(
    period: str | None,
    start: str | None,
    end: str | None,
    services: tuple[str, ...],
    tier: int | None,
    fmt: str,
    output: Path,
    tz: str,
    db_url: str | None,
) -> None:
    """Per business service: scheduled, excluded, down, degraded and no-data time,
    availability against target, error budget, incidents, MTTR/MTBF, change against the
    previous period; the accounting method and the input's sha256 are on the report."""
    from bot.render.report import render
    from impact.errors import ImpactError
    from services.model import ModelService
    from services.reports import sla_compliance

    store = open_store(db_url)
    now = datetime.now(UTC)
    window = period_window(period, start, end, tz, now)
    compiled = ModelService(store).current()
    try:
        built = sla_compliance(store, compiled, window, now=now, services=services, tier=tier)
    except ImpactError as error:
        raise click.BadParameter(str(error), param_hint="--service") from None
    if not built.services:
        raise click.ClickException("no business service matches: check --service and --tier")
    data = render(built, fmt)
    if str(output) == "-":
        if fmt == "pdf":
            raise click.BadParameter("a PDF needs a file", param_hint="--output")
        click.echo(data.decode(), nl=False)
        return
    output.write_bytes(data)
    click.echo(f"wrote {output} ({fmt}, {len(built.services)} services, {window.label})")


def period_window(
    period: str | None, start: str | None, end: str | None, tz: str, now: datetime
) -> Window:
    """The report's window from --period or --from/--to (exactly one of the two)."""
    from impact.errors import ImpactError
    from impact.windows import custom_window, parse_window

    if period and (start or end):
        raise click.UsageError("use either --period or --from/--to, not both")
    if not period and not (start and end):
        raise click.UsageError("give --period (e.g. 2026-11, 2026-Q4, 2026) or --from and --to")
    try:
        if period:
            return parse_window(period, now, tz)
        assert start is not None and end is not None
        return custom_window(moment(start, "--from"), moment(end, "--to"))
    except ImpactError as error:
        raise click.BadParameter(str(error), param_hint="--period") from None


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The ranking as JSON.")
@DB_OPTION
def priorities(as_json: bool, db_url: str | None) -> None:
    """The failing components ranked by the business value fixing each restores."""
    import json

    from handlers.priority_answers import fix_line
    from services.model import ModelService
    from services.priorities import fix_priorities

    store = open_store(db_url)
    fixes = fix_priorities(ModelService(store).current().model, store.current_states())
    if as_json:
        rows = [
            {
                "component": f.component,
                "state": f.state.value,
                "restores": list(f.restores),
                "revenue_per_hour": f.revenue_per_hour,
                "best_tier": f.best_tier,
                "still_short": [s.group for s in f.still_short],
                "blocked_by": list(f.blocked_by),
            }
            for f in fixes
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if not fixes:
        click.echo("Nothing is failing: nothing to fix.")
    for rank, fix in enumerate(fixes, 1):
        click.echo(fix_line(rank, fix))


@report.command("risks")
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=90,
    show_default=True,
    help="History the failure frequency is counted over.",
)
@click.option("--top", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The register as JSON.")
@click.option(
    "--pdf",
    "pdf_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the register as a PDF to this file.",
)
@DB_OPTION
def risks(days: int, top: int, as_json: bool, pdf_path: Path | None, db_url: str | None) -> None:
    """Components by business exposure (revenue/h they take down x failures), tier-1 SPOFs
    first, each with the redundancy that would remove the risk."""
    import json
    from datetime import timedelta

    from handlers.priority_answers import risk_line
    from services.model import ModelService
    from services.priorities import risk_register

    store = open_store(db_url)
    now = datetime.now(UTC)
    events = store.events(since=now - timedelta(days=days), until=now)
    found = risk_register(ModelService(store).current().model, events, top=top)
    if pdf_path is not None:
        from bot.render.report import print_pdf, risks_html

        pdf_path.write_bytes(print_pdf(risks_html(found, as_of=now, days=days)))
    if as_json:
        rows = [
            {
                "component": r.component,
                "takes_down": list(r.takes_down),
                "revenue_per_hour": r.revenue_per_hour,
                "best_tier": r.best_tier,
                "failures": r.failures,
                "exposure": r.exposure,
                "tier1_spof": r.tier1_spof,
            }
            for r in found
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if not found:
        click.echo("No single component takes a business service down.")
    for rank, risk in enumerate(found, 1):
        click.echo(risk_line(rank, risk))
