"""`bsm alerts unmapped`, `bsm incidents`, `bsm incident ID`, `bsm maintenance add|list|end`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from bot.cli.options import AT_OPTION, DURATION, open_store, start_at
from impact.model import MaintenanceWindow


def register(group: click.Group) -> None:
    """Add this module's commands to the `bsm` group."""
    group.add_command(alerts)
    group.add_command(incidents)
    group.add_command(incident)
    group.add_command(maintenance)


def _store():  # type: ignore[no-untyped-def]
    return open_store(None)


def _desk():  # type: ignore[no-untyped-def]
    return _desk_of(_store())


@click.group()
def alerts() -> None:
    """Alerts received by the webhooks and pollers."""


@alerts.command("unmapped")
@click.option("--limit", default=50, show_default=True)
def unmapped(limit: int) -> None:
    """Alerts that named no component of the map (fix with labels or mapping rules)."""
    rows = _desk().unmapped(limit)
    if not rows:
        click.echo("no unmapped alerts")
    for row in rows:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(row.labels.items()))
        click.echo(
            f"{row.last_seen:%Y-%m-%d %H:%M} {row.source:12} {row.name} ({row.state.value}, "
            f"{row.count}x) {labels}"
        )


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Resolved incidents too.")
def incidents(show_all: bool) -> None:
    """Open incidents, by priority (P1-P4, the map's rules) then newest first; resolved
    ones after them with --all."""
    found = _desk().incidents(open_only=not show_all)
    if not found:
        click.echo("no open incidents" if not show_all else "no incidents")
    for item in sorted(found, key=lambda i: (i.status != "open", i.priority)):
        services = ", ".join(f"{name} {state.value}" for name, state in item.services)
        planned = " planned" if item.planned else ""
        rank = f"{item.priority} " if item.status == "open" and not item.planned else ""
        click.echo(
            f"{rank}#{item.id} {item.status}{planned} since {item.started_at:%Y-%m-%d %H:%M} UTC: "
            f"{services}; root cause {', '.join(item.causes) or 'unknown'}"
        )


@click.command()
@click.argument("incident_id", type=int)
def incident(incident_id: int) -> None:
    """One incident with its timeline."""
    from handlers.incident_answers import entry_text

    found = _desk().incident(incident_id)
    if found is None:
        raise click.ClickException(f"no incident #{incident_id}: `bsm incidents --all` lists them")
    click.echo(f"#{found.id} {found.status}, started {found.started_at:%Y-%m-%d %H:%M} UTC")
    for user, at in found.acknowledged:
        click.echo(f"acknowledged by {user} at {at:%H:%M}")
    for entry in found.timeline:
        click.echo(f"{entry.at:%Y-%m-%d %H:%M:%S} {entry_text(entry)}")


@click.group()
def maintenance() -> None:
    """Planned work: failures inside a window give a muted "planned" notice."""


@maintenance.command("add")
@click.argument("component")
@click.option(
    "--for", "length", type=DURATION, default="1h", show_default=True, help="e.g. 30m, 2h, 1d"
)
@AT_OPTION
@click.option(
    "--announce",
    "lead",
    type=DURATION,
    default=None,
    help="Tell the affected channels this long before it starts, e.g. 1h (needs a later --at).",
)
@click.option("--reason", default=None)
@click.option("--by", "actor", default="cli", show_default=True)
def maintenance_add(
    component: str,
    length: timedelta,
    start_text: str,
    lead: timedelta | None,
    reason: str | None,
    actor: str,
) -> None:
    """Plan a maintenance window on COMPONENT (from now unless --at says when)."""
    store = _store()
    known = {name.casefold(): name for name in store.load_map().components}
    name = known.get(component.casefold())
    if name is None:
        raise click.ClickException(f"unknown component {component!r}: `bsm map show` lists them")
    now = datetime.now(UTC)
    start = max(now, start_at(start_text, now))
    if lead is not None and start <= now:
        raise click.BadParameter(
            "needs a later start: give --at, e.g. --at 'saturday 02:00'", param_hint="--announce"
        )
    announce_s = lead.total_seconds() if lead is not None else None
    window = MaintenanceWindow(name, start, start + length, reason, actor, announce_s=announce_s)
    for warning in _warnings(store, name, start, window.end):
        click.echo(f"warning: {warning}", err=True)
    stored = store.add_maintenance(window)
    span = (
        f"from {stored.start:%Y-%m-%d %H:%M} until {stored.end:%Y-%m-%d %H:%M} UTC"
        if start > now
        else f"until {stored.end:%Y-%m-%d %H:%M} UTC"
    )
    announced = f", announced {stored.start - lead:%Y-%m-%d %H:%M} UTC" if lead else ""
    click.echo(f"maintenance #{stored.id} on {name} {span}{announced}")
    _desk_of(store).reconcile()


@maintenance.command("list")
@click.option("--all", "show_all", is_flag=True, help="Past windows too.")
def maintenance_list(show_all: bool) -> None:
    """Active (or all) maintenance windows."""
    windows = _store().maintenance_windows(None if show_all else datetime.now(UTC))
    if not windows:
        click.echo("no maintenance windows")
    for w in windows:
        why = f" ({w.reason})" if w.reason else ""
        click.echo(f"#{w.id} {w.component} {w.start:%Y-%m-%d %H:%M} -> {w.end:%Y-%m-%d %H:%M}{why}")


@maintenance.command("end")
@click.argument("window_id", type=int)
def maintenance_end(window_id: int) -> None:
    """End maintenance window WINDOW_ID now."""
    from store import StoreError

    store = _store()
    try:
        ended = store.end_maintenance(window_id, datetime.now(UTC), actor="cli")
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"maintenance #{ended.id} on {ended.component} ended")
    _desk_of(store).reconcile()


def _warnings(store, name: str, start: datetime, end: datetime) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """What the window would leave at risk or overlap (`services.risk.maintenance_warnings`)."""
    from services.model import ModelService
    from services.risk import maintenance_warnings, preview_risk

    model = ModelService(store).current().model
    return maintenance_warnings(preview_risk(store, model, [name], start, end))


def _desk_of(store):  # type: ignore[no-untyped-def]
    from services.incidents import Incidents
    from services.model import ModelService

    return Incidents(store, ModelService(store))
