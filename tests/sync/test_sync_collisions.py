"""Reported names that normalise to one map name: separated, merged or refused, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.sync.answers import sync_answer
from services.sync import SourceError, run_due, run_sync
from services.sync.http import SourceClient
from store import Store
from store.sync import MapSync
from store.sync_records import SyncSource

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# orders.prod and orders.staging are told apart as orders-prod and orders-staging, and
# then orders-prod is reported too: two names that cannot be told apart by spelling.
CLASH = [("web", "orders.prod"), ("web", "orders.staging"), ("web", "orders-prod")]


def serve_jaeger(server: Any, api: Any, edges: list[tuple[str, str]], path: str = "") -> str:
    server.json(f"{path}/api/dependencies", api.jaeger([(p, c, 5) for p, c in edges]))
    return f"{server.url}{path}"


def components(store: Store) -> set[str]:
    return set(store.load_map().components)


def test_istio_canary_keeps_its_suffix_instead_of_colliding(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    url = serve_jaeger(
        server,
        api,
        [
            ("istio-ingressgateway.istio-system", "productpage.bookinfo"),
            ("istio-ingressgateway.istio-system", "productpage.bookinfo-canary"),
            ("productpage.bookinfo", "reviews.bookinfo"),
        ],
    )
    MapSync(store).add_source(SyncSource("mesh", "jaeger", url))

    dry = run_sync(store, "mesh", client=client, now=T0, dry_run=True)
    report = run_sync(store, "mesh", client=client, now=T0)

    expected = {"productpage-bookinfo", "productpage-bookinfo-canary", "reviews"}
    assert expected <= set(dry.discovery.service_map.components)
    assert report.outcome.status == "applied"
    assert expected | {"istio-ingressgateway"} == components(store)
    edges = {(d.source, d.target) for d in store.load_map().dependencies}
    assert ("istio-ingressgateway", "productpage-bookinfo-canary") in edges
    assert ("productpage-bookinfo", "reviews") in edges


def test_case_duplicates_merge_into_one_component_reported_as_merged(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    url = serve_jaeger(
        server, api, [("Frontend", "cart"), ("frontend", "cart"), ("gateway", "Frontend")]
    )
    MapSync(store).add_source(SyncSource("traces", "jaeger", url))

    report = run_sync(store, "traces", client=client, now=T0)

    assert report.outcome.status == "applied"
    assert components(store) == {"frontend", "cart", "gateway"}
    assert report.discovery.merged == {"frontend": ["Frontend", "frontend"]}
    merged = [s for s in sync_answer(report).sections if "merged" in s.title]
    assert [i.text for i in merged[0].items] == ["frontend (Frontend, frontend)"]
    edges = [(d.source, d.target) for d in store.load_map().dependencies]
    assert sorted(edges) == [("frontend", "cart"), ("gateway", "frontend")]


def test_names_that_still_collide_fail_with_both_names_recorded(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    url = serve_jaeger(server, api, CLASH)
    syncs = MapSync(store)
    syncs.add_source(SyncSource("clash", "jaeger", url))

    with pytest.raises(SourceError) as dry:
        run_sync(store, "clash", client=client, now=T0, dry_run=True)
    with pytest.raises(SourceError) as real:
        run_sync(store, "clash", client=client, now=T0)

    for error in (dry, real):
        assert "orders.prod" in str(error.value) and "orders-prod" in str(error.value)
    source = syncs.source("clash")
    assert source.last_status == "failed"
    assert "orders.prod" in (source.last_error or "")
    assert components(store) == set()


def test_run_due_records_a_failing_source_and_runs_the_others(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    bad = serve_jaeger(server, api, CLASH, "/a")
    good = serve_jaeger(server, api, [("shop", "payments")], "/b")
    syncs = MapSync(store)
    syncs.add_source(SyncSource("a-clash", "jaeger", bad, every_s=60))
    syncs.add_source(SyncSource("b-fine", "jaeger", good, every_s=60))

    results = dict(run_due(store, now=T0, client=client))

    assert isinstance(results["a-clash"], SourceError)
    assert not isinstance(results["b-fine"], SourceError)
    assert syncs.source("a-clash").last_status == "failed"
    assert syncs.source("b-fine").last_status == "applied"
    assert components(store) == {"shop", "payments"}


def test_host_port_nodes_become_distinct_names_and_user_is_no_component(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    server.json(
        "/api/v1/query",
        api.service_graph(
            [
                ("user", "frontend", 12),
                ("frontend", "10.42.0.17:5432", 3),
                ("frontend", "10.42.0.18:5432", 4),
            ]
        ),
    )
    MapSync(store).add_source(SyncSource("tempo", "otel-prometheus", server.url))

    run_sync(store, "tempo", client=client, now=T0)

    assert components(store) == {"frontend", "10-42-0-17-5432", "10-42-0-18-5432"}
    edges = {(d.source, d.target) for d in store.load_map().dependencies}
    assert edges == {("frontend", "10-42-0-17-5432"), ("frontend", "10-42-0-18-5432")}


class BrokenClient(SourceClient):
    """A client whose source breaks in a way no fetcher expects."""

    def get_json(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("unexpected")


def test_run_due_records_an_unexpected_failure_and_goes_on(
    store: Store, server: Any, api: Any
) -> None:
    url = serve_jaeger(server, api, [("shop", "payments")])
    syncs = MapSync(store)
    syncs.add_source(SyncSource("a-broken", "jaeger", url, every_s=60))
    syncs.add_source(SyncSource("b-broken", "jaeger", url, every_s=60))

    with BrokenClient(timeout=5, retries=1, sleep=lambda _seconds: None) as broken:
        results = dict(run_due(store, now=T0, client=broken))

    assert set(results) == {"a-broken", "b-broken"}  # the first failure stopped nothing
    for name, error in results.items():
        assert isinstance(error, SourceError) and "ValueError" in str(error)
        source = syncs.source(name)
        assert (source.last_status, source.last_error) == ("failed", str(error))
