"""The App Home dashboard: who has opened it, and (re)publishing it for them.

The dashboard is the `status` answer rendered by `bot.blocks.render_home`. Call
`HomeDashboard.republish(client)` when states change; the audience lives in memory for
now (`HomeAudience` is the seam for keeping it in the database later).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import render_home
from handlers.answer import Answer, Section

log = logging.getLogger(__name__)


class Asker(Protocol):
    """Anything that answers a question: `handlers.conversation.Conversation` in production."""

    def ask(self, text: str, *, user_id: str | None, channel_id: str | None) -> Answer: ...


class HomeAudience(Protocol):
    def add(self, user_id: str) -> None: ...
    def users(self) -> list[str]: ...


class MemoryAudience:
    """Users who opened the Home tab since start-up."""

    def __init__(self) -> None:
        self._users: dict[str, None] = {}
        self._lock = threading.Lock()

    def add(self, user_id: str) -> None:
        with self._lock:
            self._users[user_id] = None

    def users(self) -> list[str]:
        with self._lock:
            return list(self._users)


class HomeDashboard:
    """Publishes the dashboard; `panels` returns extra sections (SLA, open incidents) later."""

    def __init__(
        self,
        conversation: Asker,
        *,
        audience: HomeAudience | None = None,
        panels: Callable[[], Sequence[Section]] = tuple,
    ) -> None:
        self.conversation = conversation
        self.audience = audience or MemoryAudience()
        self.panels = panels

    def view(self, user_id: str | None = None) -> dict[str, object]:
        status = self.conversation.ask("status", user_id=user_id, channel_id=None)
        return render_home(status, self.panels())

    def publish(self, client: WebClient, user_id: str) -> None:
        """Show the dashboard to one user and remember them for republishing."""
        self.audience.add(user_id)
        client.views_publish(user_id=user_id, view=self.view(user_id))

    def republish(self, client: WebClient) -> int:
        """Refresh every known Home tab; returns how many were published.

        One user's failure (e.g. the app was removed for them) must not stop the others.
        """
        view = self.view()
        published = 0
        for user_id in self.audience.users():
            try:
                client.views_publish(user_id=user_id, view=view)
                published += 1
            except SlackApiError as error:
                log.warning(
                    "slack api views.publish failed for %s: %s",
                    user_id,
                    error.response.get("error"),
                )
        return published
