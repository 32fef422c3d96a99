"""The monthly SLA report: posted once per channel and month across two replicas.

Two replicas are two stores (their own engines and connection pools) on one database, each
with its own model and poster; on PostgreSQL the claim is the advisory try-lock plus the
completed period of `store.JobRecords`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from bot.settings import Settings, SettingsError
from services.model import ModelService
from services.reports import ComplianceReport, MonthlyReports, RiskRegister
from store import Store

DECEMBER_1 = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)  # November's report is due
DECEMBER_20 = datetime(2026, 12, 20, tzinfo=UTC)
JANUARY_1 = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)


def replica(url: str, posts: list[tuple[str, str, str]], name: str) -> MonthlyReports:
    store = Store(url)

    def post(channel: str, report: ComplianceReport) -> str:
        posts.append((name, channel, report.window.label))
        return "F1"

    return MonthlyReports(store, ModelService(store), ["C0MANAGERS", "C0AUDIT"], post=post)


def test_each_month_is_posted_once_per_channel_across_two_replicas(report_store: Store) -> None:
    url = report_store.engine.url.render_as_string(hide_password=False)
    posts: list[tuple[str, str, str]] = []
    one, two = replica(url, posts, "r1"), replica(url, posts, "r2")
    try:
        if report_store.is_sqlite:
            # One process per SQLite file: replicas take turns (the completed month is shared).
            one.tick(DECEMBER_1)
            two.tick(DECEMBER_1)
        else:  # PostgreSQL: both at once, the advisory try-lock decides
            threads = [threading.Thread(target=r.tick, args=(DECEMBER_1,)) for r in (one, two)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        assert sorted((c, label) for _, c, label in posts) == [
            ("C0AUDIT", "November 2026"),
            ("C0MANAGERS", "November 2026"),
        ]
        # Later ticks in the same month post nothing, on either replica.
        assert one.tick(DECEMBER_20) == [] and two.tick(DECEMBER_20) == []
        # The next month: December's report, once per channel again.
        assert sorted(one.tick(JANUARY_1) + two.tick(JANUARY_1)) == ["C0AUDIT", "C0MANAGERS"]
        assert [label for _, _, label in posts[2:]] == ["December 2026", "December 2026"]
    finally:
        one.store.close()
        two.store.close()


def test_the_risk_register_of_last_month_is_posted_once_per_channel(report_store: Store) -> None:
    """November's failures (report_data.HISTORY, counted by hand): shop-db went down 3
    times, warehouse once, shop-api never (degraded only). No revenue on the map, so every
    exposure is 0: tier-1 single points of failure first (shop-api, shop-db, by name), then
    warehouse (desk, tier 2)."""
    posted: list[tuple[str, RiskRegister]] = []

    def post_risks(channel: str, register: RiskRegister) -> str:
        posted.append((channel, register))
        return "F2"

    def post(channel: str, report: ComplianceReport) -> str:
        raise AssertionError("tick_risks posts no SLA report")

    models = ModelService(report_store)
    monthly = MonthlyReports(
        report_store, models, ["C0MANAGERS", "C0AUDIT"], post=post, post_risks=post_risks
    )
    assert monthly.tick_risks(DECEMBER_1) == ["C0MANAGERS", "C0AUDIT"]
    assert monthly.tick_risks(DECEMBER_20) == []
    assert [channel for channel, _ in posted] == ["C0MANAGERS", "C0AUDIT"]
    register = posted[0][1]
    assert (register.window.label, register.days) == ("November 2026", 30)
    assert [(r.component, r.failures, r.tier1_spof) for r in register.risks] == [
        ("shop-api", 0, True),
        ("shop-db", 3, True),
        ("warehouse", 1, False),
    ]
    # Without a risk poster (as before), there is no risk register job to do.
    assert MonthlyReports(report_store, models, ["C0X"], post=post).tick_risks(JANUARY_1) == []


def test_report_channels_setting_is_checked() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "a" * 32}
    settings = Settings.from_env({**env, "BSM_REPORT_CHANNELS": "C0MANAGERS, C0AUDIT"})
    assert settings.report_channels == ("C0MANAGERS", "C0AUDIT")
    try:
        Settings.from_env({**env, "BSM_REPORT_CHANNELS": "#managers"})
    except SettingsError as error:
        assert "BSM_REPORT_CHANNELS" in str(error) and "#managers" in str(error)
    else:
        raise AssertionError("a channel name instead of an id was accepted")
