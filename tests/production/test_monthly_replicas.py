"""Two `bsm serve` replicas on one PostgreSQL and one fake Slack: last month's SLA report
and risk register are uploaded once per channel, however often both replicas tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fake_slack import FakeSlack
from replicas import serve_env, wait_until
from test_replicas import replicas

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CHANNELS = ("C0AUDIT", "C0MANAGERS")
JOBS = ("sla_report_monthly", "risk_register_monthly")


def uploads(slack: FakeSlack) -> list[tuple[str, str]]:
    """(channel, file title) of every completed upload."""
    return [
        (call.body["channel_id"], file["title"])
        for call in slack.delivered("files.completeUploadExternal")
        for file in call.body["files"]
    ]


def runs(url: str, job: str) -> float:
    """How often a replica fired `job` (ran it, or left it to the replica that did)."""
    text = httpx.get(f"{url}/metrics").text
    prefix = f'bsm_scheduler_runs_total{{job="{job}",outcome='
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


def test_each_channel_gets_one_report_and_one_risk_register_a_month(
    pg_url: str, slack: FakeSlack
) -> None:
    now = datetime.now(UTC)
    last_month = f"{now.replace(day=1) - timedelta(days=1):%B %Y}"  # e.g. "November 2026"
    env = serve_env(
        pg_url, slack.api_url, BSM_DIGEST_TICK_S="0.5", BSM_REPORT_CHANNELS=",".join(CHANNELS)
    )
    with replicas(env) as group:
        wait_until(lambda: len(uploads(slack)) >= 4, timeout=120, what="four monthly uploads")
        fired = {(r.url, job): runs(r.url, job) for r in group for job in JOBS}
        # Both jobs fire three more times on each replica: a second upload would be made by now.
        wait_until(
            lambda: all(runs(url, job) >= n + 3 for (url, job), n in fired.items()),
            timeout=60,
            what="more ticks",
        )
        found = sorted(uploads(slack))
    assert found == sorted(
        (channel, title)
        for channel in CHANNELS
        for title in (f"SLA compliance report, {last_month}", f"Risk register, {last_month}")
    )
