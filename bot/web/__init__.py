"""The web dashboard served by `bsm serve`: pages, live tiles, sign-in (see docs/dashboard.md).

dashboard = build_dashboard(settings, models, desk, digests)
create_server(app, routes, dashboard=dashboard)
"""

from __future__ import annotations

from bot.settings import Settings
from bot.web.app import Dashboard
from bot.web.auth import Access
from bot.web.figures import Board
from services.digests import DigestService
from services.incidents import Incidents
from services.model import ModelService

__all__ = ["Dashboard", "build_dashboard"]


def build_dashboard(
    settings: Settings, models: ModelService, desk: Incidents, digests: DigestService
) -> Dashboard:
    """The dashboard over the process's one model, incident desk and digest service."""
    access = Access(settings.dashboard, api_url=settings.api_url)
    return Dashboard(Board(models, desk, digests), access)
