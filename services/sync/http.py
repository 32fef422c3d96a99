"""HTTP for sync sources: timeouts, retries with backoff, errors that name the URL."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from services.sync.errors import SourceResponseError, SourceUnreachable

RETRIED_STATUS = {429, 502, 503, 504}
Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class SourceClient:
    """GETs JSON or text from one source with a bounded number of retries.

    `sleep` is injectable so tests do not wait; `token` becomes a Bearer header.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": "bsm-bot-sync"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(
            timeout=timeout, headers=headers, transport=transport, follow_redirects=True
        )
        self.retries, self.backoff, self.sleep = retries, backoff, sleep

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> SourceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, url: str, params: Params = None, *, missing_ok: bool = False) -> httpx.Response:
        """The response to GET `url`; raises `SourceUnreachable` / `SourceResponseError`.

        With `missing_ok` a 404 or 405 is returned instead of raised.
        """
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.client.get(url, params=_pairs(params))
            except httpx.HTTPError as error:
                if last:
                    raise SourceUnreachable(
                        f"cannot reach {url}: {type(error).__name__} {error} "
                        f"(after {attempt + 1} attempts); check the URL and that the service is up"
                    ) from None
            else:
                if missing_ok and response.status_code in (404, 405):
                    return response
                if response.status_code not in RETRIED_STATUS or last:
                    return _checked(url, response)
            self.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def get_json(self, url: str, params: Params = None, *, missing_ok: bool = False) -> Any:
        """The JSON body of GET `url` (None for a 404 when `missing_ok`)."""
        response = self.get(url, params, missing_ok=missing_ok)
        if response.status_code in (404, 405):
            return None
        try:
            return response.json()
        except ValueError:
            snippet = response.text[:120].replace("\n", " ")
            raise SourceResponseError(
                f"{response.url} did not return JSON (starts with {snippet!r}): "
                "is the URL the API endpoint rather than the web UI?"
            ) from None


def _checked(url: str, response: httpx.Response) -> httpx.Response:
    if response.status_code >= 500:
        raise SourceUnreachable(
            f"{response.url} answered HTTP {response.status_code} after retries: "
            "the service is failing, try again later"
        )
    if response.status_code in (401, 403):
        raise SourceResponseError(
            f"{response.url} refused access (HTTP {response.status_code}): "
            "set a token for the source (option token_env names the variable holding it)"
        )
    if response.status_code >= 400:
        raise SourceResponseError(
            f"{response.url} answered HTTP {response.status_code}: check the URL ({url})"
        )
    return response


def _pairs(params: Params) -> list[tuple[str, str | int | float | bool | None]]:
    items = params.items() if isinstance(params, Mapping) else (params or [])
    return [(str(key), str(value)) for key, value in items]
