"""`bsm db upgrade`, `bsm import`, `bsm export` and `bsm map summary`: the map on the CLI."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from bot.cli.options import DB_OPTION, open_store
from impact.model import ServiceMap


class MapFileError(click.ClickException):
    """A map file with problems: every problem on its own line, exit code 1."""

    def __init__(self, path: str, errors: list[Any]) -> None:
        count = len(errors)
        lines = [f"{path}: {count} problem{'s' if count != 1 else ''}, nothing was imported"]
        super().__init__("\n".join([*lines, *(f"  {error}" for error in errors)]))

    def format_message(self) -> str:
        return self.message


def register(group: click.Group) -> None:
    """Add this module's commands to the `bsm` group."""
    group.add_command(db)
    group.add_command(import_command)
    group.add_command(export)
    group.add_command(map_group)


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@DB_OPTION
def upgrade(db_url: str | None) -> None:
    """Create or migrate the database schema to the current version."""
    store = open_store(db_url, upgrade=True)
    click.echo(f"{store.url_text()}: schema at revision {store.revision()} (current)")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Make the store equal to FILE (default: merge).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "yaml", "backstage", "csv"]),
    default="auto",
    show_default=True,
    help="auto: .csv is an edge list, apiVersion backstage.io/* a Backstage catalog.",
)
@DB_OPTION
def import_command(file: str, replace: bool, fmt: str, db_url: str | None) -> None:
    """Import a service map (YAML map, Backstage catalog or CSV edge list) from FILE."""
    from store import MapValidationError, StoreError, fully_checked, read_map_file

    store = open_store(db_url)
    # A merge may reference what is stored already; a replace stands alone.
    known = {} if replace else store.component_names()
    try:
        with _progress("Checking") as progress:
            imported = read_map_file(file, fmt, progress, known)
    except MapValidationError as error:
        raise MapFileError(file, error.errors) from None
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    with _progress("Writing") as progress:
        try:
            report = store.import_map(
                imported.service_map,
                replace=replace,
                source=imported.source,
                implied=imported.implied,
                progress=progress,
                checked=fully_checked(imported),
            )
        except MapValidationError as error:
            raise MapFileError(file, error.errors) from None
    click.echo(f"Imported {file} ({'replace' if replace else 'merge'}):")
    click.echo(report.summary())


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    """A progress callable drawing a bar on a terminal's stderr, or None elsewhere."""
    if not sys.stderr.isatty():
        yield None
        return
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield progress
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "dot", "mermaid"]),
    default="yaml",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here, not stdout.")
@DB_OPTION
def export(fmt: str, output: str | None, db_url: str | None) -> None:
    """Export the stored map as YAML (re-importable), Graphviz DOT or Mermaid."""
    from store import export_map

    text = export_map(open_store(db_url).load_map(), fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from None
    click.echo(f"Wrote {output}", err=True)


@click.group("map")
def map_group() -> None:
    """Look at the stored service map."""


@map_group.command()
@DB_OPTION
def summary(db_url: str | None) -> None:
    """Counts by kind and every business service with tier, SLA and owner."""
    store = open_store(db_url)
    click.echo(summary_text(store.load_map(), store.map_version()))


def summary_text(service_map: ServiceMap, version: int | None = None) -> str:
    """A plain-text summary of a map: what `bsm map summary` prints."""
    kinds = Counter(c.kind for c in service_map.components.values() if not c.is_business)
    head = f"Service map{f' (version {version})' if version is not None else ''}: "
    counts = (
        f"{len(service_map.components)} components, {len(service_map.dependencies)} "
        f"dependencies, {len(service_map.groups)} redundancy groups"
    )
    lines = [
        head + counts,
        "Components by kind:",
        *(f"  {kind:<20} {count:>6}" for kind, count in sorted(kinds.items())),
    ]
    services = sorted(service_map.business_services, key=lambda c: (c.tier or 5, c.name))
    lines.append(f"Business services ({len(services)}):")
    for service in services:
        tier = f"tier {service.tier}" if service.tier else "no tier"
        sla = f"SLA {service.sla:g}%" if service.sla is not None else "no SLA"
        lines.append(f"  {service.name:<28} {tier:<8} {sla:<11} owner {service.owner or '-'}")
    return "\n".join(lines)
