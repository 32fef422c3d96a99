"""Reading is open, changing is for admins: refusals name who can, and nothing changes."""

from __future__ import annotations

import pytest
from command_chat import ADMIN, ADMIN_GROUP, GROUP_MEMBER, OPS, OUTSIDER, Chat

from handlers.access import AccessConfigError, AccessPolicy, Actor, Admins

REFUSAL = (
    f"Only bsm admins can change subscriptions: user {ADMIN}, members of user group {ADMIN_GROUP}"
)


def test_admin_subscribes_a_channel_it_is_stored_and_audited(chat: Chat) -> None:
    text = chat.text(f"subscribe <#{OPS}|ops> to online checkout", user=ADMIN)

    assert f"Subscribed <#{OPS}> to online-checkout" in text
    [stored] = chat.store.subscriptions()
    assert (stored.channel, stored.selector, stored.created_by) == (OPS, "online-checkout", ADMIN)
    [entry] = chat.store.audit_log(limit=1)
    assert (entry.actor, entry.origin, entry.action) == (ADMIN, "chat", "subscription.add")
    assert (entry.before, entry.after) == (None, {"channel": OPS, "selector": "online-checkout"})


def test_non_admin_is_refused_with_who_can_and_nothing_is_stored(chat: Chat) -> None:
    before = chat.store.audit_log()

    body = chat.command(f"subscribe <#{OPS}|ops> to tier 1", user=OUTSIDER)

    assert body["text"] == REFUSAL  # admins named as plain text: a refusal pings nobody
    assert chat.store.subscriptions() == []
    assert chat.store.audit_log() == before


def test_members_of_an_admin_group_may_change(chat: Chat) -> None:
    text = chat.text("subscribe <#C0SRE0001|sre> to tier 1", user=GROUP_MEMBER)

    assert "Subscribed <#C0SRE0001> to tier 1" in text
    assert [s.selector for s in chat.store.subscriptions("C0SRE0001")] == ["tier 1"]
    assert [c.body["usergroup"] for c in chat.slack.calls("usergroups.users.list")] == [ADMIN_GROUP]


def test_every_kind_of_change_is_refused_to_others(chat: Chat) -> None:
    version = chat.store.map_version()
    commands = {
        "link checkout-api -> dns": "change the map",
        "unlink checkout-api -> orders-db": "change the map",
        "maintenance db-03 for 2h": "start maintenance",
        "unsubscribe #ops from all": "change subscriptions",
        "digest schedule #ops daily 09:00": "change digest schedules",
        "sync confirm 1": "confirm a held sync",
    }
    for command, what in commands.items():
        assert chat.command(command, user=OUTSIDER)["text"].startswith(
            f"Only bsm admins can {what}:"
        ), command
    assert chat.store.map_version() == version
    assert chat.store.maintenance_windows() == []
    assert chat.store.audit_log(limit=5)[0].action == "map.merge"  # only the demo import


def test_reading_is_open_to_everyone(chat: Chat) -> None:
    assert "No subscriptions" in chat.text("subscriptions", user=OUTSIDER)
    assert "No open incidents" in chat.text("incidents", user=OUTSIDER)
    assert "No maintenance windows" in chat.text("maintenance list", user=OUTSIDER)
    assert "map.merge" in chat.text("audit", user=OUTSIDER)


def test_policy_reads_admins_from_the_environment_and_names_bad_ids() -> None:
    env = {"BSM_ADMINS": "U01, W02 ", "BSM_ADMIN_GROUPS": "S0OPS"}
    admins = Admins.from_env(env)
    assert admins == Admins(("U01", "W02"), ("S0OPS",))
    with pytest.raises(AccessConfigError, match="BSM_ADMIN_GROUPS is malformed: '@ops'"):
        Admins.from_env({"BSM_ADMIN_GROUPS": "@ops"})
    policy = AccessPolicy(Admins())
    assert policy.may_change(Actor(None, "cli"))  # the local operator in a terminal
    assert not policy.may_change(Actor("U01", "chat"))
    assert "none are configured yet" in policy.refusal("change the map")
