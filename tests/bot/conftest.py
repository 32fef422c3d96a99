"""Fixtures for the Slack app: a fake Slack, signed payloads, the app over the demo map."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fake_slack, slack_payloads

from fake_slack import FakeSlack
from slack_payloads import SIGNING_SECRET, SlackPayloads
from slack_sdk import WebClient

from bot.app import Deps, build_client, create_app
from bot.settings import Settings
from handlers.answer import Answer

REPO = Path(__file__).resolve().parents[2]
DEMO_MAP = REPO / "store" / "demo" / "demo.yaml"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return Settings(bot_token="xoxb-test", signing_secret=SIGNING_SECRET, api_url=slack.api_url)


@pytest.fixture
def client(settings: Settings) -> WebClient:
    return build_client(settings)


@pytest.fixture
def payloads(slack: FakeSlack) -> SlackPayloads:
    return SlackPayloads(slack.response_url("r1"))


def demo_store(directory: Path):  # type: ignore[no-untyped-def]
    """A SQLite store holding the demo map (the one `bsm serve` would read)."""
    from store import Store
    from store.mapfile import load_map_file

    store = Store(url=f"sqlite:///{directory / 'bsm.db'}")
    store.import_map(load_map_file(DEMO_MAP))
    return store


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    demo_store(directory)
    return directory / "bsm.db"


@pytest.fixture
def conversation(demo_db: Path):  # type: ignore[no-untyped-def]
    """The real conversation over the demo map."""
    from handlers.conversation import Conversation
    from services.model import ModelService
    from store import Store

    return Conversation(ModelService(Store(url=f"sqlite:///{demo_db}")))


@pytest.fixture
def app(settings: Settings, conversation, client: WebClient):  # type: ignore[no-untyped-def]
    return create_app(settings, Deps(conversation=conversation), client=client)


@dataclass
class ScriptedConversation:
    """A stand-in for tests about Slack itself: fixed answers, optionally held at a gate."""

    answer: Answer
    gate: threading.Event | None = None
    error: Exception | None = None
    asked: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def ask(
        self, text: str, *, user_id: str | None, channel_id: str | None, session: str | None = None
    ) -> Answer:
        self.asked.append((text, user_id, channel_id))
        if self.error is not None:
            raise self.error
        if self.gate is not None and not self.gate.wait(10):
            raise TimeoutError("the test never opened the gate")
        return self.answer


@pytest.fixture
def scripted_app(settings: Settings, client: WebClient):  # type: ignore[no-untyped-def]
    """`(app, conversation)` with a scripted conversation the test can change."""
    script = ScriptedConversation(Answer(intent="help", summary="scripted"))
    return create_app(settings, Deps(conversation=script), client=client), script
