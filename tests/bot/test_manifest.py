"""app_manifest.yml is valid for Slack and declares exactly what the app listens to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from slack_payloads import SlackPayloads

from bot.app import COMMAND, EVENTS

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "slack" / "manifest.schema.1.0.0.json"
# The scope each surface needs; chat:write for every answer the app posts.
SCOPES = {"commands": "commands", "app_mention": "app_mentions:read", "message.im": "im:history"}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "app_manifest.yml").read_text())
    return loaded


def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"Slack's manifest schema is not checked out at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(manifest)


def test_commands_and_events_match_the_listeners(manifest: dict[str, Any]) -> None:
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    events = manifest["settings"]["event_subscriptions"]["bot_events"]

    assert commands == [COMMAND]
    assert sorted(events) == sorted(EVENTS)


# Web API calls in bot/ -> the scope each needs. chat:write.public lets notices and digests
# reach public channels bsm was never invited to.
CALL_SCOPES = {
    "files_upload_v2": "files:write",
    "usergroups_users_list": "usergroups:read",
}


def test_scopes_are_exactly_what_the_surfaces_need(manifest: dict[str, Any]) -> None:
    source = "\n".join(p.read_text() for p in (REPO / "bot").rglob("*.py"))
    called = {scope for call, scope in CALL_SCOPES.items() if call in source}
    assert called == set(CALL_SCOPES.values())  # every listed call is really made
    needed = {SCOPES["commands"], "chat:write", "chat:write.public"} | called
    needed |= {SCOPES[e] for e in EVENTS if e in SCOPES}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed


def test_interactivity_and_home_tab_are_enabled(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def bolt_event(payloads: SlackPayloads, name: str) -> dict[str, Any]:
    """An event of manifest name `name` (message.im is a `message` in an `im`)."""
    if name == "message.im":
        return payloads.dm("status")
    if name == "app_mention":
        return payloads.mention("status")
    return {"type": name, "user": "U0USER1", "channel": "D0DM0001", "tab": "home"}


def test_every_manifest_surface_reaches_a_listener(
    manifest: dict[str, Any], scripted_app, payloads: SlackPayloads, slack
) -> None:
    app, _ = scripted_app
    for command in manifest["features"]["slash_commands"]:
        body = payloads.command("status").replace("%2Fbsm", command["command"].replace("/", "%2F"))
        assert app.dispatch(payloads.bolt_request(body)).status == 200
    for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
        response = app.dispatch(payloads.bolt_request(payloads.event(bolt_event(payloads, name))))
        assert response.status == 200, name
    slack.wait_for("response_url")
    slack.wait_for("chat.postMessage", 2)
    slack.wait_for("views.publish")


def test_events_outside_the_manifest_have_no_listener(
    scripted_app, payloads: SlackPayloads
) -> None:
    app, _ = scripted_app
    for event in (
        {"type": "reaction_added", "user": "U1"},
        payloads.dm("hi") | {"channel_type": "channel"},
    ):
        assert app.dispatch(payloads.bolt_request(payloads.event(event))).status == 404
