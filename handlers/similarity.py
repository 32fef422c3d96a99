"""Close spellings for "did you mean": difflib ratios, over a trigram shortlist on big maps.

difflib compares the typed phrase with every candidate; over the ~200k names and titles of
a 100k-component map that takes over a second. A spelling close enough to pass difflib's
cutoff shares most of its characters, in order, with the phrase, so it shares trigrams
with it: candidates are counted by shared trigrams (rarest trigrams first, within a budget
of postings), the best `PROBE` are ranked again by all the trigrams they share, and only
the best `SHORTLIST` of those are scored by difflib. Maps with at most
`SHORTLIST` spellings are scored whole, exactly as difflib alone would.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable

SHORTLIST = 300
PROBE = 1500
POSTINGS_BUDGET = 20_000  # postings counted per phrase, rarest trigrams first


class Spellings:
    """A fixed set of casefolded spellings, searchable by closeness."""

    def __init__(self, spellings: Iterable[str]) -> None:
        self._all = list(dict.fromkeys(spellings))
        self._grams: dict[str, list[int]] = {}
        if len(self._all) > SHORTLIST:
            for i, spelling in enumerate(self._all):
                for gram in trigrams(spelling):
                    self._grams.setdefault(gram, []).append(i)

    def close(self, phrase: str, n: int, cutoff: float = 0.6) -> list[str]:
        """Up to `n` spellings whose difflib ratio to `phrase` is at least `cutoff`, best first."""
        return difflib.get_close_matches(phrase, self._shortlist(phrase), n=n, cutoff=cutoff)

    def _shortlist(self, phrase: str) -> list[str]:
        if not self._grams:
            return self._all
        grams = trigrams(phrase)
        probe = [self._all[i] for i, _ in self._rare_overlap(grams).most_common(PROBE)]
        # Substring tests are cheap: every trigram shared, common ones included, ranks again.
        shared = {s: sum(g in f" {s} " for g in grams) for s in probe}
        return sorted(probe, key=shared.__getitem__, reverse=True)[:SHORTLIST]

    def _rare_overlap(self, grams: set[str]) -> Counter[int]:
        """Spelling index -> trigrams shared with `grams`, counting the rarest trigrams only."""
        postings = sorted((found for g in grams if (found := self._grams.get(g))), key=len)
        shared: Counter[int] = Counter()
        spent = 0
        for found in postings:
            if spent and spent + len(found) > POSTINGS_BUDGET:
                break
            shared.update(found[:POSTINGS_BUDGET])
            spent += len(found)
        return shared


def trigrams(text: str) -> set[str]:
    """Character trigrams of `text`, padded so that short words have some."""
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}
