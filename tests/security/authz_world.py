"""The authorization tests' world: the real Bolt app over the demo store, a fake Slack whose
admin group lookup the test controls, a settable clock for that lookup, and a snapshot of
every table's row count (with the audit log) to prove that a refusal changed nothing."""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "bot"))  # fake_slack, slack_payloads
sys.path.insert(0, str(TESTS / "commands"))  # command_chat

from command_chat import ADMIN, ADMIN_GROUP, GROUP_MEMBER, OPS, OUTSIDER, Chat  # noqa: E402
from fake_slack import FakeSlack  # noqa: E402
from slack_payloads import SIGNING_SECRET, SlackPayloads  # noqa: E402

from bot.admins import UserGroups  # noqa: E402
from bot.app import Deps, build_client, create_app  # noqa: E402
from bot.digest import poster  # noqa: E402
from bot.home import HomeDashboard, HomePanels  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.access import AccessPolicy, Admins  # noqa: E402
from handlers.conversation import Conversation  # noqa: E402
from services.digests import DigestService  # noqa: E402
from services.incidents import Incidents  # noqa: E402
from services.model import ModelService  # noqa: E402
from store import Store  # noqa: E402

__all__ = ["ADMIN", "ADMIN_GROUP", "GROUP_MEMBER", "OPS", "OUTSIDER", "World"]
MGMT = "C0MGMT001"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


# Tables that are no change the policy guards: the schema's version, and the conversation's
# memory of its last answer in a session (what a follow-up leans on; written for every
# reader's question, kept 2 hours, never a change of the map, its settings or its history).
UNGUARDED = frozenset({"alembic_version", "conversation_contexts"})


@dataclass
class World(Chat):
    """`Chat` plus the group lookup's clock and a database snapshot."""

    clock: Clock = field(default_factory=Clock)

    def snapshot(self) -> dict[str, Any]:
        """Every table's row count, and the audit log, as the database holds them now."""
        engine = self.store.engine
        tables = sa.inspect(engine).get_table_names()
        with engine.connect() as connection:
            counts = {
                t: connection.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar()
                for t in tables
                if t not in UNGUARDED
            }
        return {"counts": counts, "audit": self.store.audit_log(limit=1000)}

    def posts(self) -> int:
        return len(self.slack.calls("chat.postMessage"))

    def click(self, action_id: str, value: str, user: str = OUTSIDER, channel: str = OPS) -> int:
        """A signed button click by `user`; the HTTP status Bolt answered."""
        body = self.payloads.click(action_id, value, channel=channel)
        from urllib.parse import parse_qs

        payload = json.loads(parse_qs(body)["payload"][0])
        payload["user"]["id"] = user
        signed = urlencode({"payload": json.dumps(payload)})
        return self.app.dispatch(self.payloads.bolt_request(signed)).status

    def answer_text(self, body: dict[str, Any]) -> str:
        parts = [body.get("text", "")]
        for block in body.get("blocks", []):
            if block["type"] == "section":
                parts.append(block["text"]["text"])
            elif block["type"] == "context":
                parts += [e["text"] for e in block["elements"]]
        return html.unescape("\n".join(parts))


def slack_world() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.usergroups[ADMIN_GROUP] = [GROUP_MEMBER]
        yield fake


def build_world(store: Store, slack: FakeSlack) -> World:
    settings = Settings(bot_token="xoxb-test", signing_secret=SIGNING_SECRET, api_url=slack.api_url)
    client = build_client(settings)
    clock = Clock()
    groups = UserGroups(client, clock=clock)
    policy = AccessPolicy(Admins(users=(ADMIN,), groups=(ADMIN_GROUP,)), groups.members)
    models = ModelService(store)
    models.current()  # warm, as `bsm serve` is before it answers: the compiled map's
    models.flush()  # snapshot is saved now, not by whichever request happens to come first
    incidents = Incidents(store, models)
    digests = DigestService(store, models, post=poster(client))
    conversation = Conversation(models, incidents=incidents, access=policy, digests=digests)
    home = HomeDashboard(conversation, client=client, panels=HomePanels(incidents, digests))
    app = create_app(settings, Deps(conversation, home=home, desk=incidents), client=client)
    payloads = SlackPayloads(slack.response_url("r1"))
    return World(app, slack, payloads, conversation, store, incidents, home, clock)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from slack_world()


@pytest.fixture
def world(demo_store: Store, slack: FakeSlack) -> World:
    return build_world(demo_store, slack)
