"""Incident priority follows the map's `policies.priority` rules on every surface: chat's
`incidents` and `incident N`, `bsm incidents`, the Slack notice and the dashboard.

The map's rules differ from the defaults. Expected levels, by hand from RULES:
  billing-app down -> billing down (tier 3, $5,000/h): rule 1 ($/h >= 4,000)  -> P1
                      (the defaults would say P2: tier 3 but >= $1,000/h)
  shop-api down    -> shop down (tier 1, $100/h): rule 2 (tier <= 1)          -> P2
                      (the defaults would say P1)
  wiki-app down    -> wiki down (tier 4, $0/h, one service): no rule matches  -> P4
                      (the defaults would say P3: any service failing)
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import alerts as alert_commands
from bot.render.notices import render_notice
from handlers.conversation import Conversation
from impact.model import State, StatusEvent
from services.incidents import Incidents
from services.model import ModelService
from store import Store, parse_map
from store.alerts import Observation

TESTS = Path(__file__).resolve().parents[1]

RULES = """\
policies:
  priority:
    - {priority: P1, revenue_at_least: 4000}
    - {priority: P2, tier_at_most: 1}
    - {priority: P3, services_at_least: 2}
"""
MAP = (
    """\
version: 1
business_services:
  - {name: shop, tier: 1, revenue_per_hour: 100, channel: "#shop", depends_on: [shop-api]}
  - {name: billing, tier: 3, revenue_per_hour: 5000, channel: "#bill", depends_on: [billing-app]}
  - {name: wiki, tier: 4, channel: "#wiki", depends_on: [wiki-app]}
components:
  - {name: shop-api}
  - {name: billing-app}
  - {name: wiki-app}
"""
    + RULES
)
# In the order they fail: newest first would list wiki, shop, billing.
FAILING = ("billing-app", "shop-api", "wiki-app")
EXPECTED = {"billing": "P1", "shop": "P2", "wiki": "P4"}


@pytest.fixture
def desk(store: Store) -> Incidents:
    store.import_map(parse_map(MAP))
    desk = Incidents(store, ModelService(store))
    start = datetime.now(UTC) - timedelta(minutes=10)
    for minute, name in enumerate(FAILING):
        event = StatusEvent(
            name, State.DOWN, start + timedelta(minutes=minute), "tests", None, name
        )
        desk.ingest([Observation(f"t:{name}", event)])
        desk.reconcile()
    return desk


def service_of(desk: Incidents) -> dict[int, str]:
    return {i.id: i.services[0][0] for i in desk.incidents()}


def test_chat_lists_and_shows_the_maps_priorities(desk: Incidents) -> None:
    chat = Conversation(desk.models, incidents=desk)
    answer = chat.ask("incidents")
    names = service_of(desk)
    listed = [(names[row["id"]], row["priority"]) for row in answer.data["incidents"]]
    assert listed == [("billing", "P1"), ("shop", "P2"), ("wiki", "P4")]
    assert [item.text.split()[0] for item in answer.sections[0].items] == ["P1", "P2", "P4"]
    for incident_id, name in names.items():
        shown = chat.ask(f"incident {incident_id}")
        assert shown.summary.startswith(f"{EXPECTED[name]} Incident #{incident_id} open since")
        assert shown.data["incident"]["priority"] == EXPECTED[name]


def test_bsm_incidents_shows_and_sorts_by_them(
    desk: Incidents, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BSM_DATABASE_URL", store.url)

    @click.group()
    def main() -> None:
        pass

    alert_commands.register(main)
    result = CliRunner().invoke(main, ["incidents"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["P1", "P2", "P4"]
    assert [line.split(": ")[1].split()[0] for line in lines] == ["billing", "shop", "wiki"]


def test_the_slack_notice_shows_them(desk: Incidents, store: Store) -> None:
    posts = [i for i in store.outbox.claim(datetime.now(UTC), limit=50) if i.kind == "post"]
    titles = {}
    for item in posts:
        notice = item.notice()
        titles[notice.services[0].name] = (notice.priority, render_notice(notice))
    assert {name: level for name, (level, _) in titles.items()} == EXPECTED
    for level, message in titles.values():
        assert f"*{level} Incident #" in message.blocks[0]["text"]["text"]
        assert message.text.endswith(f"({level})")


def test_the_dashboard_lists_them_first_to_last(desk: Incidents, store: Store) -> None:
    sys.path[:0] = [str(TESTS / "web"), str(TESTS / "bot")]
    from webkit import SECRET, serve

    from bot.settings import DashboardSettings

    served = serve(store, DashboardSettings(session_secret=SECRET, token="kiosk-token-1234"))
    with served.client:
        assert served.client.get("/dashboard?token=kiosk-token-1234").status_code == 200
        page = served.client.get("/dashboard/incidents").text
    names = service_of(desk)
    by_level = {level: i for i, level in ((i, EXPECTED[n]) for i, n in names.items())}
    shown = [
        page.index(f'<span class="priority">{level}</span> #{by_level[level]}')
        for level in ("P1", "P2", "P4")
    ]
    assert shown == sorted(shown)
