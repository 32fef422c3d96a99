"""HTTP for sync sources: the outbound policy, retries with backoff, errors that name the URL.

Every GET goes through `services.outbound.OutboundPolicy`: http(s) only, same-host redirects,
one total deadline per fetch (retries and backoff included), a body cap. Errors name the
URL, the status, the content type or the size; never what the body says.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.outbound import (
    Deadline,
    Fetched,
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    OutboundTooLarge,
    Params,
)
from services.sync.errors import SourceResponseError, SourceUnreachable

if TYPE_CHECKING:  # httpx loads with the first client: chat imports sync at every start
    import httpx

RETRIED_STATUS = {429, 502, 503, 504}


class SourceClient:
    """GETs JSON or text from one source with a bounded number of retries.

    `timeout` is the total deadline of one fetch (default: the policy's); `sleep` is
    injectable so tests do not wait; `token` becomes a Bearer header.
    """

    def __init__(
        self,
        *,
        policy: OutboundPolicy | None = None,
        timeout: float | None = None,
        retries: int = 2,
        backoff: float = 0.5,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        headers = {"Accept": "application/json", "User-Agent": "bsm-bot-sync"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        policy = policy or OutboundPolicy()
        self.policy = policy if timeout is None else policy.with_deadline(timeout)
        self.client = httpx.Client(headers=headers, transport=transport, follow_redirects=False)
        self.retries, self.backoff, self.sleep = retries, backoff, sleep

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> SourceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, url: str, params: Params = None, *, missing_ok: bool = False) -> Fetched:
        """The response to GET `url`; raises `SourceUnreachable` / `SourceResponseError`.

        With `missing_ok` a 404 or 405 is returned instead of raised. The retries share
        one deadline: a slow source costs at most the policy's deadline.
        """
        deadline = Deadline.after(self.policy.deadline_s)
        answered: Fetched | None = None
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                answered = self.policy.fetch(self.client, url, params, deadline=deadline)
            except (OutboundRefused, OutboundTooLarge) as error:
                raise SourceResponseError(str(error)) from None
            except OutboundError as error:
                if last or deadline.passed():
                    raise SourceUnreachable(
                        f"{error} (after {attempt + 1} attempts); "
                        "check the URL and that the service is up"
                    ) from None
            else:
                if missing_ok and answered.status_code in (404, 405):
                    return answered
                if answered.status_code not in RETRIED_STATUS or last:
                    return _checked(url, answered)
            pause = self.backoff * 2**attempt
            if pause >= deadline.remaining():
                return _out_of_time(url, answered)
            self.sleep(pause)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def get_json(self, url: str, params: Params = None, *, missing_ok: bool = False) -> Any:
        """The JSON body of GET `url` (None for a 404 when `missing_ok`)."""
        response = self.get(url, params, missing_ok=missing_ok)
        if response.status_code in (404, 405):
            return None
        try:
            return response.json()
        except ValueError:
            raise SourceResponseError(
                f"{_where(response)} did not return JSON (HTTP {response.status_code}, "
                f"{_kind(response)}, {len(response.content)} bytes): "
                "is the URL the API endpoint rather than the web UI?"
            ) from None


def _out_of_time(url: str, response: Fetched | None) -> Fetched:
    if response is not None:
        return _checked(url, response)
    raise SourceUnreachable(f"cannot reach {url} before the deadline; try again later")


def _checked(url: str, response: Fetched) -> Fetched:
    where = _where(response)
    if response.status_code >= 500:
        raise SourceUnreachable(
            f"{where} answered HTTP {response.status_code} after retries: "
            "the service is failing, try again later"
        )
    if response.status_code in (401, 403):
        raise SourceResponseError(
            f"{where} refused access (HTTP {response.status_code}): "
            "set a token for the source (option token_env names the variable holding it)"
        )
    if response.status_code >= 400:
        raise SourceResponseError(
            f"{where} answered HTTP {response.status_code}: check the URL ({url})"
        )
    if 300 <= response.status_code < 400:
        raise SourceResponseError(f"{where} answered HTTP {response.status_code} with no Location")
    return response


def _where(response: Fetched) -> str:
    return response.url.split("?")[0]


def _kind(response: Fetched) -> str:
    return response.content_type or "no content type"
