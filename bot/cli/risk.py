"""`bsm risk`: preview planned work before doing it.

bsm risk db-03 --at "saturday 02:00" --for 2h
bsm risk db-01 db-03 --at 2026-12-05T02:00Z --for 90m --json
"""

from __future__ import annotations

import json
from datetime import timedelta

import click

from bot.cli.options import AT_OPTION, DB_OPTION, DURATION, open_store, start_at, use_color


def register(group: click.Group) -> None:
    """Add `risk` to the `bsm` group."""
    group.add_command(risk)


@click.command()
@click.argument("components", nargs=-1, required=True)
@AT_OPTION
@click.option(
    "--for", "length", type=DURATION, default="1h", show_default=True, help="e.g. 30m, 2h"
)
@click.option("--json", "as_json", is_flag=True, help="The preview as one JSON object.")
@click.option("--color/--no-color", default=None, help="ANSI colours (default: on a terminal).")
@DB_OPTION
def risk(
    components: tuple[str, ...],
    start_text: str,
    length: timedelta,
    as_json: bool,
    color: bool | None,
    db_url: str | None,
) -> None:
    """What taking COMPONENTS down from --at for --for would do to the business services."""
    from handlers.risk_answers import risk_answer
    from handlers.terminal import render_text
    from impact.clock import utcnow
    from impact.errors import ImpactError
    from services.model import ModelService
    from services.risk import preview_risk

    store = open_store(db_url)
    start = start_at(start_text, utcnow())
    model = ModelService(store).current().model  # the command's one compiled model
    try:
        preview = preview_risk(store, model, list(components), start, start + length)
    except ImpactError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(preview.to_dict(), indent=2))
        return
    click.echo(render_text(risk_answer(preview), color=use_color(color)))
