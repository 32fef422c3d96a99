"""The App Home tab: the dashboard is published when a user opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.home import HomeDashboard


def register(app: App, home: HomeDashboard) -> None:
    @app.event("app_home_opened")
    def app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") == "home":
            home.publish(client, event["user"])
