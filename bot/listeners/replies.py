"""Sending what a listener rendered: posts with their thread, ephemeral replies, response_url.

Shared by every listener and the error handler, so a reply reaches a user the same way
whichever surface asked.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.render.blocks import Message

RESPONSE_URL_USES = 5


class DeliveryError(Exception):
    """A response_url post that Slack refused."""


def retry_handlers() -> list[RetryHandler]:
    """Honour 429 Retry-After, retry 5xx and dropped connections a couple of times."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def question_text(text: str) -> str:
    """Slack escapes &, < and > in message text; the conversation wants what the user typed."""
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    return text or "help"


def channel_of(body: dict[str, Any]) -> str | None:
    """The channel an interaction happened in, from a block action's body."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return str(channel) if channel else None


def reply_target(body: dict[str, Any]) -> dict[str, Any]:
    """A button click in the shape of a slash command payload, for `send_ephemeral`."""
    return {
        "response_url": body.get("response_url"),
        "channel_id": channel_of(body),
        "user_id": body["user"]["id"],
    }


def post(client: WebClient, channel: str, message: Message, thread_ts: str | None = None) -> str:
    """Post a message and its overflow replies in its thread; returns the message ts."""
    response = client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.payload())
    ts: str = response["ts"]
    for reply in message.thread:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts or ts, **reply.payload())
    return ts


def send_ephemeral(client: WebClient, target: dict[str, Any], message: Message) -> None:
    """Answer only the asker: via response_url when Slack gave one, else chat.postEphemeral.

    A response_url takes at most five posts, so the overflow is cut to four replies.
    """
    for part in (message, *message.thread)[:RESPONSE_URL_USES]:
        if target.get("response_url"):
            body = {"response_type": "ephemeral", "replace_original": False, **part.payload()}
            webhook(target["response_url"], body)
        else:
            client.chat_postEphemeral(
                channel=target["channel_id"], user=target["user_id"], **part.payload()
            )


def webhook(url: str, body: dict[str, Any]) -> None:
    """POST to a response_url; a refusal raises `DeliveryError`."""
    response = WebhookClient(url, retry_handlers=retry_handlers()).send_dict(body)
    if response.status_code != 200:
        raise DeliveryError(f"response_url answered {response.status_code}: {response.body[:200]}")
