"""Name resolution: from what people type to the canonical component names of the map.

Match order, first level with a hit wins:
1. exact name, case-insensitive (`DB-03` -> db-03);
2. loose exact: name or title with spaces, `-`, `_`, `.` ignored (`online checkout`,
   `Online-Checkout`, `cart service` -> cart-service);
3. partial: every typed word is a prefix of a word of the name or the title, in order
   (`checkout` -> online-checkout and checkout-api, `db-0` -> db-01, db-02, db-03).
   When a partial match names exactly one business service among its candidates the
   business service wins: people call business services by their short names
   ("why is checkout down?") and components by their technical names.
Nothing found gives "did you mean" suggestions (`impact.suggest` over names and titles);
several candidates at the winning level give an ambiguity listing them.

Partial matches look candidates up in a word-prefix index (sorted words, each with the
components it appears in) so a 100k-component map answers in milliseconds.
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from handlers.vocabulary import COMMON_WORDS
from impact.model import Component, by_name_key, name_key
from impact.suggest import Suggester

_SEPARATORS = re.compile(r"[\s\-_.]+")
_WORD = re.compile(r"[a-z0-9]+")
MAX_CANDIDATES = 8


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving phrases: names found, unknown phrases, ambiguous phrases."""

    names: tuple[str, ...] = ()
    unknown: dict[str, tuple[str, ...]] = field(default_factory=dict)  # phrase -> suggestions
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)  # phrase -> candidates

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.ambiguous


def loose_key(text: str) -> str:
    """The comparison key of level 2: casefolded, separators removed."""
    return _SEPARATORS.sub("", text.casefold())


def words_of(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


class NameIndex:
    """Lookup tables over the components of one map; build once per map version."""

    def __init__(self, components: Iterable[Component]) -> None:
        self._components = {c.name: c for c in components}
        self._exact = by_name_key(self._components)
        self._loose: dict[str, set[str]] = {}
        self._words: list[tuple[str, tuple[tuple[str, ...], ...]]] = []
        for c in self._components.values():
            labels = [c.name] + ([c.title] if c.title else [])
            for label in labels:
                self._loose.setdefault(loose_key(label), set()).add(c.name)
            self._words.append((c.name, tuple(words_of(label) for label in labels)))
        self._close = Suggester(
            {s: c.name for c in self._components.values() for s in (c.name, c.title) if s}
        )
        self._postings: dict[str, list[int]] = {}  # word -> indexes into self._words
        for i, (_, labels) in enumerate(self._words):
            for word in {w for ws in labels for w in ws}:
                self._postings.setdefault(word, []).append(i)
        self._sorted_words = sorted(self._postings)
        self.vocabulary = frozenset(w for _, labels in self._words for ws in labels for w in ws)
        self.longest = max((len(ws) for _, labels in self._words for ws in labels), default=1)

    def with_components(self, components: Iterable[Component]) -> NameIndex:
        """This index over the same names and titles with other field values (an edit of
        owners or tiers): no lookup table is rebuilt."""
        fresh = copy.copy(self)
        fresh._components = {c.name: c for c in components}
        return fresh

    def component(self, name: str) -> Component:
        return self._components[name]

    def exact(self, phrase: str) -> str | None:
        """Levels 1 and 2 only: the name `phrase` spells, or None (also when it spells two)."""
        hit = self._exact.get(name_key(phrase))
        if hit is not None:
            return hit
        loose = self._loose.get(loose_key(phrase), set())
        return next(iter(loose)) if len(loose) == 1 else None

    def resolve(self, phrase: str) -> tuple[str, ...]:
        """Candidates for one phrase: one name when resolved, several when ambiguous, none."""
        hit = self._exact.get(name_key(phrase))
        if hit is not None:
            return (hit,)
        loose = self._loose.get(loose_key(phrase))
        if loose:
            return self._prefer_business(sorted(loose))
        if is_common(phrase):
            return ()  # plain English is never a component by a partial match
        return self._prefer_business(self._partial(words_of(phrase)))

    def suggest(self, phrase: str, limit: int = 3) -> tuple[str, ...]:
        """Close spellings of `phrase` among names and titles, as canonical names."""
        if is_common(phrase):
            return ()
        return tuple(self._close.close(phrase, limit))

    def looks_like_name(self, phrase: str) -> bool:
        """Whether an unresolved phrase is worth reporting: digits, hyphens, dots or
        underscores in it, or a close spelling of a real name; plain words are not."""
        return bool(_NAMELIKE.search(phrase)) or bool(self.suggest(phrase, 1))

    def screen(self, resolution: Resolution, *, named: bool) -> Resolution:
        """`resolution` without the phrases that are only words around the question.

        Unknown phrases that do not look like names are dropped; ambiguous phrases of
        common words are dropped when other phrases resolved. `named` says the question
        has a name's position empty (nothing else resolved): then a plain unknown word
        stays, since it is most likely the name the user meant.
        """
        unknown = {
            p: s
            for p, s in resolution.unknown.items()
            if self.looks_like_name(p) or (named and not resolution.names and not is_common(p))
        }
        ambiguous = {
            p: c
            for p, c in resolution.ambiguous.items()
            if not (resolution.names and (is_common(p) or len(words_of(p)) > 1))
        }
        return Resolution(resolution.names, unknown, ambiguous)

    def ignored(
        self, before: Resolution, after: Resolution, context: str = ""
    ) -> dict[str, tuple[str, ...]]:
        """Name-like words a question dropped, with the names they may have meant.

        Ambiguous phrases `screen` dropped (`before` -> `after`) unless they are plain
        English, and words of the trailing `context` the parser cut that are shaped like
        names (`inc-4521`, `db-05`) or close to a real one. Plain words are never listed.
        """
        found = {
            p: c
            for p, c in before.ambiguous.items()
            if p not in after.ambiguous and not is_common(p)
        }
        for token in _TOKEN.findall(context.casefold()):
            if not _NAMELIKE.search(token) or token in found or token in after.names:
                continue
            meant = self.resolve(token) or self.suggest(token)
            if meant and set(meant) <= set(after.names):
                continue  # the subject itself, said again
            if meant or _NAME_SHAPE.match(token):
                found[token] = meant
        return found

    def resolve_all(self, phrases: Sequence[str]) -> Resolution:
        """Resolve several phrases, keeping their order and dropping repeats."""
        names: list[str] = []
        unknown: dict[str, tuple[str, ...]] = {}
        ambiguous: dict[str, tuple[str, ...]] = {}
        for phrase in phrases:
            found = self.resolve(phrase)
            if len(found) == 1:
                names.append(found[0])
            elif found:
                ambiguous[phrase] = found
            else:
                unknown[phrase] = self.suggest(phrase)
        return Resolution(tuple(dict.fromkeys(names)), unknown, ambiguous)

    def _partial(self, typed: tuple[str, ...]) -> list[str]:
        if not typed:
            return []
        found = (self._words[i] for i in self._candidates(typed))
        return sorted(
            name for name, labels in found if any(_prefixes_in_order(typed, ws) for ws in labels)
        )

    def _candidates(self, typed: tuple[str, ...]) -> set[int]:
        """Components with a word starting with the rarest typed word (a superset to check)."""
        best: list[str] = []
        best_cost = len(self._words) + 1
        for prefix in set(typed):
            words = self._words_starting(prefix)
            cost = 0
            for word in words:
                cost += len(self._postings[word])
                if cost >= best_cost:
                    break
            if cost < best_cost:
                best, best_cost = words, cost
        return {i for word in best for i in self._postings[word]}

    def _words_starting(self, prefix: str) -> list[str]:
        start = bisect_left(self._sorted_words, prefix)
        end = bisect_left(self._sorted_words, prefix + "{", start)  # "{" sorts after [a-z0-9]
        return self._sorted_words[start:end]

    def _prefer_business(self, candidates: list[str]) -> tuple[str, ...]:
        business = [n for n in candidates if self._components[n].is_business]
        return (business[0],) if len(business) == 1 else tuple(candidates)


_NAMELIKE = re.compile(r"[0-9\-._/]")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9._\-/]*[a-z0-9]")
_NAME_SHAPE = re.compile(r"^[a-z]+[a-z\-._]*\d+$")  # letters, then digits: inc-4521, db-05


def is_common(phrase: str) -> bool:
    """Every word of `phrase` is a common English word."""
    words = words_of(phrase)
    return bool(words) and all(w in COMMON_WORDS for w in words)


def _prefixes_in_order(typed: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """Every typed word starts a word of `words`, consecutively (`db 0` in `db 01`)."""
    for start in range(len(words) - len(typed) + 1):
        if all(words[start + i].startswith(t) for i, t in enumerate(typed)):
            return True
    return False
