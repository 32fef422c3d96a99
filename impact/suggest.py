""" "Did you mean": the one suggester of bsm-bot, for map names, intents and commands.

Built on rapidfuzz: `close` ranks every choice by its normalised Indel similarity to the
typed text (0-100; `CUTOFF` keeps what still reads like the same word), ties going to the
later spelling in alphabetical order as difflib's ranking did; `corrections` lists the
choices within a few edits (a transposition counts as one), for keyword typos.
Choices are compared casefolded; a suggestion is shown as the choice was written, or as
the value a mapping gives it (a title suggests its component's name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

CUTOFF = 60.0


class Suggester:
    """Close spellings among a fixed set of choices; build once per set.

    `choices` are spellings, or a mapping of spelling -> what to suggest for it.
    `budget` bounds the number of questions answered (None: unbounded), so a huge bad
    input with many unknown names stays fast: past it, nothing is suggested.
    """

    def __init__(
        self, choices: Iterable[str] | Mapping[str, str], *, budget: int | None = None
    ) -> None:
        pairs = choices.items() if isinstance(choices, Mapping) else ((c, c) for c in choices)
        self._shown: dict[str, str] = {}
        for spelling, shown in pairs:
            self._shown.setdefault(spelling.casefold(), shown)
        self._keys = list(self._shown)
        self._rank = _alphabetical_rank(self._keys)
        self._left = budget

    def close(self, text: str, limit: int = 3, cutoff: float = CUTOFF) -> list[str]:
        """Up to `limit` distinct suggestions at least `cutoff` similar to `text`, best first."""
        if not self._keys or not self._spend():
            return []
        scores = process.cdist(
            [text.casefold()], self._keys, scorer=fuzz.ratio, score_cutoff=cutoff
        )
        hits = np.flatnonzero(scores[0] >= cutoff)
        ranked = hits[np.lexsort((self._rank[hits], scores[0][hits]))[::-1]]
        shown: dict[str, None] = {}
        for index in ranked:
            shown.setdefault(self._shown[self._keys[index]])
            if len(shown) == limit:
                break
        return list(shown)

    def closest(self, text: str, cutoff: float = CUTOFF) -> str | None:
        """The best suggestion for `text`, or None."""
        found = self.close(text, limit=1, cutoff=cutoff)
        return found[0] if found else None

    def hint(self, text: str) -> str:
        """`" (did you mean 'x'?)"` for the closest choice, else an empty string."""
        best = self.closest(text)
        return f" (did you mean {best!r}?)" if best is not None else ""

    def corrections(self, token: str, edits: int) -> list[str]:
        """Suggestions within `edits` edits of `token`, fewest first, then in choice order."""
        if not self._spend():
            return []
        found = process.extract(
            token.casefold(), self._keys, scorer=OSA.distance, score_cutoff=edits, limit=None
        )
        ranked = sorted((distance, index) for _, distance, index in found)
        return list(dict.fromkeys(self._shown[self._keys[i]] for _, i in ranked))

    def __len__(self) -> int:
        return len(self._keys)

    def _spend(self) -> bool:
        if self._left is None:
            return True
        if self._left <= 0:
            return False
        self._left -= 1
        return True


def _alphabetical_rank(keys: list[str]) -> npt.NDArray[np.int64]:
    """Each key's position in alphabetical order: equal scores rank the later key first."""
    rank = np.empty(len(keys), dtype=np.int64)
    rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return rank
