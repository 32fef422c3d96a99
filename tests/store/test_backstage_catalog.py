"""Backstage's own example catalog (tests/fixtures/backstage, see its README) through `bsm import`.

Expected names and edges are read off the fixture YAML by hand:
- components/petstore-component.yaml: Component petstore provides APIs petstore,
  streetlights, playback-order and consumes searcher; apis/petstore-api.yaml: API petstore.
- components/wayback-*.yaml: wayback-archive provides API wayback-archive; wayback-search
  provides wayback-search and consumes wayback-archive; ingestion and storage are
  subcomponentOf wayback-archive.
- artist-lookup dependsOn resource:artists-db; www-artist consumesApis component:artist-lookup.
- systems/*.yaml: artist-engagement-portal (domain artists), audio-playback and podcast
  (domain playback); members by spec.system.
- components/different-namespace.yaml: namespace alternative, owner default/team-a.
- acme-corp.yaml: a Location whose only target (line 9) is a github.com URL.
- templates/notifications-demo-template.yaml: a scaffolder.backstage.io/v1beta3 Template.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from impact.model import BUSINESS_KIND
from store import MapValidationError, Store, read_map_source
from store.backstage import parse_backstage

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "backstage"

EXPECTED_EDGES = {
    ("petstore-api", "petstore"),  # an API depends on its provider
    ("streetlights", "petstore"),
    ("playback-order-api", "petstore"),
    ("petstore", "searcher-api"),  # the consumer depends on the API
    ("wayback-archive-api", "wayback-archive"),
    ("wayback-search-api", "wayback-search"),
    ("wayback-search", "wayback-archive-api"),
    ("wayback-archive", "wayback-archive-ingestion"),  # the parent depends on its parts
    ("wayback-archive", "wayback-archive-storage"),
    ("artist-lookup", "artists-db"),
    ("www-artist", "artist-lookup"),
    ("artist-engagement-portal", "artist-lookup"),
    ("artist-engagement-portal", "www-artist"),
    ("artist-engagement-portal", "artists-db"),
    ("audio-playback", "playback-order"),
    ("audio-playback", "playback-sdk"),
    ("audio-playback", "shuffle-api"),
    ("podcast", "podcast-api"),
    ("podcast", "queue-proxy"),
}


def bsm(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def edges(store: Store) -> set[tuple[str, str]]:
    return {(d.source, d.target) for d in store.load_map().dependencies}


def test_the_whole_example_catalog_imports_with_each_kind_and_namespace_apart(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'bsm.db'}"
    code, out, err = bsm("import", str(FIXTURES), "--db", url)
    assert code == 0, err
    assert "components:   24 added" in out
    service_map = Store(url).load_map()
    petstore, api = service_map.components["petstore"], service_map.components["petstore-api"]
    assert (petstore.kind, petstore.owner) == ("service", "sre")
    assert petstore.labels["backstage-ref"] == "component:default/petstore"
    assert (api.kind, api.owner, api.description) == ("openapi", "team-c", "The petstore API")
    assert api.labels["backstage-ref"] == "api:default/petstore"
    assert service_map.components["wayback-archive-api"].labels["backstage-ref"] == (
        "api:default/wayback-archive"
    )
    other = service_map.components["alternative-different-namespace"]
    assert (other.owner, other.labels["backstage-ref"]) == (
        "team-a",
        "component:alternative/different-namespace",
    )
    assert "different-namespace" not in service_map.components
    assert edges(Store(url)) == EXPECTED_EDGES
    systems = {c.name: c for c in service_map.business_services}
    assert set(systems) == {"artist-engagement-portal", "audio-playback", "podcast"}
    assert systems["audio-playback"].labels["domain"] == "playback"
    assert systems["artist-engagement-portal"].title == "Artist Engagement Portal"
    assert systems["artist-engagement-portal"].kind == BUSINESS_KIND
    # Domains, Templates and Locations are no components
    assert not {"playback", "artists", "audio", "notifications-demo", "acme-corp"} & set(
        service_map.components
    )
    assert (
        "not followed: remote Location target https://github.com/spotify/backstage/blob/"
        f"master/packages/catalog-model/examples/acme/org.yaml ({FIXTURES / 'acme-corp.yaml'}:9)"
    ) in err
    assert (
        "skipped Template 'template:default/notifications-demo' "
        f"({FIXTURES / 'templates' / 'notifications-demo-template.yaml'}:1)"
    ) in err


def test_a_location_file_imports_its_local_targets() -> None:
    source = read_map_source(FIXTURES / "all-components.yaml")
    # all-components.yaml lists 13 component files, each read relative to it
    assert len(source.files) == 14
    names = set(source.imported.service_map.components)
    assert {"petstore", "searcher", "wayback-search", "www-artist", "playback-sdk"} <= names
    # APIs only referenced (the API files are not targets) are implied, qualified next to
    # the Component of the same name
    assert {"petstore-api", "wayback-archive-api", "streetlights"} <= source.imported.implied


def test_a_scaffolder_template_is_skipped_with_a_note_not_read_as_a_map(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bsm.db'}"
    template = FIXTURES / "templates" / "notifications-demo-template.yaml"
    code, out, err = bsm("import", str(template), "--db", url)
    assert code == 0, err
    assert "unknown key" not in err
    assert "skipped Template 'template:default/notifications-demo'" in err
    assert out.splitlines()[-1] == "no changes (map version 0)"


def test_namespaces_do_not_collapse_and_refs_default_to_the_entity_namespace() -> None:
    catalog = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: x}
spec: {dependsOn: ["component:alternative/x"]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: x, namespace: alternative}
spec: {dependsOn: [y]}
"""
    service_map = parse_backstage(catalog).service_map
    assert {(d.source, d.target) for d in service_map.dependencies} == {
        ("x", "alternative-x"),
        ("alternative-x", "alternative-y"),  # y is component:alternative/y
    }
    assert service_map.components["alternative-y"].labels == {
        "backstage-ref": "component:alternative/y"
    }


def test_dependency_of_is_the_inverse_of_depends_on() -> None:
    catalog = """\
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: orders-db}
spec: {type: database, dependencyOf: ["component:checkout"]}
"""
    service_map = parse_backstage(catalog).service_map
    assert [(d.source, d.target) for d in service_map.dependencies] == [("checkout", "orders-db")]


def test_errors_name_the_entity_and_its_file_line_and_column(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog-info.yaml"
    catalog.write_text(
        "apiVersion: backstage.io/v1alpha1\n"  # 1
        "kind: Component\n"  # 2
        "metadata:\n"  # 3
        "  name: checkout\n"  # 4
        "spec:\n"  # 5
        "  dependsOn:\n"  # 6
        "    - component:default/orders\n"  # 7
        "    - 42\n"  # 8
        "  providesApis: checkout-api\n"  # 9
    )
    with pytest.raises(MapValidationError) as caught:
        read_map_source(catalog)
    assert [str(e) for e in caught.value.errors] == [
        f"{catalog}:8:7: component:default/checkout spec.dependsOn[1]: an entity ref like "
        "component:default/foo, got 42",
        f"{catalog}:9:17: component:default/checkout spec.providesApis: must be a list of "
        "entity refs",
    ]


def test_one_entity_in_two_files_names_both_places(tmp_path: Path) -> None:
    entity = "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: Petstore\n"
    (tmp_path / "a.yaml").write_text(entity)
    (tmp_path / "b.yaml").write_text("# the same API again\n" + entity)
    with pytest.raises(MapValidationError) as caught:
        read_map_source(tmp_path)
    assert [str(e) for e in caught.value.errors] == [
        f"{tmp_path / 'b.yaml'}:5:9: api:default/petstore: duplicate entity "
        f"api:default/petstore (first at {tmp_path / 'a.yaml'}:4)"
    ]


def test_a_missing_location_target_is_an_error_at_its_line(tmp_path: Path) -> None:
    location = tmp_path / "all.yaml"
    location.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\n"
        "spec:\n  targets:\n    - ./missing.yaml\n"
    )
    with pytest.raises(MapValidationError) as caught:
        read_map_source(location)
    assert [(e.file, e.line, e.column) for e in caught.value.errors] == [(str(location), 6, 7)]
    assert "'./missing.yaml' names no file" in caught.value.errors[0].message


def test_a_location_glob_target_reads_each_matching_file_once(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    for name in ("a", "b"):
        (tmp_path / "parts" / f"{name}.yaml").write_text(
            f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
        )
    (tmp_path / "all.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\n"
        "spec:\n  targets: ['./parts/*.yaml', ./parts/a.yaml]\n"
    )
    source = read_map_source(tmp_path)  # the directory holds the parts too: read once each
    assert sorted(source.imported.service_map.components) == ["a", "b"]
    assert len(source.files) == 3
