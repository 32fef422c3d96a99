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
import logging
import re
import threading
import weakref
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, repeat
from typing import Any

from handlers import english
from handlers.vocabulary import COMMON_WORDS
from impact.bulk import no_cycle_collection
from impact.model import Component, name_key
from impact.snapshot import ComponentMap
from impact.suggest import CUTOFF, Suggester

_SEPARATORS = re.compile(r"[\s\-_.]+")
_WORD = re.compile(r"[a-z0-9]+")
MAX_CANDIDATES = 8
TABLES_FORMAT = 2  # moves whenever `NameIndex.tables` changes
NAMES_ATTACHED = "names"  # the name of the tables beside a snapshot (`ModelService.attach`)
_LINE = "\n"  # joins stored tables' strings: no word, loose key or checked name holds one
log = logging.getLogger(__name__)


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


# Labels whose values are names people use for a component: a vendor or product
# ("Postwerk has an incident", "what if ParcelNet is down"), read like a second title.
NAMING_LABELS = ("vendor", "provider", "product", "brand", "supplier", "aka", "alias", "nickname")


def aka(c: Component) -> str:
    """The names `c`'s naming labels give it, one phrase ("" when none)."""
    if not c.labels:
        return ""
    return " ".join(c.labels[key] for key in NAMING_LABELS if c.labels.get(key))


def _labels(c: Component) -> tuple[str, ...]:
    """The spellings `c` is found by: its name, title and naming labels."""
    return tuple(label for label in (c.name, c.title, aka(c)) if label)


def _label_words(c: Component) -> tuple[tuple[str, ...], ...]:
    """The words of `c`'s name, and of its title and naming labels when it has them."""
    return tuple(words_of(label) for label in _labels(c))


def _entries_of(name: str, words: tuple[str, ...]) -> list[str]:
    return [word + _JOIN + name for word in words]


def _named(components: Mapping[str, Component], held: ComponentMap | None) -> int:
    """How many titles and naming labels (`aka`) `components` have: from the columns of
    a snapshot's components when `held` has them (no component read), else from each."""
    titles = held.column("title") if held is not None else None
    labels = held.column("labels") if held is not None else None
    if titles is None or labels is None:
        return sum(bool(c.title) + bool(aka(c)) for c in components.values())
    naming = sum(any(map(values.get, NAMING_LABELS)) for values in labels)
    return sum(map(bool, titles)) + naming


def _held(components: Mapping[str, Component]) -> Mapping[str, Component]:
    """A copy of `components` for an index to hold: of a model's components from a
    snapshot (`ComponentMap`), one that shares them (none read)."""
    return components.copy() if isinstance(components, ComponentMap) else dict(components)


def _width(span: tuple[int, int]) -> int:
    return span[1] - span[0]


def _spellings(c: Component) -> set[str]:
    """The casefolded spellings of `c` the suggester knows: its name and its title."""
    return {s.casefold() for s in (c.name, c.title) if s}


# Whole-map passes: one casefold, one regular expression over all labels joined by NUL,
# instead of one call per label (the same result: both work character by character).
_JOIN = "\x00"
_NOT_WORD = re.compile(r"[^a-z0-9\x00]+")
_SEPARATORS_BUT_JOIN = re.compile(r"[\s\-_.]+")


def _casefolded(labels: list[str]) -> list[str]:
    joined = _JOIN.join(labels)
    if joined.count(_JOIN) != max(len(labels) - 1, 0):  # a label with NUL in it
        return [label.casefold() for label in labels]
    return joined.casefold().split(_JOIN) if labels else []


def _loose_keys(folded: list[str]) -> list[str]:
    """`loose_key` of each casefolded label."""
    if not folded:
        return []
    keys = _SEPARATORS_BUT_JOIN.sub("", _JOIN.join(folded)).split(_JOIN)
    return keys if len(keys) == len(folded) else [_loose_key_of_folded(f) for f in folded]


def _loose_key_of_folded(folded: str) -> str:
    return _SEPARATORS.sub("", folded)


def _words_of_folded(folded: list[str]) -> list[tuple[str, ...]]:
    """`words_of` each casefolded label."""
    if not folded:
        return []
    parts = _NOT_WORD.sub(" ", _JOIN.join(folded)).split(_JOIN)
    if len(parts) != len(folded):
        return [tuple(_WORD.findall(f)) for f in folded]
    return [tuple(part.split()) for part in parts]


class NameIndex:
    """Lookup tables over the components of one map; build once per map version.

    Every table is keyed by canonical name, so that `edited` makes the index of the next
    map version from this one by touching only the components added, removed or retitled.
    An index is never changed once built (questions in other threads may be reading it).
    The "did you mean" suggester is built on the first `suggest`.
    """

    def __init__(self, components: Iterable[Component]) -> None:
        with no_cycle_collection():  # ~10^5 strings, tuples and lists that it keeps
            self._build(components)

    def _build(self, components: Iterable[Component]) -> None:
        self._components: Mapping[str, Component] = {c.name: c for c in components}
        names = list(self._components)
        titled = [c.name for c in self._components.values() if c.title]
        akas = {n: a for n, c in self._components.items() if (a := aka(c))}
        labels = names + [self._components[n].title or "" for n in titled] + list(akas.values())
        owners = names + titled + list(akas)
        folded = _casefolded(labels)
        self._exact = dict(zip(folded[: len(names)], names, strict=True))
        # loose key -> the one name spelled so; the keys several names share in `_shared`
        keys = _loose_keys(folded)
        self._loose = dict(zip(keys, owners, strict=True))
        self._shared: dict[str, tuple[str, ...]] = {}
        if len(self._loose) != len(labels):  # a key twice: a name and its own title, or two
            twice = {key for key, count in Counter(keys).items() if count > 1}
            found: dict[str, set[str]] = {}
            for key, name in zip(keys, owners, strict=True):
                if key in twice:
                    found.setdefault(key, set()).add(name)
            self._shared = {k: tuple(sorted(ns)) for k, ns in found.items() if len(ns) > 1}
        words = _words_of_folded(folded)
        # name -> the words of its name, and of its title and naming labels when it has them
        self._words = _by_name(names, [*titled, *akas], words)
        # "word NUL name" for every word of every label, sorted: the names with a word
        # starting with a prefix are one slice, found by bisection
        tails = chain.from_iterable(map(repeat, [_JOIN + o for o in owners], map(len, words)))
        self._entries = sorted(map(str.__add__, chain.from_iterable(words), tails))
        self._vocabulary = frozenset(chain.from_iterable(words))
        self._lengths = Counter(map(len, words))  # words per label -> how many labels
        self._close: Suggester | None = None
        self._kind_words: frozenset[str] | None = None

    def tables(self) -> dict[str, Any] | None:
        """This index's lookup tables as JSON values, for `restored` (stored with the
        compiled model's snapshot: `ModelService.attach`); None when a name holds a newline."""
        owners = _LINE.join(self._loose.values())
        if owners.count(_LINE) != max(len(self._loose) - 1, 0):
            return None  # lines cannot hold them: built again instead
        return {
            "format": TABLES_FORMAT,
            "components": len(self._components),
            "loose": [len(self._loose), _LINE.join(self._loose), owners],
            "shared": {key: list(names) for key, names in self._shared.items()},
            "entries": _LINE.join(self._entries),
            "vocabulary": _LINE.join(sorted(self._vocabulary)),
            "lengths": sorted(self._lengths.items()),
        }

    @classmethod
    def restored(cls, components: Mapping[str, Component], tables: Any) -> NameIndex | None:
        """The index of `components` (name -> component) from the `tables` of the index of
        the same map, as `NameIndex(components.values())` would build it (the words of each
        label are read again when first needed); None, with a log line, when the tables do
        not fit them. A `ComponentMap` (a model's components from a snapshot) is read by
        name, never all: restoring reads no component."""
        if tables is None:
            return None
        try:
            with no_cycle_collection():
                return cls._restore(components, tables)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            log.warning("stored name index not used, built again: %r", error)
            return None

    @classmethod
    def _restore(cls, components: Mapping[str, Component], tables: Mapping[str, Any]) -> NameIndex:
        if tables["format"] != TABLES_FORMAT:
            raise ValueError(f"name index tables of format {tables['format']!r}")
        index = object.__new__(cls)
        index._components = _held(components)
        held = index._components if isinstance(index._components, ComponentMap) else None
        names = list(index._components)
        if tables["components"] != len(names):
            raise ValueError(f"name index of {tables['components']} for {len(names)} names")
        index._exact = dict(zip(_casefolded(names), names, strict=True))
        count, keys, owners = tables["loose"]  # "".split(_LINE) is [""]: count tells
        index._loose = (
            dict(zip(keys.split(_LINE), owners.split(_LINE), strict=True)) if count else {}
        )
        if len(index._loose) != count:
            raise ValueError(f"{len(index._loose)} loose keys of {count}")
        index._shared = {key: tuple(names) for key, names in tables["shared"].items()}
        index._words = {}  # read from the labels on first use, name by name
        entries = tables["entries"]
        if not isinstance(entries, str):
            raise TypeError(f"name index entries of type {type(entries).__name__}")
        index._stored_entries = entries  # split when first read (`_entries`)
        vocabulary = tables["vocabulary"]  # read by every question (`handlers.intents`)
        index._vocabulary = frozenset(vocabulary.split(_LINE) if vocabulary else ())
        index._lengths = Counter({int(size): int(count) for size, count in tables["lengths"]})
        stored_entries = entries.count(_LINE) + 1 if entries else 0  # len(entries.split(_LINE))
        labels = len(names) + _named(index._components, held)
        if index._lengths.total() != labels or stored_entries != sum(
            size * count for size, count in index._lengths.items()
        ):
            raise ValueError("name index tables of other labels")
        index._close = None
        index._kind_words = None
        return index

    @cached_property
    def _entries(self) -> list[str]:
        """ "word NUL name" for every word of every label, sorted (a restored index
        splits its stored text when first read: an exact name never reads it)."""
        entries = self._stored_entries
        return entries.split(_LINE) if entries else []

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every word of every name and title."""
        return self._vocabulary

    @property
    def longest(self) -> int:
        """The most words of one name or title."""
        return max(self._lengths, default=1)

    def with_components(self, components: Mapping[str, Component]) -> NameIndex:
        """This index over the same names and titles with other field values (an edit of
        owners or tiers): no lookup table is rebuilt. `components` (name -> component, the
        whole next map) is read, never changed, and not copied: it must not change."""
        fresh = copy.copy(self)
        fresh._components = components
        fresh._kind_words = None
        return fresh

    def edited(self, components: Mapping[str, Component], touched: Iterable[str]) -> NameIndex:
        """The index of `components` (name -> component, the whole next map), made from
        this one: only the names in `touched` may have been added, removed or retitled
        (every other component keeps its name and title; its other fields may differ).

        It answers exactly as `NameIndex(components.values())` would; its cost is the
        touched components and a copy of the tables, not a rebuild. This index is left alone.
        """
        touched = set(touched)
        gone = [self._components[n] for n in touched if n in self._components]
        came = [components[n] for n in touched if n in components]
        fresh = copy.copy(self)
        fresh._components = _held(components)
        fresh._kind_words = None
        fresh._exact = dict(self._exact)
        fresh._loose = dict(self._loose)
        fresh._shared = dict(self._shared)
        fresh._words = dict(self._words)
        fresh._entries = list(self._entries)
        fresh._lengths = Counter(self._lengths)
        for c in gone:
            fresh._drop(c)
        for c in came:
            fresh._add(c)
        fresh._lengths = +fresh._lengths  # without the lengths no label has any more
        words = {w for c in gone + came for ws in _label_words(c) for w in ws}
        if words:
            kept = {w for w in words if fresh._has_word(w)}
            fresh._vocabulary = (self._vocabulary - words) | kept
        if self._close is not None:
            spellings = {s for c in gone + came for s in _spellings(c)}
            fresh._close = self._close.replaced(
                [s for s in spellings if fresh._shown_for(s) is None],
                {s: shown for s in spellings if (shown := fresh._shown_for(s)) is not None},
            )
        return fresh

    def following(self, components: Mapping[str, Component]) -> NameIndex:
        """The index of `components` (the whole next map), made from this one by comparing
        names and titles: `edited` with what it finds added, removed or retitled."""
        held = self._components
        touched = [
            n
            for n, c in components.items()
            if (h := held.get(n)) is None or h.title != c.title or aka(h) != aka(c)
        ]
        touched.extend(held.keys() - components.keys())
        return self.edited(components, touched)

    def component(self, name: str) -> Component:
        return self._components[name]

    def exact(self, phrase: str) -> str | None:
        """Levels 1 and 2 only: the name `phrase` spells, or None (also when it spells two)."""
        hit = self._exact.get(name_key(phrase))
        if hit is not None:
            return hit
        key = loose_key(phrase)
        return None if key in self._shared else self._loose.get(key)

    def resolve(self, phrase: str) -> tuple[str, ...]:
        """Candidates for one phrase: one name when resolved, several when ambiguous, none."""
        hit = self._exact.get(name_key(phrase))
        if hit is not None:
            return (hit,)
        key = loose_key(phrase)
        loose = self._loose.get(key)
        if loose is not None:
            return self._prefer_business(list(self._shared.get(key, (loose,))))
        if is_common(phrase) or _NUMBERS.fullmatch(phrase):
            return ()  # plain English, or a number ("2 incidents"), is never a partial match
        return self._prefer_business(self._partial(words_of(phrase)))

    def suggest(self, phrase: str, limit: int = 3, cutoff: float = CUTOFF) -> tuple[str, ...]:
        """Close spellings of `phrase` among names and titles, as canonical names."""
        if is_common(phrase):
            return ()
        close = self._close
        if close is None:  # built on first use (an index may be read by several threads)
            close = self._close = Suggester(self._suggestions())
        return tuple(close.close(phrase, limit, cutoff))

    def named_by(self, phrase: str) -> bool:
        """Whether `phrase` names a component as people name one: spelled like a name or
        title, a technical word, words of a name, or a business service's title words;
        not only everyday words of a component's title ("the office": a load balancer's
        title says "(office and warehouse)"; its head, "Internal load balancer", would name it)."""
        if self.exact(phrase) is not None:
            return True
        typed = words_of(phrase)
        if not _everyday(typed):
            return True
        return any(
            self._components[n].is_business
            or _prefixes_in_order(typed, self._labels_of(n)[0])
            or _prefixes_in_order(
                typed, words_of(_REMARK.split(self._components[n].title or "")[0])
            )
            for n in self._partial(typed)
        )

    def says(self, name: str, words: tuple[str, ...]) -> bool:
        """Whether `words`, whole and in this order, are words of `name`'s name, title or
        naming labels ("route 53" of "DNS (Route 53 zones and resolvers)")."""
        size = len(words)
        return any(
            label[start : start + size] == words
            for label in self._labels_of(name)
            for start in range(len(label) - size + 1)
        )

    def looks_like_name(self, phrase: str) -> bool:
        """Whether an unresolved phrase is worth reporting: digits, hyphens, dots or
        underscores in it, or a close spelling of a real name (very close, for everyday
        English words); plain words are not."""
        if _NAMELIKE.search(phrase):
            return True
        # everyday words ("looking") only when spelled very like a name
        return bool(self.suggest(phrase, 1, STRONG if _everyday(words_of(phrase)) else CUTOFF))

    def shaped_like_name(self, phrase: str) -> bool:
        """Whether an unresolved phrase beside names that did resolve is still worth
        reporting: a word shaped like a technical name (`db-05`, `k8s`, `redis_7`), not a
        measure or a time (`10`, `02:10`, `3am`, `5xx`, `100%`), or a very close spelling
        of a real name. "vp wants", "preparing", "since 10 min" are words around it."""
        for token in _TOKEN.findall(phrase.casefold()):
            if _MEASURE.fullmatch(token):
                continue
            if _JOINED.search(token) or _MIXED.fullmatch(token):
                return True
        return bool(self.suggest(phrase, 1, STRONG))

    def screen(self, resolution: Resolution, *, named: bool) -> Resolution:
        """`resolution` without the phrases that are only words around the question.

        Unknown phrases that do not look like names are dropped; ambiguous phrases of
        common words are dropped when other phrases resolved. `named` says the question
        has a name's position empty (nothing else resolved): then a plain unknown word
        stays, since it is most likely the name the user meant.
        """
        if resolution.names:  # the question has its subject: keep only what reads as a name
            unknown = {p: s for p, s in resolution.unknown.items() if self.shaped_like_name(p)}
        else:
            unknown = {
                p: s
                for p, s in resolution.unknown.items()
                if self.looks_like_name(p) or (named and not is_common(p))
            }
        # an ambiguous phrase one of whose candidates is already a subject describes it
        # again ("both core routers, core-router-1 and core-router-2")
        ambiguous = {
            p: c
            for p, c in resolution.ambiguous.items()
            if not (resolution.names and (is_common(p) or len(words_of(p)) > 1))
            and not set(c) & set(resolution.names)
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
        candidates = self._candidates(typed)
        found = sorted(
            name
            for name in candidates
            if any(_prefixes_in_order(typed, ws) for ws in self._labels_of(name))
        )
        if found or len(typed) < 2 or any(len(t) < 3 for t in typed):
            return found
        # "session redis", "frankfurt colo cage": every typed word starts its own word of
        # the label, in any order and with others between ("Colocation cage, Frankfurt")
        found = sorted(
            name
            for name in candidates
            if any(_prefixes_anywhere(typed, ws) for ws in self._labels_of(name))
        )
        return found or self._of_kind(typed)

    def _of_kind(self, typed: tuple[str, ...]) -> list[str]:
        """ "the Patroni cluster", "the ParcelNet integration", "the storefront looking":
        the words before trailing kind words or -ing words that are no word of any name
        name the component, when each kind word is a word of its kind (`database-cluster`)
        or a generic one (`GENERIC_KINDS`). The fewest trailing words are left out."""
        for cut in range(len(typed) - 1, 0, -1):
            if not self._trails(typed[cut]):
                return []
            kinds = [k for k in typed[cut:] if self._is_kind_word(k) and k not in GENERIC_KINDS]
            found = [
                name
                for name in self._partial(typed[:cut])
                if all(k in words_of(self._components[name].kind) for k in kinds)
            ]
            if found:
                return found
        return []

    def _trails(self, word: str) -> bool:
        """Whether `word` may trail a name without being part of it: a kind word, or an
        everyday -ing word that is no word of any name or title ("looking", "being")."""
        if word in GENERIC_KINDS or self._is_kind_word(word):
            return True
        return word.endswith("ing") and word not in self._vocabulary and english.is_real(word)

    def _is_kind_word(self, word: str) -> bool:
        kinds = self._kind_words
        if kinds is None:  # made on first use (an index may be read by several threads)
            components = self._components
            every = (  # a snapshot's components: their kinds read, no component built
                components.kinds()
                if isinstance(components, ComponentMap)
                else {c.kind for c in components.values()}
            )
            found = {k for kind in every for k in words_of(kind)}
            kinds = self._kind_words = frozenset(found)
        return word in kinds

    def _candidates(self, typed: tuple[str, ...]) -> set[str]:
        """Components with a word starting with the rarest typed word (a superset to check)."""
        start, end = min((self._starting(prefix) for prefix in set(typed)), key=_width)
        return {entry.partition(_JOIN)[2] for entry in self._entries[start:end]}

    def _starting(self, prefix: str) -> tuple[int, int]:
        """The slice of `_entries` whose word starts with `prefix`."""
        start = bisect_left(self._entries, prefix)
        return start, bisect_left(self._entries, prefix + "{", start)  # "{" after [a-z0-9]

    def _has_word(self, word: str) -> bool:
        start = bisect_left(self._entries, word + _JOIN)
        return start < len(self._entries) and self._entries[start].startswith(word + _JOIN)

    def _labels_of(self, name: str) -> tuple[tuple[str, ...], ...]:
        """The words of `name`, and of its title and naming labels when it has them."""
        words = self._words.get(name)
        if words is None:  # a restored index reads them on first use (a dict item is atomic)
            words = self._words[name] = _label_words(self._components[name])
        return words

    def _prefer_business(self, candidates: list[str]) -> tuple[str, ...]:
        business = [n for n in candidates if self._components[n].is_business]
        return (business[0],) if len(business) == 1 else tuple(candidates)

    def _suggestions(self) -> dict[str, str]:
        """Spelling (casefolded) -> the name it suggests: every name, and every title
        spelled like no name; a title two components share suggests the first name."""
        components = self._components
        held = components.setting("title") if isinstance(components, ComponentMap) else None
        titled = (  # a snapshot's components: only those with a title read
            [components[name] for name in held]
            if held is not None
            else [c for c in components.values() if c.title]
        )
        shown = {
            c.title.casefold(): c.name
            for c in sorted(
                (c for c in titled if c.title),
                key=lambda c: c.name,
                reverse=True,
            )
            if c.title
        }
        shown.update(self._exact)
        return shown

    def _shown_for(self, spelling: str) -> str | None:
        """What `spelling` (casefolded) suggests in this index, as `_suggestions` has it."""
        hit = self._exact.get(spelling)
        if hit is not None:
            return hit
        key = _loose_key_of_folded(spelling)
        spelled = self._shared.get(key) or ((self._loose[key],) if key in self._loose else ())
        titled = [n for n in spelled if (self._components[n].title or "").casefold() == spelling]
        return min(titled) if titled else None

    def _add(self, c: Component) -> None:
        """Index `c` (a name not indexed) in this index's own copies of the tables."""
        self._exact[name_key(c.name)] = c.name
        for key in {loose_key(label) for label in _labels(c)}:
            spelled = self._shared.get(key) or ((self._loose[key],) if key in self._loose else ())
            together = tuple(sorted({*spelled, c.name}))
            self._loose[key] = together[-1]
            if len(together) > 1:
                self._shared[key] = together
        words = self._words[c.name] = _label_words(c)
        self._lengths.update(len(ws) for ws in words)
        for entry in chain.from_iterable(_entries_of(c.name, ws) for ws in words):
            insort(self._entries, entry)

    def _drop(self, c: Component) -> None:
        """Forget `c` (an indexed component) in this index's own copies of the tables."""
        del self._exact[name_key(c.name)]
        for key in {loose_key(label) for label in _labels(c)}:
            left = tuple(n for n in self._shared.get(key, (self._loose[key],)) if n != c.name)
            self._shared.pop(key, None)
            if not left:
                del self._loose[key]
                continue
            self._loose[key] = left[-1]
            if len(left) > 1:
                self._shared[key] = left
        words = _label_words(c)  # as indexed: `c` is the component this index holds
        self._words.pop(c.name, None)
        self._lengths.subtract(len(ws) for ws in words)
        for entry in set(chain.from_iterable(_entries_of(c.name, ws) for ws in words)):
            start = bisect_left(self._entries, entry)
            del self._entries[start : bisect_right(self._entries, entry, start)]


# Words that say what kind of thing a name is, whatever the map calls its kinds.
GENERIC_KINDS = frozenset(
    {"integration", "component", "system", "service", "server", "instance", "node", "box"}
    | {"machine", "thing"}
)
_REMARK = re.compile(r"[(,;]")  # where a title's remark starts: "Orders database (PostgreSQL)"


class _Build:
    """One index being built, or built and alive: `index()` while someone holds it."""

    def __init__(self, components: Mapping[str, Component]) -> None:
        self.components = components  # while the build or its index lives: the same map
        self.done = threading.Event()
        self.ref: weakref.ref[NameIndex] | None = None

    def index(self) -> NameIndex | None:
        return self.ref() if self.ref is not None else None


class SharedIndex:
    """The name index of a map built once for the threads that ask for the index of the
    same `components` (the very mapping) together: the conversation and the snapshot
    saver of a freshly compiled map (1M components: seconds each). The newest index is
    shared while its builder or a reader holds it (a weak reference: dropped, with its
    map, once nobody does). One per conversation (`Conversation`), not per process."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # `_forget` may run inside it: a reference dropped
        self._build: _Build | None = None

    def index(self, components: Mapping[str, Component]) -> NameIndex:
        """`NameIndex(components.values())`, or the one built or being built of them."""
        with self._lock:
            build = self._build
            mine = (
                build is None
                or build.components is not components
                or (build.done.is_set() and build.index() is None)
            )
            if mine:
                build = self._build = _Build(components)
        assert build is not None
        if not mine:
            build.done.wait()
            return build.index() or NameIndex(components.values())
        index = None
        try:
            index = NameIndex(components.values())
            build.ref = weakref.ref(index, lambda _: self._forget(build))
            return index
        finally:
            build.done.set()  # a failed build: the readers waiting build their own

    def _forget(self, build: _Build) -> None:
        with self._lock:
            if self._build is build:
                self._build = None


def _by_name(
    names: list[str], labelled: list[str], words: list[tuple[str, ...]]
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Name -> the words of its name, then of its title and naming labels when it has them
    (`words`: those of the names, then of the labels of `labelled`, in its order)."""
    by_name: dict[str, tuple[tuple[str, ...], ...]] = {
        name: (own,) for name, own in zip(names, words, strict=False)
    }
    for name, label in zip(labelled, words[len(names) :], strict=True):
        by_name[name] = (*by_name[name], label)
    return by_name


_NUMBERS = re.compile(r"[\d\s#.,:%-]+")
_NAMELIKE = re.compile(r"[0-9\-._/]")
_JOINED = re.compile(r"[a-z][-._/][a-z0-9]|[0-9][-._/][a-z]")  # db-05, a.b, v2-api
_MIXED = re.compile(r"(?=[a-z0-9]*[a-z])(?=[a-z0-9]*[0-9])[a-z0-9]+")  # k8s, db05, s3
# numbers and measures: counts, times, sizes, codes, ordinals
_MEASURE = re.compile(
    r"\d+(?:[.,:]\d+)*(?:xx|am|pm|h|hrs?|m|mins?|s|secs?|ms|k|kb|mb|gb|tb|x|st|nd|rd|th|d|w)?"
    r"|[0-9]{1,2}[:.][0-9]{2}(?:am|pm)?"
)
STRONG = 85.0  # the similarity of a typo of a real name, not of another word
_TOKEN = re.compile(r"[a-z0-9][a-z0-9._\-/]*[a-z0-9]")
_NAME_SHAPE = re.compile(r"^[a-z]+[a-z\-._]*\d+$")  # letters, then digits: inc-4521, db-05


def _everyday(words: tuple[str, ...]) -> bool:
    """Every word is an everyday English word (`english.is_real`), none a technical one."""
    return all(w.isalpha() and english.is_real(w) for w in words)


def is_common(phrase: str) -> bool:
    """Every word of `phrase` is a common English word."""
    words = words_of(phrase)
    return bool(words) and all(w in COMMON_WORDS for w in words)


def _begins(word: str, typed: str) -> bool:
    """Whether a typed word starts a word of a name: any part of a technical word ("db-0",
    "kaf"), but a real English word only whole or in another form ("order" starts
    "orders", "report" "reporting"; "post" does not start "postgresql")."""
    if not word.startswith(typed):
        return False
    if len(word) == len(typed) or len(typed) < 3 or not typed.isalpha():
        return True
    return not english.is_real(typed) or english.same_word(typed, word)


def _prefixes_anywhere(typed: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """Every typed word starts a different word of `words`, in any order."""
    left = list(words)
    for t in sorted(typed, key=len, reverse=True):
        hit = next((i for i, w in enumerate(left) if _begins(w, t)), None)
        if hit is None:
            return False
        del left[hit]
    return True


def _prefixes_in_order(typed: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """Every typed word starts a word of `words`, consecutively (`db 0` in `db 01`)."""
    for start in range(len(words) - len(typed) + 1):
        if all(_begins(words[start + i], t) for i, t in enumerate(typed)):
            return True
    return False
