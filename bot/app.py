"""The Bolt app factory: every Slack surface wired once, dependencies reached by closure.

    create_app(settings, deps, client=None) -> slack_bolt.App

Listeners ack first (Bolt answers Slack as soon as `ack()` runs; the rest continues on its
listener thread), then ask the conversation and post the rendered answer. Failures reach
the single `@app.error` handler: it logs the Slack method and error code (or an error id)
and sends the user a short apology, never a stack trace. Long work (syncs, `digest now`)
goes to the worker pool `Deps.work` after the ack (see `bot.listeners.messages`).

With an incidents use case (`Deps.desk`) the app also wires the incident Acknowledge
button; `Deps.home` is the Home dashboard (built with its panels and client by the caller,
see `bot.home`); the admin user-group lookup of `handlers.access` is connected here.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.admins import UserGroups
from bot.home import Asker, HomeDashboard
from bot.listeners import buttons, home, incidents, messages
from bot.listeners.errors import APOLOGY, handle_error
from bot.listeners.messages import COMMAND
from bot.listeners.replies import retry_handlers
from bot.settings import Settings
from bot.work import WorkPool
from handlers.access import AccessPolicy

__all__ = [
    "APOLOGY",
    "COMMAND",
    "EVENTS",
    "Asker",
    "Deps",
    "MemoryDedup",
    "build_client",
    "create_app",
]

log = logging.getLogger(__name__)

# The manifest's bot_events; each has exactly one listener (bot/listeners/).
EVENTS = ("app_mention", "message.im", "app_home_opened")


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
    dashboard (None: a plain one over `conversation`, without panels or refreshes);
    `work` the pool for long chat work (`bot.work`; None: answered on the listener thread).
    """

    conversation: Asker
    dedup: EventDedup = field(default_factory=MemoryDedup)
    home: HomeDashboard | None = None
    desk: Desk | None = None
    work: WorkPool | None = None

    def __post_init__(self) -> None:
        if self.home is None:
            self.home = HomeDashboard(self.conversation)


def build_client(settings: Settings) -> WebClient:
    """The Web API client: configured base URL, retries for rate limits and server errors."""
    return WebClient(
        token=settings.bot_token, base_url=settings.api_url, retry_handlers=retry_handlers()
    )


def create_app(settings: Settings, deps: Deps, client: WebClient | None = None) -> App:
    """Build the Bolt app with every listener registered exactly once."""
    app = App(
        name="app.py",  # Bolt's default (the caller's file name), without its inspect.stack()
        client=client or build_client(settings),
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=settings.signing_secret is not None,
        process_before_response=False,
    )
    app.middleware(_skip_redelivered(deps.dedup))
    app.middleware(_skip_replayed(deps.dedup))
    messages.register(app, deps.conversation, deps.work)
    buttons.register(app, deps.conversation)
    assert deps.home is not None
    home.register(app, deps.home)
    if deps.desk is not None:
        incidents.register(app, _acknowledger(deps.desk))
    app.error(handle_error)
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


# Slack signs every request with its timestamp; Bolt refuses a timestamp older than five
# minutes, so a signature plus timestamp seen before is a replay (or Slack's own retry).
REPLAY_PREFIX = "sig:"


def replay_key(headers: dict[str, Any]) -> str | None:
    """The delivery key of a signed request: its timestamp and signature (None: unsigned)."""
    stamp, signature = (
        _header(headers, "x-slack-request-timestamp"),
        _header(headers, "x-slack-signature"),
    )
    if not stamp or not signature:
        return None
    return f"{REPLAY_PREFIX}{stamp}:{signature}"


def _header(headers: dict[str, Any], name: str) -> str | None:
    value = headers.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return str(value) if value else None


def _skip_replayed(dedup: EventDedup) -> Any:
    """Apply a signed slash command or interaction once: a replay gets a 200, no effect.

    Runs after Bolt's signature check, so only a validly signed request records its key.
    """

    def skip_replayed(req: Any, body: dict[str, Any], next: Any) -> BoltResponse | None:
        if body.get("type") != "event_callback":  # events: `skip_redelivered` by event id
            key = replay_key(req.headers)
            if key is not None and not _first(dedup, key):
                log.warning("ignoring a replayed signed request (%s)", body.get("type", "command"))
                return BoltResponse(status=200, body="")
        next()
        return None

    return skip_replayed


def _first(dedup: EventDedup, key: str) -> bool:
    """`dedup.first_delivery(key)`; True when the log cannot answer (the command then
    meets the same database failure and reports it)."""
    try:
        return dedup.first_delivery(key)
    except Exception:
        log.exception("replay check failed; handling the request")
        return True
