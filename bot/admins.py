"""Who is in the admin user groups: `usergroups.users.list`, cached for a minute.

`handlers.access.AccessPolicy` is pure and asks a callback for group members; this is that
callback in Slack. Membership is re-checked once the cached list is `ttl` old (60 s), so a
member removed from the group loses admin rights within that bound. A failing lookup
(missing `usergroups:read` scope, Slack down) logs the method and error code and raises
`MembershipUnknown`: the policy refuses changes with that reason; the last known members
are never reused past their TTL, and an outage of Slack's API never makes someone an admin.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.access import MembershipUnknown

log = logging.getLogger(__name__)

TTL_S = 60.0


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
        """The user ids in `group_id` (fetched at most once per `ttl`); `MembershipUnknown`
        when Slack cannot say and the cached list is older than `ttl`."""
        now = self.clock()
        with self._lock:
            cached = self._cache.get(group_id)
            if cached is not None and now - cached[0] < self.ttl:
                return cached[1]
            try:
                response = self.client.usergroups_users_list(usergroup=group_id)
            except (SlackClientError, OSError) as error:
                code = error.response.get("error") if isinstance(error, SlackApiError) else error
                log.warning("slack api usergroups.users.list failed for %s: %s", group_id, code)
                self._cache.pop(group_id, None)
                raise MembershipUnknown(f"usergroups.users.list failed: {code}") from error
            users = frozenset(str(u) for u in response.get("users") or ())
            self._cache[group_id] = (now, users)
            return users
