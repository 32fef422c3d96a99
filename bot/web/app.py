"""The dashboard's routes: server-rendered pages, live tiles, sign-in, the public page.

    dashboard = Dashboard(board, access)
    server = create_server(app, routes, dashboard=dashboard)   # bot/server.py mounts it

Read-only. Every page is rendered in a worker thread (the figures ask the database);
the event loop only moves bytes. Unknown names are a 404 page with "did you mean"
(`impact.suggest` through `UnknownComponent`); a query that does not parse is ignored or
answered with a form error, never a 500. Anonymous browsers are sent to sign in, API and
live-stream calls get a 401. With the public page on, `/status` lists business services
and their states only.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.web.auth import Access, SignInError, Viewer
from bot.web.figures import Board, Filters, NotABusinessService, Overview, Tile
from bot.web.graph import render_svg
from bot.web.live import Frame, Live
from handlers.incident_answers import entry_text
from impact.durations import format_duration
from impact.errors import UnknownComponent
from impact.model import State

if TYPE_CHECKING:
    from jinja2 import Environment

log = logging.getLogger(__name__)

PREFIX = "/dashboard"
PUBLIC_PATH = "/status"
WHATIF_NAMES = 20  # components one what-if may fail
_SPLIT = re.compile(r"[\s,]+")


def templates() -> Environment:
    """The pages' Jinja2 environment (Jinja2 loads here: by the first page, not at start)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # package data: no file to watch on every render
    )
    env.filters |= {
        "money": _money,
        "duration": format_duration,
        "pct": lambda v: "no data" if v is None else f"{v:.3f}%",
        "at": lambda t: f"{t:%Y-%m-%d %H:%M} UTC" if t else "",
        "q": lambda v: quote(str(v), safe=""),
        "entry": entry_text,
    }
    env.globals |= {"prefix": PREFIX, "State": State}
    return env


def _money(value: float | None) -> str:
    if not value:
        return "$0/h"
    return f"${value:,.0f}/h"


class Dashboard:
    """The web surface; `routes()` for the server, `close()` when it stops."""

    def __init__(self, board: Board, access: Access, *, live: Live | None = None) -> None:
        self.board, self.access = board, access
        self._env: Environment | None = None  # built by the first render
        self._env_lock = threading.Lock()
        self.live = live or Live(self._frame)
        self._held: Overview | None = None  # the overview of the live frame last rendered
        self._tiles: dict[str, tuple[Tile, str]] = {}  # a tile's HTML, until it changes

    @property
    def env(self) -> Environment:
        """The templates, loaded by the first page rendered (`bsm serve` answers first)."""
        with self._env_lock:
            if self._env is None:
                self._env = templates()
            return self._env

    # -- wiring ----------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        page = self._page
        routes: list[BaseRoute] = [
            Route(PREFIX, page(self._overview), methods=["GET"]),
            Route(f"{PREFIX}/services/{{name:path}}", page(self._service), methods=["GET"]),
            Route(f"{PREFIX}/components/{{name:path}}", page(self._component), methods=["GET"]),
            Route(f"{PREFIX}/incidents", page(self._incidents), methods=["GET"]),
            Route(f"{PREFIX}/whatif", page(self._whatif), methods=["GET"]),
            Route(f"{PREFIX}/events", self._events, methods=["GET"]),
            Route(f"{PREFIX}/api/overview", self._api_overview, methods=["GET"]),
            Route(f"{PREFIX}/signin", self._signin, methods=["GET"]),
            Route(f"{PREFIX}/callback", self._callback, methods=["GET"]),
            Route(f"{PREFIX}/signout", self._signout, methods=["GET", "POST"]),
            Mount(
                f"{PREFIX}/static",
                app=StaticFiles(packages=[("bot.web", "static")]),
                name="dashboard-static",
            ),
        ]
        if self.access.settings.public:
            routes.append(Route(PUBLIC_PATH, self._public, methods=["GET"]))
        return routes

    async def close(self) -> None:
        await self.live.close()

    def _page(self, view: Callable[[Request, Viewer], Response]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            if "token" in request.query_params:
                signed = self.access.kiosk(request)
                return signed or self._html(request, "denied.html", {}, status=401)
            viewer = self.access.viewer(request)
            if viewer is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(
                    f"{PREFIX}/signin?{urlencode({'next': target})}", status_code=303
                )
            try:
                if view == self._overview:
                    await self.live.refresh()  # the page and the stream share one version
                return await run_in_threadpool(view, request, viewer)
            except Exception as error:  # the database is away: a 503 page, never a 500
                log.warning("dashboard page %s failed: %s", request.url.path, type(error).__name__)
                context = {"viewer": viewer, "error": "The figures cannot be read right now."}
                return self._html(request, "unavailable.html", context, status=503)

        return endpoint

    def _html(
        self, request: Request, template: str, context: dict[str, Any], *, status: int = 200
    ) -> HTMLResponse:
        theme = request.query_params.get("theme")
        body = self.env.get_template(template).render(
            theme=theme if theme in ("dark", "light") else None, request=request, **context
        )
        headers = {
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        }
        return HTMLResponse(body, status_code=status, headers=headers)

    # -- pages -----------------------------------------------------------------------------
    def _overview(self, request: Request, viewer: Viewer) -> Response:
        overview = self._held or self.board.overview()
        frame, version = self.live.frame, self.live.version
        filters = Filters.read(request.query_params)
        shown = [t for t in overview.tiles if filters.keep(t)]
        tiles = frame.tiles if frame is not None else {}
        context = {
            "viewer": viewer,
            "overview": overview,
            "filters": filters,
            "tiles": [(t, tiles.get(t.name) or self._tile(t)) for t in shown],
            "banner": frame.banner if frame is not None else self._banner(overview),
            "version": version,
            "states": list(State),
        }
        return self._html(request, "overview.html", context)

    def _service(self, request: Request, viewer: Viewer) -> Response:
        name = request.path_params["name"]
        try:
            page = self.board.service(name)
        except NotABusinessService as error:
            return RedirectResponse(f"{PREFIX}/components/{quote(error.name)}", status_code=303)
        except UnknownComponent as error:
            return self._missing(request, viewer, error, "services")
        days = page.days
        context = {
            "viewer": viewer,
            "page": page,
            "svg": render_svg(page.graph, PREFIX),
            "days30": days[-30:],
            "days90": days,
        }
        return self._html(request, "service.html", context)

    def _component(self, request: Request, viewer: Viewer) -> Response:
        try:
            page = self.board.component(request.path_params["name"])
        except UnknownComponent as error:
            return self._missing(request, viewer, error, "components")
        return self._html(request, "component.html", {"viewer": viewer, "page": page})

    def _incidents(self, request: Request, viewer: Viewer) -> Response:
        open_now, resolved = self.board.incidents()
        now = datetime.now(UTC)
        context = {"viewer": viewer, "open": open_now, "resolved": resolved, "now": now}
        return self._html(request, "incidents.html", context)

    def _whatif(self, request: Request, viewer: Viewer) -> Response:
        text = (request.query_params.get("components") or "").strip()
        names = [n for n in _SPLIT.split(text) if n][: WHATIF_NAMES + 1]
        context: dict[str, Any] = {"viewer": viewer, "text": text, "result": None, "error": None}
        all_names = self.board.names()
        context["choices"] = all_names if len(all_names) <= 2000 else []
        if len(names) > WHATIF_NAMES:
            context["error"] = f"components: at most {WHATIF_NAMES} names at once"
        elif names:
            try:
                context["result"] = self.board.whatif(names)
            except UnknownComponent as error:
                context["error"] = f"components: {error}"
        status = 400 if context["error"] else 200
        return self._html(request, "whatif.html", context, status=status)

    def _missing(
        self, request: Request, viewer: Viewer, error: UnknownComponent, kind: str
    ) -> Response:
        context = {
            "viewer": viewer,
            "name": error.name,
            "suggestions": error.suggestions,
            "kind": kind,
        }
        return self._html(request, "notfound.html", context, status=404)

    # -- live ------------------------------------------------------------------------------
    async def _events(self, request: Request) -> Response:
        if self.access.viewer(request) is None:
            return JSONResponse({"ok": False, "error": "sign in first"}, status_code=401)
        since_text = request.query_params.get("since", "")
        return self.live.stream(int(since_text) if since_text.isdigit() else None)

    async def _api_overview(self, request: Request) -> Response:
        if self.access.viewer(request) is None:
            return JSONResponse({"ok": False, "error": "sign in first"}, status_code=401)
        overview = await run_in_threadpool(self.board.overview)
        return JSONResponse({"ok": True, **_overview_json(overview)})

    def _frame(self) -> Frame:
        overview = self._held = self.board.overview()
        tiles = {t.name: self._cached_tile(t) for t in overview.tiles}
        self._tiles = {t.name: (t, tiles[t.name]) for t in overview.tiles}
        return Frame(self._banner(overview), tiles, tuple(t.name for t in overview.tiles))

    def _cached_tile(self, tile: Tile) -> str:
        held = self._tiles.get(tile.name)
        return held[1] if held is not None and held[0] == tile else self._tile(tile)

    def _tile(self, tile: Tile) -> str:
        return self.env.get_template("_tile.html").render(tile=tile)

    def _banner(self, overview: Overview) -> str:
        return self.env.get_template("_banner.html").render(overview=overview)

    # -- access ----------------------------------------------------------------------------
    async def _signin(self, request: Request) -> Response:
        next_path = request.query_params.get("next") or PREFIX
        settings = self.access.settings
        if not settings.sign_in:
            context = {"viewer": None, "public": settings.public, "configured": False}
            return self._html(request, "signin.html", context, status=503)
        if request.query_params.get("go") != "1":
            context = {"viewer": None, "public": settings.public, "configured": True}
            context["go"] = f"{PREFIX}/signin?{urlencode({'go': '1', 'next': next_path})}"
            return self._html(request, "signin.html", context, status=401)
        return self.access.authorize(request, self._redirect_uri(request), next_path)

    async def _callback(self, request: Request) -> Response:
        try:
            viewer, next_path = await self.access.callback(request, self._redirect_uri(request))
        except SignInError as error:
            context = {"viewer": None, "error": str(error)}
            return self._html(request, "denied.html", context, status=400)
        response = RedirectResponse(next_path, status_code=303)
        response.delete_cookie("bsm_oidc", path="/")
        return self.access.sign_in(response, request, viewer)

    async def _signout(self, request: Request) -> Response:
        return self.access.sign_out(RedirectResponse(f"{PREFIX}/signin", status_code=303))

    def _redirect_uri(self, request: Request) -> str:
        return str(request.base_url).rstrip("/") + f"{PREFIX}/callback"

    async def _public(self, request: Request) -> Response:
        services = await run_in_threadpool(self.board.public)
        worst = max((s for _, s in services), key=lambda s: s.severity, default=State.OK)
        context = {"viewer": None, "services": services, "worst": worst}
        return self._html(request, "public.html", context)


def _overview_json(overview: Overview) -> dict[str, Any]:
    return {
        "state": overview.state.value,
        "version": overview.version,
        "revenue_at_risk": overview.revenue_at_risk,
        "open_incidents": [i.id for i in overview.open_incidents],
        "services": [
            {
                "name": t.name,
                "title": t.title,
                "state": t.status.state.value,
                "tier": t.status.tier,
                "owner": t.status.owner,
                "availability": t.sla.availability if t.sla else None,
                "target": t.sla.target if t.sla else None,
                "budget_left": t.budget_left,
                "incident": t.incident,
                "revenue_at_risk": t.status.revenue_at_risk,
            }
            for t in overview.tiles
        ],
    }
