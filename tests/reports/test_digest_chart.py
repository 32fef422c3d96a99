"""The digest's chart: daily status bars coloured against target and the budget burn-down."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.render.digest import BELOW, FAR_BELOW, GOOD, NO_DATA, budget_curve, chart_png, day_color
from impact.digest import Digest, DigestLine
from impact.sla import sla_report
from impact.windows import Window


@pytest.mark.parametrize(
    ("availability", "color"),
    [
        (99.95, GOOD),  # at or above 99.9
        (99.9, GOOD),
        (99.5, BELOW),  # 0.5 % down: under 10 x the 0.1 % allowed
        (99.0, FAR_BELOW),  # 1.0 % down = 10 x 0.1 %
        (None, NO_DATA),
    ],
)
def test_day_colours_against_a_999_target(availability: float | None, color: str) -> None:
    assert day_color(availability, 99.9) == color


def test_burn_down_ends_at_the_reports_budget_left() -> None:
    from impact.model import State

    # Two days, 24x7, target 99 %: down 864 s on the second day only (1 % of a day).
    # Budget = 1 % of 172,800 = 1,728 s; left 864 s = 50 %; day 1 spends nothing.
    start = datetime(2026, 11, 2, tzinfo=UTC)
    end = datetime(2026, 11, 4, tzinfo=UTC)
    down_at = datetime(2026, 11, 3, 12, tzinfo=UTC)
    history = [
        (start, down_at, State.OK),
        (down_at, down_at.replace(minute=14, second=24), State.DOWN),
        (down_at.replace(minute=14, second=24), end, State.OK),
    ]
    window = Window(start, end, "two days")
    report = sla_report(history, target=99.0, window=window, now=end, service="shop")
    line = DigestLine(
        "Web Shop", report, days=((date(2026, 11, 2), 100.0), (date(2026, 11, 3), 99.0))
    )
    assert budget_curve(line) == pytest.approx([100.0, 50.0])
    png = chart_png(Digest(window, None, (line,)))
    assert png is not None and png.startswith(b"\x89PNG")
