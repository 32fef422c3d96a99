"""The small hand-checkable map and its history, shared by the digest tests."""

from __future__ import annotations

from datetime import UTC, datetime

from impact.model import State

SMALL_MAP = """
version: 1
business_services:
  - name: shop
    title: Web Shop
    tier: 1
    sla: 99.0
    depends_on: [shop-api]
  - name: reports
    title: Reports
    tier: 2
    sla: 95
    depends_on: [warehouse]
components:
  - name: shop-api
    depends_on: [shop-db]
  - name: shop-db
    kind: database
  - name: warehouse
    kind: database
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Hand-computed over 2026-11-01T00:00Z..2026-11-03T00:00Z (172,800 s, 24x7):
# shop-db down 10:00-10:30 on the 2nd (1,800 s) and from 23:50 on the 2nd to 00:20 on the
# 3rd (600 s inside the window): shop downtime 2,400 s, availability 98.6111 %, budget
# 1 % of 172,800 = 1,728 s, left -672 s, 2 incidents, MTTR 1,200 s. Reports never fails.
HISTORY = [
    ("shop-db", State.OK, "2026-11-01T00:00:00"),
    ("warehouse", State.OK, "2026-11-01T00:00:00"),
    ("shop-db", State.DOWN, "2026-11-02T10:00:00"),
    ("shop-db", State.OK, "2026-11-02T10:30:00"),
    ("shop-db", State.DOWN, "2026-11-02T23:50:00"),
    ("shop-db", State.OK, "2026-11-03T00:20:00"),
]
