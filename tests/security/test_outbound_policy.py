"""The one outbound HTTP policy against hostile loopback servers (issue 13, findings 3, 4, 7).

Sync sources, health checks and pollers fetch through `services.outbound.OutboundPolicy`:
redirects stay on the same host, one total deadline per fetch, a body cap, a page cap,
the operator's allow-list; no remote byte reaches a chat answer.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # fake_slack, payloads
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "commands"))  # command_chat
sys.path.insert(0, str(Path(__file__).resolve().parent))  # outbound_servers

from command_chat import ADMIN, Chat
from fake_slack import FakeSlack
from outbound_servers import SECRET, answer, endless, redirect, serving, trickle
from slack_payloads import SIGNING_SECRET, SlackPayloads

from bot.app import Deps, build_client, create_app
from bot.home import HomeDashboard, HomePanels
from handlers.access import AccessPolicy, Admins
from handlers.conversation import Conversation
from services.digests import DigestService
from services.incidents import Incidents
from services.model import ModelService
from services.outbound import MIB, OutboundPolicy
from services.sync import SourceError, run_sync
from services.sync.errors import SourceResponseError, SourceUnreachable
from services.sync.http import SourceClient
from store import Store

MAP = b"version: 1\ncomponents:\n  - name: web\n    depends_on: [api]\n  - name: api\n"


@pytest.fixture
def chat(demo_store: Store) -> Iterator[Chat]:
    from bot.settings import Settings

    with FakeSlack() as slack:
        settings = Settings(
            bot_token="xoxb-test", signing_secret=SIGNING_SECRET, api_url=slack.api_url
        )
        models = ModelService(demo_store)
        incidents = Incidents(demo_store, models)
        digests = DigestService(demo_store, models)
        access = AccessPolicy(Admins(users=(ADMIN,)))
        conversation = Conversation(models, incidents=incidents, access=access, digests=digests)
        client = build_client(settings)
        home = HomeDashboard(conversation, client=client, panels=HomePanels(incidents, digests))
        app = create_app(settings, Deps(conversation, home=home, desk=incidents), client=client)
        payloads = SlackPayloads(slack.response_url("r1"))
        yield Chat(app, slack, payloads, conversation, demo_store, incidents, home)


def quick(**policy: Any) -> SourceClient:
    return SourceClient(policy=OutboundPolicy(**policy), retries=2, sleep=lambda _s: None)


def test_outbound_redirect_to_another_host_is_refused_and_never_quoted(chat: Chat) -> None:
    with serving(answer(200, SECRET)) as (inside, inside_seen):
        other = inside.replace("127.0.0.1", "localhost")  # the same machine, another host name
        with serving(redirect(f"{other}/secret")) as (source, _seen):
            text = chat.text(f"sync {source}/api/dependencies --dry-run")

    assert "redirected to another host" in text
    assert "INTERNAL-ONLY" not in text and "aws_secret" not in text
    assert inside_seen == []  # never fetched at all


def test_outbound_non_json_body_is_described_not_quoted(chat: Chat) -> None:
    with serving(answer(200, SECRET)) as (source, _seen):
        text = chat.text(f"sync {source}/api/dependencies --dry-run")

    assert f"did not return JSON (HTTP 200, text/plain, {len(SECRET)} bytes)" in text
    assert "INTERNAL-ONLY" not in text and "aws_secret" not in text


def test_outbound_redirect_on_the_same_host_is_followed(store: Store) -> None:
    def handle(request: Any) -> None:
        target = answer(200, MAP) if request.path == "/maps/shop.yaml" else None
        (target or redirect("/maps/shop.yaml"))(request)

    with serving(handle) as (source, seen), quick() as client:
        report = run_sync(store, f"{source}/old/shop.yaml", dry_run=True, client=client)

    assert set(report.discovery.service_map.components) == {"web", "api"}
    assert seen == ["/old/shop.yaml", "/maps/shop.yaml"]


def test_outbound_trickling_source_is_cut_at_the_total_deadline(store: Store) -> None:
    started = time.monotonic()
    with serving(trickle(every_s=0.2, for_s=6)) as (source, seen), quick() as client:
        client.policy = client.policy.with_deadline(1.0)
        with pytest.raises(SourceUnreachable, match=r"within 1s: cut at the deadline"):
            run_sync(store, f"{source}/api/dependencies", dry_run=True, client=client)
        elapsed = time.monotonic() - started

    assert elapsed < 2.0, f"a 1 s deadline held the caller {elapsed:.1f} s"
    assert len(seen) == 1  # the deadline covers the retries too


def test_outbound_oversized_body_is_cut_at_the_cap_without_holding_it(store: Store) -> None:
    tracemalloc.start()
    try:
        with (
            serving(endless(256 * MIB)) as (source, _seen),
            quick(max_bytes=8 * MIB) as client,
            pytest.raises(SourceResponseError, match=r"over the 8 MiB limit: not read"),
        ):
            run_sync(store, f"{source}/api/dependencies", dry_run=True, client=client)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 32 * MIB, f"peak {peak / MIB:.0f} MiB for an 8 MiB cap on a 256 MiB body"


def test_outbound_declared_oversized_body_is_refused_before_reading(chat: Chat) -> None:
    def handle(request: Any) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(300 * MIB))
        request.end_headers()
        request.wfile.write(SECRET)

    with serving(handle) as (source, _seen):
        text = chat.text(f"sync {source}/api/dependencies --dry-run")

    assert f"declares {300 * MIB} bytes, over the 32 MiB limit" in text
    assert "INTERNAL-ONLY" not in text


def test_outbound_backstage_endless_pages_stop_at_the_page_cap(store: Store) -> None:
    def handle(request: Any) -> None:
        number = len(seen)
        entity = {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": f"svc-{number}"},
            "spec": {"type": "service", "lifecycle": "production", "owner": "team"},
        }
        more = {"nextCursor": f"c{number}"} if number < 400 else {}  # main would read 400
        body = httpx.Response(200, json={"items": [entity], "pageInfo": more}).content
        answer(200, body, "application/json")(request)

    with (
        serving(handle) as (source, seen),
        quick() as client,
        pytest.raises(SourceResponseError, match=r"more than 100 pages: stopped reading"),
    ):
        run_sync(store, f"{source}/api/catalog", dry_run=True, client=client)

    assert len(seen) == 100


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1:70/1"])
def test_outbound_check_urls_must_be_http_for_the_importer(store: Store, url: str) -> None:
    from store import MapValidationError, parse_map

    text = f"version: 1\ncomponents:\n  - name: web\n  - name: api\n    check: {{url: '{url}'}}\n"
    with pytest.raises(MapValidationError) as raised:
        store.import_map(parse_map(text), actor="alice")

    scheme = url.split(":")[0]
    assert f"components[1].check.url: check url must be http:// or https://, not '{scheme}'" in (
        str(raised.value)
    )
    assert store.map_version() == 0


def test_outbound_allow_list_refuses_a_host_outside_it(store: Store) -> None:
    from bot.settings import Settings, SettingsError
    from services.sync.runner import SourceAccess

    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16}
    outside = Settings.from_env(env | {"BSM_OUTBOUND_ALLOW": "10.0.0.0/8, *.corp.example"})
    inside = Settings.from_env(env | {"BSM_OUTBOUND_ALLOW": "127.0.0.0/8"})
    with serving(answer(200, MAP)) as (source, seen):
        with pytest.raises(SourceError, match=r"host 127.0.0.1 is outside the outbound allow"):
            run_sync(
                store, f"{source}/m.yaml", dry_run=True, tokens=SourceAccess({}, outside.outbound)
            )
        assert seen == []  # refused before connecting
        report = run_sync(
            store, f"{source}/m.yaml", dry_run=True, tokens=SourceAccess({}, inside.outbound)
        )

    assert set(report.discovery.service_map.components) == {"web", "api"}
    with pytest.raises(SettingsError, match="BSM_OUTBOUND_ALLOW"):
        Settings.from_env(env | {"BSM_OUTBOUND_ALLOW": "not/a/host"})
