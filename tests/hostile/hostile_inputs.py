"""Hostile input for the property tests: Slack markup, injection strings, inertness checks.

Shared by every module under tests/hostile (imported through the path conftest adds).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st

# What a user can paste into Slack: mentions, channel links, labelled links, code, emphasis.
MARKUP = (
    "<@U024BE7LH>",
    "<@W123|bob>",
    "<#C024BE7LR|general>",
    "<#C123>",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S123|@ops>",
    "<http://evil.example|click>",
    "<https://example.com/db-03>",
    "<mailto:a@b.c|a@b.c>",
    "`",
    "```",
    "*",
    "_",
    "~",
    "> ",
    "&gt;",
    "&lt;",
    "&amp;",
    "<",
    ">",
    "|",
    "->",
    "→",
    "?",
    "'s",
    "n't",
)

# Strings that would ping, link or break out of mrkdwn if rendered raw.
INJECTIONS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<@U123|boss>",
    "<#C123|general>",
    "<http://evil|click>",
    "<https://evil.example/a?b=c&d=e|login>",
    "<!subteam^S123|@admins>",
    "<!date^1392734382^{date}|x>",
    "&",
    ">",
    "<",
    "&lt;!channel&gt;",
    "*bold* _it_ ~s~ `c`",
)

# Words of the demo map and of questions, so generated text hits real code paths.
DEMO_NAMES = (
    "online-checkout",
    "payments",
    "product-search",
    "checkout-api",
    "payments-api",
    "orders-db",
    "db-01",
    "db-03",
    "dns",
    "cart-service",
    "accounts-api",
    "auth-service",
    "Online Checkout",
    "Product Search",
)
QUESTION_WORDS = (
    "what",
    "does",
    "affect",
    "impact",
    "why",
    "is",
    "down",
    "what if",
    "and",
    "fail",
    "path",
    "from",
    "to",
    "depends on",
    "spof",
    "owner",
    "who owns",
    "sla",
    "last 7 days",
    "this month",
    "status",
    "help",
    "digest",
    "depth 3",
    "10 levels",
    ",",
    "or",
    "?",
    "!",
)


def _typo(word: str, data: st.DataObject) -> str:
    """`word` with one character dropped, doubled, swapped or replaced."""
    if len(word) < 2:
        return word
    i = data.draw(st.integers(0, len(word) - 2))
    how = data.draw(st.sampled_from(("drop", "double", "swap", "replace", "case")))
    if how == "drop":
        return word[:i] + word[i + 1 :]
    if how == "double":
        return word[:i] + word[i] * 2 + word[i + 1 :]
    if how == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "case":
        return word.upper()
    return word[:i] + data.draw(st.characters(codec="utf-8")) + word[i + 1 :]


@st.composite
def typo_names(draw: st.DrawFn) -> str:
    return _typo(draw(st.sampled_from(DEMO_NAMES)), draw(st.data()))


def fragments() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(MARKUP),
        st.sampled_from(DEMO_NAMES),
        st.sampled_from(QUESTION_WORDS),
        typo_names(),
        st.text(max_size=12),
        st.text(st.characters(codec="utf-8"), max_size=8),
    )


@st.composite
def questions(draw: st.DrawFn) -> str:
    """A question-like string: fragments glued with spaces, markup wrapped around names."""
    parts = draw(st.lists(fragments(), max_size=14))
    glue = draw(st.sampled_from((" ", "", "  ", "\n", "\t", " , ")))
    text = glue.join(parts)
    wrap = draw(st.sampled_from(("{}", "`{}`", "*{}*", "_{}_", "> {}", "<{}>", "<!here> {}")))
    return wrap.format(text)


def long_questions() -> st.SearchStrategy[str]:
    """Very long input, up past Slack's limit: repeated fragments, unclosed markup, names."""
    return st.one_of(
        st.builds(lambda f, n: f * n, fragments(), st.integers(500, 5000)),
        st.builds(
            lambda names: "what if " + " and ".join(names) + " fail?",
            st.lists(st.sampled_from(DEMO_NAMES), min_size=50, max_size=400),
        ),
        st.builds(lambda n: "a" * n, st.integers(10_000, 100_000)),
        st.builds(lambda n: "<" * n + ">" * n, st.integers(1000, 20_000)),
        st.builds(lambda n: "*`_" * n, st.integers(1000, 10_000)),
        st.builds(
            lambda opener, n: opener * n,
            st.sampled_from(("<@", "<!", "<#", "*a ", "~a ", "`a ", "_a ", "<x|", "```a ")),
            st.integers(1000, 20_000),
        ),
    )


def hostile_text() -> st.SearchStrategy[str]:
    """Free text carrying injection attempts among ordinary words."""
    piece = st.one_of(
        st.sampled_from(INJECTIONS), st.text(max_size=10), st.sampled_from(DEMO_NAMES)
    )
    return st.lists(piece, min_size=1, max_size=6).map(" ".join)


# -- inertness ---------------------------------------------------------------------------

# Markup the renderers themselves emit (never built from user text): Slack date tokens and
# mentions of a real user id (an acknowledgement, "Shared by").
_OWN_MARKUP = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9: UTC-]+>|<@[UW][A-Z0-9]+>"
)


def mrkdwn_texts(node: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """(path, text) of every mrkdwn text in a Block Kit structure, recursively.

    A `text` string whose sibling `type` is `plain_text` is skipped (Slack never parses it);
    every other `text` string, including a message's top-level fallback, is mrkdwn.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if key == "text" and isinstance(value, str):
                if node.get("type") != "plain_text":
                    yield where, value
            else:
                yield from mrkdwn_texts(value, where)
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from mrkdwn_texts(value, f"{path}[{index}]")


def raw_markup(text: str) -> list[str]:
    """The `<` / `>` left in `text` once the renderer's own markup is removed."""
    return re.findall(r"[<>]", _OWN_MARKUP.sub("", text))


def assert_inert(payload: Any) -> None:
    """No mrkdwn text of `payload` carries a `<` or `>` the renderer did not put there."""
    bad = [(where, text) for where, text in mrkdwn_texts(payload) if raw_markup(text)]
    assert not bad, f"unescaped < or > in {bad[:3]}"


def assert_plain_text_short(payload: Any) -> None:
    """Slack refuses plain_text over its limits; hostile text must not push it there."""
    if isinstance(payload, dict):
        if payload.get("type") == "plain_text":
            assert len(payload["text"]) <= 3000
        for value in payload.values():
            assert_plain_text_short(value)
    elif isinstance(payload, list):
        for value in payload:
            assert_plain_text_short(value)


# -- database content --------------------------------------------------------------------


@functools.cache
def _tables(engine: sa.Engine) -> dict[str, sa.Table]:
    """The engine's tables, reflected once (reflection costs ~0.4 s; the schema is fixed)."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    return dict(metadata.tables)


def table_dump(engine: sa.Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table (sorted, as text): equal dumps mean equal content."""
    dump: dict[str, list[tuple[str, ...]]] = {}
    with engine.connect() as connection:
        for name, table in sorted(_tables(engine).items()):
            rows = connection.execute(sa.select(table)).all()
            dump[name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return dump


def content_hash(engine: sa.Engine) -> str:
    return hashlib.sha256(repr(table_dump(engine)).encode()).hexdigest()
