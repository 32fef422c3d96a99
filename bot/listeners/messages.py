"""Questions: the `/bsm` slash command, @-mentions in channels and direct messages."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.home import Asker
from bot.listeners.replies import post, question_text, send_ephemeral
from bot.render.answers import render_answer

COMMAND = "/bsm"
_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


def register(app: App, asker: Asker) -> None:
    """The slash command answers ephemerally; mentions and DMs answer in their thread."""

    @app.command(COMMAND)
    def bsm_command(ack: Any, command: dict[str, Any], client: WebClient) -> None:
        ack()
        question = question_text(command.get("text", ""))
        answer = asker.ask(question, user_id=command["user_id"], channel_id=command["channel_id"])
        send_ephemeral(client, command, render_answer(answer, question=question))

    @app.event("app_mention")
    def app_mention(event: dict[str, Any], client: WebClient) -> None:
        question = question_text(_MENTION.sub("", event.get("text", "")))
        answer = asker.ask(question, user_id=event.get("user"), channel_id=event["channel"])
        thread = event.get("thread_ts") or event["ts"]
        post(client, event["channel"], render_answer(answer), thread_ts=thread)

    @app.event("message", matchers=[is_direct_message])
    def direct_message(event: dict[str, Any], client: WebClient) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, deletions, joins and bot echoes are not questions
        question = question_text(event.get("text", ""))
        answer = asker.ask(question, user_id=event.get("user"), channel_id=event["channel"])
        post(client, event["channel"], render_answer(answer), thread_ts=event.get("thread_ts"))


def is_direct_message(event: dict[str, Any]) -> bool:
    return bool(event.get("channel_type") == "im")
