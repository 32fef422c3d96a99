"""Who may see the dashboard: kiosks, Slack sign-in through the fake Slack, the public page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fake_slack import OIDC_CLIENT, FakeSlack, oidc_authorize_url
from webkit import KIOSK, OUTAGE, SECRET, Served, demo_store, parse, serve

from bot.settings import DashboardSettings, Settings, SettingsError
from impact.model import State


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def oidc(tmp_path: Path, slack: FakeSlack) -> Iterator[Served]:
    settings = DashboardSettings(
        session_secret=SECRET,
        client_id=OIDC_CLIENT[0],
        client_secret=OIDC_CLIENT[1],
        authorize_url=oidc_authorize_url(slack),
    )
    found = serve(demo_store(tmp_path), settings, api_url=slack.api_url)
    with found.client:
        yield found


def test_anonymous_browsers_are_sent_to_sign_in(served: Served) -> None:
    answer = served.client.get("/dashboard/services/payments?theme=dark", follow_redirects=False)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/dashboard/signin?")
    assert parse_qs(urlsplit(location).query)["next"] == ["/dashboard/services/payments?theme=dark"]


@pytest.mark.parametrize("path", ["/dashboard/events", "/dashboard/api/overview"])
def test_anonymous_api_and_stream_calls_get_401(served: Served, path: str) -> None:
    assert served.client.get(path).status_code == 401


def test_kiosk_token_signs_in_and_leaves_the_url(served: Served) -> None:
    answer = served.client.get(f"/dashboard?theme=dark&token={KIOSK}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard?theme=dark"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert KIOSK not in answer.headers["set-cookie"]
    assert served.client.get("/dashboard").status_code == 200


def test_a_wrong_kiosk_token_is_refused(served: Served) -> None:
    answer = served.client.get("/dashboard?token=wrong", follow_redirects=False)
    assert answer.status_code == 401
    parse(answer.text)
    assert served.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_forged_cookie_is_anonymous(served: Served) -> None:
    served.client.cookies.set("bsm_session", "eyJ1Ijoia2lvc2sifQ.forged.sig")
    assert served.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_sign_in_with_slack(oidc: Served, slack: FakeSlack) -> None:
    start = oidc.client.get(
        "/dashboard/signin?go=1&next=/dashboard/incidents", follow_redirects=False
    )
    assert start.status_code == 303
    authorize = urlsplit(start.headers["location"])
    query = parse_qs(authorize.query)
    assert query["client_id"] == [OIDC_CLIENT[0]] and query["response_type"] == ["code"]
    assert "openid" in query["scope"][0] and query["state"][0]
    # The browser goes to Slack, which sends it back with a code and the same state.
    back = httpx.get(start.headers["location"], follow_redirects=False)
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    assert parse_qs(callback.query)["state"] == query["state"]
    done = oidc.client.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/incidents"
    [exchange] = slack.calls("openid.connect.token")
    assert exchange.body["code"] == parse_qs(callback.query)["code"][0]
    assert exchange.body["redirect_uri"] == query["redirect_uri"][0]
    assert slack.calls("openid.connect.userInfo")
    page = oidc.client.get("/dashboard")
    assert page.status_code == 200 and "Ada Lovelace" in page.text
    parse(oidc.client.get("/dashboard/signin").text)


def test_sign_in_refuses_a_state_that_does_not_match(oidc: Served, slack: FakeSlack) -> None:
    start = oidc.client.get("/dashboard/signin?go=1", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False)
    callback = urlsplit(back.headers["location"])
    code = parse_qs(callback.query)["code"][0]
    answer = oidc.client.get(f"/dashboard/callback?code={code}&state=forged")
    assert answer.status_code == 400 and "state" in answer.text
    assert not slack.calls("openid.connect.token")  # no code is exchanged on a bad state


def test_sign_in_only_redirects_inside_the_dashboard(oidc: Served) -> None:
    start = oidc.client.get(
        "/dashboard/signin?go=1&next=https://evil.example/", follow_redirects=False
    )
    back = httpx.get(start.headers["location"], follow_redirects=False)
    callback = urlsplit(back.headers["location"])
    done = oidc.client.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert done.headers["location"] == "/dashboard"


def test_without_sign_in_configured_the_page_says_so(served: Served) -> None:
    answer = served.client.get("/dashboard/signin")
    assert answer.status_code == 503 and "SLACK_CLIENT_ID" in answer.text
    parse(answer.text)


def test_public_page_lists_services_and_states_only(tmp_path: Path) -> None:
    settings = DashboardSettings(session_secret=SECRET, public=True)
    found = serve(demo_store(tmp_path), settings)
    with found.client:
        found.record(OUTAGE, State.DOWN)
        page = found.client.get("/status")
        assert page.status_code == 200
        parse(page.text)
        text = page.text
        assert "Online Checkout" in text and "DOWN" in text
        service_map = found.models.current().service_map
        for component in service_map.components.values():
            if not component.is_business:
                assert component.name not in text, component.name
            for secret in (component.owner, component.channel):
                assert not secret or secret not in text, secret
        assert "$" not in text and "revenue" not in text.lower()
        assert found.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_public_page_is_off_by_default(served: Served) -> None:
    assert served.client.get("/status").status_code == 404


def test_settings_read_the_dashboard_block() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "0123456789abcdef",
        "BSM_SESSION_SECRET": SECRET,
        "BSM_DASHBOARD_TOKEN": KIOSK,
        "BSM_DASHBOARD_PUBLIC": "1",
        "SLACK_CLIENT_ID": "1.2",
        "SLACK_CLIENT_SECRET": "s3cret-value",
    }
    settings = Settings.from_env(env)
    assert settings.dashboard.public and settings.dashboard.sign_in
    assert settings.dashboard.authorize_url == "https://slack.com/openid/connect/authorize"
    assert {SECRET, KIOSK, "s3cret-value"} <= set(settings.secrets())
    assert SECRET not in repr(settings)
    with pytest.raises(SettingsError, match="BSM_SESSION_SECRET"):
        Settings.from_env(env | {"BSM_SESSION_SECRET": "short"})
    with pytest.raises(SettingsError, match="BSM_DASHBOARD_PUBLIC"):
        Settings.from_env(env | {"BSM_DASHBOARD_PUBLIC": "maybe"})
