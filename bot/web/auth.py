"""Who may see the dashboard: Slack sign-in (OpenID Connect), kiosk tokens, signed cookies.

    access = Access(settings.dashboard, api_url=settings.api_url)
    viewer = access.viewer(request)        # None: anonymous

A session is a cookie signed with the session secret (`itsdangerous`, timestamped: it
expires after `SESSION_S`, a kiosk's after `KIOSK_S`), HttpOnly and SameSite=Lax, Secure
over HTTPS. Sign-in sends the browser to Slack's authorize URL with a random `state`
(kept in a signed cookie of its own for ten minutes and compared in constant time on the
way back); the callback exchanges the code through `openid.connect.token` and reads who
signed in through `openid.connect.userInfo`, both at `SLACK_API_URL`. A kiosk opens
`/dashboard?token=...` once: the token is compared in constant time, a kiosk cookie set,
and the browser redirected to the same address without the token.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.settings import DashboardSettings

log = logging.getLogger(__name__)

SESSION_COOKIE = "bsm_session"
STATE_COOKIE = "bsm_oidc"
SESSION_S = 12 * 3600
KIOSK_S = 30 * 86400
STATE_S = 600
SCOPES = "openid profile email"


@dataclass(frozen=True, slots=True)
class Viewer:
    user: str  # a Slack user id, or "kiosk"
    name: str
    kind: str  # "slack" | "kiosk"


class SignInError(Exception):
    """The sign-in did not complete; `str(error)` is fit to show."""


class Access:
    def __init__(self, settings: DashboardSettings, *, api_url: str) -> None:
        self.settings = settings
        self.api_url = api_url
        secret = settings.session_secret
        if secret is None:
            log.warning("BSM_SESSION_SECRET is not set: dashboard sessions end at restart")
            secret = secrets.token_urlsafe(32)
        self._signer = URLSafeTimedSerializer(secret, salt="bsm-dashboard")

    # -- sessions --------------------------------------------------------------------------
    def viewer(self, request: Request) -> Viewer | None:
        found = self._read(request.cookies.get(SESSION_COOKIE), KIOSK_S)
        if not isinstance(found, dict) or not isinstance(found.get("u"), str):
            return None
        kind = found.get("k")
        if kind == "kiosk" and not self.settings.token:
            return None  # the kiosk token was withdrawn
        if kind == "slack" and self._read(request.cookies.get(SESSION_COOKIE), SESSION_S) is None:
            return None  # a person's session lasts less than a kiosk's
        return Viewer(found["u"], str(found.get("n") or found["u"]), str(kind))

    def sign_in(self, response: Response, request: Request, viewer: Viewer) -> Response:
        value = self._signer.dumps({"u": viewer.user, "n": viewer.name, "k": viewer.kind})
        max_age = KIOSK_S if viewer.kind == "kiosk" else SESSION_S
        self._cookie(response, request, SESSION_COOKIE, value, max_age)
        return response

    def sign_out(self, response: Response) -> Response:
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- kiosk -----------------------------------------------------------------------------
    def kiosk(self, request: Request) -> Response | None:
        """For a request carrying `?token=`: the redirect that signs the kiosk in (or None
        when the token is wrong or kiosks are off)."""
        given = request.query_params.get("token", "")
        expected = self.settings.token
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return None
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + (f"?{urlencode(kept)}" if kept else "")
        response = RedirectResponse(target, status_code=303)
        return self.sign_in(response, request, Viewer("kiosk", "Wall screen", "kiosk"))

    # -- Slack OpenID Connect --------------------------------------------------------------
    def authorize(self, request: Request, redirect_uri: str, next_path: str) -> Response:
        """The redirect to Slack's authorize page, with a fresh state remembered in a cookie."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
        query = urlencode(
            {
                "response_type": "code",
                "scope": SCOPES,
                "client_id": self.settings.client_id or "",
                "state": state,
                "nonce": nonce,
                "redirect_uri": redirect_uri,
            }
        )
        response = RedirectResponse(f"{self.settings.authorize_url}?{query}", status_code=303)
        kept = self._signer.dumps({"s": state, "next": _local(next_path)})
        self._cookie(response, request, STATE_COOKIE, kept, STATE_S)
        return response

    async def callback(self, request: Request, redirect_uri: str) -> tuple[Viewer, str]:
        """The viewer Slack signed in and where to go next; `SignInError` otherwise."""
        if request.query_params.get("error"):
            raise SignInError(f"Slack refused the sign-in: {request.query_params['error']}")
        kept = self._read(request.cookies.get(STATE_COOKIE), STATE_S)
        state = request.query_params.get("state", "")
        if not isinstance(kept, dict) or not hmac.compare_digest(
            str(kept.get("s", "")).encode(), state.encode()
        ):
            raise SignInError("the sign-in state does not match: start again from the dashboard")
        code = request.query_params.get("code", "")
        if not code:
            raise SignInError("Slack sent no code: start again from the dashboard")
        viewer = await run_in_threadpool(self._exchange, code, redirect_uri)
        return viewer, _local(str(kept.get("next") or "/dashboard"))

    def _exchange(self, code: str, redirect_uri: str) -> Viewer:
        client = WebClient(base_url=self.api_url)
        try:
            token = client.openid_connect_token(
                client_id=self.settings.client_id or "",
                client_secret=self.settings.client_secret or "",
                code=code,
                redirect_uri=redirect_uri,
            )
            access_token = str(token["access_token"])
            info = WebClient(token=access_token, base_url=self.api_url).openid_connect_userInfo()
        except SlackApiError as error:
            raise SignInError(
                f"Slack refused the sign-in ({error.response.get('error')})"
            ) from None
        except Exception as error:  # unreachable Slack, a malformed answer
            log.warning("sign-in with Slack failed: %s", type(error).__name__)
            raise SignInError("Slack could not be reached to complete the sign-in") from None
        user = info.get("https://slack.com/user_id") or info.get("sub")
        if not isinstance(user, str) or not user:
            raise SignInError("Slack did not say who signed in")
        return Viewer(user, str(info.get("name") or user), "slack")

    # -- parts -----------------------------------------------------------------------------
    def _read(self, value: str | None, max_age: int) -> Any:
        if not value:
            return None
        try:
            return self._signer.loads(value, max_age=max_age)
        except BadSignature:  # includes SignatureExpired
            return None

    def _cookie(
        self, response: Response, request: Request, name: str, value: str, max_age: int
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )


def _local(path: str) -> str:
    """Only a path of this dashboard may be a redirect target (no open redirect)."""
    if path.startswith("/dashboard") and not path.startswith("//") and "\\" not in path:
        return path
    return "/dashboard"
