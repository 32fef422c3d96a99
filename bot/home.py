"""The App Home dashboard: who has opened it, and (re)publishing it for them.

The dashboard is the `status` answer rendered by `bot.render.home.render_home`, followed by the
panels of `HomePanels`: open incidents and the SLA of each business service this month.
When states change, call the dashboard's `refresh()` (the incident loop gets that bound
method at construction); it publishes through the client the dashboard was built with, and
only when the view changed. The audience lives in memory for now (`HomeAudience` is the
seam for keeping it in the database later).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.render.home import render_home
from handlers.answer import Answer, Item, Section
from impact.model import State
from services.digests import DigestService

log = logging.getLogger(__name__)


class Asker(Protocol):
    """Anything that answers a question: `handlers.conversation.Conversation` in production."""

    def ask(
        self,
        text: str,
        *,
        user_id: str | None,
        channel_id: str | None,
        session: str | None = None,
    ) -> Answer: ...


class OpenIncidents(Protocol):
    """Where the open incidents come from: `services.incidents.Incidents` in production."""

    def incidents(self, *, open_only: bool = True, limit: int = 50) -> list[Any]: ...


class HomeAudience(Protocol):
    def add(self, user_id: str) -> None: ...
    def users(self) -> list[str]: ...


class MemoryAudience:
    """Users who opened the Home tab since start-up."""

    def __init__(self) -> None:
        self._users: dict[str, None] = {}
        self._lock = threading.Lock()

    def add(self, user_id: str) -> None:
        with self._lock:
            self._users[user_id] = None

    def users(self) -> list[str]:
        with self._lock:
            return list(self._users)


class HomeDashboard:
    """Publishes the dashboard; `panels` returns extra sections (SLA, open incidents).

    `client` is what `refresh()` publishes with (the app's Web API client); without one,
    `refresh()` does nothing.
    """

    def __init__(
        self,
        conversation: Asker,
        *,
        client: WebClient | None = None,
        audience: HomeAudience | None = None,
        panels: Callable[[], Sequence[Section]] = tuple,
    ) -> None:
        self.conversation = conversation
        self.client = client
        self.audience = audience or MemoryAudience()
        self.panels = panels
        self._last_view: dict[str, object] | None = None
        self._refreshing = threading.Lock()

    def view(self, user_id: str | None = None) -> dict[str, object]:
        status = self.conversation.ask("status", user_id=user_id, channel_id=None)
        return render_home(status, self.panels())

    def publish(self, client: WebClient, user_id: str) -> None:
        """Show the dashboard to one user and remember them for republishing."""
        self.audience.add(user_id)
        client.views_publish(user_id=user_id, view=self.view(user_id))

    def republish(self, client: WebClient, *, view: dict[str, object] | None = None) -> int:
        """Refresh every known Home tab; returns how many were published.

        One user's failure (e.g. the app was removed for them) must not stop the others.
        """
        view = view or self.view()
        published = 0
        for user_id in self.audience.users():
            try:
                client.views_publish(user_id=user_id, view=view)
                published += 1
            except SlackApiError as error:
                log.warning(
                    "slack api views.publish failed for %s: %s",
                    user_id,
                    error.response.get("error"),
                )
        return published

    def refresh(self, *, force: bool = False) -> int:
        """Refresh every open Home tab after a state change; returns how many were published.

        Safe from any thread; 0 without a client, when no one opened the Home tab (nothing
        is computed: a storm of reconciles pays nothing for it), and when the dashboard
        looks as it did at the last refresh.
        """
        if self.client is None or not self.audience.users():
            return 0
        with self._refreshing:
            view = self.view()
            if not force and self._last_view == view:
                return 0
            self._last_view = view
            return self.republish(self.client, view=view)


class HomePanels:
    """The Home tab's extra panels: open incidents, SLA this month (from the digest service).

    Open incidents are read on every publish (one small query). The SLA panel replays the
    month's events, so it is computed at most once per `sla_ttl` seconds and shared by
    every publish in between.
    """

    SHOWN = 15

    def __init__(
        self,
        desk: OpenIncidents,
        digests: DigestService,
        *,
        sla_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.desk = desk
        self.digests = digests
        self.sla_ttl = sla_ttl
        self.clock = clock
        self._sla: tuple[float, Section] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Sequence[Section]:
        return (self.incidents(), self.sla())

    def incidents(self) -> Section:
        from handlers.incident_answers import incident_line

        found = self.desk.incidents(open_only=True, limit=self.SHOWN + 1)
        if not found:
            return Section("Open incidents", (Item("None: all quiet", State.OK),))
        items = tuple(incident_line(i) for i in found[: self.SHOWN])
        return Section("Open incidents", items, more=max(0, len(found) - self.SHOWN))

    def sla(self) -> Section:
        with self._lock:
            now = self.clock()
            if self._sla is None or now - self._sla[0] >= self.sla_ttl:
                self._sla = (now, self._measure_sla())
            return self._sla[1]

    def _measure_sla(self) -> Section:
        from impact.windows import parse_window

        now = datetime.now(UTC)
        window = parse_window("this month", now)
        services = self.digests.business_services()
        measured = self.digests.measure(services, window.start, now)
        reports = [(s, measured.report(s, window, now)) for s in services]
        reports.sort(key=lambda r: (r[1].availability is None, r[1].availability or 0.0))
        items = tuple(_sla_item(service, report) for service, report in reports[: self.SHOWN])
        return Section(
            f"SLA this month ({window.label}), worst first",
            items,
            more=max(0, len(reports) - self.SHOWN),
        )


def _sla_item(service: Any, report: Any) -> Item:
    if report.availability is None:
        return Item(service.display, State.UNKNOWN, "no data yet")
    met = report.availability >= report.target
    return Item(
        f"{service.display}: {report.availability:.3f}%",
        State.OK if met else State.DOWN,
        f"target {report.target:g}%" + ("" if met else ", breached"),
    )
