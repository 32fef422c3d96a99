"""Jaeger's own sample dependency graph (jaeger-ui's sample_data/small.json) synced as served."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.sync import run_sync
from services.sync.http import SourceClient
from store import Store
from store.sync import MapSync
from store.sync_records import SyncSource

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "jaeger" / "small.json"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_jaegers_sample_graph_becomes_caller_to_callee_dependencies(
    store: Store, server: Any, client: SourceClient
) -> None:
    server.json("/api/dependencies", {"data": json.loads(SAMPLE.read_text()), "errors": None})
    MapSync(store).add_source(SyncSource("jaeger", "jaeger", server.url))

    report = run_sync(store, "jaeger", client=client, now=T0)

    assert report.outcome.status == "applied"
    service_map = store.load_map()
    # Read off the sample by hand: seven parent -> child links over eight services
    # (the caller depends on the callee); names are lower-cased into map names.
    assert {(d.source, d.target) for d in service_map.dependencies} == {
        ("service1", "service2"),
        ("service1", "service3"),
        ("service1", "service5"),
        ("service8", "service6"),
        ("service6", "service1"),
        ("service2", "service4"),
        ("service3", "service7"),
    }
    assert set(service_map.components) == {f"service{i}" for i in range(1, 9)}
