"""The policy table is complete: every intent, command verb, Bolt action id and Slack surface
that exists has an entry, and a request is judged on the verb its handler executes."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # authz_world

from authz_world import World, slack, world
from slack_bolt import App

from bot.render.blocks import ActionId
from bot.render.notices import ACK_ACTION
from handlers import policy
from handlers.conversation import HANDLERS
from handlers.intents import COMMAND_INTENTS, RULES
from handlers.policy import Role, need

__all__ = ["slack", "world"]


def test_every_registered_intent_has_a_policy_entry() -> None:
    intents = set(HANDLERS) | {rule.intent for rule in RULES} | COMMAND_INTENTS | {"help"}
    missing = sorted(intents - set(policy.POLICY))
    assert missing == [], f"intents with no policy entry: {missing}"
    assert sorted(set(policy.POLICY) - intents) == []  # and no stale entries


def test_an_intent_the_table_does_not_know_needs_an_admin() -> None:
    assert need("drop-everything", "drop everything").role is Role.ADMIN


def test_every_command_verb_has_a_role_and_is_judged_as_declared() -> None:
    for intent, rule in policy.POLICY.items():
        if rule.default is Role.READER:
            continue
        assert not rule.reader & rule.admin, intent
        for verb in rule.reader:
            assert need(intent, f"{intent} {verb}").role is Role.READER, (intent, verb)
        for verb in rule.admin:
            assert need(intent, f"{intent} {verb} #elsewhere 1").role is Role.ADMIN, (intent, verb)
    handler_verbs = {
        "digest": policy.DIGEST_CHANGE | policy.DIGEST_READ | {"now"},
        "maintenance": policy.MAINTENANCE_LIST | policy.MAINTENANCE_END | policy.MAINTENANCE_ADD,
        "sync": policy.SYNC_LIST | policy.SYNC_TERMINAL_ONLY | {"confirm"},
    }
    for intent, verbs in handler_verbs.items():
        rule = policy.POLICY[intent]
        assert verbs <= rule.reader | rule.admin, (intent, verbs - (rule.reader | rule.admin))


@pytest.mark.parametrize(
    ("intent", "text", "verb"),
    [
        ("digest", "/bsm digest digest schedule #mgmt daily 09:00 UTC", "schedule"),
        ("digest", "digest digest cancel 1", "cancel"),
        ("digest", "@bsm please digests digest digest cancel 1", "cancel"),
        ("maintenance", "maintenance maint end 3", "end"),
        ("sync", "sync sync confirm 2", "confirm"),
    ],
)
def test_the_verb_is_read_after_every_repeated_command_word(
    intent: str, text: str, verb: str
) -> None:
    judged = need(intent, text, "C0OPS0001")
    assert (judged.verb, judged.role) == (verb, Role.ADMIN)


def test_digest_now_and_sync_are_judged_on_their_arguments() -> None:
    assert need("digest", "digest now", "C0OPS0001").role is Role.READER
    assert need("digest", "digest now <#C0OPS0001|ops>", "C0OPS0001").role is Role.READER
    assert need("digest", "digest now <#C0MGMT001|mgmt>", "C0OPS0001").role is Role.ADMIN
    assert need("digest", "digest now #mgmt tier 1", "C0OPS0001").role is Role.ADMIN
    assert need("sync", "sync backstage --dry-run").role is Role.READER
    assert need("sync", "sync backstage \u2014dry-run").role is Role.READER
    assert need("sync", "sync <https://evil.example/x|x> --dry-run").role is Role.ADMIN
    assert need("sync", "sync backstage").role is Role.ADMIN
    assert need("sync", "sync list").role is Role.READER


def _record(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Record what `create_app` registers through Bolt's decorators."""
    seen: dict[str, list[Any]] = {"action": [], "event": [], "command": [], "view": []}
    for kind in seen:
        original = getattr(App, kind)

        def recording(
            self: App, constraint: Any, *a: Any, _o: Any = original, _k: str = kind, **kw: Any
        ) -> Any:
            seen[_k].append(constraint)
            return _o(self, constraint, *a, **kw)

        monkeypatch.setattr(App, kind, recording)
    return seen


def test_every_bolt_action_event_and_command_of_create_app_has_a_policy_entry(
    monkeypatch: pytest.MonkeyPatch, demo_store: Any, slack: Any
) -> None:
    from authz_world import build_world

    seen = _record(monkeypatch)
    build_world(demo_store, slack)
    emitted = [a.value for a in ActionId] + [ACK_ACTION]
    assert seen["action"], "create_app registered no action listener"
    for constraint in seen["action"]:
        if isinstance(constraint, re.Pattern):
            matching = [a for a in emitted if constraint.match(f"{a}.0") or constraint.match(a)]
            assert matching, f"action pattern {constraint.pattern} matches no emitted action"
            missing = [a for a in matching if a not in policy.ACTIONS]
        else:
            missing = [] if str(constraint) in policy.ACTIONS else [str(constraint)]
        assert missing == [], f"action ids with no policy entry: {missing}"
    assert sorted(set(emitted) - set(policy.ACTIONS)) == []
    surfaces = [f"event:{e}" for e in seen["event"]] + [f"command:{c}" for c in seen["command"]]
    assert [s for s in surfaces if s not in policy.SURFACES] == []
    assert seen["view"] == []  # no modal submissions; a new one needs a policy entry


def test_the_policy_is_the_one_the_conversation_applies(world: World) -> None:
    """The conversation refuses exactly what the table closes, for each intent's example."""
    examples = {
        "digest": "digest digest schedule #mgmt daily 09:00 UTC",
        "maintenance": "maintenance db-03 for 2h",
        "subscribe": "subscribe #mgmt to tier 1",
        "status": "status",
        "incidents": "incidents",
    }
    for intent, text in examples.items():
        answer = world.conversation.ask(text, user_id="U0OTHER1", channel_id="C0OPS0001")
        closed = need(intent, text, "C0OPS0001").role is Role.ADMIN
        assert bool(answer.data.get("refused")) is closed, (intent, answer.summary)
