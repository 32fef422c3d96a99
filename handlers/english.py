"""Which typed words are real English words, and which are the same word inflected.

"my manager asks", "support queue is filling up", "post the digest here": real words are
what the user meant, so they are never corrected into another keyword ("manages",
"failing") and never taken as the start of a longer name word ("post" is not PostgreSQL's).
The word counts are pyspellchecker's English dictionary (subtitles: how people talk), read
on the first question that needs them (about 0.2 s), not at start.
"""

from __future__ import annotations

from functools import cache

# A word said at least this often in the dictionary's counts is a real word (`post` 44k,
# `manager` 37k, `router` 569 and `colo` 50 are not: they are shop talk or typos of it).
REAL = 1_000
# Endings that make another form of the same word ("report" -> "reporting", "zone" ->
# "zones", "fulfil" -> "fulfilment", "custom" -> "customer").
_ENDINGS = (
    "s", "es", "d", "ed", "ing", "er", "ers", "or", "ors", "en", "ment", "ments", "ion",
    "ions", "ation", "al", "ly",
)  # fmt: skip


@cache
def _dictionary() -> frozenset[str]:
    """The real words: fixed data, read once (two threads may both read it: the same set)."""
    from spellchecker import SpellChecker

    frequency = SpellChecker(language="en", distance=1).word_frequency
    return frozenset(word for word, count in frequency.items() if count >= REAL)


def is_real(word: str) -> bool:
    """Whether `word` (casefolded) is an everyday English word."""
    return word in _dictionary()


def same_word(a: str, b: str) -> bool:
    """Whether `a` and `b` are forms of one word: one is the other with an ending, a
    final "e" dropped or a last consonant doubled ("ship" -> "shipping")."""
    short, long = sorted((a, b), key=len)
    if short == long:
        return True
    stems = {short, short[:-1] if short.endswith("e") else short, short + short[-1:]}
    stems |= {short[:-1] + "i"} if short.endswith("y") else set()  # "dependency" -> "dependencies"
    return any(long == stem + ending for stem in stems for ending in _ENDINGS)
