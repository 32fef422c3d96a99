"""A WebClient for tests that returns only once the fake Slack has recorded the call."""

from __future__ import annotations

from fake_slack import FakeSlack
from slack_sdk import WebClient


class SettledClient(WebClient):
    """A WebClient that returns only once the fake Slack has recorded the call.

    The fake records a call just after answering it; without this, a test that reads the
    fake right after `drain()` could miss the last call.
    """

    def __init__(self, slack: FakeSlack, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._slack = slack

    def api_call(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        before = len(self._slack.calls())
        try:
            return super().api_call(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with self._slack._changed:
                self._slack._changed.wait_for(lambda: len(self._slack._calls) > before, 5)


def slack_client(slack: FakeSlack) -> WebClient:
    return SettledClient(slack, token="xoxb-test", base_url=slack.api_url)
