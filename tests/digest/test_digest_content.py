"""The digest value: worst first, budget bars, what changed, top causes, cadence periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from impact.digest import Cadence, DigestCause, budget_bar, build_digest, cause_text, line_text
from impact.model import State
from impact.sla import sla_report
from impact.timeline import Segment
from impact.windows import Window

DAY = Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC), "2026-11-02")
BEFORE = Window(DAY.start - timedelta(days=1), DAY.start, "2026-11-01")
NOW = datetime(2026, 11, 10, tzinfo=UTC)


def report(service: str, window: Window, down_min: float, target: float = 99.0, cause: str = "db"):  # type: ignore[no-untyped-def]
    """One day of OK with `down_min` minutes of downtime from 10:00."""
    start, stop = window.start, window.end
    down_at = start + timedelta(hours=10)
    segments = [Segment(start, stop, State.OK)]
    if down_min:
        back = down_at + timedelta(minutes=down_min)
        segments = [
            Segment(start, down_at, State.OK),
            Segment(down_at, back, State.DOWN, (cause,)),
            Segment(back, stop, State.OK),
        ]
    return sla_report(segments, target=target, window=window, now=NOW, service=service)


def test_lines_are_worst_first_with_no_data_last() -> None:
    # 99 % of a day allows 14.4 min: 30 min misses, 12 min meets with 17 % left, 0 is fine.
    current = [
        report("fine", DAY, 0),
        sla_report([], target=99.0, window=DAY, now=NOW, service="silent"),
        report("tight", DAY, 12),
        report("broken", DAY, 30),
    ]
    digest = build_digest(current, window=DAY, titles={"broken": "Broken Shop"})
    assert [line.service for line in digest.lines] == ["broken", "tight", "fine", "silent"]
    assert [line.state for line in digest.lines] == [
        State.DOWN,
        State.DEGRADED,
        State.OK,
        State.UNKNOWN,
    ]
    assert digest.summary == "SLA digest, 2026-11-02: 1 of 3 services miss their SLA (Broken Shop)"
    assert line_text(digest.lines[0]) == (
        "Broken Shop: 97.917% vs 99% · budget ░░░░░░░░░░ overspent (108% over)"
        " · 1 incident, MTTR 30m"
    )
    assert line_text(digest.lines[3]) == "silent: no data (target 99%)"


def test_durations_read_as_everywhere_else() -> None:
    # The one duration format of bsm-bot (impact.durations): "1h 05m", "2d 4h".
    line = build_digest([report("slow", DAY, 65)], window=DAY).lines[0]
    assert line_text(line).endswith(" · 1 incident, MTTR 1h 05m")
    cause = DigestCause("db", 2 * 86400 + 4 * 3600, ("shop",))
    assert cause_text(cause) == "db: 2d 4h of downtime (shop)"


def test_budget_bar() -> None:
    assert budget_bar(1.0) == "██████████ 100% left"
    assert budget_bar(0.34) == "███░░░░░░░ 34% left"
    assert budget_bar(-0.5) == "░░░░░░░░░░ overspent (50% over)"
    assert budget_bar(None) == "no data"


def test_changes_since_the_previous_period_lead_with_sla_verdicts() -> None:
    current = [report("shop", DAY, 30), report("search", DAY, 0), report("mail", DAY, 5)]
    previous = [report("shop", BEFORE, 0), report("search", BEFORE, 60), report("mail", BEFORE, 5)]
    digest = build_digest(current, previous, window=DAY, previous_window=BEFORE)
    assert digest.changes == (
        "search is back within its SLA (100.000%, was 95.833%)",
        "shop now misses its SLA (97.917%, was 100.000%)",
    )
    assert "mail" not in " ".join(digest.changes)  # the same 5 minutes: nothing changed


def test_a_move_within_the_target_counts_its_incidents_in_words() -> None:
    # 5 minutes down of a day: 1 - 5/1440 = 99.653%, still within 99%; the day before had
    # none. The move is 0.35 pp, with one incident where there were none.
    digest = build_digest(
        [report("mail", DAY, 5)], [report("mail", BEFORE, 0)], window=DAY, previous_window=BEFORE
    )
    assert digest.changes == ("mail worse by 0.35 pp (99.653%, was 100.000%; 1 incident, was 0)",)


def test_top_causes_sum_over_services() -> None:
    current = [
        report("a", DAY, 30, cause="db-01"),
        report("b", DAY, 10, cause="db-01"),
        report("c", DAY, 20, cause="dns"),
    ]
    digest = build_digest(current, window=DAY)
    assert [(c.name, c.downtime_s, c.services) for c in digest.top_causes] == [
        ("db-01", 2400.0, ("a", "b")),
        ("dns", 1200.0, ("c",)),
    ]


def test_a_sub_second_blip_is_not_a_top_cause() -> None:
    start = DAY.start + timedelta(hours=10)
    blip = start + timedelta(milliseconds=4)
    segments = [
        Segment(DAY.start, start, State.OK),
        Segment(start, blip, State.DOWN, ("payment-gateway",)),
        Segment(blip, DAY.end, State.OK),
    ]
    blipped = sla_report(segments, target=99.0, window=DAY, now=NOW, service="shop")
    assert blipped.top_causes  # the SLA report keeps it; the digest leaves it out
    digest = build_digest([blipped, report("b", DAY, 10, cause="db-01")], window=DAY)
    assert [c.name for c in digest.top_causes] == ["db-01"]


def test_daily_digest_reports_the_day_before_it_fires() -> None:
    cadence = Cadence("daily", 9, 0, ZoneInfo("Europe/Berlin"))
    now = datetime(2026, 11, 3, 8, 30, tzinfo=UTC)  # 09:30 in Berlin
    fired = cadence.last_fire(now)
    assert fired == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    assert cadence.period_key(fired) == "2026-11-03"
    window, previous = cadence.windows(fired)
    assert (window.start, window.end) == (
        datetime(2026, 11, 1, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 23, 0, tzinfo=UTC),
    )
    assert previous.end == window.start and window.label == "2026-11-02"


def test_weekly_digest_across_the_dst_change_keeps_local_midnights() -> None:
    cadence = Cadence("weekly", 9, 0, ZoneInfo("Europe/Berlin"), weekday=0)
    fired = cadence.last_fire(datetime(2026, 10, 27, 12, 0, tzinfo=UTC))  # a Tuesday
    assert fired == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # Monday 09:00 CET
    window, _ = cadence.windows(fired)
    assert window.start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)  # midnight CEST
    assert window.end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # midnight CET
    assert window.seconds == 7 * 86400 + 3600  # the week had a 25-hour Sunday


def test_monthly_on_the_31st_fires_on_the_last_day_of_short_months() -> None:
    cadence = Cadence("monthly", 7, 0, UTC, monthday=31)
    assert cadence.next_fire(datetime(2026, 11, 1, tzinfo=UTC)).date() == date(2026, 11, 30)
    fired = cadence.next_fire(datetime(2026, 12, 1, tzinfo=UTC))
    assert fired.date() == date(2026, 12, 31)
    window, previous = cadence.windows(fired)
    assert (window.label, previous.label) == ("November 2026", "October 2026")
