"""The `bsm` command line: one entry point, subcommands registered from sibling modules."""

from __future__ import annotations

import click

import bot.cli.blas  # noqa: F401  first: it must run before numpy is loaded
from bot.cli import alerts, ask, mapcmds, report, risk, serve, sla, sync
from bot.cli.redaction import RedactingGroup


@click.group(cls=RedactingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bsm-bot")
def main() -> None:
    """bsm: see IT through the business services it carries."""


for module in (mapcmds, ask, sla, alerts, sync, serve, report, risk):
    module.register(main)
