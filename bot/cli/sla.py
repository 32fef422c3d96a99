"""`bsm sla`, `bsm events import` and `bsm digest`: SLA numbers and digests in the terminal.

bsm sla online-checkout --from 2026-11-01 --to 2026-11-15 --json
bsm sla                                   # every business service, worst first
bsm events import history.csv             # component,state,at[,summary]
bsm digest --print --window "last 7 days" --png chart.png
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.options import DB_OPTION, moment, open_store, use_color

if TYPE_CHECKING:
    from impact.model import Component, ServiceMap, StatusEvent
    from impact.sla import SlaReport
    from impact.windows import Window
    from store import Store

CSV_COLUMNS = ("component", "state", "at", "summary")


def register(group: click.Group) -> None:
    """Add `sla`, `events` and `digest` to the `bsm` group."""
    group.add_command(sla)
    group.add_command(events)
    group.add_command(digest)


# -- bsm sla ---------------------------------------------------------------------------


@click.command()
@click.argument("name", required=False)
@click.option(
    "--from",
    "start",
    metavar="ISO",
    help="Window start: a date or ISO datetime (UTC if no offset).",
)
@click.option(
    "--to", "end", metavar="ISO", help="Window end (default now); a date means that midnight."
)
@click.option(
    "--window",
    "phrase",
    default=None,
    metavar="TEXT",
    help='e.g. "last 7 days", "last month", "2026-11" (default this month).',
)
@click.option(
    "--json", "as_json", is_flag=True, help="JSON: one object for NAME, else a list worst first."
)
@DB_OPTION
def sla(
    name: str | None,
    start: str | None,
    end: str | None,
    phrase: str | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Availability, error budget, incidents and MTTR of NAME (or of every business service)."""
    from services.digests import measure
    from services.model import ModelService

    store = open_store(db_url)
    now = datetime.now(UTC)
    window = _window(start, end, phrase, now)
    compiled = ModelService(store).current()  # the command's one compiled model
    services = _services(compiled.service_map, name)
    measured = measure(store, compiled, services, window.start, min(window.end, now))
    reports = [measured.report(s, window, now) for s in services]
    reports.sort(
        key=lambda r: (r.availability is None, r.met is not False, r.availability or 0.0, r.service)
    )
    if as_json:
        data: Any = reports[0].to_dict() if name else [r.to_dict() for r in reports]
        click.echo(json.dumps(data, indent=2))
        return
    for report in reports:
        click.echo(_report_line(report))


def _window(start: str | None, end: str | None, phrase: str | None, now: datetime) -> Window:
    from handlers.commands import window
    from impact.errors import ImpactError
    from impact.windows import custom_window

    try:
        if start or end:
            if phrase:
                raise click.UsageError("use either --window or --from/--to, not both")
            if not start:
                raise click.UsageError("--to needs --from: give the window start too")
            return custom_window(moment(start, "--from"), moment(end, "--to") if end else now)
        return window(phrase, now)
    except ImpactError as error:
        raise click.BadParameter(str(error)) from None


def _services(service_map: ServiceMap, name: str | None) -> list[Component]:
    from impact.errors import close_names
    from impact.model import name_key

    if name is None:
        business = service_map.business_services
        if not business:
            raise click.ClickException(
                "the map has no business services: import a map first (bsm import FILE)"
            )
        return business
    found = {name_key(c.name): c for c in service_map.components.values()}.get(name_key(name))
    if found is None:
        hint = close_names(name, service_map.components)
        maybe = f"; did you mean {hint[0]}?" if hint else "; `bsm map` lists the names"
        raise click.ClickException(f"unknown business service {name!r}{maybe}")
    return [found]


def _report_line(r: SlaReport) -> str:
    from impact.digest import budget_bar, budget_left
    from impact.durations import format_duration

    if r.availability is None:
        return f"{r.service}: no data over {r.window.label} (target {r.target:g}%)"
    verdict = "met" if r.met else "MISSED"
    mttr = format_duration(r.mttr_s) if r.mttr_s is not None else "-"
    return (
        f"{r.service}: {r.availability:.3f}% (target {r.target:g}%, {verdict})"
        f" over {r.window.label}; downtime {format_duration(r.downtime_s)},"
        f" budget {budget_bar(budget_left(r))}, {r.incidents} incidents, MTTR {mttr}"
    )


# -- bsm events import -----------------------------------------------------------------


@click.group()
def events() -> None:
    """Status event history."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@events.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DB_OPTION
def import_events(path: Path, db_url: str | None) -> None:
    """Backfill history from a CSV of component,state,at[,summary] (header optional).

    Every row is checked first; on any problem nothing is written and every bad row is
    listed with its line number. Importing the same rows again adds nothing.
    """
    store = open_store(db_url)
    parsed, problems = read_events_csv(path, store.load_map())
    if problems:
        count = len(problems)
        lines = [
            f"{path}: {count} bad row{'s' * (count != 1)}, nothing imported",
            *(f"  {p}" for p in problems),
        ]
        raise click.ClickException("\n".join(lines))
    stored = store.record_events(parsed)
    click.echo(f"imported {stored} events from {path} ({len(parsed) - stored} already stored)")


def read_events_csv(
    path: Path, service_map: ServiceMap
) -> tuple[list[StatusEvent], list[RowProblem]]:
    """Every event of the file, and every problem found (with line numbers)."""
    names = {c.key: c.name for c in service_map.components.values()}
    parsed: list[StatusEvent] = []
    problems: list[RowProblem] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        for row in reader:
            if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                continue
            if reader.line_num == 1 and row[0].strip().casefold() == "component":
                continue  # the header
            event = _event(row, names, reader.line_num, problems)
            if event is not None:
                parsed.append(event)
    return parsed, problems


def _event(
    row: list[str], names: dict[str, str], line: int, problems: list[RowProblem]
) -> StatusEvent | None:
    from impact.errors import close_names
    from impact.model import State, StatusEvent

    found = len(problems)
    if not 3 <= len(row) <= 4:
        problems.append(
            RowProblem(line, f"{len(row)} columns; expected component,state,at[,summary]")
        )
        return None
    name, state_text, at_text = (cell.strip() for cell in row[:3])
    component = names.get(name.casefold())
    if component is None:
        hint = close_names(name, names.values())
        maybe = f"; did you mean {hint[0]}?" if hint else ""
        problems.append(RowProblem(line, f"unknown component {name!r}{maybe}"))
    states = [s.value for s in State]
    if state_text.casefold() not in states:
        problems.append(
            RowProblem(line, f"unknown state {state_text!r}; use one of {', '.join(states)}")
        )
    at = _timestamp(at_text, line, problems)
    if len(problems) > found or component is None or at is None:
        return None
    summary = row[3].strip() or None if len(row) == 4 else None
    digest = hashlib.sha1(
        f"{component.casefold()}|{state_text.casefold()}|{at.isoformat()}".encode()
    ).hexdigest()
    return StatusEvent(
        component,
        State(state_text.casefold()),
        at,
        source="csv",
        summary=summary,
        event_id=f"csv:{digest[:20]}",
    )


def _timestamp(text: str, line: int, problems: list[RowProblem]) -> datetime | None:
    try:
        at = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        problems.append(
            RowProblem(line, f"time {text!r} is not ISO 8601, e.g. 2026-11-03T09:15:00Z")
        )
        return None
    if at.tzinfo is None:
        problems.append(
            RowProblem(line, f"time {text!r} has no timezone: add Z or an offset like +01:00")
        )
        return None
    return at.astimezone(UTC)


# -- bsm digest ------------------------------------------------------------------------


@click.command()
@click.option("--print", "show", is_flag=True, help="Print the digest (the default without --png).")
@click.option(
    "--png", "png", type=click.Path(dir_okay=False, path_type=Path), help="Write the chart to FILE."
)
@click.option("--window", "phrase", default="last 7 days", show_default=True, metavar="TEXT")
@click.option("--tier", type=click.IntRange(1, 4), help="Only business services of this tier.")
@click.option(
    "--service", "services", multiple=True, metavar="NAME", help="Only these business services."
)
@click.option("--color/--no-color", default=None, help="Colour the text (default: on a tty).")
@DB_OPTION
def digest(
    show: bool,
    png: Path | None,
    phrase: str,
    tier: int | None,
    services: tuple[str, ...],
    color: bool | None,
    db_url: str | None,
) -> None:
    """The SLA digest managers get in Slack, compared with the period before."""
    store = open_store(db_url)
    built = build_cli_digest(store, phrase, tier, services)
    if show or png is None:
        print_digest(built, color)
    if png is not None:
        _write_chart(built, png)


def build_cli_digest(
    store: Store, phrase: str, tier: int | None = None, services: tuple[str, ...] = ()
) -> Any:
    from services.digests import digest_for
    from services.model import ModelService
    from store import Selector

    now = datetime.now(UTC)
    window = _window(None, None, phrase, now)
    compiled = ModelService(store).current()  # the command's one compiled model
    names = tuple(s.name for name in services for s in _services(compiled.service_map, name))
    return digest_for(store, compiled, Selector(tier=tier, services=names), window, now=now)


def print_digest(built: Any, color: bool | None = None) -> None:
    """Print a digest as the terminal renders answers (what `bsm demo` shows too)."""
    from handlers.digest_answers import digest_answer
    from handlers.terminal import render_text

    click.echo(render_text(digest_answer(built), color=use_color(color)))


def _write_chart(built: Any, path: Path) -> None:
    from bot.render.digest import chart_png

    png = chart_png(built)
    if png is None:
        raise click.ClickException("no chart: no business service has data in this window")
    path.write_bytes(png)
    click.echo(f"chart written to {path} ({len(png)} bytes)", err=True)


def demo_digest(store: Store, color: bool | None = None, *, days: int = 28) -> None:
    """For `bsm demo`: generated weeks of history (once per store), then the digest."""
    from store import DEMO_REASON, generate_history

    history = generate_history(store.load_map(), end=datetime.now(UTC), days=days)
    stored = store.record_events(history.events)
    if stored and not any(w.reason == DEMO_REASON for w in store.maintenance_windows()):
        for window in history.maintenance:
            store.add_maintenance(window)
    click.echo(
        f"\n=== SLA digest over {days} days of generated history ({stored} new events) ===\n"
    )
    print_digest(build_cli_digest(store, "last 7 days"), color)
