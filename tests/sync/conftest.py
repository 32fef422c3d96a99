"""A loopback HTTP server whose routes tests fill with realistic API responses."""

from __future__ import annotations

import json
import threading
import types
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from services.sync.http import SourceClient

# path -> handler(query) -> (status, body); body dicts/lists are sent as JSON
Route = Callable[[dict[str, list[str]]], tuple[int, Any]]


class FakeServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def json(self, path: str, body: Any, status: int = 200) -> None:
        self.routes[path] = lambda _query: (status, body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                server.requests.append((parts.path, query))
                route = server.routes.get(parts.path)
                status, body = route(query) if route else (404, {"error": "not found"})
                text = body if isinstance(body, str) else json.dumps(body)
                data = text.encode()
                self.send_response(status)
                kind = "text/plain" if isinstance(body, str) else "application/json"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    thread = threading.Thread(target=fake.httpd.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


@pytest.fixture
def client() -> Iterator[SourceClient]:
    """A source client that retries without waiting (tests never sleep)."""
    with SourceClient(timeout=5, retries=1, sleep=lambda _seconds: None) as made:
        yield made


# -- realistic API responses -----------------------------------------------------------


def entity(kind: str, name: str, **spec: Any) -> dict[str, Any]:
    """A Backstage entity as the catalog API returns it (final, stitched form)."""
    metadata: dict[str, Any] = {
        "namespace": "default",
        "name": name,
        "uid": f"uid-{kind}-{name}",
        "etag": "Zjc2ZDg1",
        "annotations": {
            "backstage.io/managed-by-location": "url:https://git.example.com/catalog-info.yaml"
        },
    }
    if "description" in spec:
        metadata["description"] = spec.pop("description")
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
        "relations": [
            {"type": "ownedBy", "targetRef": f"group:default/{spec.get('owner', 'unknown')}"}
        ],
    }


def catalog() -> list[dict[str, Any]]:
    return [
        entity("System", "webshop", owner="group:default/shop-team"),
        entity(
            "Component",
            "checkout-api",
            type="service",
            lifecycle="production",
            owner="group:default/checkout-team",
            system="webshop",
            dependsOn=["resource:default/orders-db", "component:default/payments-api"],
        ),
        entity(
            "Component",
            "payments-api",
            type="service",
            lifecycle="production",
            owner="payments-team",
            description="Card and wallet payments.",
            dependsOn=["resource:default/orders-db"],
        ),
        entity("Resource", "orders-db", type="database", owner="group:default/dba-team"),
    ]


def by_query_pages(entities: list[dict[str, Any]], size: int) -> dict[str, dict[str, Any]]:
    """Cursor -> page body of `/entities/by-query` ("" is the first page)."""
    pages = {}
    for index in range(0, len(entities), size):
        cursor = "" if index == 0 else f"c{index}"
        following = f"c{index + size}" if index + size < len(entities) else None
        page_info: dict[str, Any] = {"nextCursor": following} if following else {}
        if index:
            page_info["prevCursor"] = f"c{index - size}" if index > size else "c0"
        pages[cursor] = {
            "items": entities[index : index + size],
            "totalItems": len(entities),
            "pageInfo": page_info,
        }
    return pages


def jaeger(edges: list[tuple[str, str, int]]) -> dict[str, Any]:
    """`GET /api/dependencies` of jaeger-query."""
    return {
        "data": [{"parent": p, "child": c, "callCount": n} for p, c, n in edges],
        "total": 0,
        "limit": 0,
        "offset": 0,
        "errors": None,
    }


def service_graph(edges: list[tuple[str, str, float]]) -> dict[str, Any]:
    """Prometheus `GET /api/v1/query` instant vector of the OTel service graph."""
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {
                    "metric": {"client": c, "server": s, "connection_type": ""},
                    "value": [1764288000.123, f"{n:g}"],
                }
                for c, s, n in edges
            ],
        },
    }


@pytest.fixture
def api() -> types.SimpleNamespace:
    """The response builders above, for test modules (conftest cannot be imported)."""
    return types.SimpleNamespace(
        entity=entity,
        catalog=catalog,
        by_query_pages=by_query_pages,
        jaeger=jaeger,
        service_graph=service_graph,
    )
