"""`bsm serve`: run the Slack app, over Socket Mode when SLACK_APP_TOKEN is set, else HTTP."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import click

from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from slack_bolt import App


def register(group: click.Group) -> None:
    """Add this module's commands to the `bsm` group."""
    group.add_command(serve)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP mode: address to bind.")
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def serve(host: str, port: int, log_level: str) -> None:
    """Answer Slack: POST /slack/events and GET /healthz over HTTP, or Socket Mode."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    app = _build_app(settings)
    if settings.socket_mode:
        from bot.socket_mode import create_socket_handler

        click.echo("bsm: connecting to Slack over Socket Mode", err=True)
        create_socket_handler(app, settings).start()
    else:
        _serve_http(app, host, port, log_level)


def _build_app(settings: Settings) -> App:
    # Imported here so that `bsm --help` and the other commands stay quick to start.
    from slack_bolt.error import BoltError

    from bot.app import Deps, create_app
    from handlers.conversation import Conversation
    from store import Store

    deps = Deps(conversation=Conversation(Store(url=settings.database_url)))
    try:
        return create_app(settings, deps)
    except BoltError as error:  # auth.test failed: bad token or unreachable API
        raise click.ClickException(
            f"SLACK_BOT_TOKEN was not accepted by {settings.api_url}: {error}"
        ) from None


def _serve_http(app: App, host: str, port: int, log_level: str) -> None:
    import uvicorn

    from bot.server import create_server

    uvicorn.run(create_server(app), host=host, port=port, log_level=log_level)
