"""Reading only the recent events for a replay gives the timelines of the whole history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import services.digests as digest_service
from impact.engine import ImpactModel
from impact.model import BUSINESS_KIND, Component, Dependency, ServiceMap, State, StatusEvent
from impact.timeline import service_timelines
from services.digests import measure, replay_events
from services.model import ModelService
from store import Store

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 8, tzinfo=UTC)


def before(days: float) -> datetime:
    return START - timedelta(days=days)


SERVICE_MAP = ServiceMap.build(
    [
        Component("shop", kind=BUSINESS_KIND, sla=99.9),
        Component("reports", kind=BUSINESS_KIND, sla=99.0),
        Component("archive", kind=BUSINESS_KIND, sla=99.0),
        Component("shop-api"),
        Component("shop-db", kind="database"),
        Component("warehouse", kind="database"),
        Component("tape"),
    ],
    [
        Dependency("shop", "shop-api"),
        Dependency("shop-api", "shop-db"),
        Dependency("reports", "warehouse"),
        Dependency("archive", "tape"),
    ],
)
HISTORY = [
    # shop-db failed weeks ago and has been quiet since: still down at the start.
    StatusEvent("shop-db", State.OK, before(40)),
    StatusEvent("shop-db", State.DOWN, before(30)),
    # warehouse reported twice at one instant in the lookback day: the worst wins.
    StatusEvent("warehouse", State.OK, before(3)),
    StatusEvent("warehouse", State.DOWN, before(0.5)),
    StatusEvent("warehouse", State.OK, before(0.5)),
    # tape's last report before the lookback was a conflict too (degraded beats ok).
    StatusEvent("TAPE", State.DEGRADED, before(2)),
    StatusEvent("tape", State.OK, before(2)),
    StatusEvent("shop-db", State.OK, START + timedelta(hours=5)),
    StatusEvent("warehouse", State.OK, START + timedelta(days=1)),
    StatusEvent("not-in-map", State.DOWN, before(10)),
]


@pytest.mark.parametrize("per_query", [1, 500])
def test_recent_events_give_the_same_timelines_as_the_whole_history(
    store: Store, monkeypatch: pytest.MonkeyPatch, per_query: int
) -> None:
    monkeypatch.setattr(digest_service, "_NAMES_PER_QUERY", per_query)
    store.import_map(SERVICE_MAP, actor="tests")
    store.record_events(HISTORY)
    recent = replay_events(store, SERVICE_MAP.components, START, END)
    assert len(recent) < len(store.events(until=END))  # old history of chatty parts skipped

    def timelines(events: list[StatusEvent]) -> object:
        model = ImpactModel.from_map(SERVICE_MAP)
        return service_timelines(model, events, START, END)

    expected = timelines(store.events(until=END))
    assert timelines(recent) == expected
    assert expected["shop"][0].state == State.DOWN  # type: ignore[index]
    assert expected["archive"][0].state == State.DEGRADED  # type: ignore[index]


def test_measure_reads_no_data_before_the_first_event(store: Store) -> None:
    store.import_map(SERVICE_MAP, actor="tests")
    store.record_events([StatusEvent("warehouse", State.OK, START + timedelta(days=2))])
    services = SERVICE_MAP.business_services
    measured = measure(store, ModelService(store).current(), services, START, END)
    assert measured.histories["reports"].known == [
        ((START + timedelta(days=2)).timestamp(), END.timestamp())
    ]
