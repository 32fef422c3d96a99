"""Proactive notices: the fake Slack (tests/bot/fake_slack.py) and two runtimes (replicas)
sharing the test's database, for at-risk notices and burn alerts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # fake_slack
sys.path.insert(0, str(Path(__file__).resolve().parent))  # runtime_replicas

from fake_slack import FakeSlack
from slack_payloads import SIGNING_SECRET

from bot.runtime import Runtime
from bot.settings import Settings
from store import Store


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def replicas(demo_store: Store, slack: FakeSlack) -> Iterator[list[Runtime]]:
    url = demo_store.engine.url.render_as_string(hide_password=False)
    settings = Settings(
        bot_token="xoxb-test",
        signing_secret=SIGNING_SECRET,
        api_url=slack.api_url,
        database_url=url,
    )
    built = [Runtime.build(settings) for _ in range(2)]
    yield built
    for runtime in built:
        runtime.stop()
        runtime.store.close()
