"""Real English words and their forms (`handlers.english`)."""

from __future__ import annotations

import pytest

from handlers.english import is_real, same_word


@pytest.mark.parametrize("word", ["manager", "calling", "filling", "post", "office", "brokers"])
def test_everyday_words_are_real(word: str) -> None:
    assert is_real(word)


@pytest.mark.parametrize("word", ["afect", "depnds", "statsu", "postwerk", "k8s", "colo"])
def test_typos_and_shop_talk_are_not(word: str) -> None:
    assert not is_real(word)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("report", "reporting"),
        ("zone", "zones"),
        ("ship", "shipping"),
        ("fulfil", "fulfilment"),
        ("dependency", "dependencies"),
        ("subscribe", "subscriber"),
        ("change", "changed"),
    ],
)
def test_forms_of_one_word(a: str, b: str) -> None:
    assert same_word(a, b) and same_word(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [("post", "postgresql"), ("calling", "causing"), ("manager", "manages"), ("cat", "catalog")],
)
def test_other_words(a: str, b: str) -> None:
    assert not same_word(a, b)
