"""End to end with the real binaries: Prometheus -> Alertmanager -> `bsm serve` -> fake Slack.

Debian's `prometheus` and `prometheus-alertmanager`; skipped with the reason when they are
absent (failing instead with BSM_REQUIRE_ALERTMANAGER=1). A rule with a static expression
(`vector(1)`, labels naming a component of the map) fires; swapping it for one that is never
true and reloading Prometheus (SIGHUP) resolves it. Expected Slack calls: one notice per
channel, updated in place (`chat.update` on the first post's ts), resolved with its duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_slack import Call, FakeSlack
from real_stack import Stack, require_binaries, stack, wait_until

from store import Store

pytestmark = pytest.mark.slow
FIRST_TS = "1700000000.000001"  # the fake Slack's ts for the first post: the notice


@pytest.fixture(autouse=True)
def binaries() -> None:
    require_binaries()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """SQLite only: the subject here is the binaries, and every scenario starts three."""
    opened = Store(f"sqlite:///{tmp_path / 'bsm.db'}")
    yield opened
    opened.close()


@pytest.fixture
def database(mapped_store: Store) -> str:
    return mapped_store.url


def notices(slack: FakeSlack) -> list[Call]:
    """Top-level posts (thread replies carry thread_ts)."""
    return [c for c in slack.delivered("chat.postMessage") if "thread_ts" not in c.body]


def updates(slack: FakeSlack) -> list[Call]:
    return list(slack.delivered("chat.update"))


def resolved(slack: FakeSlack) -> list[Call]:
    return [c for c in slack.delivered("chat.update") if "Resolved" in str(c.body.get("blocks"))]


def one_open_notice(slack: FakeSlack, channel: str = "#inc-checkout") -> Call:
    [notice] = wait_until("the notice", lambda: notices(slack))
    assert notice.body["channel"] == channel
    return notice


def resolve_and_check(running: Stack, slack: FakeSlack, *jobs: str) -> None:
    running.quiet(*jobs)
    [done] = wait_until("the resolved notice", lambda: resolved(slack), 45)
    assert done.body["ts"] == FIRST_TS  # the notice (the first post), updated in place
    assert "lasted" in str(done.body["blocks"])  # with its duration
    assert len(notices(slack)) == 1  # never a second notice


def test_webhook_repeat_resolve(tmp_path: Path, slack: FakeSlack, database: str) -> None:
    with stack(tmp_path, slack, database) as running:
        running.fire("checkout-api")
        running.reload()
        one_open_notice(slack)
        # repeat_interval 2s: Alertmanager sends the same firing alert again; nothing new
        wait_until("a repeated webhook", lambda: _webhooks(running) >= 3, 30)
        assert len(notices(slack)) == 1 and resolved(slack) == []
        resolve_and_check(running, slack, "checkout-api")


def test_poller_alone_and_silence_keep_the_incident_open(
    tmp_path: Path, slack: FakeSlack, database: str
) -> None:
    with stack(tmp_path, slack, database, webhook=False, poller=True) as running:
        running.fire("checkout-api")
        running.reload()
        one_open_notice(slack)
        silence = running.silence("checkout-api")
        wait_until("the alert silenced", lambda: _states(running) == ["suppressed"])
        running.wait_polls(3)  # the poller saw it suppressed, three times
        assert resolved(slack) == [] and len(notices(slack)) == 1
        running.expire(silence)
        wait_until("the alert active again", lambda: _states(running) == ["active"])
        running.wait_polls(2)
        assert resolved(slack) == [] and len(notices(slack)) == 1
        resolve_and_check(running, slack, "checkout-api")


def test_alertmanager_restart_keeps_the_incident(
    tmp_path: Path, slack: FakeSlack, database: str
) -> None:
    with stack(tmp_path, slack, database, poller=True) as running:
        running.fire("checkout-api")
        running.reload()
        one_open_notice(slack)
        running.wait_polls(2)
        running.restart_alertmanager()  # it comes back empty; Prometheus sends it again
        wait_until("the alert back in Alertmanager", lambda: _states(running) == ["active"])
        running.wait_polls(3)
        assert resolved(slack) == [] and len(notices(slack)) == 1
        resolve_and_check(running, slack, "checkout-api")


def test_truncated_group_is_fetched_whole(tmp_path: Path, slack: FakeSlack, database: str) -> None:
    # max_alerts: 1 with two alerts in the group: the webhook carries one, truncatedAlerts 1;
    # bsm fetches the group from Alertmanager's API (tests/alerts/test_truncated_groups.py
    # pins that fetch alone); the webhook never carries the left-out alert's resolve, the
    # poller sees it vanish
    with stack(tmp_path, slack, database, poller=True, max_alerts=1) as running:
        running.fire("checkout-api", "payments-api")
        running.reload()
        wait_until("both causes", lambda: _naming(slack, "checkout-api", "payments-api"))
        assert len(notices(slack)) == 1
        assert not _naming(slack, "not included")
        resolve_and_check(running, slack, "checkout-api", "payments-api")


def test_truncated_group_without_api_says_so(
    tmp_path: Path, slack: FakeSlack, database: str
) -> None:
    with stack(tmp_path, slack, database, max_alerts=1) as running:
        running.fire("checkout-api", "payments-api")
        running.reload()
        one_open_notice(slack)
        # The first notification may hold the whole group (Prometheus sends each rule's alert
        # on its own) and a later one be truncated: then the posted notice is updated to say so.
        line = "Some alerts were not included: 1 alert was left out"
        wait_until(
            "the notice saying alerts were not included",
            lambda: [c for c in [*notices(slack), *updates(slack)] if line in str(c.body)],
        )
        assert len(notices(slack)) == 1
        resolve_and_check(running, slack, "checkout-api", "payments-api")


def _states(running: Stack) -> list[str]:
    return sorted(a["status"]["state"] for a in running.alerts())


def _webhooks(running: Stack) -> int:
    import httpx

    text = httpx.get(f"{running.bsm}/metrics", timeout=5).text
    return sum(
        int(float(line.rsplit(" ", 1)[1]))
        for line in text.splitlines()
        if line.startswith("bsm_http_requests_total{") and "webhooks/alertmanager" in line
    )


def _notice_texts(slack: FakeSlack) -> list[str]:
    return [str(c.body.get("blocks")) for c in [*notices(slack), *slack.delivered("chat.update")]]


def _naming(slack: FakeSlack, *names: str) -> list[str]:
    return [t for t in _notice_texts(slack) if all(n in t for n in names)]
