"""SLA windows as people type them, seen at a fixed `now`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from impact.windows import WindowError, custom_window, parse_window

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday


def utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        (None, utc(11, 1), utc(12, 1), "November 2026"),
        ("this month", utc(11, 1), utc(12, 1), "November 2026"),
        ("Last  Month", utc(10, 1), utc(11, 1), "October 2026"),
        ("2026-02", utc(2, 1), utc(3, 1), "February 2026"),
        ("this week", utc(11, 16), utc(11, 23), "week of 2026-11-16"),
        ("last week", utc(11, 9), utc(11, 16), "week of 2026-11-09"),
        ("today", utc(11, 18), utc(11, 19), "2026-11-18"),
        ("yesterday", utc(11, 17), utc(11, 18), "2026-11-17"),
        ("last 7 days", utc(11, 11, 10), NOW, "last 7 days"),
        ("rolling 28 days", utc(10, 21, 10), NOW, "last 28 days"),
        ("30d", utc(10, 19, 10), NOW, "last 30 days"),
        ("2026-11-01..2026-11-15", utc(11, 1), utc(11, 16), "2026-11-01..2026-11-15"),
        ("2026-11-01T08:00..2026-11-01T12:00", utc(11, 1, 8), utc(11, 1, 12), None),
    ],
)
def test_windows_in_utc(
    text: str | None, start: datetime, end: datetime, label: str | None
) -> None:
    window = parse_window(text, NOW)
    assert (window.start, window.end) == (start, end)
    if label is not None:
        assert window.label == label


def test_calendar_boundaries_are_local_midnight() -> None:
    window = parse_window("this month", NOW, "Europe/Berlin")
    # 1 Nov 00:00 CET = 31 Oct 23:00 UTC; 1 Dec 00:00 CET = 30 Nov 23:00 UTC.
    assert window.start == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 30, 23, tzinfo=UTC)
    # October in Berlin starts in summer time (UTC+2) and ends in winter time (UTC+1).
    october = parse_window("last month", NOW, "Europe/Berlin")
    assert october.start == datetime(2026, 9, 30, 22, tzinfo=UTC)
    assert october.seconds == (31 * 24 + 1) * 3600


def test_last_month_in_january_is_december_of_last_year() -> None:
    window = parse_window("last month", datetime(2026, 1, 5, tzinfo=UTC))
    assert (window.start, window.label) == (datetime(2025, 12, 1, tzinfo=UTC), "December 2025")


def test_until_now_clips_a_running_window() -> None:
    window = parse_window("this month", NOW).until(NOW)
    assert (window.start, window.end) == (utc(11, 1), NOW)
    assert parse_window("this month", NOW).until(utc(10, 1)).seconds == 0


def test_custom_window_from_datetimes() -> None:
    window = custom_window(utc(11, 1), utc(11, 2))
    assert window.seconds == 86400
    with pytest.raises(WindowError, match="ends before it starts"):
        custom_window(utc(11, 2), utc(11, 1))


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("lst month", "did you mean 'last month'"),
        ("fortnight", "'fortnight'"),
        ("2026-13", "'2026-13'"),
        ("2026-11-15..2026-11-01", "ends before it starts"),
        ("2026-11-01..soon", "'soon'"),
        ("last 0 days", "0 days"),
        ("last 999 days", "999 days"),
    ],
)
def test_errors_name_the_text(text: str, named: str) -> None:
    with pytest.raises(WindowError, match=named):
        parse_window(text, NOW)


def test_unknown_timezone_is_a_window_error() -> None:
    with pytest.raises(WindowError, match="Europe/Berlin"):
        parse_window("this month", NOW, "Europe/Berln")


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        # Q4 is October, November, December; it ends at the next year's first midnight.
        ("2026-Q4", utc(10, 1), datetime(2027, 1, 1, tzinfo=UTC), "Q4 2026"),
        ("2026-q1", utc(1, 1), utc(4, 1), "Q1 2026"),
        ("2026-Q2", utc(4, 1), utc(7, 1), "Q2 2026"),
        ("2026", utc(1, 1), datetime(2027, 1, 1, tzinfo=UTC), "2026"),
    ],
)
def test_quarters_and_years(text: str, start: datetime, end: datetime, label: str) -> None:
    window = parse_window(text, NOW)
    assert (window.start, window.end, window.label) == (start, end, label)


def test_quarter_and_year_follow_the_timezone() -> None:
    # Berlin is UTC+1 in winter: local midnight of 2026-01-01 is 2025-12-31T23:00Z.
    window = parse_window("2026", NOW, "Europe/Berlin")
    assert window.start == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert window.end == datetime(2026, 12, 31, 23, tzinfo=UTC)


def test_a_fifth_quarter_is_refused_by_name() -> None:
    with pytest.raises(WindowError, match="2026-q5"):
        parse_window("2026-Q5", NOW)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # a bare first day takes the second's month; without a year, the latest such month
        ("from 2 to 9 november", utc(11, 2), utc(11, 10)),
        ("from oct 3 to oct 10", utc(10, 3), utc(10, 11)),
        ("between 3rd and 17th oct", utc(10, 3), utc(10, 18)),
        (
            "from 1 dec 2025 to 4 dec 2025",
            datetime(2025, 12, 1, tzinfo=UTC),
            datetime(2025, 12, 5, tzinfo=UTC),
        ),
        # across a year end: the first day is in the year before
        ("from 28 dec to 3 jan", datetime(2025, 12, 28, tzinfo=UTC), utc(1, 4)),
    ],
)
def test_day_and_month_ranges(text: str, start: datetime, end: datetime) -> None:
    window = parse_window(text, NOW)
    assert (window.start, window.end) == (start, end)


def test_an_impossible_day_in_a_range_is_refused() -> None:
    with pytest.raises(WindowError, match="31"):
        parse_window("from 1 to 31 november", NOW)
