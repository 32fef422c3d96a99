"""Sending an SLA compliance report to a person: the PDF, uploaded to their direct messages.

The file goes through Slack's external upload flow (files.getUploadURLExternal -> POST the
bytes to the returned URL -> files.completeUploadExternal), which `files_upload_v2` drives,
into the asker's DM channel (conversations.open).
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.render.report import pdf_bytes
from services.reports import ComplianceReport, Deliver, PostReport


def report_filename(report: ComplianceReport) -> str:
    label = "".join(c if c.isalnum() else "-" for c in report.window.label).strip("-")
    return f"sla-report-{label.lower()}.pdf"


def upload_report(client: WebClient, user_id: str, report: ComplianceReport) -> str:
    """Upload the report's PDF to `user_id`'s direct messages; returns the file id."""
    opened: Any = client.conversations_open(users=user_id)
    comment = f"The SLA compliance report for {report.window.label} you asked for."
    return _upload(client, opened["channel"]["id"], report, comment)


def uploader(client: WebClient) -> Deliver:
    """How `services.reports.ReportService` delivers: `upload_report` on `client`."""

    def deliver(user_id: str, channel_id: str | None, report: ComplianceReport) -> str:
        return upload_report(client, user_id, report)

    return deliver


def post_report(client: WebClient, channel: str, report: ComplianceReport) -> str:
    """Upload the report's PDF into `channel` (the monthly report); returns the file id."""
    comment = f"The monthly SLA compliance report for {report.window.label}."
    return _upload(client, channel, report, comment)


def _upload(client: WebClient, channel: str, report: ComplianceReport, comment: str) -> str:
    response: Any = client.files_upload_v2(
        channel=channel,
        file=pdf_bytes(report),
        filename=report_filename(report),
        title=f"SLA compliance report, {report.window.label}",
        initial_comment=comment,
    )
    files = response.get("files") or [response.get("file") or {}]
    return str(files[0].get("id", ""))


def channel_poster(client: WebClient) -> PostReport:
    """How `services.reports.MonthlyReports` posts: `post_report` on `client`."""

    def post(channel: str, report: ComplianceReport) -> str:
        return post_report(client, channel, report)

    return post
