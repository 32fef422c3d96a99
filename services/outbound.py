"""The one outbound HTTP policy: what the bot may fetch, for how long, and how much of it.

Sync sources, health checks and the Alertmanager poller fetch through `OutboundPolicy.fetch`:

- only http and https URLs; redirects are followed only on the same host (never to another
  host, never from https down to http);
- a total deadline per fetch (connect, headers and every byte of the body), not per read: a
  source trickling a byte at a time is cut when the deadline passes;
- a body cap, read while streaming: a body over it is refused without being held;
- an optional operator allow-list (`BSM_OUTBOUND_ALLOW`: host names, `*.domain`, addresses
  and CIDRs); when set, a URL whose host is outside it is refused before connecting;
- errors say what was wrong (status, content type, size), never what the body says.

    policy = OutboundPolicy(allow=Allowed.parse("10.0.0.0/8, *.corp.example"))
    fetched = policy.fetch(httpx.Client(), "https://catalog.corp.example/api/catalog")
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:  # httpx loads with the first fetch: the policy is read at every start
    import httpx

MIB = 1024 * 1024
DEFAULT_DEADLINE_S = 10.0
DEFAULT_MAX_BYTES = 32 * MIB
DEFAULT_MAX_PAGES = 100
MAX_REDIRECTS = 5
SCHEMES = ("http", "https")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class OutboundError(Exception):
    """A fetch that failed or was refused; `str(error)` names the URL, never the body."""


class OutboundRefused(OutboundError):
    """The policy does not allow this URL (scheme, host, redirect)."""


class OutboundUnreachable(OutboundError):
    """Connection refused, DNS failure, or the deadline passed."""


class OutboundTooLarge(OutboundError):
    """The body is over the cap."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """A moment on the monotonic clock every step of one fetch must finish by."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self.at


@dataclass(frozen=True, slots=True)
class Allowed:
    """The operator's allow-list; empty allows every host."""

    names: tuple[str, ...] = ()  # "host.example" or "*.example"
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> Allowed:
        """Comma- or space-separated names, addresses and CIDRs; ValueError names a bad one."""
        names: list[str] = []
        networks: list[Network] = []
        for item in (text or "").replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                if not _host_pattern(item):
                    raise ValueError(f"{item!r} is no host name, address or CIDR") from None
                names.append(item.lower())
        return cls(tuple(names), tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.names or self.networks)

    def admits(self, host: str, port: int) -> bool:
        """Whether `host` is named in the list or every address it resolves to is in it."""
        host = host.lower().strip("[]")
        if any(_name_matches(pattern, host) for pattern in self.names):
            return True
        addresses = _addresses(host, port)
        return bool(addresses) and all(
            any(address in network for network in self.networks) for address in addresses
        )


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response whose body was read within the policy."""

    url: str
    status_code: int
    content_type: str
    content: bytes = b""
    encoding: str = "utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not (the message holds no body bytes)."""
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            raise ValueError(f"{self.url} did not return JSON") from None


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    deadline_s: float = DEFAULT_DEADLINE_S
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pages: int = DEFAULT_MAX_PAGES
    allow: Allowed = field(default_factory=Allowed)

    def with_deadline(self, seconds: float) -> OutboundPolicy:
        return replace(self, deadline_s=seconds)

    def check(self, url: str) -> None:
        """Raise `OutboundRefused` unless the policy lets the bot connect to `url`."""
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise OutboundRefused(f"{parts.scheme}://{parts.netloc[:80]} has a bad port") from None
        if parts.scheme not in SCHEMES:
            raise OutboundRefused(
                f"{_shown(url)}: only http and https URLs are fetched, not {parts.scheme!r}"
            )
        if not parts.hostname:
            raise OutboundRefused(f"{_shown(url)} names no host")
        if self.allow and not self.allow.admits(parts.hostname, port):
            raise OutboundRefused(
                f"{_shown(url)}: host {parts.hostname} is outside the outbound allow-list "
                "(BSM_OUTBOUND_ALLOW)"
            )

    def fetch(
        self,
        client: httpx.Client,
        url: str,
        params: Params = None,
        *,
        deadline: Deadline | None = None,
        read_body: bool = True,
    ) -> Fetched:
        """GET `url` within the policy; raises an `OutboundError` naming what was wrong."""
        deadline = deadline or Deadline.after(self.deadline_s)
        current, query = url, params
        for _hop in range(MAX_REDIRECTS + 1):
            self.check(current)
            fetched, location = self._once(client, current, query, deadline, read_body)
            if location is None:
                return fetched
            current, query = _same_host(current, location), None
        raise OutboundRefused(f"{_shown(url)} redirected more than {MAX_REDIRECTS} times")

    def _once(
        self, client: httpx.Client, url: str, params: Params, deadline: Deadline, read_body: bool
    ) -> tuple[Fetched, str | None]:
        import httpx

        timeout = httpx.Timeout(max(deadline.remaining(), 0.001))
        request = client.build_request("GET", url, params=_pairs(params), timeout=timeout)
        try:
            response = client.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as error:
            raise _failure(url, error, deadline) from None
        try:
            location = response.headers.get("location") if response.is_redirect else None
            if location is not None:
                return _fetched(response, b""), urljoin(str(response.url), location)
            body = self._body(url, response, deadline) if read_body else b""
            return _fetched(response, body), None
        finally:
            response.close()

    def _body(self, url: str, response: httpx.Response, deadline: Deadline) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url, f"declares {int(declared)} bytes")
        import httpx

        watchdog = threading.Timer(deadline.remaining(), _cut, args=(response,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._stream(url, response, deadline)
        except httpx.HTTPError as error:
            raise _failure(url, error, deadline) from None
        finally:
            watchdog.cancel()

    def _stream(self, url: str, response: httpx.Response, deadline: Deadline) -> bytes:
        body = bytearray()
        for chunk in response.iter_bytes():
            if deadline.passed():
                raise _slow(url, deadline)
            body += chunk
            if len(body) > self.max_bytes:
                raise self._too_large(url, f"sent more than {self.max_bytes} bytes")
        return bytes(body)

    def _too_large(self, url: str, what: str) -> OutboundTooLarge:
        return OutboundTooLarge(
            f"{_shown(url)} {what}, over the {self.max_bytes // MIB} MiB limit: not read"
        )


def _fetched(response: httpx.Response, body: bytes) -> Fetched:
    return Fetched(
        url=str(response.url),
        status_code=response.status_code,
        content_type=response.headers.get("content-type", "").split(";")[0].strip(),
        content=body,
        encoding=response.charset_encoding or "utf-8",
        headers=dict(response.headers),
    )


def _same_host(url: str, location: str) -> str:
    before, after = urlsplit(url), urlsplit(location)
    if (after.hostname or "").lower() != (before.hostname or "").lower():
        raise OutboundRefused(
            f"{_shown(url)} redirected to another host: redirects are followed on the same "
            "host only; use the final URL if you trust it"
        )
    if before.scheme == "https" and after.scheme != "https":
        raise OutboundRefused(f"{_shown(url)} redirected from https to {after.scheme!r}")
    return location


def _cut(response: httpx.Response) -> None:
    """Shut the socket under a response whose deadline passed, waking a blocked read."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _failure(url: str, error: httpx.HTTPError, deadline: Deadline) -> OutboundError:
    import httpx

    if deadline.passed() or isinstance(error, httpx.TimeoutException):
        return _slow(url, deadline)
    return OutboundUnreachable(f"cannot reach {_shown(url)}: {type(error).__name__}")


def _slow(url: str, deadline: Deadline) -> OutboundUnreachable:
    return OutboundUnreachable(
        f"{_shown(url)} did not answer in full within {deadline.seconds:g}s: cut at the deadline"
    )


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _name_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def _host_pattern(item: str) -> bool:
    name = item[2:] if item.startswith("*.") else item
    return bool(name) and all(part.isalnum() or "-" in part for part in name.split("."))


def _shown(url: str) -> str:
    """The URL without its query and credentials, at most 200 characters."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"[:200]


def _pairs(params: Params) -> list[tuple[str, str | int | float | bool | None]]:
    items = params.items() if isinstance(params, Mapping) else (params or [])
    return [(str(key), str(value)) for key, value in items]
