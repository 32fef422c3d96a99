"""Paging a long answer: every later page goes on where its section stopped.

On the demo map (store/demo/demo.yaml) Online Checkout depends on 61 components; its tree
shows 25 lines and says how many there are. Page 2 shows lines 26-35, page 3 lines
36-45: no line twice, none skipped.
"""

from __future__ import annotations

from typing import Any

TREE = "what does online checkout depend on"


def ask(conversation: Any, text: str) -> Any:
    return conversation.ask(text, user_id="U0READER", channel_id="C0PAGES", origin="chat")


def test_pages_continue_each_section_where_it_stopped(corpus_conversation: Any) -> None:
    first = ask(corpus_conversation, TREE)
    [tree] = [s for s in first.sections if s.more]
    shown = len(tree.items)
    assert first.data["more"] == f"more page 2: {TREE}"
    second = ask(corpus_conversation, first.data["more"])
    [part] = second.sections
    assert part.title.startswith(f"{tree.title} ({shown + 1}-{shown + 10} of ")
    assert [i.text for i in part.items] == [i.text for i in tree.full[shown : shown + 10]]
    third = ask(corpus_conversation, second.data["more"])
    assert third.sections[0].title.startswith(f"{tree.title} ({shown + 11}-{shown + 20} of ")


def test_a_page_past_the_end_says_there_is_nothing_more(corpus_conversation: Any) -> None:
    answer = ask(corpus_conversation, "more page 99: spofs for online checkout")
    assert answer.summary.startswith("Nothing more to show")
    assert not answer.sections


def test_a_short_answer_offers_no_more(corpus_conversation: Any) -> None:
    answer = ask(corpus_conversation, "who owns orders-db")
    assert "more" not in answer.data
    assert all(a.kind != "more" for a in answer.actions)


def test_a_continuation_out_of_bounds_is_not_one(corpus_conversation: Any) -> None:
    answer = ask(corpus_conversation, "more page 0: spofs for online checkout")
    assert "page" not in answer.data
    huge = ask(corpus_conversation, "more page 99999999999: spofs for online checkout")
    assert "page" not in huge.data
