"""The Bolt app factory: every Slack surface wired once, dependencies reached by closure.

    create_app(settings, deps, client=None) -> slack_bolt.App

Listeners ack first (Bolt answers Slack as soon as `ack()` runs; the rest continues on its
listener thread), then ask the conversation and post the rendered answer. Failures reach
the single `@app.error` handler: it logs the Slack method and error code (or an error id)
and sends the user a short apology, never a stack trace.

With an incidents use case (`Deps.desk`) the app also wires the incident Acknowledge
button; `Deps.home` is the Home dashboard (built with its panels and client by the caller,
see `bot.home`); the admin user-group lookup of `handlers.access` is connected here.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.admins import UserGroups
from bot.blocks import FOLLOW_UPS, ActionId, Message, render_answer, render_apology
from bot.home import Asker, HomeDashboard
from bot.notices import register_incident_actions
from bot.settings import Settings
from handlers.access import AccessPolicy
from impact.errors import ImpactError
from store.errors import StoreError

__all__ = ["COMMAND", "EVENTS", "Asker", "Deps", "MemoryDedup", "build_client", "create_app"]

log = logging.getLogger(__name__)

COMMAND = "/bsm"
# The manifest's bot_events; each has exactly one listener below.
EVENTS = ("app_mention", "message.im", "app_home_opened")
APOLOGY = "Sorry, I could not answer that just now. Please try again in a moment."
RESPONSE_URL_USES = 5
_FOLLOW_UP = re.compile("^(" + "|".join(re.escape(a) for a in FOLLOW_UPS) + r")(\.\d+)?$")
_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


class EventDedup(Protocol):
    """Remembers delivered event ids so a Slack retry never produces a second reply."""

    def first_delivery(self, event_id: str) -> bool: ...


class MemoryDedup:
    """The last `capacity` event ids, in memory (a database-backed one can replace it)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def first_delivery(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


class Desk(Protocol):
    """The incident side the app needs (`services.incidents.Incidents`)."""

    def acknowledge(self, incident_id: int, user: str) -> bool: ...
    def incidents(self, *, open_only: bool = True, limit: int = 50) -> list[Any]: ...


@dataclass
class Deps:
    """What the listeners need, built by the caller.

    `desk` is the incidents use case (None: no Acknowledge button); `home` the Home
    dashboard (None: a plain one over `conversation`, without panels or refreshes).
    """

    conversation: Asker
    dedup: EventDedup = field(default_factory=MemoryDedup)
    home: HomeDashboard | None = None
    desk: Desk | None = None

    def __post_init__(self) -> None:
        if self.home is None:
            self.home = HomeDashboard(self.conversation)


class DeliveryError(Exception):
    """A response_url post that Slack refused."""


def retry_handlers() -> list[RetryHandler]:
    """Honour 429 Retry-After, retry 5xx and dropped connections a couple of times."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def build_client(settings: Settings) -> WebClient:
    """The Web API client: configured base URL, retries for rate limits and server errors."""
    return WebClient(
        token=settings.bot_token, base_url=settings.api_url, retry_handlers=retry_handlers()
    )


def create_app(settings: Settings, deps: Deps, client: WebClient | None = None) -> App:
    """Build the Bolt app with every listener registered exactly once."""
    app = App(
        client=client or build_client(settings),
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=settings.signing_secret is not None,
        process_before_response=False,
    )
    app.middleware(_skip_redelivered(deps.dedup))
    _register_messages(app, deps)
    _register_buttons(app, deps)
    if deps.desk is not None:
        register_incident_actions(app, _acknowledger(deps.desk))
    app.error(_handle_error)
    _connect_admin_groups(deps.conversation, app.client)
    return app


def _acknowledger(desk: Desk) -> Any:
    """Acknowledge through the desk; a click on a deleted incident is logged, not raised."""

    def acknowledge(incident_id: int, user: str) -> bool:
        try:
            return desk.acknowledge(incident_id, user)
        except LookupError as error:
            log.warning("acknowledge refused: %s", error)
            return False

    return acknowledge


def _connect_admin_groups(conversation: Asker, client: WebClient) -> None:
    """Let the access policy expand admin user groups through this app's Slack client."""
    access = getattr(conversation, "access", None)
    if isinstance(access, AccessPolicy) and access.admins.groups and access.members is None:
        access.use_members(UserGroups(client).members)


def _skip_redelivered(dedup: EventDedup) -> Any:
    def skip_redelivered(body: dict[str, Any], next: Any) -> BoltResponse | None:
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and event_id and not dedup.first_delivery(event_id):
            log.info("ignoring redelivered event %s", event_id)
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        next()
        return None

    return skip_redelivered


def _register_messages(app: App, deps: Deps) -> None:
    asker = deps.conversation
    home = deps.home
    assert home is not None

    @app.command(COMMAND)
    def bsm_command(ack: Any, command: dict[str, Any], client: WebClient) -> None:
        ack()
        question = _question(command.get("text", ""))
        answer = asker.ask(question, user_id=command["user_id"], channel_id=command["channel_id"])
        message = render_answer(answer, question=question)
        _send_ephemeral(client, command, message)

    @app.event("app_mention")
    def app_mention(event: dict[str, Any], client: WebClient) -> None:
        question = _question(_MENTION.sub("", event.get("text", "")))
        answer = asker.ask(question, user_id=event.get("user"), channel_id=event["channel"])
        thread = event.get("thread_ts") or event["ts"]
        _post(client, event["channel"], render_answer(answer), thread_ts=thread)

    @app.event("message", matchers=[_is_direct_message])
    def direct_message(event: dict[str, Any], client: WebClient) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, deletions, joins and bot echoes are not questions
        question = _question(event.get("text", ""))
        answer = asker.ask(question, user_id=event.get("user"), channel_id=event["channel"])
        _post(client, event["channel"], render_answer(answer), thread_ts=event.get("thread_ts"))

    @app.event("app_home_opened")
    def app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") == "home":
            home.publish(client, event["user"])


def _register_buttons(app: App, deps: Deps) -> None:
    asker = deps.conversation

    @app.action(_FOLLOW_UP)
    def follow_up_button(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        question = action["value"]
        answer = asker.ask(question, user_id=body["user"]["id"], channel_id=_channel_of(body))
        _send_ephemeral(client, _reply_target(body), render_answer(answer, question=question))

    @app.action(ActionId.SHARE)
    def share_button(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user, channel = body["user"]["id"], _channel_of(body)
        answer = asker.ask(action["value"], user_id=user, channel_id=channel)
        _post(client, channel, render_answer(answer, shared_by=user))
        if body.get("response_url"):
            _webhook(body["response_url"], {"delete_original": True})


def _is_direct_message(event: dict[str, Any]) -> bool:
    return bool(event.get("channel_type") == "im")


def _question(text: str) -> str:
    """Slack escapes &, < and > in message text; the conversation wants what the user typed."""
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    return text or "help"


def _channel_of(body: dict[str, Any]) -> str | None:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return str(channel) if channel else None


def _reply_target(body: dict[str, Any]) -> dict[str, Any]:
    """A button click in the shape of a slash command payload, for `_send_ephemeral`."""
    return {
        "response_url": body.get("response_url"),
        "channel_id": _channel_of(body),
        "user_id": body["user"]["id"],
    }


def _post(client: WebClient, channel: str, message: Message, thread_ts: str | None = None) -> str:
    """Post a message and its overflow replies in its thread; returns the message ts."""
    response = client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.payload())
    ts: str = response["ts"]
    for reply in message.thread:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts or ts, **reply.payload())
    return ts


def _send_ephemeral(client: WebClient, target: dict[str, Any], message: Message) -> None:
    """Answer only the asker: via response_url when Slack gave one, else chat.postEphemeral.

    A response_url takes at most five posts, so the overflow is cut to four replies.
    """
    for part in (message, *message.thread)[:RESPONSE_URL_USES]:
        if target.get("response_url"):
            body = {"response_type": "ephemeral", "replace_original": False, **part.payload()}
            _webhook(target["response_url"], body)
        else:
            client.chat_postEphemeral(
                channel=target["channel_id"], user=target["user_id"], **part.payload()
            )


def _webhook(url: str, body: dict[str, Any]) -> None:
    response = WebhookClient(url, retry_handlers=retry_handlers()).send_dict(body)
    if response.status_code != 200:
        raise DeliveryError(f"response_url answered {response.status_code}: {response.body[:200]}")


def _handle_error(error: Exception, body: dict[str, Any], client: WebClient) -> None:
    """The one error handler: log what failed, tell the user briefly, never show internals."""
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
        _reply_target(body)
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
        _send_ephemeral(client, target, render_apology(text))
    except (SlackApiError, DeliveryError) as error:
        log.error("could not deliver the apology either: %s", error)
