"""The buttons under an answer: follow-up questions (paths, what-if, did you mean) and Share.

Both re-ask a question through the conversation, which checks it against the one policy
table (`handlers.policy`) like a typed one: a button grants nothing a command would not.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.home import Asker
from bot.listeners.replies import channel_of, post, reply_target, send_ephemeral, webhook
from bot.render.answers import render_answer
from bot.render.blocks import FOLLOW_UPS, ActionId

_FOLLOW_UP = re.compile("^(" + "|".join(re.escape(a) for a in FOLLOW_UPS) + r")(\.\d+)?$")


def register(app: App, asker: Asker) -> None:
    """A follow-up answers the clicker alone; Share posts the answer for the whole channel."""

    @app.action(_FOLLOW_UP)
    def follow_up_button(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        question = action["value"]
        answer = asker.ask(question, user_id=body["user"]["id"], channel_id=channel_of(body))
        send_ephemeral(client, reply_target(body), render_answer(answer, question=question))

    @app.action(ActionId.SHARE)
    def share_button(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user, channel = body["user"]["id"], channel_of(body)
        answer = asker.ask(action["value"], user_id=user, channel_id=channel)
        if answer.data.get("refused"):  # a refusal is for the clicker, not the channel
            send_ephemeral(client, reply_target(body), render_answer(answer))
            return
        post(client, channel, render_answer(answer, shared_by=user))
        if body.get("response_url"):
            webhook(body["response_url"], {"delete_original": True})
