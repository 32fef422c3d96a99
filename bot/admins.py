"""Who is in the admin user groups: `usergroups.users.list`, cached for a few minutes.

`handlers.access.AccessPolicy` is pure and asks a callback for group members; this is that
callback in Slack. A failing lookup (missing `usergroups:read` scope, Slack down) logs the
method and error code and falls back to the last known members, else to nobody: an outage
of Slack's API never makes someone an admin.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

TTL_S = 300.0


class UserGroups:
    """Members of Slack user groups, each list cached for `ttl` seconds."""

    def __init__(
        self,
        client: WebClient,
        *,
        ttl: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, group_id: str) -> frozenset[str]:
        """The user ids in `group_id` (fetched at most once per `ttl`)."""
        now = self.clock()
        with self._lock:
            cached = self._cache.get(group_id)
            if cached is not None and now - cached[0] < self.ttl:
                return cached[1]
            try:
                response = self.client.usergroups_users_list(usergroup=group_id)
            except SlackApiError as error:
                log.warning(
                    "slack api usergroups.users.list failed for %s: %s",
                    group_id,
                    error.response.get("error"),
                )
                return cached[1] if cached is not None else frozenset()
            users = frozenset(str(u) for u in response.get("users") or ())
            self._cache[group_id] = (now, users)
            return users
