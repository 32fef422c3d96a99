"""Every command through Slack: what the user reads and what the store holds afterwards."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
from command_chat import ADMIN, OUTSIDER, Chat

from bot.render.notices import ACK_ACTION
from impact.model import State, StatusEvent
from store.alerts import Observation
from store.sync import MapSync
from store.sync_records import SyncSource


def fail(chat: Chat, component: str) -> int:
    """`component` reported down by monitoring; returns the incident it opened."""
    event = StatusEvent(component, State.DOWN, datetime.now(UTC), source="test")
    chat.incidents.ingest([Observation(f"alert-{component}", event)])
    [incident] = chat.incidents.incidents()
    return incident.id


# -- maintenance -------------------------------------------------------------------------


def test_maintenance_add_list_end(chat: Chat) -> None:
    added = chat.text("maintenance db-03 for 2h kernel upgrade")
    [window] = chat.store.maintenance_windows()
    assert f"Maintenance #{window.id} on db-03 until" in added
    assert (window.reason, window.created_by) == ("kernel upgrade", ADMIN)
    assert round((window.end - window.start).total_seconds()) == 7200

    listed = chat.text("maintenance list", user=OUTSIDER)
    assert f"#{window.id} db-03 until" in listed and "kernel upgrade" in listed

    ended = chat.text(f"maintenance end {window.id}")
    assert f"Ended maintenance #{window.id} on db-03" in ended
    assert "No maintenance windows" in chat.text("maintenance list")
    actions = [(e.action, e.actor, e.origin) for e in chat.store.audit_log(limit=2)]
    assert actions == [("maintenance.end", ADMIN, "chat"), ("maintenance.add", ADMIN, "chat")]


def test_maintenance_turns_an_open_incident_planned_at_once(chat: Chat) -> None:
    incident_id = fail(chat, "dns")

    chat.text("maintenance dns for 1h dns migration")

    incident = chat.incidents.incident(incident_id)
    assert incident is not None
    planned = [i for i in chat.incidents.incidents() if i.planned]
    assert planned, "the reconcile after `maintenance` marks the failure as planned work"


def test_malformed_maintenance_gets_the_reason_and_the_usage(chat: Chat) -> None:
    body = chat.command("maintenance db-3 for 2h")
    assert body["text"].startswith("Cannot do that: no component 'db-3' in the map")
    assert "did you mean db-03" in body["text"]
    assert "maintenance db-03 for 2h [reason]" in json.dumps(body["blocks"])
    assert "say for how long" in chat.command("maintenance db-03")["text"]
    assert chat.store.maintenance_windows() == []


# -- incidents ---------------------------------------------------------------------------


def test_incidents_list_and_one_incident_with_its_timeline(chat: Chat) -> None:
    incident_id = fail(chat, "dns")

    listed = chat.text("incidents", user=OUTSIDER)
    assert f"#{incident_id} since" in listed
    assert "Online Checkout down" in listed or "online-checkout down" in listed
    assert "root cause dns" in listed

    shown = chat.text(f"incident #{incident_id}", user=OUTSIDER)
    assert f"Incident #{incident_id} open since" in shown
    assert "*Timeline*" in shown and "*Root cause*" in shown
    assert "No incident #999" in chat.text("incident 999")


def test_acknowledge_button_records_who(chat: Chat) -> None:
    incident_id = fail(chat, "dns")
    body = chat.payloads.click(ACK_ACTION, str(incident_id))
    payload = _payload(body)
    payload["user"]["id"] = OUTSIDER
    signed = urlencode({"payload": json.dumps(payload)})

    assert chat.app.dispatch(chat.payloads.bolt_request(signed)).status == 200

    incident = _wait(lambda: chat.incidents.incident(incident_id))
    assert [user for user, _ in incident.acknowledged] == [OUTSIDER]


def _payload(body: str) -> dict[str, Any]:
    from urllib.parse import parse_qs

    return dict(json.loads(parse_qs(body)["payload"][0]))


def _wait(read: Any) -> Any:
    """Bolt runs the listener after the ack: poll the store briefly for its effect."""
    import time

    deadline = time.monotonic() + 10
    while True:
        found = read()
        if (found is not None and found.acknowledged) or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


# -- map edits ---------------------------------------------------------------------------


def test_link_and_unlink_change_the_next_affects_answer(chat: Chat) -> None:
    question = "what does bastion-01 affect?"
    assert "Online Checkout" not in chat.text(question)

    linked = chat.text("link checkout-api -> bastion-01")
    assert "Linked checkout-api -> bastion-01 (hard)" in linked
    assert "Online Checkout" in chat.text(question)
    [entry] = chat.store.audit_log(limit=1)
    assert (entry.action, entry.actor, entry.origin, entry.target) == (
        "map.link",
        ADMIN,
        "chat",
        "checkout-api",
    )

    unlinked = chat.text("unlnik checkout-api -> bastion-01")
    assert "Unlinked checkout-api -> bastion-01" in unlinked
    assert "Online Checkout" not in chat.text(question)
    assert chat.store.audit_log(limit=1)[0].before == {
        "source": "checkout-api",
        "target": "bastion-01",
        "kind": "hard",
    }


def test_link_soft_and_malformed_links(chat: Chat) -> None:
    version = chat.store.map_version()
    assert "(soft)" in chat.text("link checkout-api -> bastion-01 soft")
    assert "already depends" in chat.text("link checkout-api -> bastion-01 soft")
    assert chat.store.map_version() == version + 1  # the repeat changed nothing

    assert "write the dependency as `A -> B`" in chat.text("unlink checkout-api bastion-01")
    assert "did you mean bastion-01" in chat.text("link checkout-api -> bastoin-01")
    assert "cannot depend on itself" in chat.text("link dns -> dns")


# -- audit -------------------------------------------------------------------------------


def test_audit_lists_changes_and_filters_by_component(chat: Chat) -> None:
    chat.text("maintenance db-03 for 30m")
    chat.text("link checkout-api -> bastion-01")

    everything = chat.text("audit", user=OUTSIDER)
    assert "map.link checkout-api" in everything and "maintenance.add db-03" in everything
    assert f"by <@{ADMIN}> via chat" in everything

    about = chat.text("audit bastion-01", user=OUTSIDER)
    assert "map.link checkout-api" in about and "maintenance.add" not in about
    assert "No recorded changes touching dns" in chat.text("audit dns")


# -- subscriptions -----------------------------------------------------------------------


def test_subscriptions_listing_and_unsubscribe(chat: Chat) -> None:
    chat.text("subscribe to payments")  # no channel: the one it was typed in
    chat.text("subscribe #sre to all")

    listed = chat.text("subscriptions")
    assert "<#C0OPS0001> follows payments" in listed and "#sre follows every business" in listed
    assert "follows payments" in chat.text("subscriptions <#C0OPS0001|ops>")

    assert "Unsubscribed #sre" in chat.text("unsubscribe #sre from everything")
    assert "is not subscribed to tier 2" in chat.text("unsubscribe #sre from tier 2")
    assert [s.selector for s in chat.store.subscriptions()] == ["payments"]
    assert "not a business service" in chat.text("subscribe #ops to db-03")


# -- sync --------------------------------------------------------------------------------


class EdgeList:
    """A loopback HTTP server serving a CSV edge list, as a map in a repository would."""

    def __init__(self, text: str) -> None:
        body = text.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/edges.csv"


@pytest.fixture
def edges() -> Iterator[EdgeList]:
    served = EdgeList("source,target\ncheckout-api,fraud-scoring\n")
    thread = threading.Thread(target=served.httpd.serve_forever, daemon=True)
    thread.start()
    yield served
    served.httpd.shutdown()
    served.httpd.server_close()


def test_sync_dry_run_from_chat_changes_nothing_and_applying_needs_an_admin(
    chat: Chat, edges: EdgeList
) -> None:
    MapSync(chat.store).add_source(SyncSource(name="repo", type="yaml-url", url=edges.url))
    version = chat.store.map_version()

    preview = chat.text("sync repo --dry-run", user=OUTSIDER)
    assert "Dry run of repo: nothing written" in preview
    assert "fraud-scoring" in preview
    assert chat.store.map_version() == version

    assert chat.command("sync repo", user=OUTSIDER)["text"].startswith(
        "Only bsm admins can apply a sync:"
    )
    assert "fraud-scoring" not in chat.store.load_map().components

    assert "Synced repo" in chat.text("sync repo", user=ADMIN)
    assert "fraud-scoring" in chat.store.load_map().components
    assert "repo (yaml-url)" in chat.text("sync list", user=OUTSIDER)
    assert "fraud-scoring" in chat.text("changes since yesterday", user=OUTSIDER)


# -- App Home ----------------------------------------------------------------------------


def test_app_home_shows_an_open_incident_and_republishes_on_change(chat: Chat) -> None:
    event = chat.payloads.event(chat.payloads.home_opened(OUTSIDER))
    chat.app.dispatch(chat.payloads.bolt_request(event))
    [first] = chat.slack.wait_for("views.publish")
    assert "None: all quiet" in json.dumps(first.body["view"])
    assert "SLA this month" in json.dumps(first.body["view"])

    incident_id = fail(chat, "dns")
    assert chat.home.refresh() == 1
    assert chat.home.refresh() == 0  # nothing changed since: no second publish
    [_, second] = chat.slack.wait_for("views.publish", 2)
    view = json.dumps(second.body["view"])
    assert second.body["user_id"] == OUTSIDER
    assert f"#{incident_id} since" in view and "root cause dns" in view
