"""`bsm sync --type backstage` over Backstage's own example catalog gives the map `bsm import`
gives (same names per kind and namespace, same edges), and its errors name the entity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.sync import run_sync
from services.sync.errors import SourceResponseError
from services.sync.http import SourceClient
from store import Store
from store.sync import MapSync
from store.sync_records import SyncSource
from tests.store.test_backstage_catalog import EXPECTED_EDGES, FIXTURES

SERVED_KINDS = {"Component", "Resource", "System", "API"}  # what the source asks the API for


def catalog_entities() -> list[dict[str, Any]]:
    """The fixture entities as the catalog API returns them (namespace filled in)."""
    entities = []
    for path in sorted(FIXTURES.rglob("*.yaml")):
        for entity in yaml.safe_load_all(path.read_text()):
            if entity and entity.get("kind") in SERVED_KINDS:
                entity["metadata"].setdefault("namespace", "default")
                entities.append(entity)
    return entities


def serve(server: Any, entities: list[dict[str, Any]]) -> None:
    body = {"items": entities, "totalItems": len(entities), "pageInfo": {}}
    server.routes["/api/catalog/entities/by-query"] = lambda _query: (200, body)


def test_sync_of_the_example_catalog_matches_the_import(
    store: Store, server: Any, client: SourceClient, tmp_path: Path
) -> None:
    serve(server, catalog_entities())
    MapSync(store).add_source(SyncSource("backstage", "backstage", f"{server.url}/api/catalog"))
    report = run_sync(store, "backstage", client=client)
    assert report.outcome.status == "applied"
    service_map = store.load_map()
    assert {(d.source, d.target) for d in service_map.dependencies} == EXPECTED_EDGES
    assert service_map.components["petstore"].labels["backstage-ref"] == (
        "component:default/petstore"
    )
    assert service_map.components["petstore-api"].kind == "openapi"
    assert "alternative-different-namespace" in service_map.components


def test_sync_errors_name_the_entity_not_a_document_number(
    store: Store, server: Any, client: SourceClient
) -> None:
    entities = catalog_entities()
    entities[3]["spec"]["dependsOn"] = [42]
    name = entities[3]["metadata"]["name"]
    kind = entities[3]["kind"].lower()
    serve(server, entities)
    MapSync(store).add_source(SyncSource("backstage", "backstage", f"{server.url}/api/catalog"))
    with pytest.raises(SourceResponseError) as raised:
        run_sync(store, "backstage", client=client)
    assert f"{kind}:default/{name} spec.dependsOn[0]" in str(raised.value)
    assert "document" not in str(raised.value)
