"""Sending an SLA compliance report to a person: the PDF, uploaded to their direct messages;
the monthly SLA report and risk register PDFs, uploaded into channels.

The file goes through Slack's external upload flow (files.getUploadURLExternal -> POST the
bytes to the returned URL -> files.completeUploadExternal), which `files_upload_v2` drives,
into the asker's DM channel (conversations.open).
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.render.report import pdf_bytes, print_pdf, risks_html
from services.reports import ComplianceReport, Deliver, PostReport, PostRisks, RiskRegister


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
    title = f"SLA compliance report, {report.window.label}"
    return _send_file(client, channel, pdf_bytes(report), report_filename(report), title, comment)


def _send_file(
    client: WebClient, channel: str, data: bytes, filename: str, title: str, comment: str
) -> str:
    """One file through the external upload flow; returns its id."""
    response: Any = client.files_upload_v2(
        channel=channel, file=data, filename=filename, title=title, initial_comment=comment
    )
    files = response.get("files") or [response.get("file") or {}]
    return str(files[0].get("id", ""))


def channel_poster(client: WebClient) -> PostReport:
    """How `services.reports.MonthlyReports` posts: `post_report` on `client`."""

    def post(channel: str, report: ComplianceReport) -> str:
        return post_report(client, channel, report)

    return post


def risk_filename(register: RiskRegister) -> str:
    label = "".join(c if c.isalnum() else "-" for c in register.window.label).strip("-")
    return f"risk-register-{label.lower()}.pdf"


def post_risks(client: WebClient, channel: str, register: RiskRegister) -> str:
    """Upload the month's risk register PDF into `channel`; returns the file id."""
    html = risks_html(register.risks, as_of=register.window.end, days=register.days)
    label = register.window.label
    comment = f"The monthly risk register for {label}."
    title = f"Risk register, {label}"
    return _send_file(client, channel, print_pdf(html), risk_filename(register), title, comment)


def risk_poster(client: WebClient) -> PostRisks:
    """How `services.reports.MonthlyReports` posts the risk register: `post_risks`."""

    def post(channel: str, register: RiskRegister) -> str:
        return post_risks(client, channel, register)

    return post
