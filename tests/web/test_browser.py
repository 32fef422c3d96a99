"""The dashboard in a real headless Chromium, against `bsm serve` over the demo map.

Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromedriver`): skipped when
they are missing, unless BSM_REQUIRE_CHROMIUM=1 (CI), where that is a failure. Every page
is checked with axe-core (vendored, see vendor/README.md) for serious or critical
violations and saved as a screenshot under BSM_TEST_ARTIFACTS (default tests/artifacts/).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_slack import FakeSlack
from served import bsm_serve
from webkit import HERE, KIOSK, OUTAGE, REPO, demo_store, serve_env

from impact.model import State, StatusEvent
from store import Store

pytestmark = pytest.mark.slow
CHROMEDRIVER = "/usr/bin/chromedriver"
WEBHOOK_TOKEN = "webhook-token-for-browser-tests"
WAIT_S = 20.0
INTERNALS = ("payment-gateway", "db-01", "payments-api", "checkout-team", "#inc-payments")


def _browser_missing() -> str | None:
    if not Path(CHROMEDRIVER).exists() or not (
        shutil.which("chromium") or shutil.which("chromium-browser")
    ):
        return "Debian's chromium and chromium-driver are not installed (apt-get install them)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def artifacts() -> Path:
    where = Path(os.environ.get("BSM_TEST_ARTIFACTS") or REPO / "tests" / "artifacts")
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("BSM_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"BSM_REQUIRE_CHROMIUM=1 but {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.add_argument("--window-size=1400,1100")
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The demo map with the demo's four weeks of generated history (as `bsm demo` writes
    it), then every component reported ok: SLA figures and daily bars have data, and the
    outage below starts from a healthy map."""
    from store import generate_history

    store = demo_store(tmp_path_factory.mktemp("browser"))
    now = datetime.now(UTC)
    history = generate_history(store.load_map(), end=now - timedelta(hours=2), days=28)
    store.record_events(history.events)
    for window in history.maintenance:
        if window.end < now - timedelta(hours=1):
            store.add_maintenance(window)
    sweep = now - timedelta(hours=1)
    names = [c.name for c in store.load_map().components.values() if not c.is_business]
    store.record_events([StatusEvent(n, State.OK, sweep, source="demo") for n in names])
    return store


@pytest.fixture(scope="module")
def server(browser: Any, database: Store) -> Iterator[str]:
    with FakeSlack() as fake:
        env = serve_env(
            fake.api_url,
            database,
            BSM_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
            BSM_DASHBOARD_PUBLIC="1",
        )
        with bsm_serve(env) as url:
            yield url


def wait(driver: Any, condition: Any, what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(condition, what)


def tile_state(driver: Any, name: str) -> str | None:
    """A tile's state, read in one script call (live updates replace tile elements)."""
    found = driver.execute_script(
        "const t = document.getElementById(arguments[0]); return t ? t.dataset.state : null;",
        f"tile-{name}",
    )
    return None if found is None else str(found)


def check_page(driver: Any, artifacts: Path, name: str) -> None:
    """Screenshot, then axe-core: no serious or critical violation."""
    driver.save_screenshot(str(artifacts / f"{name}.png"))
    driver.execute_script((HERE / "vendor" / "axe.min.js").read_text("utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(JSON.stringify(r.violations)),"
        " e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e)}])));"
    )
    bad = [v for v in json.loads(result) if v.get("impact") in ("serious", "critical")]
    summary = [
        (v["id"], v["impact"], v.get("help"), [n.get("target") for n in v.get("nodes", [])][:3])
        for v in bad
    ]
    assert not bad, f"{name}: accessibility violations {summary}"


def record(store: Store, names: tuple[str, ...], state: State) -> None:
    at = datetime.now(UTC)
    store.record_events(
        [StatusEvent(n, state, at, source="demo", summary="demo outage") for n in names]
    )


def test_anonymous_is_refused(browser: Any, server: str, artifacts: Path) -> None:
    browser.get(f"{server}/dashboard")
    assert "/dashboard/signin" in browser.current_url
    assert "Sign in" in browser.title
    assert 'id="tiles"' not in browser.page_source
    check_page(browser, artifacts, "signin")


def test_kiosk_token_signs_in_and_drops_the_token(
    browser: Any, server: str, artifacts: Path
) -> None:
    browser.get(f"{server}/dashboard?token={KIOSK}")
    wait(browser, lambda d: tile_state(d, "payments") is not None, "the tiles")
    assert browser.current_url == f"{server}/dashboard"
    assert "token" not in browser.current_url
    assert tile_state(browser, "payments") == "ok"
    check_page(browser, artifacts, "overview-healthy")


def test_the_demo_outage_shows_live(
    browser: Any, server: str, database: Store, artifacts: Path
) -> None:
    browser.get(f"{server}/dashboard")
    wait(browser, lambda d: "on" in d.find_element("id", "live-status").text, "the live stream")
    browser.execute_script("window.notReloaded = true;")
    record(database, OUTAGE, State.DOWN)
    # By hand from demo.yaml: payment-gateway takes payments and (through payments-api)
    # online checkout down; db-01 alone leaves orders-db up but degraded, so order
    # fulfilment and internal reporting are degraded; product search is untouched.
    wait(browser, lambda d: tile_state(d, "online-checkout") == "down", "checkout down")
    wait(browser, lambda d: tile_state(d, "order-fulfilment") == "degraded", "fulfilment degraded")
    assert tile_state(browser, "payments") == "down"
    assert tile_state(browser, "internal-reporting") == "degraded"
    assert tile_state(browser, "product-search") == "ok"
    assert browser.execute_script("return window.notReloaded === true;")
    banner = browser.find_element("id", "banner").text
    assert "DOWN" in banner and "2 down" in banner
    check_page(browser, artifacts, "overview-outage")
    browser.get(f"{server}/dashboard?theme=dark")
    wait(browser, lambda d: tile_state(d, "payments") == "down", "dark overview")
    check_page(browser, artifacts, "overview-dark")


def test_an_alert_changes_a_tile_without_reload(browser: Any, server: str) -> None:
    browser.get(f"{server}/dashboard")
    wait(browser, lambda d: "on" in d.find_element("id", "live-status").text, "the live stream")
    browser.execute_script("window.notReloaded = true;")
    assert tile_state(browser, "product-search") == "ok"
    answer = httpx.post(
        f"{server}/webhooks/generic",
        json={"component": "search-api", "state": "down", "summary": "search is down"},
        headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
        timeout=10,
    )
    assert answer.status_code < 300, answer.text
    # product-search depends hard on search-api (demo.yaml).
    wait(browser, lambda d: tile_state(d, "product-search") == "down", "search down")
    assert browser.execute_script("return window.notReloaded === true;")


def test_every_page_renders_and_passes_axe(browser: Any, server: str, artifacts: Path) -> None:
    pages = {
        "service-payments": "/dashboard/services/payments",
        "service-checkout": "/dashboard/services/online-checkout",
        "component-payment-gateway": "/dashboard/components/payment-gateway",
        "incidents": "/dashboard/incidents",
        "whatif": "/dashboard/whatif?components=db-02",
        "notfound": "/dashboard/services/paymnets",
    }
    for name, path in pages.items():
        browser.get(f"{server}{path}")
        assert browser.find_element("tag name", "h1").text, name
        check_page(browser, artifacts, name)
    assert "Did you mean" in browser.page_source


def test_public_page_leaks_no_internals(browser: Any, server: str, artifacts: Path) -> None:
    browser.delete_all_cookies()
    browser.get(f"{server}/status")
    source = browser.page_source
    assert "Online Checkout" in source and "DOWN" in source
    for internal in INTERNALS:
        assert internal not in source, internal
    assert "$" not in source
    check_page(browser, artifacts, "public")
