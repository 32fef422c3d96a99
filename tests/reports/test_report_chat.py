""" "report ..." in Slack: signed slash command -> Bolt -> the work pool -> the PDF uploaded
to the asker's DM through the external upload flow of the fake Slack (loopback)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # fake_slack, payloads

from fake_slack import FakeSlack
from slack_payloads import SIGNING_SECRET, SlackPayloads

from bot.app import Deps, build_client, create_app
from bot.report_delivery import uploader
from bot.settings import Settings
from bot.work import WorkPool
from handlers.conversation import Conversation
from handlers.report_answers import report_window
from services.model import ModelService
from services.reports import ReportService
from store import Store


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def pool() -> Iterator[WorkPool]:
    made = WorkPool(workers=2, queued=4)
    yield made
    made.shutdown(wait=False)


class HeldReports(ReportService):
    """The report service, held at a gate so the test sees the listener return first."""

    def __init__(self, *args, gate: threading.Event, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.gate, self.threads = gate, []  # type: ignore[var-annotated]

    def send(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.threads.append(threading.current_thread().name)
        assert self.gate.wait(10), "the test never opened the gate"
        return super().send(*args, **kwargs)


def test_report_from_slack_uploads_the_pdf_to_the_asker(
    report_store: Store, slack: FakeSlack, pool: WorkPool
) -> None:
    settings = Settings(bot_token="xoxb-test", signing_secret=SIGNING_SECRET, api_url=slack.api_url)
    client = build_client(settings)
    models = ModelService(report_store)
    gate = threading.Event()
    reports = HeldReports(report_store, models, deliver=uploader(client), gate=gate)
    conversation = Conversation(models, reports=reports)
    app = create_app(settings, Deps(conversation=conversation, work=pool), client=client)
    payloads = SlackPayloads(slack.response_url("r1"))

    response = app.dispatch(payloads.bolt_request(payloads.command("sla report for shop 2026-11")))
    assert response.status == 200
    assert "Working on it" in str(response.body)  # acked while the report is being built
    assert slack.calls("files.getUploadURLExternal") == []
    gate.set()

    [opened] = slack.wait_for("conversations.open")
    assert opened.body["users"] == "U0USER1"
    [ask] = slack.wait_for("files.getUploadURLExternal")
    [upload] = slack.wait_for("upload")
    [done] = slack.wait_for("files.completeUploadExternal")
    assert ask.body["filename"] == "sla-report-november-2026.pdf"
    assert int(upload.headers["content-length"]) == int(ask.body["length"]) > 1000
    assert done.body["channel_id"] == "DU0USER1"  # the asker's direct messages
    assert done.body["files"][0]["title"] == "SLA compliance report, November 2026"
    [reply] = slack.wait_for("response_url")
    assert "SLA report for November 2026 (1 business service) sent to you" in reply.body["text"]
    assert reports.threads and not reports.threads[0].startswith("MainThread")


@pytest.mark.parametrize(
    ("period", "label"),
    [
        ("october", "October 2026"),
        ("december", "December 2025"),  # December 2026 has not come yet on 2026-11-18
        ("last-quarter", "Q3 2026"),
        ("this-year", "2026"),
        ("2026-q4", "Q4 2026"),
        (None, "October 2026"),  # a report without a period: last month
    ],
)
def test_report_periods_in_chat(period: str | None, label: str) -> None:
    now = datetime(2026, 11, 18, 10, tzinfo=UTC)
    assert report_window(period, now).label == label
