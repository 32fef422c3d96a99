"""Keyword spelling correction: "waht does db-03 afect" reads as "what does db-03 affect".

Only alphabetic tokens of four letters or more are corrected, only towards the keyword
vocabulary, keeping the first letter (or swapping the first two), and only within one
edit (two for words of seven letters or more); a transposition counts as one edit. A
three-letter token is read only as a four-letter keyword without one of its vowels
("wht", "dwn"). Map names never reach here (the parser protects them).
The edits are counted by the one suggester, `impact.suggest`.
"""

from __future__ import annotations

from functools import cache, lru_cache

from handlers.vocabulary import KEYWORDS
from impact.suggest import Suggester


@cache
def keywords() -> Suggester:
    """The keyword vocabulary as suggestions, in alphabetical order (ties go to the first)."""
    return Suggester(sorted(w for w in KEYWORDS if len(w) >= 3))


@cache
def _without_a_vowel() -> dict[str, str]:
    """Four-letter keywords by their spelling without one inner vowel: "wht" -> "what"."""
    found: dict[str, set[str]] = {}
    for word in KEYWORDS:
        if len(word) == 4 and word.isalpha():
            for i in range(1, 4):
                if word[i] in "aeiou":
                    found.setdefault(word[:i] + word[i + 1 :], set()).add(word)
    return {short: words.pop() for short, words in found.items() if len(words) == 1}


@lru_cache(maxsize=4096)
def correct(token: str) -> str | None:
    """The keyword `token` is a misspelling of, or None."""
    if len(token) == 3 and token.isalpha():
        return _without_a_vowel().get(token)
    if len(token) < 4 or not token.isalpha():
        return None
    budget = 1 if len(token) < 7 else 2
    for word in keywords().corrections(token, budget):
        if word[0] == token[0] or word[:2] == token[1::-1]:
            return word  # a wrong first letter is more likely another word ("perfect")
    return None
