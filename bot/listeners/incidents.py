"""The incident notices' Acknowledge button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.render.notices import ACK_ACTION

Acknowledge = Callable[[int, str], bool]


def register(app: App, acknowledge: Acknowledge) -> None:
    """The Acknowledge button: records who and when; the notice update goes via the outbox."""

    @app.action(ACK_ACTION)
    def acknowledge_button(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user = body.get("user", {}).get("id", "unknown")
        acknowledge(int(action["value"]), user)
