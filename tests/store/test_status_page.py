"""A component's vendor status page (`status_page`): an http(s) URL, kept by the store and
written back by the exporter; the demo map gives the two vendors one."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import MapValidationError, Store, read_map_source
from store.mapfile import dump_map, parse_map

MAP = """\
version: 1
components:
  - name: gateway
    kind: external
    status_page: {page}
"""


def test_a_status_page_survives_the_store_and_the_export(store: Store) -> None:
    service_map = parse_map(MAP.format(page="https://status.vendor.example/"))
    store.import_map(service_map, actor="tests")
    loaded = store.load_map()
    assert loaded.components["gateway"].status_page == "https://status.vendor.example/"
    assert "status_page: https://status.vendor.example/" in dump_map(loaded)


@pytest.mark.parametrize(
    "page", ["ftp://status.vendor.example", "status.vendor.example", "https://"]
)
def test_a_status_page_must_be_an_http_url_and_the_error_names_field_and_line(
    page: str, tmp_path: Path
) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(MAP.format(page=page))
    with pytest.raises(MapValidationError) as caught:
        read_map_source(path)
    [error] = caught.value.errors
    assert str(error).startswith(f"{path}:5:")  # the line of `status_page:`
    assert "components[0].status_page: status_page must be http:// or https://" in str(
        error
    ) or "components[0].status_page: status_page names no host" in str(error)


def test_the_demo_vendors_have_a_status_page(demo_store: Store) -> None:
    components = demo_store.load_map().components
    assert components["payment-gateway"].status_page == "https://status.payflow.example"
    assert components["mail-provider"].status_page == "https://status.postwerk.example"
