""" "Did you mean": the one suggester of bsm-bot, for map names, intents and commands.

Built on rapidfuzz: `close` ranks every choice by its normalised Indel similarity to the
typed text (0-100; `CUTOFF` keeps what still reads like the same word), ties going to the
later spelling in alphabetical order as difflib's ranking did; `corrections` lists the
choices within a few edits (a transposition counts as one), for keyword typos.
Choices are compared casefolded; a suggestion is shown as the choice was written, or as
the value a mapping gives it (a title suggests its component's name).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

import numpy as np

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
        self._left = budget

    def replaced(self, removed: Iterable[str], added: Mapping[str, str]) -> Suggester:
        """A new suggester over these choices without the spellings `removed` and with
        `added` (spelling -> what to suggest; it replaces a choice spelled alike). This
        one is left alone; the cost is a copy of the choices, not a rebuild."""
        fresh = copy.copy(self)
        fresh._shown = dict(self._shown)
        for spelling in removed:
            fresh._shown.pop(spelling.casefold(), None)
        for spelling, shown in added.items():
            fresh._shown[spelling.casefold()] = shown
        fresh._keys = list(fresh._shown)
        return fresh

    def close(self, text: str, limit: int = 3, cutoff: float = CUTOFF) -> list[str]:
        """Up to `limit` distinct suggestions at least `cutoff` similar to `text`, best first."""
        if not self._keys or not self._spend():
            return []
        from rapidfuzz import fuzz, process  # here: a question naming what exists needs none

        scores = process.cdist(
            [text.casefold()], self._keys, scorer=fuzz.ratio, score_cutoff=cutoff
        )
        row = scores[0]
        hits = np.flatnonzero(row >= cutoff)
        shown: dict[str, None] = {}
        # best score first; equal scores: the later spelling in alphabetical order first
        for score in np.unique(row[hits])[::-1]:
            level = sorted((self._keys[i] for i in hits[row[hits] == score]), reverse=True)
            for key in level:
                shown.setdefault(self._shown[key])
                if len(shown) == limit:
                    return list(shown)
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
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

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
