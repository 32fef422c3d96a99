"""`bsm sync ...` and `bsm changes`: keep the map current from the systems that know it.

bsm sync SOURCE-NAME-OR-URL [--type TYPE] [--dry-run]
bsm sync add NAME TYPE URL [--every 15m] [--grace 24h] [--shrink-limit 20%] [--option k=v]
bsm sync list | confirm ID | reject ID | remove NAME | due
bsm changes [--since 24h|yesterday|7d]
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from bot.cli.options import DB_OPTION, DURATION, open_store, source_access

if TYPE_CHECKING:
    from handlers.answer import Answer


class _SyncGroup(click.Group):
    """`bsm sync SOURCE` runs a sync; known words (`add`, `list`, ...) are subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def register(group: click.Group) -> None:
    """Add `sync` and `changes` to the `bsm` group."""
    group.add_command(sync)
    group.add_command(changes)


@click.group(cls=_SyncGroup)
def sync() -> None:
    """Sync the map from Backstage, Jaeger, OpenTelemetry service graphs or a map URL."""


@sync.command("run")
@click.argument("source")
@click.option(
    "--type",
    "source_type",
    type=click.Choice(["backstage", "jaeger", "otel-prometheus", "yaml-url"]),
    help="The kind of source, when SOURCE is a URL the path does not tell.",
)
@click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@DB_OPTION
def run(
    source: str, source_type: str | None, dry_run: bool, as_json: bool, db_url: str | None
) -> None:
    """Sync SOURCE (a configured source name or a URL) now."""
    from handlers.sync.answers import sync_answer
    from services.sync import SourceError, run_sync
    from store import StoreError

    store = open_store(db_url)
    try:
        report = run_sync(
            store,
            source,
            source_type=source_type,
            dry_run=dry_run,
            actor="cli",
            tokens=source_access(),
        )
    except (SourceError, StoreError) as error:
        raise click.ClickException(str(error)) from None
    _print(sync_answer(report), as_json)


@sync.command("add")
@click.argument("name")
@click.argument(
    "source_type",
    metavar="TYPE",
    type=click.Choice(["backstage", "jaeger", "otel-prometheus", "yaml-url"]),
)
@click.argument("url")
@click.option("--every", type=DURATION, help="Schedule, e.g. 15m, 1h (default: on demand only).")
@click.option(
    "--grace",
    type=DURATION,
    default="24h",
    show_default=True,
    help="Keep what the source stops reporting this long.",
)
@click.option(
    "--shrink-limit", default="20%", show_default=True, help="Hold a sync dropping more than this."
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Source option; VALUE may be JSON.",
)
@click.option("--replace", is_flag=True, help="Update the source of that name.")
@DB_OPTION
def add(
    name: str,
    source_type: str,
    url: str,
    every: timedelta | None,
    grace: timedelta,
    shrink_limit: str,
    options: tuple[str, ...],
    replace: bool,
    db_url: str | None,
) -> None:
    """Configure a sync source (and its schedule)."""
    from services.sync import SourceError
    from store import MapSync, StoreError, SyncSource

    try:
        source = SyncSource(
            name=name,
            type=source_type,
            url=url,
            every_s=int(every.total_seconds()) if every else None,
            grace_s=int(grace.total_seconds()),
            shrink_limit=_share(shrink_limit),
            options=_options(options),
        )
        saved = MapSync(open_store(db_url)).add_source(source, actor="cli", replace=replace)
    except (SourceError, StoreError) as error:
        raise click.ClickException(str(error)) from None
    from impact.durations import format_duration

    when = f"every {format_duration(saved.every_s)}" if saved.every_s else "on demand"
    click.echo(f"sync source {saved.name} ({saved.type}) {saved.url}: {when}")


@sync.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@DB_OPTION
def list_sources(as_json: bool, db_url: str | None) -> None:
    """Sources with schedule and last result, and syncs held for confirmation."""
    from handlers.sync.answers import sources_answer
    from store import MapSync

    syncs = MapSync(open_store(db_url))
    _print(sources_answer(syncs.sources(), syncs.pending()), as_json)


@sync.command("confirm")
@click.argument("run_id", type=int)
@click.option("--as", "actor", default="cli", help="Who confirms (recorded in the audit log).")
@DB_OPTION
def confirm(run_id: int, actor: str, db_url: str | None) -> None:
    """Apply a sync held because it would shrink the map."""
    from store import MapSync, StoreError

    try:
        outcome = MapSync(open_store(db_url)).confirm(run_id, actor=actor)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    counts = outcome.effect.counts()
    click.echo(
        f"applied sync {run_id} of {outcome.source}: {len(outcome.newly_stale)} now stale, "
        f"{counts['components_removed']} components and {counts['edges_removed']} edges removed"
    )


@sync.command("reject")
@click.argument("run_id", type=int)
@click.option("--as", "actor", default="cli", help="Who rejects (recorded in the audit log).")
@DB_OPTION
def reject(run_id: int, actor: str, db_url: str | None) -> None:
    """Drop a held sync; the map stays as it is."""
    from store import MapSync, StoreError

    try:
        run = MapSync(open_store(db_url)).reject(run_id, actor=actor)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"rejected sync {run.id} of {run.source}")


@sync.command("remove")
@click.argument("name")
@DB_OPTION
def remove(name: str, db_url: str | None) -> None:
    """Forget a source (what it contributed stays in the map)."""
    from store import MapSync, StoreError

    try:
        MapSync(open_store(db_url)).remove_source(name)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"removed sync source {name}")


@sync.command("due")
@DB_OPTION
def due(db_url: str | None) -> None:
    """Run every scheduled source that is due (what the bot's scheduler does)."""
    from services.sync import run_due

    results = run_due(open_store(db_url), tokens=source_access())
    for name, result in results:
        status = str(result) if isinstance(result, Exception) else result.outcome.status
        click.echo(f"{name}: {status}")
    if any(isinstance(r, Exception) for _, r in results):
        raise SystemExit(1)


@click.command()
@click.option(
    "--since", default="24h", show_default=True, help="24h, 7d, yesterday, last week, ..."
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@DB_OPTION
def changes(since: str, as_json: bool, db_url: str | None) -> None:
    """What synced sources added to and removed from the map."""
    from handlers.sync.answers import changes_answer
    from impact.errors import ImpactError

    try:
        answer = changes_answer(open_store(db_url), since)
    except ImpactError as error:
        raise click.ClickException(str(error)) from None
    _print(answer, as_json)


def _print(answer: Answer, as_json: bool) -> None:
    from handlers.terminal import render_text

    click.echo(json.dumps(answer.to_json(), default=str) if as_json else render_text(answer))


def _share(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise click.BadParameter(f"{text!r}: write a share such as 20% or 0.2") from None
    return value


def _options(pairs: tuple[str, ...]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: write KEY=VALUE, e.g. lookback_s=3600")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    return options
