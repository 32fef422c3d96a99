"""What every `bsm` command module shares: the database option, colour, argument types.

Durations and moments are read by the one argument grammar (`handlers.commands`), so
`bsm maintenance add --for 2h` and `maintenance db-03 2h` in chat accept the same words.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from services.sync.runner import SourceAccess
    from store import Store

DB_OPTION = click.option(
    "--db",
    "db_url",
    envvar="BSM_DATABASE_URL",
    default=None,
    metavar="URL",
    help="Database URL (default: BSM_DATABASE_URL, else the embedded SQLite file).",
)


AT_OPTION = click.option(
    "--at",
    "start_text",
    default="now",
    show_default=True,
    metavar="WHEN",
    help='Start: "saturday 02:00", "tomorrow 02:00", "now" or ISO (UTC when no offset).',
)


def start_at(text: str, now: datetime) -> datetime:
    """The start `--at` names, read by the one argument grammar relative to `now`."""
    from handlers.commands import when
    from impact.errors import ImpactError

    try:
        return when(text, now)
    except ImpactError as error:
        raise click.BadParameter(str(error), param_hint="--at") from None


def open_store(db_url: str | None, *, upgrade: bool | None = None) -> Store:
    """The store at `db_url`; a store that cannot open is a usage error naming why."""
    from bot.settings import database_url
    from store import Store, StoreError

    try:
        return Store(db_url or database_url(), upgrade=upgrade)
    except StoreError as error:
        raise click.ClickException(str(error)) from None


def source_access() -> SourceAccess:
    """The environment's source tokens and outbound policy (`BSM_OUTBOUND_ALLOW`)."""
    import os

    from bot.settings import SettingsError, outbound_allow
    from services.outbound import OutboundPolicy
    from services.sync.runner import SourceAccess

    try:
        return SourceAccess(os.environ, OutboundPolicy(allow=outbound_allow()))
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def use_color(color: bool | None) -> bool:
    """`--color/--no-color` as given, else colour on a terminal only."""
    return sys.stdout.isatty() if color is None else color


class Duration(click.ParamType):
    """A duration option ("30m", "2h", "1d", "2w") as a `timedelta`."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        from handlers.commands import CommandError, parse_duration

        try:
            return parse_duration(str(value))
        except CommandError as error:
            self.fail(str(error), param, ctx)


DURATION = Duration()


def moment(text: str, option: str) -> datetime:
    """A date or ISO datetime given to `option` (UTC when it has no offset)."""
    from handlers.commands import CommandError
    from handlers.commands import moment as read_moment

    try:
        return read_moment(text)
    except CommandError as error:
        raise click.BadParameter(str(error), param_hint=option) from None
