"""Keyword spelling correction: "waht does db-03 afect" reads as "what does db-03 affect".

Only alphabetic tokens of four letters or more are corrected, only towards the keyword
vocabulary, and only within one edit (two for words of seven letters or more); a
transposition counts as one edit. Map names never reach here (the parser protects them).
"""

from __future__ import annotations

from functools import lru_cache

from handlers.vocabulary import KEYWORDS

_TARGETS = tuple(sorted(w for w in KEYWORDS if len(w) >= 3))


@lru_cache(maxsize=4096)
def correct(token: str) -> str | None:
    """The keyword `token` is a misspelling of, or None."""
    if len(token) < 4 or not token.isalpha():
        return None
    budget = 1 if len(token) < 7 else 2
    best: tuple[int, str] | None = None
    for word in _TARGETS:
        if abs(len(word) - len(token)) > budget:
            continue
        if budget == 1 and word[0] != token[0] and word[:2] != token[1::-1]:
            continue  # short words: a wrong first letter is more likely another word
        distance = edit_distance(token, word, budget)
        if distance <= budget and (best is None or distance < best[0]):
            best = (distance, word)
    return best[1] if best else None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, giving up (returning limit + 1) past `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
