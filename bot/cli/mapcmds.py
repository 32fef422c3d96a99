"""`bsm db upgrade`, `bsm import`, `bsm validate`, `bsm diff`, `bsm export` and `bsm map
summary`: the map on the CLI. A map is a file or a directory of files (maps kept as code)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.options import DB_OPTION, open_store
from impact.model import ServiceMap

if TYPE_CHECKING:
    from services.mapplan import ImportPlan
    from store import MapError, MapSource

MAP_PATH = click.Path(exists=True, file_okay=True, dir_okay=True)
READ_FORMATS = click.Choice(["auto", "yaml", "backstage", "csv"])
READ_HELP = "auto: .csv is an edge list, apiVersion *backstage.io/* a Backstage catalog."
FORMAT_OPTION = click.option(  # `bsm import`'s --format: how to read FILE|DIR
    "--format", "fmt", type=READ_FORMATS, default="auto", show_default=True, help=READ_HELP
)
INPUT_FORMAT_OPTION = click.option(  # the same where --format is the output's
    "--input-format", "fmt", type=READ_FORMATS, default="auto", show_default=True, help=READ_HELP
)


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
    group.add_command(validate)
    group.add_command(diff)
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
@click.argument("path", metavar="FILE|DIR", type=MAP_PATH)
@click.option("--replace", is_flag=True, help="Make the store equal to FILE|DIR (default: merge).")
@FORMAT_OPTION
@DB_OPTION
def import_command(path: str, replace: bool, fmt: str, db_url: str | None) -> None:
    """Import a service map (YAML map, Backstage catalog or CSV edge list) from a file, or
    every map file of a directory as one map, in one transaction."""
    from store import MapValidationError, fully_checked

    source = _read_before_store(path, fmt, replace)
    store = open_store(db_url)
    if source is None:  # a merge referencing stored components: read again knowing them
        source = _read(path, fmt, store.component_names())
    _notes(source)
    imported = source.imported
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
            raise MapFileError(path, error.errors) from None
    click.echo(f"Imported {path} ({'replace' if replace else 'merge'}):")
    click.echo(report.summary())


def _read_before_store(path: str, fmt: str, replace: bool) -> MapSource | None:
    """The source read and validated before the database is opened; None when its only
    problems are references a merge may resolve against the stored map."""
    from store import MapValidationError, StoreError, read_map_source

    try:
        with _progress("Checking") as progress:
            return read_map_source(path, fmt, progress)
    except MapValidationError as error:
        if replace or not all(_unknown_reference(e) for e in error.errors):
            raise MapFileError(path, error.errors) from None
        return None
    except StoreError as error:
        raise click.ClickException(str(error)) from None


def _unknown_reference(error: MapError) -> bool:
    return error.message.startswith("unknown component ")


def _read(path: str, fmt: str, known: dict[str, str] | None = None) -> MapSource:
    from store import MapValidationError, StoreError, read_map_source

    try:
        with _progress("Checking") as progress:
            return read_map_source(path, fmt, progress, known)
    except MapValidationError as error:
        raise MapFileError(path, error.errors) from None
    except StoreError as error:
        raise click.ClickException(str(error)) from None


def _notes(source: MapSource) -> None:
    for note in source.notes:
        click.echo(f"note: {note}", err=True)


@click.command()
@click.argument("path", metavar="FILE|DIR", type=MAP_PATH)
@click.option(
    "--format",
    "out",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github: workflow annotations (::error file=F,line=L,col=C::message).",
)
@INPUT_FORMAT_OPTION
def validate(path: str, out: str, fmt: str) -> None:
    """Check a map file or directory without importing it: every problem with
    file:line:column; exit code 0 when valid, 1 when not (for CI). Opens no database."""
    from store import validate_source

    source, errors = validate_source(path, fmt)
    files = {name: index for index, name in enumerate(source.files if source else ())}
    errors.sort(
        key=lambda e: (files.get(e.file or "", -1), e.file or "", e.line or 0, e.column or 0)
    )
    notes = list(source.notes) if source is not None else []
    if out == "json":
        click.echo(json.dumps(_validation_json(path, source, errors, notes), indent=2))
    elif out == "github":
        for note in notes:
            click.echo(f"::notice::{_escape(note)}")
        for error in errors:
            click.echo(_annotation(error))
    else:
        for note in notes:
            click.echo(f"note: {note}", err=True)
        for error in errors:
            click.echo(str(error))
        click.echo(_validation_summary(path, source, errors), err=True)
    if errors:
        sys.exit(1)


def _validation_summary(path: str, source: MapSource | None, errors: list[MapError]) -> str:
    if errors:
        count = len(errors)
        return f"{path}: {count} problem{'s' if count != 1 else ''}"
    assert source is not None
    service_map = source.imported.service_map
    files = len(source.files)
    return (
        f"{path}: valid ({files} file{'s' if files != 1 else ''}, "
        f"{len(service_map.components)} components, "
        f"{len(service_map.dependencies)} dependencies, {len(service_map.groups)} groups)"
    )


def _validation_json(
    path: str, source: MapSource | None, errors: list[MapError], notes: list[str]
) -> dict[str, Any]:
    return {
        "path": path,
        "valid": not errors,
        "files": list(source.files) if source is not None else [],
        "errors": [
            {
                "file": e.file,
                "line": e.line,
                "column": e.column,
                "location": e.location,
                "message": e.message,
            }
            for e in errors
        ],
        "notes": notes,
    }


def _escape(text: str, *, property_value: bool = False) -> str:
    """GitHub workflow command escaping (data; property values also escape ':' and ',')."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def _annotation(error: MapError) -> str:
    properties = [
        f"{key}={_escape(str(value), property_value=True)}"
        for key, value in (("file", error.file), ("line", error.line), ("col", error.column))
        if value is not None
    ]
    message = f"{error.location}: {error.message}" if error.location else error.message
    return f"::error {','.join(properties)}::{_escape(message)}".replace("::error ::", "::error::")


@click.command()
@click.argument("path", metavar="FILE|DIR", type=MAP_PATH)
@click.option("--replace", is_flag=True, help="Plan a replace (default: a merge).")
@click.option(
    "--format", "out", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@INPUT_FORMAT_OPTION
@DB_OPTION
def diff(path: str, replace: bool, out: str, fmt: str, db_url: str | None) -> None:
    """What `bsm import FILE|DIR` would change, like a plan, writing nothing: components,
    dependencies and groups added, removed or changed, and the business services whose
    dependencies or single points of failure change."""
    from services.mapplan import plan_import
    from store import MapValidationError

    source = _read_before_store(path, fmt, replace)
    store = open_store(db_url)
    if source is None:
        source = _read(path, fmt, store.component_names())
    _notes(source)
    try:
        plan = plan_import(store, source, replace=replace)
    except MapValidationError as error:
        raise MapFileError(path, error.errors) from None
    if out == "json":
        click.echo(json.dumps(plan.as_dict(), indent=2))
    else:
        click.echo(plan_text(plan))


def plan_text(plan: ImportPlan) -> str:
    """The plan as `bsm diff` prints it: `+` added, `-` removed, `~` changed."""
    if plan.is_empty:
        return "No changes: the stored map already matches."
    change = plan.diff
    lines = [
        *(f"+ component {c.name} ({c.kind})" for c in change.added_components),
        *(f"- component {c.name}" for c in change.removed_components),
        *(f"~ component {c.name}: {', '.join(c.fields)}" for c in change.changed_components),
        *(f"+ edge {e.source} -> {e.target} ({e.kind})" for e in change.added_edges),
        *(f"- edge {e.source} -> {e.target}" for e in change.removed_edges),
        *(
            f"~ edge {c.after.source} -> {c.after.target}: {c.before.kind} -> {c.after.kind}"
            for c in change.changed_edges
        ),
        *(f"+ group {name}" for name in plan.groups_added),
        *(f"- group {name}" for name in plan.groups_removed),
        *(f"~ group {name}" for name in plan.groups_changed),
        *(f"~ policies: {part} rules" for part in plan.policies_changed),
    ]
    if plan.services:
        lines.append("Business services whose impact changes:")
    for service in plan.services:
        parts = [
            f"{label} {', '.join(names)}"
            for label, names in (
                ("+depends on", service.dependencies_added),
                ("-depends on", service.dependencies_removed),
                ("+single point of failure", service.spofs_added),
                ("-single point of failure", service.spofs_removed),
            )
            if names
        ]
        lines.append(f"  {service.change} {service.name}: {'; '.join(parts) or 'no closure'}")
    counts = change.counts()
    lines.append(
        f"Plan: {counts['components_added']} to add, {counts['components_changed']} to change, "
        f"{counts['components_removed']} to remove (components); {counts['edges_added']} to add, "
        f"{counts['edges_changed']} to change, {counts['edges_removed']} to remove (edges)."
    )
    return "\n".join(lines)


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
