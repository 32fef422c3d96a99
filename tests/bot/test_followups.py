"""Follow-ups through the real Bolt pipeline, on two replicas sharing one database.

The first question lands on replica A, the follow-up in the same thread on replica B: the
conversation context is the store's, so B completes "who owns it?" with A's subject. The
expected owner comes from the demo map (store/demo/demo.yaml: orders-api is owned by
checkout-team).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_slack import FakeSlack
from slack_payloads import SlackPayloads

from bot.app import Deps, create_app
from bot.settings import Settings
from handlers.conversation import Conversation
from services.model import ModelService
from store import Store
from store.mapfile import load_map_file

DEMO_MAP = Path(__file__).resolve().parents[2] / "store" / "demo" / "demo.yaml"
THREAD = "1700000100.000100"


def _replica(settings: Settings, url: str, client: Any) -> tuple[Any, Store]:
    store = Store(url=url)
    conversation = Conversation(ModelService(store))
    return create_app(settings, Deps(conversation=conversation), client=client), store


@pytest.fixture
def replicas(store: Store, settings: Settings, client: Any) -> Iterator[tuple[Any, Any]]:
    """Two apps, each with its own store and model, on one database holding the demo map."""
    store.import_map(load_map_file(DEMO_MAP), actor="tests")
    app_a, store_a = _replica(settings, store.url, client)
    app_b, store_b = _replica(settings, store.url, client)
    yield app_a, app_b
    store_a.close()
    store_b.close()


def _text(call: Any) -> str:
    return json.dumps(call.body)


def test_follow_up_in_a_thread_is_answered_by_the_other_replica(
    replicas: tuple[Any, Any], slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app_a, app_b = replicas
    first = payloads.mention("is orders-api up?", ts=THREAD)
    assert app_a.dispatch(payloads.bolt_request(payloads.event(first))).status == 200
    seen = len(slack.wait_for("chat.postMessage"))
    follow = payloads.mention("who owns it?", ts="1700000100.000200") | {"thread_ts": THREAD}
    assert app_b.dispatch(payloads.bolt_request(payloads.event(follow))).status == 200
    posts = slack.wait_for("chat.postMessage", count=seen + 1)
    answer = _text(posts[seen])
    assert posts[seen].body["thread_ts"] == THREAD
    assert "checkout-team" in answer and "orders-api" in answer
    assert "Which component" not in answer

    # Another thread has no context: the follow-up says what it needs.
    lost = payloads.mention("who owns it?", ts="1700000200.000100")
    app_b.dispatch(payloads.bolt_request(payloads.event(lost)))
    posts = slack.wait_for("chat.postMessage", count=seen + 2)
    assert "no earlier answer" in _text(posts[seen + 1])


def test_follow_up_in_a_direct_message_keeps_the_intent_with_a_new_subject(
    replicas: tuple[Any, Any], slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app_a, app_b = replicas
    app_a.dispatch(payloads.bolt_request(payloads.event(payloads.dm("who owns payments-api"))))
    slack.wait_for("chat.postMessage")
    second = payloads.dm("and orders-api?", ts="1699999999.000300")
    app_b.dispatch(payloads.bolt_request(payloads.event(second)))
    posts = slack.wait_for("chat.postMessage", count=2)
    assert "checkout-team" in _text(posts[1])  # the owner of orders-api, per the map
