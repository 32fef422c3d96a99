"""Syncing from loopback servers that answer like Backstage, Jaeger and Prometheus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from impact.model import BUSINESS_KIND, Component, Dependency, RedundancyGroup, ServiceMap
from services.sync import SourceUnreachable, run_sync
from services.sync.errors import SourceResponseError
from services.sync.http import SourceClient
from store import Store
from store.sync import MapSync
from store.sync_records import SyncSource

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def serve_catalog(server: Any, api: Any, entities: list[dict[str, Any]], size: int = 2) -> None:
    pages = api.by_query_pages(entities, size)
    server.routes["/api/catalog/entities/by-query"] = lambda q: (
        200,
        pages[q.get("cursor", [""])[0]],
    )


def edges_of(store: Store) -> set[tuple[str, str]]:
    return {(d.source, d.target) for d in store.load_map().dependencies}


def add(store: Store, name: str, kind: str, url: str, **extra: Any) -> None:
    MapSync(store).add_source(SyncSource(name, kind, url, **extra))


def test_first_sync_from_backstage_pages_through_the_catalog(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    serve_catalog(server, api, api.catalog(), size=2)
    add(store, "backstage", "backstage", f"{server.url}/api/catalog")

    report = run_sync(store, "backstage", client=client, now=T0)

    service_map = store.load_map()
    assert report.outcome.status == "applied"
    assert service_map.components["checkout-api"].owner == "checkout-team"
    assert service_map.components["orders-db"].kind == "database"
    assert service_map.components["webshop"].kind == BUSINESS_KIND
    assert edges_of(store) >= {
        ("checkout-api", "orders-db"),
        ("checkout-api", "payments-api"),
        ("payments-api", "orders-db"),
        ("webshop", "checkout-api"),
    }
    cursors = [q.get("cursor") for path, q in server.requests if path.endswith("by-query")]
    assert cursors == [None, ["c2"]]  # two pages of two entities
    entry = store.audit_log(1)[0]
    assert (entry.action, entry.origin, entry.target) == ("map.sync", "sync", "backstage")
    assert "checkout-api" in entry.after["components_added"]
    assert entry.after["counts"]["edges_added"] == 4


def test_backstage_without_cursor_api_is_read_with_offset_paging(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    entities = api.catalog()
    server.routes["/api/catalog/entities"] = lambda q: (
        200,
        entities[int(q["offset"][0]) : int(q["offset"][0]) + int(q["limit"][0])],
    )
    add(store, "old-backstage", "backstage", server.url, options={"page_size": 3})

    run_sync(store, "old-backstage", client=client, now=T0)

    assert {"checkout-api", "payments-api", "orders-db", "webshop"} <= set(
        store.load_map().components
    )
    offsets = [q["offset"] for path, q in server.requests if path == "/api/catalog/entities"]
    assert offsets == [["0"], ["3"]]


def test_incremental_jaeger_sync_adds_only_the_new_edge(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    calls = [("frontend", "checkout", 120), ("checkout", "payments", 80)]
    server.json("/api/dependencies", api.jaeger(calls))
    add(store, "jaeger", "jaeger", server.url)
    run_sync(store, "jaeger", client=client, now=T0)
    version = store.map_version()

    server.json("/api/dependencies", api.jaeger([*calls, ("checkout", "inventory", 15)]))
    report = run_sync(store, "jaeger", client=client, now=T0 + timedelta(minutes=15))

    effect = report.outcome.effect
    assert [(e.source, e.target) for e in effect.added_edges] == [("checkout", "inventory")]
    assert [c.name for c in effect.added_components] == ["inventory"]
    assert not effect.removed_edges and not effect.changed_components
    assert store.map_version() == version + 1
    query = server.requests[-1][1]
    assert int(query["lookback"][0]) == 86_400_000 and int(query["endTs"][0]) > 1_700_000_000_000


def test_unchanged_report_changes_nothing(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    server.json("/api/dependencies", api.jaeger([("frontend", "checkout", 1)]))
    add(store, "jaeger", "jaeger", server.url)
    run_sync(store, "jaeger", client=client, now=T0)
    version, audits = store.map_version(), len(store.audit_log(100))

    report = run_sync(store, "jaeger", client=client, now=T0 + timedelta(hours=1))

    assert report.outcome.status == "unchanged"
    assert store.map_version() == version
    assert len(store.audit_log(100)) == audits


def test_dropped_edge_is_stale_first_and_removed_after_the_grace_period(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    calls = [(f"svc{i}", f"svc{i + 1}", 10) for i in range(10)]
    server.json("/api/dependencies", api.jaeger(calls))
    add(store, "jaeger", "jaeger", server.url, grace_s=3600)
    run_sync(store, "jaeger", client=client, now=T0)

    server.json("/api/dependencies", api.jaeger(calls[:-1]))  # svc9 -> svc10 disappears
    stale = run_sync(store, "jaeger", client=client, now=T0 + timedelta(minutes=10))
    assert stale.outcome.newly_stale == ("svc10", "svc9 -> svc10")
    assert ("svc9", "svc10") in edges_of(store)

    within = run_sync(store, "jaeger", client=client, now=T0 + timedelta(minutes=50))
    assert within.outcome.effect.is_empty and ("svc9", "svc10") in edges_of(store)

    after = run_sync(store, "jaeger", client=client, now=T0 + timedelta(minutes=75))
    assert [(e.source, e.target) for e in after.outcome.effect.removed_edges] == [("svc9", "svc10")]
    assert [c.name for c in after.outcome.effect.removed_components] == ["svc10"]
    assert ("svc9", "svc10") not in edges_of(store)
    assert "svc10" not in store.load_map().components
    assert store.audit_log(1)[0].after["edges_removed"] == [
        {"source": "svc9", "target": "svc10", "kind": "hard"}
    ]


def test_an_edge_reported_again_within_grace_is_current_again(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    calls = [(f"a{i}", f"b{i}", 1) for i in range(10)]
    server.json("/api/dependencies", api.jaeger(calls))
    add(store, "jaeger", "jaeger", server.url, grace_s=3600)
    run_sync(store, "jaeger", client=client, now=T0)
    server.json("/api/dependencies", api.jaeger(calls[1:]))
    run_sync(store, "jaeger", client=client, now=T0 + timedelta(minutes=10))
    server.json("/api/dependencies", api.jaeger(calls))
    run_sync(store, "jaeger", client=client, now=T0 + timedelta(minutes=20))

    server.json("/api/dependencies", api.jaeger(calls))
    late = run_sync(store, "jaeger", client=client, now=T0 + timedelta(hours=5))

    assert late.outcome.effect.is_empty and ("a0", "b0") in edges_of(store)


def test_hand_written_values_win_over_discovered_ones(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    hand = ServiceMap.build(
        [
            Component("online-checkout", kind=BUSINESS_KIND, owner="shop-team", sla=99.9),
            Component("checkout-api", owner="payments-team"),
            Component("orders-db", kind="database-cluster", owner="dba-team"),
            Component("db-01", kind="database"),
            Component("db-02", kind="database"),
        ],
        [Dependency("online-checkout", "checkout-api"), Dependency("checkout-api", "orders-db")],
        [RedundancyGroup("orders-db-cluster", "orders-db", ("db-01", "db-02"), min_up=1)],
    )
    store.import_map(hand, actor="alice")
    entities = [
        api.entity("Component", "online-checkout", type="website", owner="web-team"),
        api.entity(
            "Component",
            "checkout-api",
            type="service",
            owner="group:default/someone-else",
            description="Takes the basket to a paid order.",
            dependsOn=["resource:default/orders-db"],
        ),
        api.entity("Resource", "orders-db", type="database", dependsOn=["resource:default/db-01"]),
    ]
    serve_catalog(server, api, entities)
    add(store, "backstage", "backstage", f"{server.url}/api/catalog")

    report = run_sync(store, "backstage", client=client, now=T0)

    after = store.load_map()
    checkout = after.components["checkout-api"]
    assert after.components["online-checkout"].kind == BUSINESS_KIND
    assert after.components["online-checkout"].owner == "shop-team"
    assert after.components["online-checkout"].sla == 99.9
    assert checkout.owner == "payments-team"
    assert checkout.description == "Takes the basket to a paid order."  # an empty field is filled
    assert after.components["orders-db"].kind == "database-cluster"
    assert ("orders-db", "db-01") not in edges_of(store)  # inside a hand-written redundancy group
    assert report.outcome.skipped == ("orders-db -> db-01",)
    assert after.groups == hand.groups


def test_a_field_the_source_filled_follows_the_source_until_someone_edits_it(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    serve_catalog(server, api, [api.entity("Component", "search", owner="team-a")])
    add(store, "backstage", "backstage", f"{server.url}/api/catalog")
    run_sync(store, "backstage", client=client, now=T0)
    serve_catalog(server, api, [api.entity("Component", "search", owner="team-b")])
    run_sync(store, "backstage", client=client, now=T0 + timedelta(hours=1))
    assert store.load_map().components["search"].owner == "team-b"

    store.import_map(ServiceMap.build([Component("search", owner="search-guild")]), actor="bob")
    serve_catalog(server, api, [api.entity("Component", "search", owner="team-c")])
    run_sync(store, "backstage", client=client, now=T0 + timedelta(hours=2))

    assert store.load_map().components["search"].owner == "search-guild"


def test_large_shrink_is_held_until_an_admin_confirms(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    calls = [(f"api{i}", f"db{i}", 5) for i in range(10)]
    server.json("/api/dependencies", api.jaeger(calls))
    add(store, "jaeger", "jaeger", server.url, grace_s=0)
    run_sync(store, "jaeger", client=client, now=T0)
    before = store.load_map()

    server.json("/api/dependencies", api.jaeger(calls[:7]))  # 30% of the edges vanish
    held = run_sync(store, "jaeger", client=client, now=T0 + timedelta(minutes=15))

    assert held.outcome.status == "pending" and held.outcome.shrink == pytest.approx(0.3)
    assert store.load_map() == before
    syncs = MapSync(store)
    assert [run.id for run in syncs.pending()] == [held.outcome.run_id]

    run_id = held.outcome.run_id or 0
    confirmed = syncs.confirm(run_id, actor="admin", now=T0 + timedelta(minutes=20))
    assert len(confirmed.newly_stale) == 9  # three edges and the six services at their ends
    assert syncs.pending() == []
    assert syncs.history(source="jaeger", status="confirmed")[0].id == run_id
    final = run_sync(store, "jaeger", client=client, now=T0 + timedelta(minutes=30))
    assert len(final.outcome.effect.removed_edges) == 3
    assert ("api9", "db9") not in edges_of(store)


def test_small_shrink_is_applied_without_confirmation(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    calls = [(f"api{i}", f"db{i}", 5) for i in range(10)]
    server.json("/api/dependencies", api.jaeger(calls))
    add(store, "jaeger", "jaeger", server.url)
    run_sync(store, "jaeger", client=client, now=T0)
    server.json("/api/dependencies", api.jaeger(calls[:9]))

    report = run_sync(store, "jaeger", client=client, now=T0 + timedelta(minutes=15))

    assert report.outcome.status == "applied" and MapSync(store).pending() == []


def test_unreachable_source_changes_nothing_and_says_why(
    store: Store, client: SourceClient
) -> None:
    store.import_map(ServiceMap.build([Component("checkout")]), actor="alice")
    add(store, "jaeger", "jaeger", "http://127.0.0.1:9/")  # discard port: nothing listens
    version, before = store.map_version(), store.load_map()

    with pytest.raises(SourceUnreachable) as raised:
        run_sync(store, "jaeger", client=client, now=T0)

    assert "cannot reach http://127.0.0.1:9/api/dependencies" in str(raised.value)
    assert store.map_version() == version and store.load_map() == before
    run = MapSync(store).history(source="jaeger")[0]
    assert run.status == "failed" and "cannot reach" in (run.error or "")
    assert MapSync(store).source("jaeger").last_status == "failed"


def test_failing_server_is_retried_then_reported(
    store: Store, server: Any, client: SourceClient
) -> None:
    server.json("/api/dependencies", {"message": "upstream down"}, status=503)
    add(store, "jaeger", "jaeger", server.url)

    with pytest.raises(SourceUnreachable, match="HTTP 503"):
        run_sync(store, "jaeger", client=client, now=T0)

    assert len(server.requests) == 2  # one retry
    assert store.map_version() == 0


def test_wrong_format_names_the_endpoint(store: Store, server: Any, client: SourceClient) -> None:
    server.json("/api/dependencies", {"traces": []})
    add(store, "jaeger", "jaeger", server.url)

    with pytest.raises(SourceResponseError, match=r"/api/dependencies: expected .*'data'"):
        run_sync(store, "jaeger", client=client, now=T0)


def test_service_graph_names_are_reconciled_with_the_map(
    store: Store, server: Any, api: Any, client: SourceClient
) -> None:
    store.import_map(
        ServiceMap.build([Component("checkout-api"), Component("payments-api")]), actor="alice"
    )
    graph = [
        ("svc-checkout-api", "Payments-API.prod", 42.0),
        ("prod/checkout-api", "fraud-check.prod.svc.cluster.local", 3.0),
        ("idle-client", "idle-server", 0.0),
    ]
    server.json("/api/v1/query", api.service_graph(graph))
    add(store, "otel", "otel-prometheus", server.url, options={"window": "1h"})

    report = run_sync(store, "otel", client=client, now=T0)

    assert edges_of(store) == {("checkout-api", "payments-api"), ("checkout-api", "fraud-check")}
    assert report.discovery.unmatched == ["fraud-check"]
    query = server.requests[-1][1]["query"][0]
    assert query == "sum by (client, server) (increase(traces_service_graph_request_total[1h]))"


def test_map_from_a_url_is_synced(store: Store, server: Any, client: SourceClient) -> None:
    text = "version: 1\ncomponents:\n  - name: web\n    depends_on: [api]\n  - name: api\n"
    server.routes["/maps/shop.yaml"] = lambda _q: (200, text)

    report = run_sync(store, f"{server.url}/maps/shop.yaml", client=client, now=T0)

    assert report.source.type == "yaml-url" and report.source.name.startswith("yaml-url-127")
    assert edges_of(store) == {("web", "api")}
