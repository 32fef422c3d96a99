"""Block Kit rendering: Slack's limits hold for any answer, and map text can never ping or link."""

from __future__ import annotations

import json
from typing import Any

from bot.render.answers import render_answer
from bot.render.blocks import (
    MAX_BLOCKS,
    MAX_FIELDS,
    MAX_HEADER,
    MAX_SECTION_TEXT,
    MAX_VIEW_BLOCKS,
    ActionId,
    BlockId,
    Message,
    button,
    escape,
)
from bot.render.home import render_home
from handlers.answer import Action, Answer, Item, Section
from impact.model import State


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    found = []
    for block in blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                found.append(block[key]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found


def assert_within_limits(blocks: list[dict[str, Any]], max_blocks: int = MAX_BLOCKS) -> None:
    assert len(blocks) <= max_blocks
    ids = [b["block_id"] for b in blocks]
    assert len(ids) == len(set(ids)), "block_id must be unique in a message"
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
            assert len(block.get("fields", [])) <= MAX_FIELDS
        for element in block.get("elements", []):
            assert len(element.get("value", "")) <= 2000
            text = element["text"] if element["type"] == "mrkdwn" else element["text"]["text"]
            assert len(text) <= (75 if element["type"] == "button" else MAX_SECTION_TEXT)


def all_messages(message: Message) -> list[Message]:
    return [message, *message.thread]


def impact_answer(count: int, name: str = "service") -> Answer:
    items = tuple(
        Item(f"{name}-{i}", State.DOWN, f"tier {1 + i % 4} · team-{i}") for i in range(count)
    )
    return Answer(
        intent="affects",
        summary=f"db-03 takes {count} business services down",
        subjects=("db-03",),
        sections=(Section("Down", items[:10], more=count - 10, full=items),),
        actions=(Action("simulate", "Simulate outage", "what if db-03 fails?"),),
    )


def test_300_impacted_services_are_summarised_and_listed_in_full_in_the_thread() -> None:
    message = render_answer(impact_answer(300), question="what does db-03 affect?")

    for part in all_messages(message):
        assert_within_limits(part.blocks)
    body = "\n".join(texts(message.blocks))
    assert "_and 290 more (full list in the thread)_" in body
    threaded = "\n".join(t for part in message.thread for t in texts(part.blocks))
    assert all(f"service-{i} — tier" in threaded for i in range(300))
    assert message.thread[0].text.startswith("*Down*: all 300")


def test_section_items_beyond_the_inline_cap_overflow_even_without_a_full_list() -> None:
    items = tuple(Item(f"c-{i}") for i in range(40))
    message = render_answer(
        Answer(intent="depends", summary="x", sections=(Section("Deps", items),))
    )

    assert "_and 25 more (full list in the thread)_" in texts(message.blocks)[1]
    assert "c-39" in "".join(texts(message.thread[0].blocks))


def test_many_sections_stay_under_fifty_blocks() -> None:
    sections = tuple(Section(f"group {i}", (Item("x" * 300),) * 15) for i in range(60))
    message = render_answer(
        Answer(intent="status", summary="many", sections=sections, notes=("n",))
    )

    for part in all_messages(message):
        assert_within_limits(part.blocks)
    assert message.blocks[-2]["block_id"] == BlockId.MORE_SECTIONS
    assert "more sections" in message.blocks[-2]["text"]["text"]
    assert message.blocks[-1]["block_id"] == BlockId.NOTES


def test_5000_character_names_are_cut_to_fit() -> None:
    name = "n" * 5000
    answer = Answer(
        intent="affects",
        summary=name,
        sections=(Section(name, tuple(Item(name, State.DOWN, name) for _ in range(20))),),
        notes=(name,) * 12,
    )
    message = render_answer(answer)

    for part in all_messages(message):
        assert_within_limits(part.blocks)
    assert len(message.text) <= MAX_SECTION_TEXT
    assert message.text.endswith("…")


def test_mentions_and_links_in_names_are_inert() -> None:
    evil = "<!channel> <@U1> <https://evil.test|click> & co"
    answer = Answer(
        intent="affects",
        summary=f"{evil} is down",
        sections=(Section(evil, (Item(evil, State.DOWN, evil),)),),
        notes=(evil,),
    )
    message = render_answer(answer, shared_by="<!here>")
    rendered = json.dumps([message.text, message.blocks])

    for forged in ("<!channel>", "<@U1>", "<https://", "<!here>"):
        assert forged not in rendered
    assert "&lt;!channel&gt; &lt;@U1&gt; &lt;https://evil.test|click&gt; &amp; co" in rendered


def test_escaping_a_cut_text_never_leaves_half_an_entity() -> None:
    message = render_answer(Answer(intent="x", summary="&" * 4000))
    assert message.text.endswith("&amp;…")
    assert len(message.text) <= MAX_SECTION_TEXT


def test_buttons_carry_their_question_and_share_comes_last() -> None:
    answer = impact_answer(3)
    buttons = render_answer(answer, question="what does db-03 affect?").blocks[-1]["elements"]

    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (f"{ActionId.SIMULATE}.0", "what if db-03 fails?"),
        (ActionId.SHARE, "what does db-03 affect?"),
    ]
    assert buttons[0]["text"] == {"type": "plain_text", "text": "Simulate outage"}


def test_shared_answers_have_no_share_button_but_credit_the_sharer() -> None:
    message = render_answer(impact_answer(3), shared_by="U0USER1")

    action_ids = [
        e["action_id"] for b in message.blocks for e in b.get("elements", []) if "action_id" in e
    ]
    assert ActionId.SHARE not in action_ids
    assert message.blocks[-1]["elements"][0]["text"] == "Shared by <@U0USER1>"


def test_a_question_too_long_for_a_button_gets_no_share_button() -> None:
    message = render_answer(impact_answer(3), question="q" * 2001)
    assert all(e["action_id"] != ActionId.SHARE for e in message.blocks[-1]["elements"])


def test_one_button_shape_cut_to_slack_limits() -> None:
    plain = button("ack", "Acknowledge", "12")
    assert plain == {
        "type": "button",
        "action_id": "ack",
        "text": {"type": "plain_text", "text": "Acknowledge"},
        "value": "12",
    }
    long = button("share", "l" * 80, "v" * 2100, primary=True)
    assert long["style"] == "primary"
    assert len(long["text"]["text"]) == 75 and len(long["value"]) == 2000


def test_state_emoji_mark_each_item() -> None:
    answer = Answer(
        intent="status",
        summary="2 services",
        sections=(Section("Services", (Item("a", State.DOWN), Item("b", State.OK, "tier 1"))),),
    )
    body = texts(render_answer(answer).blocks)[1]
    assert body == "*Services*\n:red_circle: a\n:large_green_circle: b — tier 1"


def test_home_view_lists_2000_services_within_the_view_limit() -> None:
    items = tuple(Item(f"svc-{i}" + "x" * 200, State.OK, "tier 2 · team") for i in range(2000))
    status = Answer(intent="status", summary="2000 services", sections=(Section("All", items),))
    view = render_home(status, panels=(Section("SLA this month", (Item("pending"),)),))

    assert view["type"] == "home"
    assert_within_limits(view["blocks"], MAX_VIEW_BLOCKS)
    assert view["blocks"][-1]["text"]["text"].startswith("*SLA this month*")
    listed = "\n".join(texts(view["blocks"]))
    more = [b for b in view["blocks"] if b["block_id"] == BlockId.MORE_SECTIONS]
    shown = listed.count("svc-")
    assert more and more[0]["text"]["text"] == f"_and {2000 - shown} more services_"


def test_escape_covers_the_three_mrkdwn_control_characters() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
