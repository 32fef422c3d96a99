""" "Show more" through the real Bolt pipeline: slash, mention and DM, on two replicas.

A long answer shows its first page (capped at 10 items per section) with a "Show more"
button whose value carries the continuation; clicking it, or typing "more" in the same
thread, DM or slash channel (on the other replica: the continuation is the store's), shows
the next items. The demo map (store/demo/demo.yaml) gives Online Checkout 31 single points
of failure (tests/handlers/test_outage_answers.py): pages 1-10, 11-20, 21-30, 31.
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
from bot.render.blocks import ActionId
from bot.settings import Settings
from handlers.conversation import Conversation
from services.model import ModelService
from store import Store
from store.mapfile import load_map_file

DEMO_MAP = Path(__file__).resolve().parents[2] / "store" / "demo" / "demo.yaml"
LONG = "spofs for online checkout"
THREAD = "1700000300.000100"


@pytest.fixture
def replicas(store: Store, settings: Settings, client: Any) -> Iterator[tuple[Any, Any]]:
    """Two apps, each with its own store and model, on one database holding the demo map."""
    store.import_map(load_map_file(DEMO_MAP), actor="tests")
    opened = [Store(url=store.url), Store(url=store.url)]
    apps = [
        create_app(settings, Deps(conversation=Conversation(ModelService(s))), client=client)
        for s in opened
    ]
    yield apps[0], apps[1]
    for s in opened:
        s.close()


def _more(body: dict[str, Any]) -> str | None:
    values = [
        e["value"]
        for b in body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(ActionId.MORE + ".")
    ]
    return values[0] if values else None


def test_slash_answer_pages_with_a_button_and_each_click_shows_the_next_items(
    replicas: tuple[Any, Any], slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app_a, app_b = replicas
    app_a.dispatch(payloads.bolt_request(payloads.command(LONG)))
    [first] = slack.wait_for("response_url")  # one message: no flood of thread replies
    text = json.dumps(first.body)
    assert "31 single points of failure" in text
    assert "_and 21 more (Show more)_" in text
    assert _more(first.body) == f"more page 2: {LONG}"

    seen, value, pages = 1, _more(first.body), []
    while value is not None:
        click = payloads.click(f"{ActionId.MORE}.0", value)
        assert (replicas[len(pages) % 2]).dispatch(payloads.bolt_request(click)).status == 200
        reply = slack.wait_for("response_url", count=seen + 1)[seen]
        seen += 1
        pages.append(json.dumps(reply.body))
        value = _more(reply.body)
    assert len(pages) == 3
    assert "(11-20 of 31)" in pages[0] and "(21-30 of 31)" in pages[1]
    assert "(31 of 31)" in pages[2]

    # typed in the same channel by the same user, on the other replica: the slash session
    app_b.dispatch(payloads.bolt_request(payloads.command(LONG)))
    slack.wait_for("response_url", count=seen + 1)
    app_a.dispatch(payloads.bolt_request(payloads.command("more")))
    typed = slack.wait_for("response_url", count=seen + 2)[seen + 1]
    assert "(11-20 of 31)" in json.dumps(typed.body)


def test_more_in_a_mention_thread_lands_on_the_other_replica(
    replicas: tuple[Any, Any], slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app_a, app_b = replicas
    app_a.dispatch(payloads.bolt_request(payloads.event(payloads.mention(LONG, ts=THREAD))))
    [first] = slack.wait_for("chat.postMessage")  # the answer alone, no thread replies
    assert _more(first.body) == f"more page 2: {LONG}"
    follow = payloads.mention("show more", ts="1700000300.000200") | {"thread_ts": THREAD}
    app_b.dispatch(payloads.bolt_request(payloads.event(follow)))
    posts = slack.wait_for("chat.postMessage", count=2)
    assert posts[1].body["thread_ts"] == THREAD
    assert "(11-20 of 31)" in json.dumps(posts[1].body)


def test_more_in_a_direct_message_and_with_nothing_to_continue(
    replicas: tuple[Any, Any], slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app_a, app_b = replicas
    app_b.dispatch(payloads.bolt_request(payloads.event(payloads.dm("more"))))
    [nothing] = slack.wait_for("chat.postMessage")
    assert "Nothing to continue" in json.dumps(nothing.body)
    app_a.dispatch(payloads.bolt_request(payloads.event(payloads.dm(LONG, ts="1699999999.3"))))
    slack.wait_for("chat.postMessage", count=2)
    app_b.dispatch(
        payloads.bolt_request(payloads.event(payloads.dm("more pls", ts="1699999999.4")))
    )
    page = slack.wait_for("chat.postMessage", count=3)[2]
    assert "(11-20 of 31)" in json.dumps(page.body)


def test_a_forged_show_more_value_is_checked_against_the_policy(
    replicas: tuple[Any, Any], store: Store, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app_a, _ = replicas
    forged = "more page 2: maintenance db-03 for 1h disk swap"
    app_a.dispatch(payloads.bolt_request(payloads.click(f"{ActionId.MORE}.0", forged)))
    [reply] = slack.wait_for("response_url")
    assert "admin" in json.dumps(reply.body).casefold()
    assert store.maintenance_windows() == []


def _long_answer(question: str) -> Any:
    from handlers.answer import Action, Answer, Item, Section

    items = tuple(Item(f"service-{i}") for i in range(40))
    return Answer(
        "affects",
        "x takes 40 business services down",
        ("x",),
        (Section("Down", items[:10], more=30, full=items),),
        actions=(Action("more", "Show more", f"more page 2: {question}"),),
    )


def test_a_paged_answer_posts_no_thread_unless_its_button_cannot_carry_the_question() -> None:
    from bot.render.answers import render_answer
    from bot.render.blocks import MAX_BUTTON_VALUE

    paged = render_answer(_long_answer("what does x affect"))
    assert paged.thread == ()
    assert _more(paged.payload()) == "more page 2: what does x affect"
    # a question too long for a button value: no button, the full list in the thread
    flood = render_answer(_long_answer("x" * MAX_BUTTON_VALUE))
    assert _more(flood.payload()) is None
    assert flood.thread and "service-39" in json.dumps([m.payload() for m in flood.thread])
