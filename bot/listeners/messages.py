"""Questions: the `/bsm` slash command, @-mentions in channels and direct messages.

Long work (`handlers.long_work`: syncs, `digest now`) never runs on a Bolt listener
thread: with a `WorkPool` the listener acks, says "working on it" (ephemeral), and the
pool answers; a full pool answers "busy". Without a pool every answer is made inline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.home import Asker
from bot.listeners.errors import handle_error
from bot.listeners.replies import post, question_text, send_ephemeral
from bot.render.answers import render_answer, render_apology
from bot.work import WorkPool
from handlers.long_work import is_long

COMMAND = "/bsm"
WORKING = "Working on it: the answer follows here when it is ready."
BUSY = "I am busy with other long requests: please try again in a minute."
_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


@dataclass(frozen=True)
class Reach:
    """Where an event's answer goes: its body (for apologies), the client, the thread."""

    body: dict[str, Any]
    client: WebClient
    thread: str | None


def register(app: App, asker: Asker, work: WorkPool | None = None) -> None:
    """The slash command answers ephemerally; mentions and DMs answer in their thread."""

    @app.command(COMMAND)
    def bsm_command(ack: Any, command: dict[str, Any], client: WebClient, body: Any) -> None:
        question = question_text(command.get("text", ""))

        def reply() -> None:
            answer = asker.ask(
                question,
                user_id=command["user_id"],
                channel_id=command["channel_id"],
                session=f"slash:{command['channel_id']}:{command['user_id']}",
            )
            send_ephemeral(client, command, render_answer(answer, question=question))

        if work is None or not is_long(question):
            ack()
            reply()
            return
        failed = _apology(body, client)
        if not work.submit(reply, first=lambda: ack(text=WORKING), on_error=failed):
            ack(text=BUSY)

    @app.event("app_mention")
    def app_mention(event: dict[str, Any], client: WebClient, body: Any) -> None:
        question = question_text(_MENTION.sub("", event.get("text", "")))
        thread = event.get("thread_ts") or event["ts"]
        _answer(asker, work, question, event, Reach(body, client, thread))

    @app.event("message", matchers=[is_direct_message])
    def direct_message(event: dict[str, Any], client: WebClient, body: Any) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, deletions, joins and bot echoes are not questions
        question = question_text(event.get("text", ""))
        _answer(asker, work, question, event, Reach(body, client, event.get("thread_ts")))


def _answer(
    asker: Asker, work: WorkPool | None, question: str, event: dict[str, Any], reach: Reach
) -> None:
    """Answer a mention or DM in its thread; long work on the pool, with a note first."""

    def reply() -> None:
        answer = asker.ask(
            question,
            user_id=event.get("user"),
            channel_id=event["channel"],
            session=session_of(event, reach.thread),
        )
        post(reach.client, event["channel"], render_answer(answer), thread_ts=reach.thread)

    if work is None or not event.get("user") or not is_long(question):
        reply()
        return
    tell = _tell(reach.client, event)
    failed = _apology(reach.body, reach.client)
    if not work.submit(reply, first=lambda: tell(WORKING), on_error=failed):
        tell(BUSY)


def session_of(event: dict[str, Any], thread: str | None) -> str:
    """The conversation a mention or DM belongs to: its thread, or the DM itself."""
    return f"slack:{event['channel']}:{thread or 'dm'}"


def is_direct_message(event: dict[str, Any]) -> bool:
    return bool(event.get("channel_type") == "im")


def _tell(client: WebClient, event: dict[str, Any]) -> Callable[[str], None]:
    """An ephemeral note to the asker of `event`, in its channel."""
    target = {"channel_id": event["channel"], "user_id": event.get("user")}
    return lambda text: send_ephemeral(client, target, render_apology(text))


def _apology(body: dict[str, Any], client: WebClient) -> Callable[[Exception], None]:
    """A failed background answer gets the same apology as a failed listener."""
    return lambda error: handle_error(error, body, client)
