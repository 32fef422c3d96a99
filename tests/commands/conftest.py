"""Chat commands through the real Bolt pipeline: signed slash commands in, fake Slack out.

The store is the shared `demo_store` fixture (SQLite and PostgreSQL); admins are
`ADMIN` by user id and members of `ADMIN_GROUP` (answered by the fake Slack's
`usergroups.users.list`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # fake_slack, payloads
sys.path.insert(0, str(Path(__file__).resolve().parent))  # command_chat

from command_chat import ADMIN, ADMIN_GROUP, GROUP_MEMBER, Chat
from fake_slack import FakeSlack
from slack_payloads import SIGNING_SECRET, SlackPayloads

from bot.app import Deps, build_client, create_app
from bot.home import HomeDashboard, HomePanels
from bot.settings import Settings
from handlers.access import AccessPolicy, Admins
from handlers.conversation import Conversation
from services.digests import DigestService
from services.incidents import Incidents
from services.model import ModelService
from store import Store


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.usergroups[ADMIN_GROUP] = [GROUP_MEMBER]
        yield fake


@pytest.fixture
def chat(demo_store: Store, slack: FakeSlack) -> Chat:
    settings = Settings(bot_token="xoxb-test", signing_secret=SIGNING_SECRET, api_url=slack.api_url)
    policy = AccessPolicy(Admins(users=(ADMIN,), groups=(ADMIN_GROUP,)))
    models = ModelService(demo_store)
    incidents = Incidents(demo_store, models)
    digests = DigestService(demo_store, models)
    conversation = Conversation(models, incidents=incidents, access=policy, digests=digests)
    client = build_client(settings)
    home = HomeDashboard(conversation, client=client, panels=HomePanels(incidents, digests))
    app = create_app(settings, Deps(conversation, home=home, desk=incidents), client=client)
    payloads = SlackPayloads(slack.response_url("r1"))
    return Chat(app, slack, payloads, conversation, demo_store, incidents, home)
