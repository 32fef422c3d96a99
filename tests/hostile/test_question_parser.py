"""The question parser and `Conversation.ask` never raise and always answer, whatever is typed.

Runs over the demo map on SQLite and PostgreSQL (`demo_store`); the store is only read, so
one store serves every generated example of a test.
"""

from __future__ import annotations

import time
from importlib.resources import files

import pytest
from hostile_inputs import long_questions, questions, typo_names
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.conversation import HANDLERS, Conversation
from handlers.intents import Question, parse
from handlers.names import NameIndex
from services.model import ModelService
from store import Store
from store.mapfile import parse_map

KNOWN_INTENTS = frozenset(HANDLERS) | {"help", "unknown"}
FIXTURE_OK = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def conversation(demo_store: Store) -> Conversation:
    return Conversation(ModelService(demo_store))


@pytest.fixture(scope="module")
def names() -> NameIndex:
    text = files("store").joinpath("demo/demo.yaml").read_text("utf-8")
    return NameIndex(parse_map(text).components.values())


def assert_answers(conversation: Conversation, text: str) -> None:
    answer = conversation.ask(text, user_id="U123", channel_id="C123")
    assert answer.summary.strip(), f"empty summary for {text!r}"
    assert answer.intent in KNOWN_INTENTS, f"intent {answer.intent!r} for {text!r}"
    answer.to_json()  # `bsm ask --json` must be able to print it


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(), questions()))
def test_parse_never_raises(names: NameIndex, text: str) -> None:
    question = parse(text, names)
    assert isinstance(question, Question)
    assert question.intent in KNOWN_INTENTS
    assert all(isinstance(p, str) and p for p in question.phrases)
    assert parse(text) is not None  # without a name index too


@FIXTURE_OK
@given(text=st.one_of(st.text(), questions()))
def test_ask_always_answers(conversation: Conversation, text: str) -> None:
    assert_answers(conversation, text)


@settings(FIXTURE_OK, max_examples=60)
@given(
    template=st.sampled_from(
        (
            "what does {} affect?",
            "why is {} down",
            "what if {} and {} fail?",
            "path from {} to {}",
            "who owns {}",
            "sla {} last 7 days",
            "what does {} depend on depth 2",
            "spof {}",
            "{}",
            "is {} ok",
        )
    ),
    first=typo_names(),
    second=typo_names(),
)
def test_ask_with_misspelt_names(
    conversation: Conversation, template: str, first: str, second: str
) -> None:
    assert_answers(conversation, template.format(first, second))


@settings(FIXTURE_OK, max_examples=25)
@given(text=long_questions())
def test_ask_answers_very_long_input(conversation: Conversation, text: str) -> None:
    assert_answers(conversation, text)


# Slack markup a hostile (or careless) user can paste many times over. Regular expressions
# that scan to the end of the text from every unclosed opener take time growing with the
# square of the length (Slack's 40,000-character limit took 10-30 s, holding a worker
# thread); the parser is linear: ~0.3 s for 40,000 characters, nearly all of it tokens.
MARKUP_HEAVY = {
    "unclosed mentions": "<@" * 4000,
    "unclosed bold": "*a " * 2667,
    "unclosed code": "`a " * 2667,
    "unclosed italic": "_a " * 2667,
    "unclosed strike": "~a " * 2667,
    "unclosed links": "<" * 4000 + ">" * 4000,
    "mixed markers": "*`_~" * 2000,
    "blank lines": "\n" * 8000,
}
SLACK_LIMIT = {
    "unclosed mentions at the limit": "<@" * 20_000,
    "unclosed strike at the limit": "~a " * 13_334,
    "unclosed links at the limit": "<" * 20_000 + ">" * 20_000,
    "past the limit": "*a " * 100_000,
}


@pytest.mark.parametrize("text", MARKUP_HEAVY.values(), ids=MARKUP_HEAVY.keys())
def test_markup_heavy_question_parses_fast(names: NameIndex, text: str) -> None:
    assert_parses_within(names, text, 0.2)


@pytest.mark.parametrize("text", SLACK_LIMIT.values(), ids=SLACK_LIMIT.keys())
def test_question_at_slack_limit_parses_in_linear_time(names: NameIndex, text: str) -> None:
    assert_parses_within(names, text, 1.5)


def assert_parses_within(names: NameIndex, text: str, seconds: float) -> None:
    started = time.perf_counter()
    parse(text, names)
    took = time.perf_counter() - started
    assert took < seconds, f"{len(text)}-character question took {took:.2f} s"


@pytest.mark.parametrize(
    "unit",
    [
        "which who what x depends ",  # "who .. depends": two words related anywhere
        "what does affect post ",
        "path route bar and baz ",  # "@ .. @ .. route": was cubic
        "what if zz down , ",
    ],
)
def test_keyword_dense_messages_cost_their_length(names: NameIndex, unit: str) -> None:
    """A message four times longer costs about four times more, not sixteen: the rules read
    a long keyword template by its two ends (`intents.RULE_WINDOW`). Measured against the
    same parser on a shorter message in the same run (the machine's speed cancels out)."""

    def cost(size: int) -> float:
        text = (unit * (size // len(unit) + 1))[:size]
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            parse(text, names)
            best = min(best, time.perf_counter() - started)
        return best

    parse(unit, names)  # the first question's one-time work
    assert cost(32_000) < 9 * cost(8_000)
