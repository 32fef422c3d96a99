"""Service hours: grammar, errors, and the UTC spans they schedule, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from impact.service_hours import ServiceHoursError, parse_service_hours

BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_default_is_around_the_clock_in_utc() -> None:
    hours = parse_service_hours(None)
    assert hours.is_always and hours.tz == UTC
    assert hours.scheduled_intervals(utc(2026, 11, 1), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1), utc(2026, 11, 2))
    ]


def test_weekdays_with_saturday_clause_in_utc() -> None:
    hours = parse_service_hours("Mon-Fri 08:00-18:00, Sat 09:00-13:00 UTC")
    # Week of Monday 2026-11-02: 5 x 10 h + 4 h = 54 h.
    assert hours.scheduled_seconds(utc(2026, 11, 2), utc(2026, 11, 9)) == 54 * 3600
    assert hours.scheduled_intervals(utc(2026, 11, 7), utc(2026, 11, 8)) == [
        (utc(2026, 11, 7, 9), utc(2026, 11, 7, 13))
    ]


def test_day_lists_ranges_and_24_00_end() -> None:
    hours = parse_service_hours("mon,WED 00:00-24:00")
    assert [a.day for a, _ in hours.scheduled_intervals(utc(2026, 11, 2), utc(2026, 11, 9))] == [
        2,
        4,
    ]
    assert hours.scheduled_seconds(utc(2026, 11, 2), utc(2026, 11, 9)) == 2 * 86400


def test_wrapping_day_range_and_adjacent_clauses_merge() -> None:
    hours = parse_service_hours("Sat-Sun 00:00-24:00")
    # Saturday and Sunday are one uninterrupted span.
    assert hours.scheduled_intervals(utc(2026, 11, 2), utc(2026, 11, 9)) == [
        (utc(2026, 11, 7), utc(2026, 11, 9))
    ]


def test_span_is_clipped_to_the_request() -> None:
    hours = parse_service_hours("Mon-Fri 08:00-20:00 UTC")
    assert hours.scheduled_intervals(utc(2026, 11, 2, 10), utc(2026, 11, 2, 12)) == [
        (utc(2026, 11, 2, 10), utc(2026, 11, 2, 12))
    ]


def test_berlin_wall_hours_map_to_different_utc_hours_in_summer_and_winter() -> None:
    hours = parse_service_hours("Mon-Fri 08:00-20:00 Europe/Berlin")
    summer = hours.scheduled_intervals(utc(2026, 7, 6), utc(2026, 7, 7))
    winter = hours.scheduled_intervals(utc(2026, 11, 2), utc(2026, 11, 3))
    assert summer == [(utc(2026, 7, 6, 6), utc(2026, 7, 6, 18))]
    assert winter == [(utc(2026, 11, 2, 7), utc(2026, 11, 2, 19))]


def test_spring_forward_week_in_berlin() -> None:
    # Week Mon 2026-03-23 .. Mon 2026-03-30 local; clocks jump 02:00 -> 03:00 on Sun 29th.
    start = datetime(2026, 3, 23, tzinfo=BERLIN)
    end = datetime(2026, 3, 30, tzinfo=BERLIN)
    daytime = parse_service_hours("Mon-Sun 08:00-20:00 Europe/Berlin")
    assert daytime.scheduled_seconds(start, end) == 7 * 12 * 3600  # 12 h of wall time daily
    sunday = daytime.scheduled_intervals(utc(2026, 3, 29), utc(2026, 3, 30))
    assert sunday == [(utc(2026, 3, 29, 6), utc(2026, 3, 29, 18))]  # CEST, UTC+2
    saturday = daytime.scheduled_intervals(utc(2026, 3, 28), utc(2026, 3, 29))
    assert saturday == [(utc(2026, 3, 28, 7), utc(2026, 3, 28, 19))]  # CET, UTC+1
    whole = parse_service_hours("Sun 00:00-24:00 Europe/Berlin")
    assert whole.scheduled_seconds(start, end) == 23 * 3600


def test_fall_back_week_in_berlin() -> None:
    # Week Mon 2026-10-19 .. Mon 2026-10-26 local; clocks go back 03:00 -> 02:00 on Sun 25th.
    start = datetime(2026, 10, 19, tzinfo=BERLIN)
    end = datetime(2026, 10, 26, tzinfo=BERLIN)
    assert (
        parse_service_hours("Sun 00:00-24:00 Europe/Berlin").scheduled_seconds(start, end)
        == 25 * 3600
    )
    assert parse_service_hours("24x7 Europe/Berlin").scheduled_seconds(start, end) == 169 * 3600
    daytime = parse_service_hours("Sun 08:00-20:00 Europe/Berlin")
    assert daytime.scheduled_intervals(start, end) == [
        (utc(2026, 10, 25, 7), utc(2026, 10, 25, 19))
    ]


def test_non_existent_local_times_move_to_the_end_of_the_gap() -> None:
    day = (utc(2026, 3, 29), utc(2026, 3, 30))
    # 02:00-02:30 never happens on 2026-03-29 in Berlin: nothing is scheduled.
    assert parse_service_hours("Sun 02:00-02:30 Europe/Berlin").scheduled_intervals(*day) == []
    # 02:30 does not exist; the range starts when the clock shows 03:00 CEST (01:00 UTC).
    assert parse_service_hours("Sun 02:30-04:00 Europe/Berlin").scheduled_intervals(*day) == [
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))
    ]


def test_ambiguous_local_times_span_both_occurrences() -> None:
    day = (utc(2026, 10, 24), utc(2026, 10, 26))
    # 02:00-02:30 happens twice on 2026-10-25: from its first start (00:00 UTC, CEST)
    # to its second end (01:30 UTC, CET) = 1.5 h.
    assert parse_service_hours("Sun 02:00-02:30 Europe/Berlin").scheduled_intervals(*day) == [
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 1, 30))
    ]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Mon-Fri 08:00-20:00 Europe/Berln", "'Europe/Berlin'"),
        ("Mnday 08:00-10:00", "'Mnday'"),
        ("Mon-Fry 08:00-10:00", "'Fry'"),
        ("Mon 10:00-08:00", "'10:00-08:00'"),
        ("Mon 08:00-25:00", "'25:00'"),
        ("Mon 08:61-10:00", "'08:61'"),
        ("Mon 24:00-24:00", "'24:00'"),
        ("weekdays", "'weekdays'"),
        ("Mon 08:00-10:00 Tue 09:00-10:00", "Tue"),
    ],
)
def test_errors_name_the_bad_part(text: str, named: str) -> None:
    with pytest.raises(ServiceHoursError, match=named):
        parse_service_hours(text)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        parse_service_hours(None).scheduled_intervals(datetime(2026, 1, 1), datetime(2026, 1, 2))
