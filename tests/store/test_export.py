"""Graph exports keep every node, edge kind, group and cycle of the map."""

from __future__ import annotations

import pytest

from store import StoreError
from store.export import export_map
from store.mapfile import parse_map

MAP = parse_map(
    """
version: 1
business_services:
  - {name: shop, title: 'The "Shop"', tier: 1, sla: 99.9, depends_on: [api]}
components:
  - name: api
    depends_on: [{name: search, kind: soft}, {any_of: [db-1, db-2], min: 1, name: dbs}]
  - {name: search, depends_on: [api]}
  - {name: db-1, kind: database}
  - {name: db-2, kind: database}
"""
)


def test_dot() -> None:
    assert export_map(MAP, "dot") == "\n".join(
        [
            "digraph service_map {",
            "  rankdir=LR;",
            '  node [shape=box, style="rounded"];',
            '  "shop" [label="The \\"Shop\\"\\n(business_service, tier 1, SLA 99.9%)", '
            "shape=doubleoctagon];",
            '  "api" [label="api\\n(service)"];',
            '  "search" [label="search\\n(service)"];',
            '  "db-1" [label="db-1\\n(database)"];',
            '  "db-2" [label="db-2\\n(database)"];',
            '  "shop" -> "api";',
            '  "api" -> "search" [style=dashed, label="soft"];',
            '  "search" -> "api";',
            '  "group:dbs" [label="dbs\\n1 of 2", shape=diamond];',
            '  "api" -> "group:dbs";',
            '  "group:dbs" -> "db-1" [style=dotted];',
            '  "group:dbs" -> "db-2" [style=dotted];',
            "}",
            "",
        ]
    )


def test_mermaid() -> None:
    assert export_map(MAP, "mermaid").splitlines() == [
        "flowchart LR",
        '  n0(["The #quot;Shop#quot;<br>(business_service, tier 1, SLA 99.9%)"])',
        '  n1["api<br>(service)"]',
        '  n2["search<br>(service)"]',
        '  n3["db-1<br>(database)"]',
        '  n4["db-2<br>(database)"]',
        "  n0 --> n1",
        "  n1 -. soft .-> n2",
        "  n2 --> n1",
        '  g0{"dbs<br>1 of 2"}',
        "  n1 --> g0",
        "  g0 -.- n3",
        "  g0 -.- n4",
        "  classDef business fill:#fde68a,stroke:#b45309",
        "  class n0 business",
    ]


def test_unknown_format() -> None:
    with pytest.raises(
        StoreError, match="unknown export format 'png': use one of yaml, dot, mermaid"
    ):
        export_map(MAP, "png")
