"""The chat driver and the ids the command tests use (conftest cannot be imported)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from fake_slack import FakeSlack
from slack_bolt import App
from slack_payloads import SlackPayloads

from bot.home import HomeDashboard
from handlers.conversation import Conversation
from services.incidents import Incidents
from store import Store

ADMIN = "U0ADMIN1"
GROUP_MEMBER = "U0GROUP1"
OUTSIDER = "U0OTHER1"
ADMIN_GROUP = "S0ADMINS"
OPS = "C0OPS0001"


@dataclass
class Chat:
    """Type `/bsm ...` as a user and read the ephemeral answer the fake Slack received."""

    app: App
    slack: FakeSlack
    payloads: SlackPayloads
    conversation: Conversation
    store: Store
    incidents: Incidents
    home: HomeDashboard

    def command(self, text: str, user: str = ADMIN, channel: str = OPS) -> dict[str, Any]:
        seen = len(self.slack.calls("response_url"))
        response = self.app.dispatch(
            self.payloads.bolt_request(self.payloads.command(text, user=user, channel=channel))
        )
        assert response.status == 200
        replies = self.slack.wait_for("response_url", seen + 1)
        body: dict[str, Any] = replies[seen].body
        return body

    def text(self, text: str, user: str = ADMIN, channel: str = OPS) -> str:
        """The whole answer as one string, as people read it: every section and context."""
        body = self.command(text, user, channel)
        parts = []
        for block in body["blocks"]:
            if block["type"] == "section":
                parts.append(block["text"]["text"])
            elif block["type"] == "context":
                parts += [e["text"] for e in block["elements"]]
        return html.unescape("\n".join(parts))
