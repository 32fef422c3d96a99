"""Who may change things: reading is open to everyone, changes are for bsm admins.

Admins are Slack user ids (`BSM_ADMINS`, comma-separated `U...`) and the members of Slack
user groups (`BSM_ADMIN_GROUPS`, comma-separated `S...`), read once with the rest of the
settings (`bot.settings.Settings`); the composition root builds the policy from them. The
policy is pure: it asks a `GroupMembers` callback who is in a group, and the Slack side
(`bot.admins.UserGroups`) answers that from `usergroups.users.list`. Without a callback
nobody counts as a member. When the callback cannot tell (it raises `MembershipUnknown`,
e.g. Slack's lookup failed), group members are refused with that reason: stale or missing
membership never grants a change.

Refusals name the admins as plain text (`user U012...`, `user group S012...`), never as
live mentions: a non-admin's attempt must not ping the admins.

A terminal (`bsm ask`, `bsm shell`, origin "cli") is the local operator, who already holds
the database URL and could change the database directly: it is trusted. Everything else
(origin "chat") must name a Slack user who is an admin.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

# A group id -> the user ids in it.
GroupMembers = Callable[[str], Collection[str]]

TRUSTED_ORIGINS = frozenset({"cli"})
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP = re.compile(r"^S[A-Z0-9]{2,}$")


def is_user_id(text: str) -> bool:
    """True for a Slack user id (`U012ABCDEF`, `W...` on Enterprise Grid).

    The one shape of a user id: `handlers.commands` reads mentions with it; it lives here,
    below the commands, because the admin settings are checked with it too.
    """
    return _USER.match(text) is not None


class AccessConfigError(ValueError):
    """BSM_ADMINS or BSM_ADMIN_GROUPS holds something that is not a Slack id."""


class MembershipUnknown(RuntimeError):
    """The admin group lookup could not answer (Slack down, missing scope)."""


CANNOT_CHECK = "cannot check admin group membership right now; try again in a minute"


@dataclass(frozen=True, slots=True)
class Admins:
    """The configured admins: user ids and user-group ids."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Admins:
        """Read BSM_ADMINS and BSM_ADMIN_GROUPS of `env` (the settings' environment);
        `AccessConfigError` names a bad value."""
        return cls(
            _ids(env, "BSM_ADMINS", _USER, "user ids like U012ABCDEF"),
            _ids(env, "BSM_ADMIN_GROUPS", _GROUP, "user-group ids like S012ABCDEF"),
        )

    def describe(self) -> str:
        """Who the admins are, as plain text that pings nobody ("user U1, members of user
        group S1")."""
        users = [f"user {u}" for u in self.users]
        groups = [f"members of user group {g}" for g in self.groups]
        return ", ".join(users + groups) or (
            "none are configured yet (set BSM_ADMINS or BSM_ADMIN_GROUPS)"
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking and from where: a Slack user in chat, or the local operator in a shell."""

    user_id: str | None
    origin: str = "chat"

    @property
    def name(self) -> str:
        """The name audit entries record: the Slack user id, or `local:<login>` for the CLI."""
        if self.user_id:
            return self.user_id
        return f"local:{_login()}" if self.origin in TRUSTED_ORIGINS else "unknown"


class AccessPolicy:
    """Decides whether an actor may change things; `members` expands admin user groups."""

    def __init__(self, admins: Admins, members: GroupMembers | None = None) -> None:
        self.admins = admins
        self.members = members

    def use_members(self, members: GroupMembers) -> None:
        """Install the user-group lookup when none came with the policy (`bot.app` does)."""
        self.members = members

    def may_change(self, actor: Actor) -> bool:
        return self.check(actor) is None

    def check(self, actor: Actor) -> str | None:
        """None when `actor` may change things, else why not (`CANNOT_CHECK` when the group
        lookup failed: refused, never granted from stale data)."""
        if actor.origin in TRUSTED_ORIGINS:
            return None
        user = actor.user_id
        if not user:
            return "not a bsm admin"
        if user in self.admins.users:
            return None
        if self.members is None or not self.admins.groups:
            return "not a bsm admin"
        try:
            member = any(user in self.members(group) for group in self.admins.groups)
        except MembershipUnknown:
            return CANNOT_CHECK
        return None if member else "not a bsm admin"

    def refusal(self, what: str, reason: str | None = None) -> str:
        """The refusal text: what was refused and who can do it (plain text, no mentions)."""
        if reason == CANNOT_CHECK:
            return f"Cannot {what} now: {CANNOT_CHECK}"
        return f"Only bsm admins can {what}: {self.admins.describe()}"


def _ids(
    env: Mapping[str, str], variable: str, shape: re.Pattern[str], hint: str
) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in env.get(variable, "").split(",") if part.strip())
    bad = [value for value in ids if not shape.match(value)]
    if bad:
        raise AccessConfigError(
            f"{variable} is malformed: {bad[0]!r} is not a Slack id; use comma-separated {hint}"
        )
    return ids


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "operator"
