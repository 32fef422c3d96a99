"""The one error handler: log what failed, tell the user briefly, never show internals."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.listeners.replies import DeliveryError, reply_target, send_ephemeral
from bot.render.answers import render_apology
from impact.errors import ImpactError
from store import StoreError

log = logging.getLogger("bot.app")

APOLOGY = "Sorry, I could not answer that just now. Please try again in a moment."


def handle_error(error: Exception, body: dict[str, Any], client: WebClient) -> None:
    """Slack API failures and unexpected errors get an apology (with an id to find the log);
    refusals from the store or engine say why; a failed response_url gets nothing more."""
    if isinstance(error, SlackApiError):
        method = str(error.response.api_url).rsplit("/", 1)[-1]
        log.error("slack api %s failed: %s", method, error.response.get("error"))
        text = APOLOGY
    elif isinstance(error, StoreError | ImpactError):
        log.warning("request refused: %s", error)
        text = f"Sorry: {error}"
    elif isinstance(error, DeliveryError):
        log.error("slack response_url failed: %s", error)
        return  # the only channel back to this user just failed
    else:
        error_id = uuid.uuid4().hex[:8]
        log.error("unexpected error %s", error_id, exc_info=error)
        text = f"{APOLOGY} (error id {error_id})"
    _apologize(client, body, text)


def _apologize(client: WebClient, body: dict[str, Any], text: str) -> None:
    event = body.get("event") or {}
    target = (
        reply_target(body)
        if "user" in body
        else {
            "response_url": body.get("response_url"),
            "channel_id": body.get("channel_id") or event.get("channel"),
            "user_id": body.get("user_id") or event.get("user"),
        }
    )
    if not (target["response_url"] or (target["channel_id"] and target["user_id"])):
        return  # e.g. App Home: nobody to tell
    try:
        send_ephemeral(client, target, render_apology(text))
    except (SlackApiError, DeliveryError) as error:
        log.error("could not deliver the apology either: %s", error)
