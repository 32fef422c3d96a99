"""Name reconciliation: the names a source reports, mapped onto the names of the map.

Sources spell the same service differently (`svc-checkout`, `Checkout`, `checkout.prod`,
`prod/checkout`). Each reported name is tried against the map step by step (regex
rewrites, then case, then prefixes, then Kubernetes namespaces); the first spelling the map
knows wins. Names matching nothing keep their fully normalised spelling and are listed as
unmatched, so people can add a rule or a component.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from impact.model import NAME_PATTERN, Component, Dependency, ServiceMap, name_key
from services.sync.errors import SourceError

RULE_KEYS = ("lowercase", "strip_prefixes", "namespaces", "rewrites")
_INVALID = re.compile(r"[^A-Za-z0-9._-]+")
_NOT_DASHED = re.compile(r"[^A-Za-z0-9-]+")
_ADDRESS = re.compile(r":\d+$|^\d+(\.\d+){3}$")  # host:port, or an IPv4 address


@dataclass(frozen=True, slots=True)
class NameRules:
    """How reported names become map names; `rewrites` are (regex, replacement) pairs."""

    lowercase: bool = True
    strip_prefixes: tuple[str, ...] = ("svc-",)
    namespaces: bool = True
    rewrites: tuple[tuple[re.Pattern[str], str], ...] = ()

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None) -> NameRules:
        """Rules from a source's `rules` option; unknown keys and bad regexes are errors."""
        options = options or {}
        if unknown := sorted(set(options) - set(RULE_KEYS)):
            raise SourceError(f"unknown name rule {unknown[0]!r}: use {', '.join(RULE_KEYS)}")
        return cls(
            lowercase=bool(options.get("lowercase", True)),
            strip_prefixes=tuple(options.get("strip_prefixes", ("svc-",))),
            namespaces=bool(options.get("namespaces", True)),
            rewrites=tuple(_rewrite(pair) for pair in options.get("rewrites", ())),
        )

    def spellings(self, raw: str) -> Iterator[str]:
        """Candidate spellings of `raw`, least changed first; the last is the normal form.

        A network address (`10.42.0.17:5432`) is never cut at its dots: its normal form
        keeps every part (`10-42-0-17-5432`)."""
        name = yield from self._unscoped(raw)
        if _ADDRESS.search(name):
            yield dashed(name)
        elif self.namespaces and (stripped := _strip_namespace(name)) != name:
            yield stripped

    def full(self, raw: str) -> str:
        """`raw` after rewrites, case and prefixes, its namespace kept."""
        return list(self._unscoped(raw))[-1]

    def _unscoped(self, raw: str) -> Generator[str, None, str]:
        name = raw.strip()
        for pattern, replacement in self.rewrites:
            name = pattern.sub(replacement, name)
        yield name
        if self.lowercase:
            name = name.lower()
            yield name
        for prefix in self.strip_prefixes:
            if name.lower().startswith(prefix.lower()) and len(name) > len(prefix):
                name = name[len(prefix) :]
                yield name
        return name


@dataclass
class Reconciliation:
    """Reported name -> map name, plus the names that matched nothing in the map.

    `merged` lists, by map name, the reported names that became that one component
    (e.g. `Frontend` and `frontend`)."""

    names: dict[str, str] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    merged: dict[str, list[str]] = field(default_factory=dict)


def reconcile(reported: Iterable[str], known: Iterable[str], rules: NameRules) -> Reconciliation:
    """Map every reported name onto a known name where the rules allow it.

    Unmatched names that would become one map name are told apart by keeping their
    namespace (`productpage-bookinfo`, `productpage-bookinfo-canary`); names equal but for
    case merge. Names that still become one map name raise `SourceError` naming both."""
    by_key = {name_key(n): n for n in known}
    result = Reconciliation()
    fresh: dict[str, str] = {}
    for raw in dict.fromkeys(reported):
        spellings = list(rules.spellings(raw))
        match = next((by_key[name_key(s)] for s in spellings if name_key(s) in by_key), None)
        final = _INVALID.sub("-", spellings[-1]).strip("-._")
        if match is not None:
            result.names[raw] = match
        elif NAME_PATTERN.match(final):
            fresh[raw] = final
        else:
            result.invalid.append(raw)
    fresh = _separate(fresh, rules)
    result.names.update(fresh)
    result.unmatched = list(dict.fromkeys(fresh.values()))
    result.merged = _merged(result.names)
    return result


def _separate(fresh: Mapping[str, str], rules: NameRules) -> dict[str, str]:
    """`fresh` with colliding names spelt in full; `SourceError` if they still collide."""
    groups = _by_key(fresh)
    names = dict(fresh)
    for raws in groups.values():
        if len({name_key(rules.full(r)) for r in raws}) > 1:
            names.update((r, dashed(rules.full(r))) for r in raws)
    for raws in _by_key(names).values():
        firsts = {name_key(rules.full(r)): r for r in reversed(raws)}
        if len(firsts) > 1:
            one, other = sorted(firsts.values())[:2]
            raise SourceError(
                f"the reported names {one!r} and {other!r} would both become the component "
                f"{names[one]!r}: add a name rule (rules.rewrites) that tells them apart"
            )
    return names


def _by_key(names: Mapping[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for raw, name in names.items():
        groups.setdefault(name_key(name), []).append(raw)
    return groups


def _merged(names: Mapping[str, str]) -> dict[str, list[str]]:
    return {names[raws[0]]: sorted(raws) for raws in _by_key(names).values() if len(raws) > 1}


def dashed(name: str) -> str:
    """`name` with every run of characters other than letters, digits and `-` as one `-`."""
    return _NOT_DASHED.sub("-", name).strip("-")


def rename(discovered: ServiceMap, names: Mapping[str, str]) -> ServiceMap:
    """`discovered` with names replaced; names without a mapping (invalid) are dropped."""
    components: dict[str, Component] = {}
    seen: set[str] = set()
    for raw, component in discovered.components.items():
        if raw in names and name_key(names[raw]) not in seen:
            seen.add(name_key(names[raw]))
            components[names[raw]] = replace(component, name=names[raw])
    edges = {
        (names[d.source], names[d.target], d.kind): None
        for d in discovered.dependencies
        if d.source in names
        and d.target in names
        and name_key(names[d.source]) != name_key(names[d.target])
    }
    return ServiceMap(components, [Dependency(*edge) for edge in edges], [])


def _strip_namespace(name: str) -> str:
    if "/" in name:  # prod/checkout
        return name.rsplit("/", 1)[1]
    if "." in name:  # checkout.prod, checkout.prod.svc.cluster.local
        return name.split(".", 1)[0]
    return name


def _rewrite(pair: Any) -> tuple[re.Pattern[str], str]:
    if not (isinstance(pair, list | tuple) and len(pair) == 2):
        raise SourceError(f"name rewrite {pair!r}: write it as [regex, replacement]")
    try:
        return re.compile(str(pair[0])), str(pair[1])
    except re.error as error:
        raise SourceError(f"name rewrite regex {pair[0]!r} is invalid: {error}") from None
