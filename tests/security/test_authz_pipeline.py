"""Every change-making command and button, tried by a non-admin through the real Bolt
pipeline, is refused and leaves the database as it was (on SQLite and PostgreSQL).

Finding 1 of the security review: `digest digest schedule ...` slipped past the gate (it
read the word after the first "digest", the handler skipped a second), `digest now #any`
made the bot post anywhere, and acknowledging left no audit row.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # authz_world

from authz_world import ADMIN, MGMT, OPS, OUTSIDER, World, slack, world

from bot.render.blocks import ActionId
from bot.render.notices import ACK_ACTION
from handlers.conversation import HANDLERS
from impact.clock import utcnow
from impact.model import State, StatusEvent
from store.alerts import Observation

__all__ = ["slack", "world"]


def _setup(world: World) -> dict[str, int]:
    """An admin's subscription, maintenance window and digest schedule to attack."""
    assert "Subscribed" in world.text(f"subscribe <#{OPS}|ops> to tier 1", user=ADMIN)
    assert "Maintenance #" in world.text("maintenance db-03 for 2h", user=ADMIN)
    assert "Scheduled digest" in world.text(f"digest schedule <#{OPS}|ops> daily 09:00 UTC")
    [window] = world.store.maintenance_windows()
    [schedule] = world.store.digest_schedules.schedules()
    return {"window": window.id, "schedule": schedule.id}


def change_commands(ids: dict[str, int]) -> dict[str, str]:
    """Command -> the refusal's "what": one or more for every change-making intent and verb."""
    w, s = ids["window"], ids["schedule"]
    return {
        f"subscribe <#{MGMT}|mgmt> to tier 1": "change subscriptions",
        f"unsubscribe <#{OPS}|ops> from tier 1": "change subscriptions",
        "link checkout-api -> dns": "change the map",
        "unlink checkout-api -> orders-db": "change the map",
        "maintenance db-03 for 2h": "start maintenance",
        "maintenance start payments-db for 1h": "start maintenance",
        f"maintenance end {w}": "end maintenance",
        f"maintenance maintenance end {w}": "end maintenance",
        f"digest schedule <#{MGMT}|mgmt> daily 09:00 UTC": "change digest schedules",
        f"digest digest schedule <#{MGMT}|mgmt> daily 09:00 UTC": "change digest schedules",
        f"digest cancel {s}": "change digest schedules",
        f"digest digest cancel {s}": "change digest schedules",
        f"digests digest cancel {s}": "change digest schedules",
        f"digest now <#{MGMT}|mgmt>": "post a digest into another channel",
        "digest now #random": "post a digest into another channel",
        "sync confirm 1": "confirm a held sync",
        "sync repo": "apply a sync",
        "sync https://example.invalid/map.yaml --dry-run": "sync from a URL",
        "sync add repo https://example.invalid/": "manage sync sources",
    }


def _assert_refused(world: World, command: str, what: str, text: str, before: Any) -> None:
    assert text.startswith(f"Only bsm admins can {what}:"), (command, text)
    assert "<@" not in text and "<!subteam" not in text, (command, text)
    assert world.snapshot() == before, command


def test_every_change_is_refused_to_a_non_admin_and_changes_nothing(world: World) -> None:
    commands = change_commands(_setup(world))
    before, posts = world.snapshot(), world.posts()
    for command, what in commands.items():
        body = world.command(command, user=OUTSIDER)
        _assert_refused(world, command, what, body["text"], before)
    assert world.posts() == posts  # `digest now` posted nowhere
    [schedule] = world.store.digest_schedules.schedules()
    assert schedule.channel == OPS  # the admin's schedule is still there, nothing added


def test_doubled_digest_verb_and_digest_now_elsewhere_change_and_post_nothing(
    world: World,
) -> None:
    """The reported bypass itself, judged on effects alone (no wording)."""
    ids = _setup(world)
    before, posts = world.snapshot(), world.posts()
    world.command(f"digest digest schedule <#{MGMT}|mgmt> daily 09:00 UTC", user=OUTSIDER)
    world.command(f"digest digest cancel {ids['schedule']}", user=OUTSIDER)
    world.command(f"digest now <#{MGMT}|mgmt>", user=OUTSIDER)
    assert world.snapshot() == before
    assert [s.channel for s in world.store.digest_schedules.schedules()] == [OPS]
    assert world.posts() == posts


def test_every_change_made_intent_and_verb_is_exercised(world: World) -> None:
    """The list above covers every intent the policy closes (and every admin verb)."""
    from handlers import policy

    commands = change_commands({"window": 1, "schedule": 1})
    closed = {i for i, rule in policy.POLICY.items() if rule.default is policy.Role.ADMIN}
    assert closed <= set(HANDLERS)
    asked = {world.conversation.parse(c).intent for c in commands}
    assert closed <= asked, closed - asked
    for command in commands:
        intent = world.conversation.parse(command).intent
        assert policy.need(intent, command, OPS).role is policy.Role.ADMIN, command


def test_buttons_carrying_changes_are_refused_and_change_nothing(world: World) -> None:
    commands = change_commands(_setup(world))
    before, posts = world.snapshot(), world.posts()
    for action in (f"{ActionId.ASK}.0", f"{ActionId.RETRY}.1", ActionId.SHARE):
        for command, what in commands.items():
            seen = len(world.slack.calls("response_url"))
            assert world.click(action, command) == 200
            replies = world.slack.wait_for("response_url", seen + 1)
            text = world.answer_text(replies[seen].body)
            _assert_refused(world, f"{action}: {command}", what, text, before)
    assert world.posts() == posts  # Share of a refusal is not posted to the channel


def test_admin_doubled_verb_is_read_as_the_verb_it_executes_and_audited(world: World) -> None:
    text = world.text(f"digest digest schedule <#{MGMT}|mgmt> daily 09:00 UTC", user=ADMIN)
    assert "Scheduled digest" in text
    [entry] = world.store.audit_log(limit=1)
    assert (entry.actor, entry.action) == (ADMIN, "digest.schedule")


def test_digest_now_into_the_askers_own_channel_is_open(world: World) -> None:
    posts = world.posts()
    text = world.text(f"digest now <#{OPS}|ops>", user=OUTSIDER, channel=OPS)
    assert "Posted the SLA digest" in text
    assert world.posts() == posts + 1


def _incident(world: World) -> int:
    event = StatusEvent("dns", State.DOWN, utcnow(), source="test")
    world.incidents.ingest([Observation("alert-dns", event)])
    [incident] = world.incidents.incidents()
    return incident.id


def test_acknowledge_is_open_to_members_and_audited_with_the_clicker(world: World) -> None:
    incident_id = _incident(world)
    assert world.click(ACK_ACTION, str(incident_id), user=OUTSIDER) == 200
    entry = _wait_audit(world, "incident.ack")
    assert (entry.actor, entry.origin, entry.target) == (
        OUTSIDER,
        "chat",
        f"incident:{incident_id}",
    )
    found = world.incidents.incident(incident_id)
    assert found is not None and [u for u, _ in found.acknowledged] == [OUTSIDER]


def test_acknowledge_without_a_user_or_an_id_changes_nothing(world: World) -> None:
    incident_id = _incident(world)
    before = world.snapshot()
    assert world.click(ACK_ACTION, str(incident_id), user="") == 200
    assert world.click(ACK_ACTION, "not-a-number", user=OUTSIDER) == 200
    assert world.click(ACK_ACTION, "9" * 40, user=OUTSIDER) == 200
    # a real ack afterwards proves the listener had run the clicks above by then
    assert world.click(ACK_ACTION, str(incident_id), user=ADMIN) == 200
    _wait_audit(world, "incident.ack")
    acks = [e for e in world.store.audit_log(limit=1000) if e.action == "incident.ack"]
    assert [e.actor for e in acks] == [ADMIN]
    assert world.snapshot()["audit"][1:] == before["audit"]


def _wait_audit(world: World, action: str) -> Any:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for entry in world.store.audit_log(limit=5):
            if entry.action == action:
                return entry
        time.sleep(0.02)
    raise AssertionError(f"no {action} audit entry within 10 s")
