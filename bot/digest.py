"""Posting an SLA digest: the message, then its chart in the message's thread.

The chart is uploaded with Slack's external upload flow (files.getUploadURLExternal ->
POST the bytes -> files.completeUploadExternal), which `files_upload_v2` drives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.render.digest import CHART_NAME, chart_png, render_digest
from impact.digest import Digest


def post_digest(client: WebClient, channel: str, digest: Digest) -> str:
    """Post the digest to `channel`, then its chart in the message's thread; returns the ts."""
    message = render_digest(digest)
    response: Any = client.chat_postMessage(channel=channel, **message.payload())
    ts: str = response["ts"]
    png = chart_png(digest)
    if png is not None:
        client.files_upload_v2(
            channel=response.get("channel") or channel,
            thread_ts=ts,
            file=png,
            filename=CHART_NAME,
            title=f"Availability per day, {digest.window.label}",
        )
    return ts


def poster(client: WebClient) -> Callable[[str, Digest], str]:
    """How `services.digests.DigestService` posts: `post_digest` on `client`."""

    def post(channel: str, digest: Digest) -> str:
        return post_digest(client, channel, digest)

    return post
