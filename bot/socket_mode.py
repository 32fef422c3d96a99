"""Socket Mode: the app opens a WebSocket to Slack instead of receiving HTTP requests.

The connection URL comes from `apps.connections.open` on the app's own Web API client, so
`SLACK_API_URL` (GovSlack, test servers) applies here too. `connection_state(handler)` is
what /healthz reports as `"slack"`.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.settings import Settings, SettingsError


def create_socket_handler(app: App, settings: Settings) -> SocketModeHandler:
    """A handler for `app`; call `.start()` to block, or `.connect()` and later `.close()`."""
    if settings.app_token is None:
        raise SettingsError("SLACK_APP_TOKEN is not set: Socket Mode needs an 'xapp-' token")
    return SocketModeHandler(app, app_token=settings.app_token, web_client=app.client)


def connection_state(handler: SocketModeHandler) -> str:
    """ "connected" while the WebSocket to Slack is open, "closed" after `close()`, else
    "disconnected" (the client reconnects by itself)."""
    client = handler.client
    if getattr(client, "closed", False):
        return "closed"
    return "connected" if client.is_connected() else "disconnected"
