"""Admin groups fail closed (finding 5): membership is re-checked within the TTL, and when
Slack's `usergroups.users.list` fails, changes are refused with that reason, never granted
from the last known members. Refusals never ping (part of finding 8): admins are named as
plain text, never as live `<@U...>` / `<!subteam^...>` mentions."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # authz_world

from authz_world import (
    ADMIN,
    ADMIN_GROUP,
    GROUP_MEMBER,
    OPS,
    OUTSIDER,
    World,
    slack,
    world,
)

from bot.admins import TTL_S

__all__ = ["slack", "world"]
CANNOT = "cannot check admin group membership right now"


def _subscribe(world: World, channel: str, user: str) -> str:
    return world.text(f"subscribe <#{channel}|x> to tier 1", user=user)


def test_a_member_removed_from_the_group_loses_rights_within_the_ttl(world: World) -> None:
    assert "Subscribed" in _subscribe(world, "C0SRE0001", GROUP_MEMBER)
    world.slack.usergroups[ADMIN_GROUP] = []  # removed from the group in Slack
    world.clock.now += TTL_S + 1
    before = world.snapshot()
    assert _subscribe(world, "C0SRE0002", GROUP_MEMBER).startswith("*Only bsm admins can")
    assert world.snapshot() == before
    assert TTL_S <= 60


def test_a_failing_lookup_refuses_with_the_reason_not_stale_members(world: World) -> None:
    assert "Subscribed" in _subscribe(world, "C0SRE0001", GROUP_MEMBER)  # cached as a member
    world.clock.now += TTL_S + 1
    world.slack.fail_next("usergroups.users.list", 3, error="missing_scope")
    before = world.snapshot()

    text = _subscribe(world, "C0SRE0002", GROUP_MEMBER)

    assert CANNOT in text, text
    assert world.snapshot() == before
    assert world.slack.calls("usergroups.users.list")[-1].body["usergroup"] == ADMIN_GROUP


def test_a_lookup_that_never_answered_refuses_and_direct_admins_still_may(world: World) -> None:
    world.slack.fail_next("usergroups.users.list", 10, error="ratelimited_forever")
    before = world.snapshot()
    assert CANNOT in _subscribe(world, "C0SRE0002", GROUP_MEMBER)
    assert world.snapshot() == before
    assert "Subscribed" in _subscribe(world, "C0SRE0003", ADMIN)  # named by id: no lookup


def test_the_lookup_recovers_after_the_outage(world: World) -> None:
    world.slack.fail_next("usergroups.users.list", 1, error="fatal_error")
    assert CANNOT in _subscribe(world, "C0SRE0001", GROUP_MEMBER)
    assert "Subscribed" in _subscribe(world, "C0SRE0001", GROUP_MEMBER)


def _rendered(body: dict[str, object]) -> str:
    return repr(body)  # the whole message Slack receives: text, blocks, contexts


def test_refusals_name_admins_without_pinging_anyone(world: World) -> None:
    for command in (
        f"subscribe <#{OPS}|ops> to tier 1",
        "digest digest schedule #mgmt daily 09:00 UTC",
        "maintenance db-03 for 2h",
        "link checkout-api -> dns",
    ):
        body = world.command(command, user=OUTSIDER)
        message = _rendered(body)
        assert "<@" not in message and "<!subteam" not in message, message
        assert "&lt;@" not in message and "&lt;!subteam" not in message, message
        assert ADMIN in message and ADMIN_GROUP in message  # named, as plain text
