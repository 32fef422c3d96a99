"""Finding 8: a replayed signed slash command (same body, signature and timestamp) is
applied once, through the Bolt pipeline, with the deliveries table as the memory."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "commands"))

from command_chat import ADMIN, OPS
from fake_slack import FakeSlack
from slack_payloads import SIGNING_SECRET, SlackPayloads

from bot.app import Deps, build_client, create_app
from bot.settings import Settings
from handlers.access import AccessPolicy, Admins
from handlers.conversation import Conversation
from services.incidents import Incidents
from services.model import ModelService
from store import Store


def test_limits_replayed_command_is_applied_once(demo_store: Store) -> None:
    with FakeSlack() as slack:
        settings = Settings(
            bot_token="xoxb-test", signing_secret=SIGNING_SECRET, api_url=slack.api_url
        )
        models = ModelService(demo_store)
        conversation = Conversation(
            models, incidents=Incidents(demo_store, models), access=AccessPolicy(Admins((ADMIN,)))
        )
        deps = Deps(conversation, demo_store.deliveries)
        app = create_app(settings, deps, client=build_client(settings))
        payloads = SlackPayloads(slack.response_url("r1"))
        body = payloads.command("maintenance db-03 for 2h patching", user=ADMIN, channel=OPS)
        stamp = int(time.time())
        first = app.dispatch(payloads.bolt_request(body, timestamp=stamp))
        replay = app.dispatch(payloads.bolt_request(body, timestamp=stamp))
        assert (first.status, replay.status) == (200, 200)
        slack.wait_for("response_url", 1)
        again = app.dispatch(payloads.bolt_request(body, timestamp=stamp))  # after the reply
        assert again.status == 200
    assert len(demo_store.maintenance_windows()) == 1
    added = [e for e in demo_store.audit_log() if e.action == "maintenance.add"]
    assert len(added) == 1
