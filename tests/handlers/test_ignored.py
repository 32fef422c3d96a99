"""Saying what was ignored: only name-like words a question dropped get a short line.

Expected names by hand from store/demo/demo.yaml: "k8s pool" starts k8s-pool-a, k8s-pool-b
and k8s-pool-c (ambiguous, dropped since db-03 resolved); "db-3" is close to db-01..db-03.
"""

from __future__ import annotations

import pytest

from handlers.conversation import Conversation
from services.model import ModelService
from store import Store


@pytest.fixture
def chat(demo_store: Store) -> Conversation:
    return Conversation(ModelService(demo_store))


def test_a_dropped_ambiguous_name_is_named_with_its_candidates(chat: Conversation) -> None:
    answer = chat.ask("what does db-03 and k8s pool affect")
    assert answer.ok and answer.subjects == ("db-03",)
    assert answer.notes[0] == (
        'Ignored "k8s pool" (did you mean k8s-pool-a, k8s-pool-b or k8s-pool-c?)'
    )
    assert answer.data["ignored"] == ["k8s pool"]


def test_a_name_in_the_trailing_context_is_named(chat: Conversation) -> None:
    answer = chat.ask("what does db-03 affect, thanks, and db-3 maybe")
    assert answer.ok and answer.subjects == ("db-03",)
    assert answer.notes[0].startswith('Ignored "db-3" (did you mean db-0')
    ticket = chat.ask("why is payments down? thanks, ticket inc-4521")
    assert ticket.notes[0] == 'Ignored "inc-4521"'


@pytest.mark.parametrize(
    "question",
    [
        "what does db-03 affect, asking for a friend on the payments team",
        "what does db-03 affect somehow pls",
        "impact of db-01 and db-02 as well",
        "what does db-03 affect, need it for the change review at 10:30 tomorrow",
        "what does db-03 affect for the postmortem :eyes:",
    ],
)
def test_plain_english_is_never_said_to_be_ignored(chat: Conversation, question: str) -> None:
    answer = chat.ask(question)
    assert answer.ok
    assert "ignored" not in answer.data
    assert not any(note.startswith("Ignored") for note in answer.notes)


def test_the_subject_said_again_in_the_context_is_not_ignored(chat: Conversation) -> None:
    answer = chat.ask("what does db-03 affect? thanks, db-03 is flapping")
    assert answer.ok and "ignored" not in answer.data
