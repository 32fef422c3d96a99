"""The Starlette adapter runs Bolt off the event loop: a slow dispatch stalls no other request.

Bolt's `App.dispatch` is synchronous, and it does blocking work before it answers (the
signature check, middleware such as the redelivery check, which asks the database). Run on
the event loop, one slow dispatch would hold /healthz and every webhook behind it; the
adapter in `bot/server.py` runs it in the thread pool instead. This holds a dispatch at a
gate and asks /healthz meanwhile.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
from slack_payloads import SlackPayloads
from slack_sdk import WebClient

from bot.app import Deps, create_app
from bot.server import create_server
from bot.settings import Settings


class GatedDedup:
    """A redelivery check that blocks, as a slow database would, until the test opens it."""

    def __init__(self) -> None:
        self.entered, self.gate = threading.Event(), threading.Event()

    def first_delivery(self, event_id: str) -> bool:
        self.entered.set()
        if not self.gate.wait(10):
            raise TimeoutError("the test never opened the gate")
        return True


def test_health_answers_while_a_slack_dispatch_is_held(
    settings: Settings, client: WebClient, payloads: SlackPayloads, scripted_app
) -> None:
    _, script = scripted_app
    dedup = GatedDedup()
    server = create_server(create_app(settings, Deps(script, dedup), client=client))
    body = payloads.event(payloads.mention("what does db-03 affect?"))

    async def scenario() -> tuple[int, int, bool]:
        transport = httpx.ASGITransport(app=server)
        async with httpx.AsyncClient(transport=transport, base_url="http://bsm") as http:
            slack = asyncio.create_task(
                http.post("/slack/events", content=body, headers=payloads.headers(body))
            )
            await asyncio.to_thread(dedup.entered.wait, 10)
            health = await asyncio.wait_for(http.get("/healthz"), timeout=5)
            still_held = not slack.done()
            dedup.gate.set()
            return health.status_code, (await slack).status_code, still_held

    health, slack, still_held = asyncio.run(scenario())
    assert (health, slack, still_held) == (200, 200, True)
