"""The four kinds of sync source, each fetched into a `ServiceMap` of the names it reports.

- backstage: the catalog REST API, `GET /api/catalog/entities/by-query` (cursor paging:
  `items`, `totalItems`, `pageInfo.nextCursor`), falling back to the older
  `GET /api/catalog/entities?offset=&limit=` on catalogs without it.
- jaeger: `GET /api/dependencies?endTs=<ms>&lookback=<ms>` -> `data: [{parent, child, callCount}]`.
- otel-prometheus: the OpenTelemetry service graph, `traces_service_graph_request_total
  {client, server}` through `GET /api/v1/query` (an instant vector).
- yaml-url: a map file, Backstage catalog or CSV edge list fetched from a URL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from impact.model import Component, Dependency, ServiceMap
from services.sync.errors import SourceResponseError
from services.sync.http import SourceClient
from store import MapError, MapValidationError, StoreError

ENTITY_KINDS = ("component", "resource", "system", "api")
PAGE_SIZE = 500
VIRTUAL_CLIENT = "user"  # the service graph's client side of requests from outside the traces
SERVICE_GRAPH_QUERY = (
    "sum by (client, server) (increase(traces_service_graph_request_total[{window}]))"
)


def fetch_backstage(client: SourceClient, url: str, options: Mapping[str, Any]) -> ServiceMap:
    """Every Component, Resource, System and API entity of the catalog at `url`."""
    base = _base(url, "/entities")
    if urlsplit(base).path in ("", "/"):
        base = f"{base.rstrip('/')}/api/catalog"  # the catalog's usual mount point
    page = int(options.get("page_size", PAGE_SIZE))
    try:
        entities = _capped(_by_query(client, base, page), client.policy.max_pages, base)
    except _NoCursorApi:
        entities = _capped(_by_offset(client, base, page), client.policy.max_pages, base)
    return entities_map(entities, base)


Page = tuple[list[Any], bool]  # a page's entities, and whether another page follows


def _capped(pages: Iterator[Page], cap: int, where: str) -> list[Any]:
    """Every entity of at most `cap` pages. A catalog with more is refused without
    fetching page `cap + 1`, not cut short (a partial catalog would make the sync drop
    what it did not read)."""
    entities: list[Any] = []
    for count, (items, more) in enumerate(pages, start=1):
        entities += items
        if more and count >= cap:
            raise SourceResponseError(
                f"the catalog at {where} has more than {cap} pages: stopped reading; "
                "raise the option page_size or narrow the catalog"
            )
    return entities


def entities_map(entities: list[Any], where: str) -> ServiceMap:
    """Backstage entities (JSON objects) as a map, using the catalog-file rules of the store."""
    from store import parse_backstage  # the readers load with the first sync, not at start

    # JSON is YAML: the store's catalog parser reads the entities as one multi-document stream.
    text = "\n---\n".join(json.dumps(e) for e in entities)
    try:
        return parse_backstage(text).service_map
    except MapValidationError as error:
        raise SourceResponseError(
            f"the catalog at {where} has entities bsm cannot use: {_places(error)}"
        ) from None
    except StoreError:
        raise SourceResponseError(f"the catalog at {where} has entities bsm cannot read") from None


class _NoCursorApi(Exception):
    pass


def _by_query(client: SourceClient, base: str, page: int) -> Iterator[Page]:
    filters: list[tuple[str, Any]] = [("filter", f"kind={k}") for k in ENTITY_KINDS]
    body = client.get_json(
        f"{base}/entities/by-query", [*filters, ("limit", page)], missing_ok=True
    )
    if body is None:
        raise _NoCursorApi
    while True:
        items = _field(body, "items", list, f"{base}/entities/by-query")
        cursor = (body.get("pageInfo") or {}).get("nextCursor")
        yield items, bool(cursor and items)
        if not cursor or not items:
            return
        body = client.get_json(f"{base}/entities/by-query", {"cursor": cursor, "limit": page})


def _by_offset(client: SourceClient, base: str, page: int) -> Iterator[Page]:
    filters = [("filter", f"kind={k}") for k in ENTITY_KINDS]
    offset = 0
    while True:
        params = [*filters, ("offset", offset), ("limit", page)]
        items = client.get_json(f"{base}/entities", params)
        if not isinstance(items, list):
            raise SourceResponseError(
                f"{base}/entities returned {type(items).__name__}, not a list of entities"
            )
        yield items, len(items) >= page
        if len(items) < page:
            return
        offset += page


def fetch_jaeger(client: SourceClient, url: str, options: Mapping[str, Any]) -> ServiceMap:
    """Caller -> callee edges Jaeger saw in the lookback window (default 24h)."""
    base = _base(url, "/api/dependencies")
    lookback_ms = int(options.get("lookback_s", 86400)) * 1000
    params = {"endTs": int(time.time() * 1000), "lookback": lookback_ms}
    where = f"{base}/api/dependencies"
    data = _field(client.get_json(where, params), "data", list, where)
    minimum = int(options.get("min_calls", 1))
    edges = []
    for index, link in enumerate(data):
        if not isinstance(link, dict) or not {"parent", "child"} <= link.keys():
            raise SourceResponseError(f"{where}: data[{index}] lacks parent/child")
        if int(link.get("callCount") or 0) >= minimum:
            edges.append((str(link["parent"]), str(link["child"])))
    return _edge_map(edges)


def fetch_service_graph(client: SourceClient, url: str, options: Mapping[str, Any]) -> ServiceMap:
    """Client -> server edges of the OpenTelemetry service graph in Prometheus."""
    base = _base(url, "/api/v1/query")
    query = str(
        options.get("query") or SERVICE_GRAPH_QUERY.format(window=options.get("window", "24h"))
    )
    where = f"{base}/api/v1/query"
    body = client.get_json(where, {"query": query})
    if not isinstance(body, dict) or body.get("status") != "success":
        detail = body.get("errorType") if isinstance(body, dict) else None
        kind = f" ({str(detail)[:40]})" if isinstance(detail, str) else ""
        raise SourceResponseError(f"{where} rejected the query {query!r}{kind}")
    result = _field(_field(body, "data", dict, where), "result", list, where)
    edges: list[tuple[str | None, str]] = []
    for sample in result:
        labels = sample.get("metric", {}) if isinstance(sample, dict) else {}
        if "client" not in labels or "server" not in labels:
            raise SourceResponseError(f"{where}: a series lacks client/server labels")
        if float(sample.get("value", [0, "0"])[1]) > 0:
            client_name = str(labels["client"])
            virtual = client_name == VIRTUAL_CLIENT  # a request no traced service sent
            edges.append((None if virtual else client_name, str(labels["server"])))
    return _edge_map(edges)


def fetch_map_url(client: SourceClient, url: str, options: Mapping[str, Any]) -> ServiceMap:
    """A map file (YAML map, Backstage catalog or CSV edge list) served at `url`."""
    from store import detect_format, parse_backstage, parse_edge_list, parse_map

    fetched = client.get(url)
    if fetched.content_type == "text/html":
        raise SourceResponseError(
            f"{url} answered a web page (text/html, {len(fetched.content)} bytes), not a map"
        )
    text = fetched.text
    fmt = str(options.get("format") or detect_format(urlsplit(url).path, text))
    try:
        if fmt == "backstage":
            return parse_backstage(text).service_map
        if fmt == "csv":
            return parse_edge_list(text).service_map
        return parse_map(text)
    except MapValidationError as error:
        raise SourceResponseError(f"the map at {url} is not valid: {_places(error)}") from None
    except StoreError:
        raise SourceResponseError(f"the map at {url} is not a valid {fmt} file") from None


def _places(error: MapValidationError) -> str:
    """Where a remote map is wrong, without the values it holds (they are remote bytes)."""
    places = [_place(e) for e in error.errors[:5] if e.location]
    count = len(error.errors)
    head = f"{count} problem{'s' if count != 1 else ''}"
    return f"{head} ({', '.join(places)})" if places else head


def _place(error: MapError) -> str:
    where = error.location[:80]
    return f"{where}: {error.kind}" if error.kind else where


def _edge_map(edges: Sequence[tuple[str | None, str]]) -> ServiceMap:
    """Components and edges of caller -> callee pairs; a caller None adds only the callee."""
    names = dict.fromkeys(name for edge in edges for name in edge if name is not None)
    pairs = dict.fromkeys((s, t) for s, t in edges if s is not None)
    return ServiceMap.build(
        (Component(name=n) for n in names), (Dependency(s, t) for s, t in pairs)
    )


def _field(body: Any, name: str, kind: type, where: str) -> Any:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, kind):
        raise SourceResponseError(
            f"{where}: expected a JSON object with {name!r} ({kind.__name__}), "
            f"got a {type(body).__name__} without it"
        )
    return value


def _base(url: str, suffix: str) -> str:
    """The server URL without the endpoint path, so both forms of URL work."""
    url = url.rstrip("/")
    return url[: -len(suffix)] if url.endswith(suffix) else url
