"""Incident priority P1-P4 from business impact, with the default rules (impact.priority)."""

from __future__ import annotations

import pytest

from impact.model import State
from impact.priority import Impacted, incident_priority

DOWN, DEGRADED = State.DOWN, State.DEGRADED


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        ([Impacted(DOWN, 1, 0)], "P1"),  # a tier-1 service down
        ([Impacted(DOWN, 3, 9_500), Impacted(DOWN, 4, 500)], "P1"),  # 10,000 $/h down
        ([Impacted(DEGRADED, 1, 14_000)], "P3"),  # degraded only: no down rule holds
        ([Impacted(DOWN, 2, 0)], "P2"),  # a tier-2 service down
        ([Impacted(DOWN, 4, 1_000)], "P2"),  # 1,000 $/h down
        ([Impacted(DOWN, 4), Impacted(DOWN, None), Impacted(DOWN, 3)], "P2"),  # 3 down
        ([Impacted(DOWN, 4, 300)], "P3"),
        ([], "P4"),  # components only
    ],
)
def test_default_rules(services: list[Impacted], expected: str) -> None:
    assert incident_priority(services) == expected
