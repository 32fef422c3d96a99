"""Keyword spelling correction: "waht does db-03 afect" reads as "what does db-03 affect".

Only alphabetic tokens of four letters or more that are not common English words are
corrected (a real English word only into another form of itself: `english`), only towards
the keyword vocabulary (then the filler words of six letters or more), keeping the first
letter (or swapping the first two), and only within one edit (two for words of seven
letters or more); a transposition counts as one edit. A three-letter token is read only as
a four-letter keyword without one of its vowels ("wht", "dwn"). Map names never reach here
(the parser protects them). The edits are counted by the one suggester, `impact.suggest`.
"""

from __future__ import annotations

from functools import cache, lru_cache

from handlers import english
from handlers.vocabulary import COMMON_WORDS, FILLERS, KEYWORDS
from impact.suggest import Suggester


@cache
def keywords() -> tuple[Suggester, Suggester]:
    """The keyword vocabulary as suggestions, in alphabetical order (ties go to the first),
    then the long filler words ("something", "currently"), read when no keyword is close."""
    fillers = sorted(w for w in FILLERS if len(w) >= 6 and w not in KEYWORDS)
    return Suggester(sorted(w for w in KEYWORDS if len(w) >= 3)), Suggester(fillers)


def _with_a_vowel(token: str) -> str | None:
    """The one four-letter keyword `token` spells without an inner vowel: "wht" -> "what"."""
    found = {
        word
        for word in KEYWORDS
        if len(word) == 4
        and word.isalpha()
        and any(word[i] in "aeiou" and word[:i] + word[i + 1 :] == token for i in range(1, 4))
    }
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=4096)
def correct(token: str) -> str | None:
    """The keyword `token` is a misspelling of, or None. A common English word is itself,
    never a misspelling ("slow" is not "slos", "weather" not "whether", "calling" not
    "causing"), unless in another form of the keyword ("supports", "changed")."""
    if token in COMMON_WORDS:
        return None
    if len(token) == 3 and token.isalpha():
        return _with_a_vowel(token)
    if len(token) < 4 or not token.isalpha():
        return None
    budget = 1 if len(token) < 7 else 2
    for vocabulary in keywords():
        for word in vocabulary.corrections(token, budget):
            if word[0] == token[0] or word[:2] == token[1::-1]:
                # a wrong first letter is more likely another word ("perfect"); a real
                # word is meant as typed ("manager" is not "manages"), or in another form
                if english.is_real(token) and not english.same_word(token, word):
                    return None
                return word
    return None
