"""Name resolution edge cases on the demo map."""

from __future__ import annotations

import pytest

from handlers.markup import plain_text
from handlers.names import NameIndex


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("DB-03", ("db-03",)),
        ("Online Checkout", ("online-checkout",)),
        ("online-CHECKOUT", ("online-checkout",)),
        ("cart service", ("cart-service",)),  # title and name spelled loosely
        ("checkout", ("online-checkout",)),  # business service wins over checkout-api
        ("search", ("product-search",)),
        ("payment", ("payments",)),
        ("db-0", ("db-01", "db-02", "db-03")),  # ambiguous prefix: candidates listed
        ("core-router", ("core-router-1", "core-router-2")),
        ("chekout", ()),
    ],
)
def test_resolve(demo_names: NameIndex, typed: str, expected: tuple[str, ...]) -> None:
    assert demo_names.resolve(typed) == expected


def test_unknown_names_get_suggestions(demo_names: NameIndex) -> None:
    resolution = demo_names.resolve_all(["db-01", "chekout", "db"])
    assert resolution.names == ("db-01",)
    assert set(resolution.unknown["chekout"]) == {"checkout-api", "online-checkout"}
    assert "orders-db" in resolution.ambiguous["db"]
    assert not resolution.ok


def test_repeats_collapse_in_order(demo_names: NameIndex) -> None:
    assert demo_names.resolve_all(["db-02", "DB-01", "db-02"]).names == ("db-02", "db-01")


@pytest.mark.parametrize(
    "text",
    ["*db-03*", "`db-03`", "_db-03_", "<http://wiki/x|db-03>", "<https://wiki/db-03>", "*`db-03`*"],
)
def test_slack_markup_reduces_to_the_name(text: str) -> None:
    assert plain_text(text) == "db-03"


def test_mentions_and_channels(demo_names: NameIndex) -> None:
    assert plain_text("<@U0BOT> status of <#C1|inc-checkout>") == "status of inc-checkout"


@pytest.mark.parametrize(
    "text, plain",
    [
        ("_my_db_", "my_db"),
        ("*a *b*", "*a b"),
        ("<@U1 <@U2>", "<@U1"),
        ("<<https://wiki/db-03>>", "< db-03 >"),
        ("line\n\n> quoted db-03", "line quoted db-03"),
    ],
)
def test_unclosed_markup_stays_literal_text(text: str, plain: str) -> None:
    assert plain_text(text) == plain
