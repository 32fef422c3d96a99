"""Running a sync: fetch a source, reconcile its names with the map, apply it to the store.

A source fails as a whole: when it cannot be reached or read, the failure is recorded
in the sync history and nothing in the map changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from impact.durations import read_duration
from impact.model import ServiceMap
from services.outbound import OutboundPolicy
from services.sync.errors import SourceError
from services.sync.http import SourceClient
from services.sync.names import NameRules, reconcile, rename
from services.sync.sources import fetch_backstage, fetch_jaeger, fetch_map_url, fetch_service_graph
from store import NotFound, Store, SyncOutcome, SyncSource

if TYPE_CHECKING:
    from store import MapSync

Fetcher = Callable[[SourceClient, str, Mapping[str, Any]], ServiceMap]
FETCHERS: dict[str, Fetcher] = {
    "backstage": fetch_backstage,
    "jaeger": fetch_jaeger,
    "otel-prometheus": fetch_service_graph,
    "yaml-url": fetch_map_url,
}


Tokens = Mapping[str, str]  # token_env name -> value: the environment, given by the root
NO_TOKENS: Tokens = MappingProxyType({})


@dataclass(frozen=True)
class SourceAccess(Mapping[str, str]):
    """How the root lets sync reach sources: the tokens (a mapping by `token_env` name)
    and the outbound policy every fetch follows. Passed where `tokens` are."""

    tokens: Tokens
    policy: OutboundPolicy

    def __getitem__(self, key: str) -> str:
        return self.tokens[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)


def policy_of(tokens: Tokens) -> OutboundPolicy:
    """The outbound policy `tokens` carry (the default policy for a plain mapping)."""
    return tokens.policy if isinstance(tokens, SourceAccess) else OutboundPolicy()


@dataclass
class Discovery:
    """A source's report with map names, and the names that matched nothing in the map."""

    service_map: ServiceMap
    unmatched: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    merged: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class SyncReport:
    source: SyncSource
    outcome: SyncOutcome
    discovery: Discovery


def discover(
    source: SyncSource,
    known: Iterable[str],
    client: SourceClient | None = None,
    *,
    tokens: Tokens = NO_TOKENS,
) -> Discovery:
    """Fetch `source` and rename what it reports onto the `known` map names.

    `tokens` maps a source's `token_env` name to its value (the composition root passes
    the environment); a source that names no token is fetched without one. Health checks
    the source reports are dropped unless the source is trusted for checks (option
    `trust_checks: true`): the bot fetches check URLs, so a remote map must not choose them.
    """
    rules = NameRules.from_options(source.options.get("rules"))
    timeout = source.options.get("timeout_s")
    own = client or SourceClient(
        policy=policy_of(tokens),
        timeout=None if timeout is None else float(timeout),
        token=_token(source.options, tokens),
    )
    try:
        raw = FETCHERS[source.type](own, source.url, source.options)
    finally:
        if client is None:
            own.close()
    if source.options.get("trust_checks") is not True:
        raw = without_checks(raw)
    matched = reconcile(raw.components, known, rules)
    return Discovery(rename(raw, matched.names), matched.unmatched, matched.invalid, matched.merged)


def run_sync(
    store: Store,
    target: str,
    *,
    source_type: str | None = None,
    dry_run: bool = False,
    actor: str = "cli",
    client: SourceClient | None = None,
    now: datetime | None = None,
    tokens: Tokens = NO_TOKENS,
) -> SyncReport:
    """Sync the configured source `target` (a name), or the source at URL `target`.

    A URL that is no configured source is registered on first use (on demand only), so the
    rows it contributes have an owner. Raises `SourceError` (recorded) when it fails.
    """
    from store import MapSync  # the sync's store loads with the first sync

    syncs = MapSync(store)
    source = _resolve(syncs, target, source_type, actor, dry_run)
    try:
        discovery = discover(source, store.load_map().components, client, tokens=tokens)
    except SourceError as error:
        if not dry_run and source.id is not None:
            syncs.record_failure(source.name, str(error), actor=actor, now=now)
        raise
    if source.id is None:  # dry run of an unregistered URL: diff against an empty contribution
        outcome = syncs.preview(source, discovery.service_map, now=now)
    else:
        outcome = syncs.apply(
            source.name, discovery.service_map, actor=actor, dry_run=dry_run, now=now
        )
    return SyncReport(source, outcome, discovery)


def run_due(
    store: Store,
    *,
    now: datetime | None = None,
    client: SourceClient | None = None,
    tokens: Tokens = NO_TOKENS,
) -> list[tuple[str, SyncReport | SourceError]]:
    """The scheduler's job: sync every source that is due; one failing source stops none."""
    from store import MapSync

    results: list[tuple[str, SyncReport | SourceError]] = []
    for source in MapSync(store).due(now):
        results.append((source.name, _run_one(store, source.name, now, client, tokens)))
    return results


def _run_one(
    store: Store, name: str, now: datetime | None, client: SourceClient | None, tokens: Tokens
) -> SyncReport | SourceError:
    """One scheduled sync; any failure is recorded and returned, so the next source runs."""
    try:
        return run_sync(store, name, actor="schedule", client=client, now=now, tokens=tokens)
    except SourceError as error:
        return error
    except Exception as error:  # one broken source must not stop the others
        from store import MapSync

        failure = SourceError(f"the sync of {name} failed ({type(error).__name__})")
        MapSync(store).record_failure(name, str(failure), actor="schedule", now=now)
        return failure


def without_checks(service_map: ServiceMap) -> ServiceMap:
    """`service_map` with no health check on any component."""
    components = {n: replace(c, check=None) for n, c in service_map.components.items()}
    return ServiceMap(components, service_map.dependencies, service_map.groups)


def parse_duration(text: str) -> int:
    """Whole seconds in "90s", "15m", "24h", "7d", "2w" (the one grammar, `impact.durations`)."""
    found = read_duration(text)
    if found is None:
        raise SourceError(f"bad duration {text!r}: write a number and a unit, e.g. 15m, 24h, 7d")
    return int(found.total_seconds())


def guess_type(url: str) -> str | None:
    """The source type a URL's path suggests, or None."""
    path = urlsplit(url).path.rstrip("/")
    if path.endswith("/api/dependencies"):
        return "jaeger"
    if path.endswith("/api/v1/query"):
        return "otel-prometheus"
    if "/api/catalog" in path:
        return "backstage"
    if re.search(r"\.(ya?ml|csv|json)$", path):
        return "yaml-url"
    return None


def _resolve(
    syncs: MapSync, target: str, source_type: str | None, actor: str, dry_run: bool
) -> SyncSource:
    if "://" not in target:
        return syncs.source(target)
    for source in syncs.sources():
        if source.url == target:
            return source
    kind = source_type or guess_type(target)
    if kind is None:
        raise SourceError(
            f"cannot tell what kind of source {target} is: "
            "add --type backstage, jaeger, otel-prometheus or yaml-url"
        )
    source = SyncSource(name=_url_name(target, kind), type=kind, url=target)
    try:
        syncs.source(source.name)
        source = SyncSource(
            name=f"{source.name}-{abs(hash(target)) % 10000}", type=kind, url=target
        )
    except NotFound:
        pass
    return source if dry_run else syncs.add_source(source, actor=actor)


def _url_name(url: str, kind: str) -> str:
    host = re.sub(r"[^A-Za-z0-9-]+", "-", urlsplit(url).hostname or "source").strip("-")
    return f"{kind}-{host}"[:64]


def _token(options: Mapping[str, Any], tokens: Tokens) -> str | None:
    variable = options.get("token_env")
    return tokens.get(str(variable)) if variable else None
