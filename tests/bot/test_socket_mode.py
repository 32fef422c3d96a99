"""Socket Mode: a slash command arriving over the WebSocket is acked and answered."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
from fake_slack import FakeSlack, FakeSocketMode
from slack_payloads import SlackPayloads

from bot.app import Deps, create_app
from bot.settings import Settings
from bot.socket_mode import create_socket_handler

QUESTION = "what does db-03 affect?"


@pytest.fixture
def socket(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as fake:
        slack.ws_url = fake.url
        yield fake


def test_slash_command_over_socket_mode_is_acked_and_answered(
    slack: FakeSlack, socket: FakeSocketMode, conversation, payloads: SlackPayloads
) -> None:
    settings = Settings(bot_token="xoxb-test", app_token="xapp-1-test", api_url=slack.api_url)
    app = create_app(settings, Deps(conversation=conversation))
    handler = create_socket_handler(app, settings)
    handler.connect()
    try:
        socket.wait_connected()
        command = dict(parse_qsl(payloads.command(QUESTION)))
        socket.send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": command,
            }
        )
        ack = socket.wait_for_message(lambda m: m.get("envelope_id") == "env-1")
        [reply] = slack.wait_for("response_url")
    finally:
        handler.close()

    assert ack == {"envelope_id": "env-1"}
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["text"].startswith("db-03 ")
    [opened] = slack.calls("apps.connections.open")
    assert opened.headers["authorization"] == "Bearer xapp-1-test"
