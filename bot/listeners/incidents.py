"""The incident notices' Acknowledge button.

Any workspace member may acknowledge (`handlers.policy.ACTIONS`: an on-call responder need
not be a bsm admin); the store audits it with the clicker's user id as the actor. A click
without a Slack user, or with a value that is not an incident id, changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.render.notices import ACK_ACTION
from handlers.access import is_user_id

log = logging.getLogger(__name__)

Acknowledge = Callable[[int, str], bool]


def register(app: App, acknowledge: Acknowledge) -> None:
    """The Acknowledge button: records who and when; the notice update goes via the outbox."""

    @app.action(ACK_ACTION)
    def acknowledge_button(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user = str((body.get("user") or {}).get("id") or "")
        value = str(action.get("value") or "")
        if not is_user_id(user) or not value.isdigit() or len(value) > 12:
            log.warning("acknowledge ignored: no Slack user or no incident id in the click")
            return
        acknowledge(int(value), user)
