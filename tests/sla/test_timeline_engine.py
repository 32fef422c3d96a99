"""Service timelines through the real impact engine: down exactly when the engine says so."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from impact.model import (
    BUSINESS_KIND,
    Component,
    Dependency,
    DependencyKind,
    MaintenanceWindow,
    RedundancyGroup,
    ServiceMap,
    State,
    StatusEvent,
)
from impact.sla import sla_report
from impact.timeline import Segment, service_timelines
from impact.windows import custom_window

engine = pytest.importorskip(
    "impact.engine", reason="impact.engine (ImpactModel) is not in the tree yet"
)
OK, DOWN, DEGRADED, MAINT = State.OK, State.DOWN, State.DEGRADED, State.MAINTENANCE


def t(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 2, hour, minute, tzinfo=UTC)


def service_map() -> ServiceMap:
    """checkout -> api (hard); api -> recs (soft) and 2 of db-01..db-03."""
    return ServiceMap.build(
        [
            Component("checkout", kind=BUSINESS_KIND, sla=99.9),
            Component("api"),
            Component("recs"),
            Component("db-01", kind="database"),
            Component("db-02", kind="database"),
            Component("db-03", kind="database"),
        ],
        [Dependency("checkout", "api"), Dependency("api", "recs", DependencyKind.SOFT)],
        [RedundancyGroup("api-db", "api", ("db-01", "db-02", "db-03"), min_up=2)],
    )


EVENTS = [
    StatusEvent("db-01", OK, t(8)),
    StatusEvent("db-01", DOWN, t(9)),  # the group still holds: 2 of 3 up
    StatusEvent("db-02", DOWN, t(10)),  # now 1 of 3: api and checkout go down
    StatusEvent("db-02", OK, t(10, 30)),
    StatusEvent("recs", DOWN, t(11)),  # soft: checkout degraded, not down
    StatusEvent("recs", OK, t(11, 30)),
    StatusEvent("db-01", OK, t(12)),
]


def timeline(events: list[StatusEvent], **options: object) -> list[Segment]:
    model = engine.ImpactModel.from_map(service_map())
    found = service_timelines(model, events, t(0), t(14), ["checkout"], **options)  # type: ignore[arg-type]
    return found["checkout"]


def spans(segments: list[Segment], state: State) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for segment in (s for s in segments if s.state == state):
        if merged and merged[-1][1] == segment.start:
            merged[-1] = (merged[-1][0], segment.end)
        else:
            merged.append((segment.start, segment.end))
    return merged


def test_checkout_is_down_only_while_the_redundancy_group_has_fallen() -> None:
    segments = timeline(EVENTS)
    assert segments[0].start == t(8)
    assert spans(segments, DOWN) == [(t(10), t(10, 30))]
    # A fallen member degrades its dependants even while the group holds (db-01 09:00-12:00).
    assert spans(segments, DEGRADED) == [(t(9), t(10)), (t(10, 30), t(12))]
    soft = next(s for s in segments if s.start == t(11))
    assert (soft.state, "recs" in soft.causes) == (DEGRADED, True)
    assert segments[-1] == Segment(segments[-1].start, t(14), OK)
    down = next(s for s in segments if s.state == DOWN)
    assert "db-02" in down.causes


def test_out_of_order_events_give_the_same_engine_timeline() -> None:
    expected = timeline(EVENTS)
    shuffled = EVENTS[:]
    random.Random(7).shuffle(shuffled)
    assert timeline(shuffled) == expected


def test_engine_timeline_to_sla_numbers() -> None:
    report = sla_report(timeline(EVENTS), target=99.9, window=custom_window(t(0), t(14)), now=t(15))
    # Known from 08:00: 6 h measured, 30 min down in one incident.
    assert (report.measured_s, report.downtime_s, report.incidents) == (21_600, 1800, 1)
    assert report.availability == pytest.approx(19_800 / 21_600 * 100)  # 91.6667 %
    assert report.degraded_s == 9000  # 09:00-10:00 and 10:30-12:00


def test_planned_failure_is_excluded_from_the_sla() -> None:
    events = [
        StatusEvent("api", OK, t(8)),
        StatusEvent("api", DOWN, t(9)),
        StatusEvent("api", OK, t(11)),
    ]
    window = MaintenanceWindow("api", t(9), t(10))
    segments = timeline(events, maintenance=[window])
    assert spans(segments, MAINT) == [(t(9), t(10))]
    assert spans(segments, DOWN) == [(t(10), t(11))]
    report = sla_report(segments, target=99.0, window=custom_window(t(0), t(14)), now=t(15))
    assert (report.excluded_s, report.downtime_s) == (3600, 3600)
