"""SLA reports on hand-built state timelines; every expected number is worked out in comments."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from impact.model import State
from impact.service_hours import parse_service_hours
from impact.sla import Cause, History, SlaError, availability_by_day, sla_report
from impact.timeline import Segment
from impact.windows import custom_window, month_window, parse_window

BERLIN = ZoneInfo("Europe/Berlin")
OK, DOWN, DEGRADED, MAINT, UNKNOWN = (
    State.OK,
    State.DOWN,
    State.DEGRADED,
    State.MAINTENANCE,
    State.UNKNOWN,
)
NOVEMBER = month_window(2026, 11, UTC)  # 30 days = 2,592,000 s


def t(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def day_window(day: int) -> tuple[datetime, datetime]:
    return t(11, day), t(11, day + 1)


def test_outage_crossing_the_window_boundary_counts_only_its_inside_part() -> None:
    timeline = [
        (t(10, 1), t(10, 31, 23), OK),
        (t(10, 31, 23), t(11, 1, 1), DOWN),  # 1 h of it in November
        (t(11, 1, 1), t(11, 30, 23, 30), OK),
        (t(11, 30, 23, 30), t(12, 1, 0, 30), DOWN),  # 30 min of it in November
        (t(12, 1, 0, 30), t(12, 5), OK),
    ]
    report = sla_report(timeline, target=99.9, window=NOVEMBER, now=t(12, 5))
    assert report.scheduled_s == 2_592_000
    assert report.downtime_s == 5400
    # (2,592,000 - 5,400) / 2,592,000 = 99.7917 %
    assert report.availability == pytest.approx(99.791666667)
    assert report.incidents == 2
    assert report.mttr_s == 2700
    # Budget 0.1 % of 2,592,000 s = 2,592 s; overspent by 2,808 s.
    assert report.error_budget_s == pytest.approx(2592)
    assert report.error_budget_left_s == pytest.approx(-2808)
    assert report.met is False


def test_maintenance_covering_part_of_an_outage_excludes_only_the_covered_part() -> None:
    start, end = day_window(2)
    timeline = [
        (start, t(11, 2, 10), OK),
        (t(11, 2, 10), t(11, 2, 12), DOWN),
        (t(11, 2, 12), end, OK),
    ]
    report = sla_report(
        timeline,
        target=99.9,
        window=custom_window(start, end),
        now=t(12, 1),
        excluded=[(t(11, 2, 11), t(11, 2, 13))],
    )
    assert report.excluded_s == 7200
    assert report.downtime_s == 3600  # 10:00-11:00; 11:00-12:00 was planned
    assert report.measured_s == 79_200  # 86,400 - 7,200
    assert report.availability == pytest.approx(75_600 / 79_200 * 100)  # 95.4545 %
    assert report.error_budget_s == pytest.approx(79.2)


def test_maintenance_state_in_the_timeline_is_excluded_not_down() -> None:
    start, end = day_window(2)
    timeline = [
        (start, t(11, 2, 14), OK),
        (t(11, 2, 14), t(11, 2, 15), MAINT),
        (t(11, 2, 15), end, OK),
    ]
    report = sla_report(timeline, target=99.0, window=custom_window(start, end), now=t(12, 1))
    assert (report.excluded_s, report.downtime_s, report.incidents) == (3600, 0, 0)
    assert report.availability == 100.0
    assert report.measured_s == 82_800


def test_downtime_outside_service_hours_does_not_count() -> None:
    hours = parse_service_hours("Mon-Fri 08:00-20:00 UTC")
    week = parse_window("2026-11-02..2026-11-08", t(12, 1))  # Mon..Sun
    timeline = [
        (t(11, 2), t(11, 3, 19), OK),
        (t(11, 3, 19), t(11, 4, 9), DOWN),  # Tue 19:00 - Wed 09:00: counts 19-20 and 08-09
        (t(11, 4, 9), t(11, 7, 10), OK),
        (t(11, 7, 10), t(11, 7, 14), DOWN),  # Saturday: outside service hours
        (t(11, 7, 14), t(11, 9), OK),
    ]
    report = sla_report(timeline, target=99.5, window=week, now=t(12, 1), hours=hours)
    assert report.scheduled_s == 5 * 12 * 3600  # 216,000
    assert report.downtime_s == 7200
    assert report.availability == pytest.approx(208_800 / 216_000 * 100)  # 96.6667 %
    # The overnight outage is one incident (no up time between its counted parts);
    # the Saturday one is none.
    assert report.incidents == 1
    assert report.mttr_s == 7200
    assert report.mtbf_s == 208_800


def test_dst_spring_forward_week_in_berlin() -> None:
    hours = parse_service_hours("Mon-Sun 08:00-20:00 Europe/Berlin")
    week = parse_window("2026-03-23..2026-03-29", t(4, 1), "Europe/Berlin")
    assert week.seconds == 167 * 3600  # the week has 167 hours
    timeline = [
        (week.start, t(3, 28, 6), OK),
        (t(3, 28, 6), t(3, 28, 7), DOWN),  # Sat 07:00-08:00 CET: before opening
        (t(3, 28, 7), t(3, 29, 6), OK),
        (t(3, 29, 6), t(3, 29, 7), DOWN),  # Sun 08:00-09:00 CEST: counts
        (t(3, 29, 7), week.end, OK),
    ]
    report = sla_report(timeline, target=99.0, window=week, now=t(4, 1), hours=hours)
    assert report.scheduled_s == 7 * 12 * 3600  # 302,400: 12 h of wall time every day
    assert report.downtime_s == 3600
    assert report.availability == pytest.approx(298_800 / 302_400 * 100)  # 98.8095 %
    assert report.incidents == 1


def test_dst_fall_back_week_in_berlin() -> None:
    week = parse_window("2026-10-19..2026-10-25", t(11, 1), "Europe/Berlin")
    assert week.seconds == 169 * 3600
    timeline = [
        (week.start, t(10, 25, 0, 30), OK),
        # 02:30 CEST -> 02:30 CET: one hour of real time although the clock shows 02:30 twice.
        (t(10, 25, 0, 30), t(10, 25, 1, 30), DOWN),
        (t(10, 25, 1, 30), week.end, OK),
    ]
    sunday = parse_service_hours("Sun 00:00-24:00 Europe/Berlin")
    report = sla_report(timeline, target=99.0, window=week, now=t(11, 1), hours=sunday)
    assert report.scheduled_s == 25 * 3600  # the fall-back Sunday has 25 hours
    assert report.downtime_s == 3600
    assert report.availability == pytest.approx(86_400 / 90_000 * 100)  # 96.0 %


def test_empty_window_is_no_data_never_100_percent() -> None:
    report = sla_report([], target=99.9, window=NOVEMBER, now=t(12, 5))
    assert report.availability is None and not report.has_data and report.met is None
    assert report.no_data_s == 2_592_000 and report.measured_s == 0
    assert (report.error_budget_s, report.incidents, report.mttr_s) == (0, 0, None)
    assert report.burn_rate_1h is None and report.burn_rate_24h is None


def test_time_before_the_first_known_state_is_left_out_of_the_denominator() -> None:
    timeline = [(t(11, 16), t(11, 30, 12), OK), (t(11, 30, 12), t(12, 1), DOWN)]
    report = sla_report(timeline, target=99.0, window=NOVEMBER, now=t(12, 5))
    assert report.no_data_s == 15 * 86400
    assert report.measured_s == 15 * 86400
    assert report.availability == pytest.approx((1_296_000 - 43_200) / 1_296_000 * 100)  # 96.6667


def test_unknown_state_counts_as_no_data() -> None:
    start, end = day_window(3)
    timeline = [(start, t(11, 3, 12), UNKNOWN), (t(11, 3, 12), end, OK)]
    report = sla_report(timeline, target=99.0, window=custom_window(start, end), now=t(12, 1))
    assert (report.no_data_s, report.measured_s, report.availability) == (43_200, 43_200, 100.0)


def test_window_not_started_yet_is_no_data() -> None:
    report = sla_report([(t(10, 1), t(10, 20), OK)], target=99.0, window=NOVEMBER, now=t(10, 20))
    assert report.availability is None and report.scheduled_s == 0


def test_error_budget_covers_the_whole_window_and_burn_rates() -> None:
    # Ten days into November: 30 min down just before now.
    now = t(11, 11)
    timeline = [(t(11, 1), t(11, 10, 23, 30), OK), (t(11, 10, 23, 30), now, DOWN)]
    report = sla_report(timeline, target=99.9, window=NOVEMBER, now=now)
    assert report.end == now
    assert report.measured_s == 864_000
    # Budget: 0.1 % of the whole month (864,000 s measured + 1,728,000 s to come) = 2,592 s.
    assert report.error_budget_s == pytest.approx(2592)
    assert report.error_budget_left_s == pytest.approx(792)
    # Last hour: 1,800 / 3,600 = 50 % down vs 0.1 % allowed -> burning 500x too fast.
    assert report.burn_rate_1h == pytest.approx(500)
    # Last day: 1,800 / 86,400 = 2.083 % -> 20.83x.
    assert report.burn_rate_24h == pytest.approx(20.833333333)
    assert report.availability == pytest.approx(862_200 / 864_000 * 100)


def test_burn_rate_outside_service_hours_is_unknown_and_100_percent_target_is_infinite() -> None:
    now = t(11, 7, 12)  # Saturday noon
    timeline = [(t(11, 6), t(11, 7, 11), OK), (t(11, 7, 11), now, DOWN)]
    weekdays = parse_service_hours("Mon-Fri 08:00-20:00 UTC")
    report = sla_report(timeline, target=99.0, window=NOVEMBER, now=now, hours=weekdays)
    assert report.burn_rate_1h is None
    assert report.burn_rate_24h == 0.0  # Fri 12:00-20:00 measured, all up
    strict = sla_report(timeline, target=100.0, window=NOVEMBER, now=now)
    assert strict.burn_rate_1h == math.inf
    assert strict.to_dict()["burn_rate_1h"] is None


def test_mttr_mtbf_degraded_and_top_causes() -> None:
    start, end = day_window(2)
    timeline = [
        Segment(start, t(11, 2, 2), OK),
        Segment(t(11, 2, 2), t(11, 2, 2, 30), DOWN, ("db-01",)),
        Segment(t(11, 2, 2, 30), t(11, 2, 10), OK),
        Segment(t(11, 2, 10), t(11, 2, 11), DOWN, ("db-01", "net-02")),
        Segment(t(11, 2, 11), t(11, 2, 15), OK),
        Segment(t(11, 2, 15), t(11, 2, 16), DEGRADED, ("cache",)),
        Segment(t(11, 2, 16), t(11, 2, 20), OK),
        Segment(t(11, 2, 20), t(11, 2, 20, 30), DOWN, ("web-01",)),
        Segment(t(11, 2, 20, 30), t(11, 2, 21), MAINT, ("web-01",)),
        Segment(t(11, 2, 21), t(11, 2, 21, 30), DOWN, ("web-01",)),
        Segment(t(11, 2, 21, 30), end, OK),
    ]
    report = sla_report(timeline, target=99.0, window=custom_window(start, end), now=t(12, 1))
    # Down 30 + 60 + (30 + 30) min = 9,000 s in three incidents: the maintenance half hour
    # in the third is excluded and does not split it (no up time in between).
    assert report.downtime_s == 9000 and report.excluded_s == 1800
    assert report.incidents == 3
    assert report.degraded_s == 3600
    assert report.measured_s == 84_600
    assert report.availability == pytest.approx(75_600 / 84_600 * 100)  # 89.3617 %, degraded is up
    assert report.mttr_s == 3000
    assert report.mtbf_s == 25_200
    assert report.top_causes == (
        Cause("db-01", 5400),
        Cause("net-02", 3600),
        Cause("web-01", 3600),
    )


def test_history_reuse_and_availability_per_day() -> None:
    history = History([(t(11, 1), t(11, 2, 12), OK), (t(11, 2, 12), t(11, 2, 18), DOWN)])
    window = parse_window("2026-11-01..2026-11-03", t(12, 1))
    days = availability_by_day(history, window=window, now=t(11, 2, 18))
    # Day 2 is measured up to now (18:00): 18 h, 6 h of them down -> 12 / 18 = 66.67 %.
    assert [(d.day, a) for d, a in days] == [(1, 100.0), (2, pytest.approx(200 / 3))]
    assert sla_report(history, target=99.0, window=window, now=t(12, 1)).downtime_s == 21_600


def test_out_of_range_target_is_refused() -> None:
    with pytest.raises(SlaError, match="150"):
        sla_report([], target=150, window=NOVEMBER, now=t(12, 1))


def test_json_fields_for_the_cli() -> None:
    report = sla_report([(t(11, 1), t(12, 1), OK)], target=99.9, window=NOVEMBER, now=t(12, 5))
    data = report.to_dict()
    for key in ("availability", "target", "downtime_s", "excluded_s", "scheduled_s"):
        assert key in data
    assert (data["availability"], data["error_budget_left_s"]) == (100.0, pytest.approx(2592))
    assert (data["incidents"], data["mttr_s"], data["window"]) == (0, None, "November 2026")
