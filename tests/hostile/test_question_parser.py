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
from store import Store
from store.mapfile import parse_map

KNOWN_INTENTS = frozenset(HANDLERS) | {"help", "unknown"}
FIXTURE_OK = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SLACK_MAX_MESSAGE = 40_000  # characters Slack accepts in one message


@pytest.fixture
def conversation(demo_store: Store) -> Conversation:
    return Conversation(demo_store)


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
    assert_answers(conversation, text[:SLACK_MAX_MESSAGE])


# Slack markup a hostile (or careless) user can paste many times over. The markup regular
# expressions scan to the end of the text from every opener, so time grows with the square
# of the length: 8,000 characters take ~0.5-1 s, Slack's 40,000-character limit 10-30 s,
# holding a worker thread. Linear parsing takes ~1 ms for 8,000 characters.
QUADRATIC = {
    "unclosed mentions": "<@" * 4000,
    "unclosed bold": "*a " * 2667,
    "unclosed code": "`a " * 2667,
}
QUADRATIC_BUG = (
    "handlers/markup.plain_text is quadratic in unclosed markup (_MENTION `<[@!][^>]*>`, "
    "_EMPHASIS `(.+?)`, _ITALIC): parse('*a ' * 2667), 8,000 characters, takes ~0.9 s; "
    "'~a ' * 13334 (Slack's 40,000-character limit) ~25 s"
)


@pytest.mark.xfail(strict=True, reason=QUADRATIC_BUG)
@pytest.mark.parametrize("text", QUADRATIC.values(), ids=QUADRATIC.keys())
def test_markup_heavy_question_parses_fast(names: NameIndex, text: str) -> None:
    started = time.perf_counter()
    parse(text, names)
    took = time.perf_counter() - started
    assert took < 0.2, f"{len(text)}-character question took {took:.2f} s"
