"""Burn-rate decisions against rates worked out by hand (target 99.9 %: allowed share 0.001).

A rate is (down / measured) / 0.001 over a window ending at `at`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from impact.burn import DEFAULT_RULES, burn_decision
from impact.model import State
from impact.service_hours import parse_service_hours

AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday
ALWAYS = parse_service_hours(None)
M = timedelta(minutes=1)


def history(*spans: tuple[datetime, datetime, State]) -> list[tuple[datetime, datetime, State]]:
    return list(spans)


def test_a_30_minute_outage_fires_every_rule() -> None:
    h = history((AT - timedelta(days=4), AT - 30 * M, State.OK), (AT - 30 * M, AT, State.DOWN))
    d = burn_decision(h, target=99.9, at=AT, hours=ALWAYS)
    fast, medium, slow = d.rates
    assert fast.long == pytest.approx(1800 / 3600 / 0.001)  # 500x over 1 h
    assert fast.short == pytest.approx(1000)  # all 5 min down
    assert medium.long == pytest.approx(1800 / 21600 / 0.001)  # 83.3x over 6 h
    assert medium.short == pytest.approx(1000)
    assert slow.long == pytest.approx(1800 / 259200 / 0.001)  # 6.94x over 3 days
    assert slow.short == pytest.approx(1800 / 21600 / 0.001)
    assert d.firing == DEFAULT_RULES and d.severity == 14.4
    assert d.action(episode_open=False) == "open"


def test_the_episode_resolves_when_every_short_window_recovered() -> None:
    outage = (AT - timedelta(hours=7, minutes=40), AT - timedelta(hours=7, minutes=10))
    h = history(
        (AT - timedelta(days=4), outage[0], State.OK),
        (*outage, State.DOWN),
        (outage[1], AT + timedelta(hours=1), State.OK),
    )
    d = burn_decision(h, target=99.9, at=AT, hours=ALWAYS)
    slow = d.rates[2]
    assert slow.long == pytest.approx(1800 / 259200 / 0.001)  # still 6.94x over 3 days
    assert slow.short == 0.0  # but nothing down in the last 6 h: not confirmed
    assert d.firing == () and d.action(episode_open=True) == "resolve"
    # 20 minutes after the outage the 30 min window still burns: the episode stays
    early = burn_decision(h, target=99.9, at=outage[1] + 20 * M, hours=ALWAYS)
    assert early.rates[1].short == pytest.approx(600 / 1800 / 0.001)
    assert early.action(episode_open=True) == "keep"


def test_service_hours_count_only_scheduled_time() -> None:
    office = parse_service_hours("Mon-Fri 08:00-18:00")
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    down_weekend = history(
        (saturday - timedelta(days=4), saturday - 2 * M, State.OK),
        (saturday - 2 * M, saturday + timedelta(days=2), State.DOWN),
    )
    off = burn_decision(down_weekend, target=99.9, at=saturday, hours=office)
    assert off.rates[0].long is None and off.firing == ()  # nothing measured on a Saturday
    monday = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
    on = burn_decision(down_weekend, target=99.9, at=monday, hours=office)
    # the 1 h window [07:30, 08:30) is scheduled only from 08:00: 1800 s, all down
    assert on.rates[0].long == pytest.approx(1000) and on.rates[0].short == pytest.approx(1000)
    assert on.severity == 14.4


def test_maintenance_is_excluded_as_in_the_sla_report() -> None:
    h = history((AT - timedelta(days=4), AT - 30 * M, State.OK), (AT - 30 * M, AT, State.DOWN))
    planned = [(AT - 30 * M, AT)]
    d = burn_decision(h, target=99.9, at=AT, hours=ALWAYS, excluded=planned)
    assert d.rates[0].long == 0.0  # 1800 s measured, none of it down
    assert d.rates[0].short is None  # the last 5 min are all excluded
    assert d.firing == ()
    as_state = history(
        (AT - timedelta(days=4), AT - 30 * M, State.OK), (AT - 30 * M, AT, State.MAINTENANCE)
    )
    assert burn_decision(as_state, target=99.9, at=AT, hours=ALWAYS).firing == ()


def test_one_episode_opens_once_and_resolves_once_over_a_day() -> None:
    start = AT - timedelta(hours=2)
    h = history(
        (start - timedelta(days=4), start, State.OK),
        (start, start + 20 * M, State.DOWN),
        (start + 20 * M, AT + timedelta(days=1), State.OK),
    )
    episode, actions = False, []
    for step in range(0, 24 * 12):  # every 5 minutes for a day
        action = burn_decision(h, target=99.9, at=start + step * 5 * M, hours=ALWAYS).action(
            episode
        )
        if action in ("open", "resolve"):
            actions.append(action)
            episode = action == "open"
    assert actions == ["open", "resolve"]


def test_rates_read_as_words() -> None:
    from impact.burn import rate_text, rule_text

    assert [rate_text(r) for r in (None, 0.5, 14.4, 333.33, 2000.0)] == [
        "no data",
        "0.5x",
        "14x",
        "333x",
        "2,000x",
    ]
    assert rate_text(float("inf")) == "unbounded"  # a 100 % target with downtime
    assert rule_text(DEFAULT_RULES[0]) == "14.4x over 1h, confirmed by 5m"
