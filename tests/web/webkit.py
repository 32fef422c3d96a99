"""Helpers of the dashboard tests: the demo map in a store, the dashboard over it, a client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from bot.server import create_server
from bot.settings import DashboardSettings
from bot.web import Dashboard
from bot.web.auth import Access
from bot.web.figures import Board
from impact.model import State, StatusEvent
from services.digests import DigestService
from services.incidents import Incidents
from services.model import ModelService
from store import Observation, Store
from store.mapfile import load_map_file

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEMO_MAP = REPO / "store" / "demo" / "demo.yaml"
KIOSK = "kiosk-token-for-tests-0123456789"
SECRET = "session-secret-for-tests-0123456789"
OUTAGE = ("db-01", "payment-gateway")  # the demo's scripted outage (bot/cli/ask.py)


@dataclass
class Served:
    store: Store
    models: ModelService
    desk: Incidents
    dashboard: Dashboard
    client: TestClient

    def record(self, names: tuple[str, ...], state: State, why: str = "test") -> None:
        at = datetime.now(UTC) - timedelta(seconds=1)
        self.store.record_events(
            [StatusEvent(n, state, at, source="test", summary=why) for n in names]
        )

    def alert(self, names: tuple[str, ...], state: State) -> None:
        """Alerts in through the incident desk (states, then incidents reconciled)."""
        at = datetime.now(UTC) - timedelta(seconds=1)
        self.desk.ingest(
            [
                Observation(f"test:{n}", StatusEvent(n, state, at, "test", None, f"{n}:{state}"))
                for n in names
            ]
        )

    def kiosk(self) -> None:
        """Sign this client in as a kiosk."""
        answer = self.client.get(f"/dashboard?token={KIOSK}", follow_redirects=False)
        assert answer.status_code == 303


def demo_store(directory: Path) -> Store:
    store = Store(url=f"sqlite:///{directory / 'bsm.db'}")
    store.import_map(load_map_file(DEMO_MAP))
    return store


def serve(
    store: Store, settings: DashboardSettings, api_url: str = "http://127.0.0.1:9/api/"
) -> Served:
    models = ModelService(store)
    desk = Incidents(store, models)
    digests = DigestService(store, models)
    dashboard = Dashboard(Board(models, desk, digests), Access(settings, api_url=api_url))
    client = TestClient(create_server(None, dashboard=dashboard), base_url="http://127.0.0.1")
    return Served(store, models, desk, dashboard, client)


def serve_env(api_url: str, store: Store, **extra: str) -> dict[str, str]:
    """The environment of a `bsm serve` in HTTP mode with the dashboard, over `store`."""
    from slack_payloads import SIGNING_SECRET

    return {
        "SLACK_BOT_TOKEN": "xoxb-dashboard",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "SLACK_APP_TOKEN": "",
        "BSM_DATABASE_URL": store.url_text(),
        "BSM_SESSION_SECRET": SECRET,
        "BSM_DASHBOARD_TOKEN": KIOSK,
        **extra,
    }


def parse(text: str) -> None:
    """Strict HTML5 parsing: any parse error fails."""
    import html5lib

    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
