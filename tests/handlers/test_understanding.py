"""Understanding beyond the corpus: markup in every form, plain English never a component,
the window grammar of every command, suggestions when not understood, follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.intents import command_text, parse
from handlers.markup import tidy
from handlers.names import NameIndex
from impact.windows import WindowError, parse_window

NOW = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        (":siren: what does dns affect? :siren:", "what does dns affect?"),
        ("status :+1::skin-tone-2:", "status"),
        ("what does `db-03` affect 🔥", "what does db-03 affect"),
        ("> why is checkout down", "why is checkout down"),
        ("/bsm status", "status"),
        ("```db-03```", "db-03"),
        ("maintenance list at 10:30:00", "maintenance list at 10:30:00"),
        ("subscribe <#C0123ABCD|ops> to tier 1", "subscribe <#C0123ABCD|ops> to tier 1"),
    ],
)
def test_tidy_strips_markup_but_keeps_references(typed: str, clean: str) -> None:
    assert tidy(typed) == clean


@pytest.mark.parametrize("phrase", ["as", "as well", "both", "the", "so", "time", "well"])
def test_plain_english_is_never_a_component(phrase: str, demo_names: NameIndex) -> None:
    assert demo_names.resolve(phrase) == ()
    assert demo_names.suggest(phrase) == ()


def test_as_well_does_not_add_a_component(demo_names: NameIndex) -> None:
    question = parse("impact of db-01 and db-02 as well", demo_names)
    resolution = demo_names.screen(demo_names.resolve_all(question.phrases), named=True)
    assert resolution.names == ("db-01", "db-02") and resolution.ok


def test_unknown_words_are_reported_only_when_they_look_like_names(
    demo_names: NameIndex,
) -> None:
    question = parse("what does db-03 affect for the shift handover", demo_names)
    resolution = demo_names.screen(demo_names.resolve_all(question.phrases), named=True)
    assert resolution.ok and resolution.names == ("db-03",)
    question = parse("what does db-09 affect", demo_names)
    resolution = demo_names.screen(demo_names.resolve_all(question.phrases), named=True)
    assert "db-09" in resolution.unknown  # digits and a hyphen: a name, reported


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("in september", "2026-09-01T00:00", "2026-10-01T00:00"),
        ("for october 2026", "2026-10-01T00:00", "2026-11-01T00:00"),
        ("past 24h", "2026-12-01T19:00", "2026-12-02T19:00"),
        ("last 6 hours", "2026-12-02T13:00", "2026-12-02T19:00"),
        ("since monday", "2026-11-30T00:00", "2026-12-02T19:00"),
        ("last quarter", "2026-07-01T00:00", "2026-10-01T00:00"),
        ("this quarter", "2026-10-01T00:00", "2027-01-01T00:00"),
        ("from 2026-11-01 to 2026-11-15", "2026-11-01T00:00", "2026-11-16T00:00"),
        ("today in CET", "2026-12-01T23:00", "2026-12-02T23:00"),
        ("december", "2026-12-01T00:00", "2027-01-01T00:00"),
        ("last 2 weeks", "2026-11-18T19:00", "2026-12-02T19:00"),
    ],
)
def test_window_grammar(phrase: str, start: str, end: str) -> None:
    window = parse_window(phrase, NOW)
    assert window.start == datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert window.end == datetime.fromisoformat(end).replace(tzinfo=UTC)


def test_window_errors_name_the_command() -> None:
    with pytest.raises(WindowError, match="unknown changes window 'monday'"):
        parse_window("monday", NOW, what="changes window")


def test_everyday_maintenance_reads_as_the_command() -> None:
    assert command_text("take cache-02 out for an hour, disk swap") == (
        "maintenance cache-02 for 1h disk swap"
    )
    assert command_text("what does db-03 affect") == "what does db-03 affect"


def test_not_understood_offers_questions_built_from_the_names(corpus_conversation) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_conversation.ask("orders-api people tomorrow?", origin="cli")
    assert not answer.ok
    questions = answer.data["questions"]
    assert 1 <= len(questions) <= 3 and questions[0] == "who owns orders-api?"
    assert [a.value for a in answer.actions] == questions
    assert "Examples" not in [s.title for s in answer.sections]  # not the full help


def test_follow_up_without_context_says_what_it_needs(corpus_conversation) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_conversation.ask("who owns it?", origin="cli", session="fresh")
    assert not answer.ok and "no earlier answer" in answer.summary


def test_what_about_without_context_says_so_and_offers_questions(corpus_conversation) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_conversation.ask("what about db-02?", origin="cli", session="empty")
    assert not answer.ok and "I have none in this conversation" in answer.summary
    assert answer.data["questions"][0] == "what does db-02 affect?"


def test_what_happens_to_a_service_if_another_fails_simulates_only_the_other(
    corpus_conversation,  # type: ignore[no-untyped-def]
) -> None:
    # store/demo/demo.yaml: online-checkout needs checkout-api, which needs payments-api,
    # which needs payments-db: losing payments-db takes Online Checkout down.
    answer = corpus_conversation.ask("what happens to checkout if payments-db fails?", origin="cli")
    assert answer.intent == "whatif" and answer.subjects == ("payments-db",)
    assert answer.summary.endswith("; Online Checkout goes ok -> down")


def test_a_watched_service_that_also_fails_is_said_to_fail(
    corpus_conversation,  # type: ignore[no-untyped-def]
) -> None:
    # the watched service is one of the failures: it neither "stays ok" nor is left out
    answer = corpus_conversation.ask(
        "what happens to kafka-cluster if kafka-cluster and db-02 fail?", origin="cli"
    )
    assert answer.intent == "whatif"
    assert set(answer.subjects) == {"kafka-cluster", "db-02"}, answer.summary
    assert answer.summary.endswith("; kafka-cluster is one of the failures simulated")
