"""Signed Slack requests, built the way Slack builds them (form bodies, JSON events)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from fake_slack import BOT_USER_ID, TEAM_ID
from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "8f742231b10e8888abcd99aaaabbb85a"
_ids = itertools.count(1)


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, content_type: str
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }


class SlackPayloads:
    """Bodies (and signed headers) for commands, events and button clicks."""

    def __init__(self, response_url: str, secret: str = SIGNING_SECRET) -> None:
        self.response_url = response_url
        self.secret = secret

    def command(self, text: str, *, user: str = "U0USER1", channel: str = "C0CHAN1") -> str:
        return urlencode(
            {
                "token": "legacy",
                "team_id": TEAM_ID,
                "channel_id": channel,
                "user_id": user,
                "command": "/bsm",
                "text": text,
                "response_url": self.response_url,
                "trigger_id": f"1.2.{next(_ids)}",  # unique, as Slack's are
            }
        )

    def event(self, event: dict[str, Any], *, event_id: str | None = None) -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM_ID,
                "api_app_id": "A0APP1",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(_ids):08d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
                "event": event,
            }
        )

    def mention(
        self, text: str, *, channel: str = "C0CHAN1", ts: str = "1699999999.000100"
    ) -> dict[str, Any]:
        return {
            "type": "app_mention",
            "user": "U0USER1",
            "text": f"<@{BOT_USER_ID}> {text}",
            "channel": channel,
            "ts": ts,
            "event_ts": ts,
        }

    def dm(self, text: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "message",
            "channel_type": "im",
            "user": "U0USER1",
            "text": text,
            "channel": "D0DM0001",
            "ts": "1699999999.000200",
            "event_ts": "1699999999.000200",
            **extra,
        }

    def home_opened(self, user: str = "U0USER1") -> dict[str, Any]:
        return {"type": "app_home_opened", "user": user, "channel": "D0DM0001", "tab": "home"}

    def click(self, action_id: str, value: str, *, channel: str = "C0CHAN1") -> str:
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID},
            "user": {"id": "U0USER1", "team_id": TEAM_ID},
            "api_app_id": "A0APP1",
            "container": {"type": "message", "channel_id": channel, "is_ephemeral": True},
            "channel": {"id": channel},
            "trigger_id": f"1.2.{next(_ids)}",
            "response_url": self.response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "bsm.actions",
                    "value": value,
                    "action_ts": "1700000000.1",
                }
            ],
        }
        return urlencode({"payload": json.dumps(payload)})

    def headers(self, body: str, **kw: Any) -> dict[str, str]:
        kind = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
        return signed_headers(body, secret=self.secret, content_type=kind, **kw)

    def bolt_request(self, body: str, *, retry: int | None = None, **kw: Any) -> BoltRequest:
        headers = self.headers(body, **kw)
        if retry is not None:
            headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
        return BoltRequest(body=body, headers=headers)
