"""The general rules the second held-out split led to, shown on phrasings of their own
(none of them is in a corpus file). Subjects are canonical names of the demo map."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.intents import command_text
from handlers.spelling import correct


def ask(conversation: Any, text: str, session: str | None = None) -> Any:
    return conversation.ask(
        text, user_id="U0READER", channel_id="C0RULES", origin="chat", session=session
    )


@pytest.mark.parametrize(
    ("typed", "intent", "subjects"),
    [
        # who it is for, who is asking: trailing context, not subjects
        ("what does cart-cache affect, for the checkout folks", "affects", ["cart-cache"]),
        ("why is payments down, the finance team keeps calling", "why", ["payments"]),
        ("blast radius of dns, my manager pings me every hour", "affects", ["dns"]),
        # non-native orders and everyday words for "depends"
        ("on which things runs the search-api", "depends", ["search-api"]),
        ("from which services depends orders-api", "depends", ["orders-api"]),
        ("what is below catalog-api", "depends", ["catalog-api"]),
        ("how does payments end up relying on dns", "path", ["payments", "dns"]),
        ("which lone box can take down payments", "spof", ["payments"]),
        # inflections of keywords and three-letter shorthand
        ("who is owning payments-api", "owner", ["payments-api"]),
        ("wht does kafka-cluster affect", "affects", ["kafka-cluster"]),
    ],
)
def test_general_rules(
    corpus_conversation: Any, typed: str, intent: str, subjects: list[str]
) -> None:
    answer = ask(corpus_conversation, typed)
    assert (answer.intent, list(answer.subjects)) == (intent, subjects)
    assert answer.ok, answer.summary


def test_spelling_keeps_the_first_letter_and_reads_dropped_vowels() -> None:
    assert correct("perfect") is None  # not "effect": a wrong first letter is another word
    assert correct("dependecy") == "dependency"
    assert correct("dwn") == "down" and correct("wht") == "what"
    assert correct("dns") is None  # no keyword is "dns" with a vowel


def test_a_letter_or_two_alone_is_not_a_name(corpus_conversation: Any) -> None:
    for typed in ("x", "ab"):
        assert ask(corpus_conversation, typed).intent == "help"


def test_plain_words_beside_a_question_without_subjects_are_dropped(
    corpus_conversation: Any,
) -> None:
    assert ask(corpus_conversation, "how is it going generally").ok
    assert ask(corpus_conversation, "sla figures for every service this month").ok
    # ... but in a name's position a word is taken for the name the user meant
    assert not ask(corpus_conversation, "sla grafana").ok
    assert not ask(corpus_conversation, "status of grafana").ok


def test_a_follow_up_may_change_only_the_period(corpus_conversation: Any) -> None:
    ask(corpus_conversation, "sla payments last 7 days", session="rules-period")
    answer = ask(corpus_conversation, "and this quarter?", session="rules-period")
    assert (answer.intent, answer.subjects) == ("sla", ("payments",))


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("is there anything under maintenance now?", "maintenance list"),
        ("what is in maintenance today", "maintenance list"),
        ("who is subscribed?", "subscriptions"),
        (
            "put db-02 under maintenance for 2h, kernel patch",
            "maintenance db-02 for 2h kernel patch",
        ),
    ],
)
def test_everyday_commands(typed: str, command: str) -> None:
    assert command_text(typed) == command


def test_commands_ignore_a_closing_question_mark_and_please(corpus_conversation: Any) -> None:
    assert ask(corpus_conversation, "changes since yesterday? pls").ok
    assert ask(corpus_conversation, "latest changes").intent == "changes"
