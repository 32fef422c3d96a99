"""Burn rates from the store's history, worked out by hand, against the alert decisions.

shop (99.9 %: allowed share 0.001, service hours Mon-Fri 08:00-18:00 UTC, #shop) needs
shop-db. shop-db is ok from Tuesday 2026-12-01 00:00, down from Monday 2026-12-07 07:00,
under a maintenance window 07:00-08:10 that day. At Monday 08:30:
  1 h  [07:30, 08:30): scheduled from 08:00 (1800 s), 08:00-08:10 excluded -> 1200 s
       measured, all down: 1 / 0.001 = 1000x; 5 min [08:25, 08:30): 1000x. 14.4x fires.
  6 h  [02:30, 08:30): the same 1200 s (Monday starts at 08:00): 1000x; 30 min: 1000x.
  3 d  [Fri 08:30, Mon 08:30): Fri 08:30-18:00 (34,200 s) + Mon 1200 s counted = 35,400 s,
       1200 s down: 0.0339 / 0.001 = 33.9x; its 6 h short window 1000x.
December's budget: 23 weekdays x 10 h = 828,000 s scheduled, 600 s excluded -> 827,400 s
counted, 0.001 of it = 827.4 s; 1200 s spent: -372.6 s left.
On Saturday 2026-12-05 12:00, with shop-db down since 10:00, nothing is scheduled in the
last 6 hours (no data) and the 3 days before hold no downtime: nothing fires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.render.digest import render_digest
from handlers.digest_answers import digest_answer
from impact.digest import burn_text
from impact.model import (
    BUSINESS_KIND,
    Component,
    Dependency,
    MaintenanceWindow,
    ServiceMap,
    State,
    StatusEvent,
)
from impact.windows import custom_window, parse_window
from services.burn import BurnWatch
from services.digests import digest_for
from services.model import ModelService
from services.reports import sla_compliance
from store import Selector, Store, parse_map

MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
SERVICE_MAP = ServiceMap.build(
    [
        Component(
            "shop",
            kind=BUSINESS_KIND,
            sla=99.9,
            service_hours="Mon-Fri 08:00-18:00",
            channel="#shop",
        ),
        Component("shop-db", kind="database"),
    ],
    [Dependency("shop", "shop-db")],
)


@pytest.fixture
def watch(store: Store) -> BurnWatch:
    store.import_map(SERVICE_MAP, actor="tests")
    return BurnWatch(store, ModelService(store))


def test_service_hours_and_maintenance_count_as_in_the_sla_report(
    watch: BurnWatch, store: Store
) -> None:
    store.record_events(
        [
            StatusEvent("shop-db", State.OK, datetime(2026, 12, 1, tzinfo=UTC)),
            StatusEvent("shop-db", State.DOWN, datetime(2026, 12, 7, 7, 0, tzinfo=UTC)),
        ]
    )
    store.add_maintenance(
        MaintenanceWindow(
            "shop-db",
            datetime(2026, 12, 7, 7, 0, tzinfo=UTC),
            datetime(2026, 12, 7, 8, 10, tzinfo=UTC),
            reason="patch",
        )
    )
    (burn,) = watch.burns(now=MONDAY)
    fast, medium, slow = burn.decision.rates
    assert fast.long == pytest.approx(1000) and fast.short == pytest.approx(1000)
    assert medium.long == pytest.approx(1000) and medium.short == pytest.approx(1000)
    assert slow.long == pytest.approx(1200 / 35400 / 0.001) and slow.short == pytest.approx(1000)
    assert burn.decision.severity == 14.4 and burn.decision.action(episode_open=False) == "open"
    assert burn.month.error_budget_s == pytest.approx(827.4)
    assert burn.month.error_budget_left_s == pytest.approx(-372.6)
    # the month's figures are the SLA report's own
    report = sla_compliance(
        store, watch.models.current(), parse_window("this month", MONDAY), now=MONDAY
    )
    assert report.services[0].sla.error_budget_left_s == pytest.approx(-372.6)

    (fact,) = watch.facts(now=MONDAY)
    assert (fact.service, fact.channel, fact.factor, fact.firing) == ("shop", "#shop", 14.4, True)
    assert fact.long_rate == pytest.approx(1000)


def test_outside_service_hours_nothing_burns(watch: BurnWatch, store: Store) -> None:
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    store.record_events(
        [
            StatusEvent("shop-db", State.OK, datetime(2026, 12, 1, tzinfo=UTC)),
            StatusEvent("shop-db", State.DOWN, saturday - timedelta(hours=2)),
        ]
    )
    (burn,) = watch.burns(now=saturday)
    fast, medium, slow = burn.decision.rates
    assert fast.long is None and medium.long is None  # nothing scheduled: no data
    assert slow.long == 0.0 and slow.short is None
    assert burn.decision.firing == () and watch.facts(now=saturday) == []
    assert watch.check(now=saturday).opened == 0


def test_a_check_opens_once_and_resolves_once(watch: BurnWatch, store: Store) -> None:
    store.record_events(
        [
            StatusEvent("shop-db", State.OK, datetime(2026, 12, 1, tzinfo=UTC)),
            StatusEvent("shop-db", State.DOWN, datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),
            StatusEvent("shop-db", State.OK, datetime(2026, 12, 7, 8, 20, tzinfo=UTC)),
        ]
    )
    opened = resolved = 0
    at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    while at < datetime(2026, 12, 8, 8, 0, tzinfo=UTC):  # every 10 minutes for a day
        done = watch.check(now=at)
        opened, resolved = opened + done.opened, resolved + done.cleared
        at += timedelta(minutes=10)
    assert (opened, resolved) == (1, 1)
    (episode,) = store.burn_episodes.between(MONDAY, MONDAY + timedelta(days=1))
    assert episode.resolved and episode.service == "shop"


def test_the_digest_lists_the_episodes_of_its_period(watch: BurnWatch, store: Store) -> None:
    """shop-db down 08:00-08:20 on Monday; checks every 10 minutes. At 08:10 the 1 h window
    holds 600 s scheduled, all down (1000x >= 14.4x), and so does the 5 min one: opened.
    The 6 h short window is clean first at 14:20 ([08:20, 14:20)): resolved, 6h 10m later."""
    store.record_events(
        [
            StatusEvent("shop-db", State.OK, datetime(2026, 12, 1, tzinfo=UTC)),
            StatusEvent("shop-db", State.DOWN, datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),
            StatusEvent("shop-db", State.OK, datetime(2026, 12, 7, 8, 20, tzinfo=UTC)),
        ]
    )
    at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    while at <= datetime(2026, 12, 7, 16, 0, tzinfo=UTC):
        watch.check(now=at)
        at += timedelta(minutes=10)
    week = custom_window(datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 14, tzinfo=UTC))
    built = digest_for(store, watch.models.current(), Selector(), week, now=at)
    (burn,) = built.burns
    assert burn.start == datetime(2026, 12, 7, 8, 10, tzinfo=UTC)
    assert burn.end == datetime(2026, 12, 7, 14, 20, tzinfo=UTC)
    line = "shop: burned from Mon 07 Dec 08:10 UTC for 6h 10m, up to 14.4x the sustainable rate"
    assert burn_text(burn) == line
    answer = digest_answer(built)
    assert answer.sections[-1].title == "Error-budget burn alerts"
    assert [item.text for item in answer.sections[-1].items] == [line]
    assert line in str(render_digest(built).blocks)
    before = custom_window(datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC))
    assert digest_for(store, watch.models.current(), Selector(), before, now=at).burns == ()


TIERED_MAP = """
version: 1
business_services:
  - {name: shop, tier: 1, sla: 99.9, channel: "#shop", depends_on: [shop-db]}
  - {name: blog, tier: 3, sla: 99.9, channel: "#blog", depends_on: [shop-db]}
components:
  - {name: shop-db, kind: database}
policies:
  burn:
    "1":
      - {long: 1h, short: 5m, factor: 14.4}
    default:
      - {long: 1h, short: 5m, factor: 200}
"""


def test_each_tier_has_the_thresholds_of_the_map_file(store: Store) -> None:
    """shop-db down 06:55-07:00 after two days up; at 07:00 over 1 h: 300 s down of 3600
    -> 0.0833 / 0.001 = 83.3x; over 5 min: 1000x. Tier 1 (14.4x) fires; tier 3 falls to
    the map's default (200x over 1 h), which 83.3x does not reach."""
    store.import_map(parse_map(TIERED_MAP), actor="tests")
    watch = BurnWatch(store, ModelService(store))
    at = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    store.record_events(
        [
            StatusEvent("shop-db", State.OK, at - timedelta(days=2)),
            StatusEvent("shop-db", State.DOWN, at - 5 * timedelta(minutes=1)),
        ]
    )
    burns = {b.service.name: b.decision for b in watch.burns(now=at)}
    assert [r.long for r in burns["shop"].rates] == [pytest.approx(300 / 3600 / 0.001)]
    assert burns["shop"].severity == 14.4
    (blog,) = burns["blog"].rates
    assert blog.rule.factor == 200 and blog.short == pytest.approx(1000)
    assert burns["blog"].firing == ()
    assert watch.check(now=at).opened == 1  # blog's 5 min window burns, but it never fired
    assert [(f.service, f.channel) for f in store.burn_episodes.open()] == [("shop", "#shop")]
