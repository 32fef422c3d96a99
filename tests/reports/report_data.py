"""A small hand-checkable map and history for the SLA compliance report tests."""

from __future__ import annotations

from datetime import UTC, datetime

from impact.model import State

MAP = """
version: 1
business_services:
  - name: shop
    title: Web Shop
    tier: 1
    sla: 99.0
    depends_on: [shop-api]
  - name: desk
    title: Help Desk
    tier: 2
    sla: 95
    service_hours: "Mon-Fri 09:00-17:00 UTC"
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


# 2026-11-02 is a Monday. Nothing is known before the first event (06:00 on the 2nd).
HISTORY = [
    ("shop-db", State.OK, "2026-11-02T06:00:00"),
    ("warehouse", State.OK, "2026-11-02T06:00:00"),
    ("shop-db", State.DOWN, "2026-11-02T12:00:00"),  # 40 min outage
    ("shop-db", State.OK, "2026-11-02T12:40:00"),
    ("warehouse", State.DOWN, "2026-11-02T16:00:00"),  # 2 h, 1 h inside desk's hours
    ("warehouse", State.OK, "2026-11-02T18:00:00"),
    ("shop-db", State.DOWN, "2026-11-03T02:10:00"),  # inside maintenance 02:00-03:00
    ("shop-db", State.OK, "2026-11-03T02:50:00"),
    ("shop-api", State.DEGRADED, "2026-11-03T08:00:00"),  # 1 h degraded
    ("shop-api", State.OK, "2026-11-03T09:00:00"),
    ("shop-db", State.DOWN, "2026-11-03T23:30:00"),  # across the window's end (04T00:00)
    ("shop-db", State.OK, "2026-11-04T00:30:00"),
]
MAINTENANCE = ("shop-db", "2026-11-03T02:00:00", "2026-11-03T03:00:00", "disk swap", "alice")
