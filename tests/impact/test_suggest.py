"""The one "did you mean" suggester: closeness, ties, titles, keyword edits, its budget."""

from __future__ import annotations

from impact.suggest import Suggester


def test_close_spellings_best_first_as_written() -> None:
    names = Suggester(["Online-Checkout", "checkout-api", "db-01", "payments-api"])
    assert names.close("chekout") == ["checkout-api", "Online-Checkout"]
    assert names.close("zzzz") == []
    assert names.closest("paymens-api") == "payments-api"


def test_equal_scores_rank_the_later_spelling_first() -> None:
    # "db-9" is as close to every db-0N: the later name wins, as the map file tests expect.
    assert Suggester(["db-01", "db-02", "db-03"]).close("db-9") == ["db-03", "db-02", "db-01"]


def test_a_mapping_suggests_its_values_once() -> None:
    spellings = {"online-checkout": "online-checkout", "Online Checkout": "online-checkout"}
    assert Suggester(spellings).close("online chekout") == ["online-checkout"]


def test_hint_wording() -> None:
    assert Suggester(["owner"]).hint("ownr") == " (did you mean 'owner'?)"
    assert Suggester(["owner"]).hint("xyz") == ""


def test_corrections_count_a_transposition_as_one_edit() -> None:
    words = Suggester(["affect", "depend", "what"])
    assert words.corrections("waht", 1) == ["what"]
    assert words.corrections("afect", 1) == ["affect"]
    assert words.corrections("dpeend", 1) == ["depend"]
    assert words.corrections("dpened", 1) == []
    assert words.corrections("dpened", 2) == ["depend"]


def test_the_budget_bounds_the_questions_answered() -> None:
    names = Suggester(["db-01"], budget=2)
    assert names.close("db-1") and names.close("db-1")
    assert names.close("db-1") == []
