"""Sync time for a 10k-component Backstage catalog and a 50k-edge Jaeger graph.

Served from a loopback HTTP server, synced into a fresh SQLite store. The baseline, timed
in the same run, is parsing the same JSON bodies, so the figures read as ratios.
The last line is one JSON object. Run it as `python -m bench.sync` from the repository root
(bench/impact.py would shadow the impact package when run as a script).
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from services.sync import run_sync
from services.sync.http import SourceClient
from store import MapSync, Store, SyncSource

COMPONENTS = 10_000
EDGES = 50_000
PAGE = 500


def catalog() -> list[dict[str, Any]]:
    entities = []
    for i in range(COMPONENTS):
        depends = [f"component:default/svc-{(i * 7 + k) % COMPONENTS}" for k in (1, 2)]
        entities.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {"name": f"svc-{i}", "namespace": "default", "uid": f"u{i}"},
                "spec": {
                    "type": "service",
                    "owner": f"group:default/team-{i % 40}",
                    "dependsOn": depends,
                },
            }
        )
    return entities


def jaeger() -> dict[str, Any]:
    nodes = EDGES // 5
    data = [
        {
            "parent": f"svc{i % nodes}",
            "child": f"svc{(i % nodes + 1 + i // nodes * 13) % nodes}",
            "callCount": 10,
        }
        for i in range(EDGES)
    ]
    unique = {(d["parent"], d["child"]): d for d in data if d["parent"] != d["child"]}
    return {"data": list(unique.values()), "total": 0, "limit": 0, "offset": 0, "errors": None}


def serve(
    bodies: dict[str, Callable[[dict[str, list[str]]], bytes]],
) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            data = bodies[parts.path](parse_qs(parts.query))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    entities = catalog()
    pages = {
        "" if i == 0 else f"c{i}": json.dumps(
            {
                "items": entities[i : i + PAGE],
                "totalItems": len(entities),
                "pageInfo": {"nextCursor": f"c{i + PAGE}"} if i + PAGE < len(entities) else {},
            }
        ).encode()
        for i in range(0, len(entities), PAGE)
    }
    graph = json.dumps(jaeger()).encode()
    httpd, url = serve(
        {
            "/api/catalog/entities/by-query": lambda q: pages[q.get("cursor", [""])[0]],
            "/api/dependencies": lambda _q: graph,
        }
    )
    edges = len(json.loads(graph)["data"])
    baseline_catalog = timed(lambda: [json.loads(p) for p in pages.values()])
    baseline_graph = timed(lambda: json.loads(graph))
    with tempfile.TemporaryDirectory() as folder, SourceClient(timeout=60) as client:
        store = Store(f"sqlite:///{Path(folder) / 'bench.db'}")
        syncs = MapSync(store)
        syncs.add_source(SyncSource("backstage", "backstage", f"{url}/api/catalog"))
        syncs.add_source(SyncSource("jaeger", "jaeger", url))
        first_catalog = timed(lambda: run_sync(store, "backstage", client=client))
        again_catalog = timed(lambda: run_sync(store, "backstage", client=client))
        first_graph = timed(lambda: run_sync(store, "jaeger", client=client))
        again_graph = timed(lambda: run_sync(store, "jaeger", client=client))
        store.close()
    httpd.shutdown()
    result = {
        "bench": "sync",
        "catalog_components": COMPONENTS,
        "graph_edges": edges,
        "catalog_parse_s": round(baseline_catalog, 3),
        "catalog_first_sync_s": round(first_catalog, 3),
        "catalog_resync_s": round(again_catalog, 3),
        "catalog_first_sync_x_parse": round(first_catalog / baseline_catalog, 1),
        "graph_parse_s": round(baseline_graph, 3),
        "graph_first_sync_s": round(first_graph, 3),
        "graph_resync_s": round(again_graph, 3),
        "graph_first_sync_x_parse": round(first_graph / baseline_graph, 1),
        "python": sys.version.split()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
