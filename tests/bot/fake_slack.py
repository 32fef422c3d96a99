"""A fake Slack on loopback: the Web API, response_url posts, file uploads and Socket Mode.

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        [call] = slack.wait_for("chat.postMessage")
        assert call.body["text"] == "..."

Every request is recorded as a `Call` (method, decoded body, headers, the status answered).
`wait_for` blocks on a condition until enough *delivered* calls arrived, so tests never
sleep. `fail_next` makes the next N calls of a method answer 429 (with Retry-After), 500,
or `{"ok": false, "error": ...}`.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

BOT_USER_ID = "UBOT0001"
TEAM_ID = "T0000001"


@dataclass(frozen=True)
class Call:
    method: str  # Web API method, or "response_url" / "upload"
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    ok: bool
    at: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None


class FakeSlack:
    """The Web API at `api_url`; response URLs from `response_url(name)`."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._changed = threading.Condition()
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self.ws_url: str | None = None
        self.instance = secrets.token_hex(6)
        self.usergroups: dict[str, list[str]] = {}  # usergroups.users.list answers
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    # lifecycle
    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        """The base of every URL this fake hands out, unique to this instance.

        A port freed by an earlier test's fake can be given to this one; a late call from
        that test's threads then carries the other instance's prefix and is refused (404),
        never recorded here.
        """
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{self.instance}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    # test controls
    def fail_next(
        self,
        method: str,
        count: int = 1,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make the next `count` calls of `method` fail (429 + Retry-After, 5xx, or ok=false)."""
        with self._changed:
            self._failures[method].extend([Failure(status, error, retry_after)] * count)

    def reset(self) -> None:
        with self._changed:
            self._calls.clear()
            self._failures.clear()

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call so far (failed ones included), oldest first."""
        with self._changed:
            return [c for c in self._calls if method is None or c.method == method]

    def delivered(self, method: str) -> list[Call]:
        return [c for c in self.calls(method) if c.status == 200 and c.ok]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `count` calls of `method` were delivered; return them."""
        with self._changed:
            done = self._changed.wait_for(lambda: len(self._delivered(method)) >= count, timeout)
            calls = self._delivered(method)
        if not done:
            seen = [(c.method, c.status) for c in self.calls()]
            raise AssertionError(f"expected {count} {method} within {timeout}s; saw {seen}")
        return calls

    def wait_for_attempts(self, method: str, count: int, timeout: float = 10.0) -> list[Call]:
        """Block until `count` calls of `method` were answered, failed ones included.

        A call is recorded after its answer is sent, so a client can see the answer a moment
        before the call is listed: wait here rather than read `calls()` at once.
        """
        with self._changed:
            done = self._changed.wait_for(lambda: len(self.calls(method)) >= count, timeout)
        if not done:
            raise AssertionError(f"expected {count} {method} attempts; saw {self.calls(method)}")
        return self.calls(method)

    def _delivered(self, method: str) -> list[Call]:
        return [c for c in self._calls if c.method == method and c.status == 200 and c.ok]

    # request handling
    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _take_failure(self, method: str) -> Failure | None:
        with self._changed:
            queue = self._failures.get(method)
            return queue.popleft() if queue else None

    def answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """What Slack would answer to a successful call of `method`."""
        answer = _ANSWERS.get(method)
        if answer is None:
            return {"ok": False, "error": "unknown_method"}
        return answer(self, body)

    def next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"


def _auth_test(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": "https://fake.slack.test/",
        "team": "Fake",
        "user": "bsm",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": "BBOT0001",
        "is_enterprise_install": False,
    }


def _post_message(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    ts = slack.next_ts()
    message = {"text": body.get("text"), "ts": ts, "thread_ts": body.get("thread_ts")}
    return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}


def _update(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "channel": body.get("channel"),
        "ts": body.get("ts"),
        "text": body.get("text"),
    }


def _upload_url(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    file_id = f"F{slack.next_ts().replace('.', '')}"
    return {"ok": True, "upload_url": f"{slack.url}/upload/{file_id}", "file_id": file_id}


def _complete_upload(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    files = body.get("files") or []
    return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}


def _connections_open(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    if slack.ws_url is None:
        return {"ok": False, "error": "socket_mode_not_enabled"}
    return {"ok": True, "url": slack.ws_url}


def _usergroup_users(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    users = slack.usergroups.get(body.get("usergroup", ""))
    if users is None:
        return {"ok": False, "error": "no_such_subteam"}
    return {"ok": True, "users": users}


# -- Sign in with Slack (OpenID Connect): the dashboard's sign-in ---------------------------
OIDC_USER = {"sub": "U0OIDC001", "name": "Ada Lovelace", "https://slack.com/team_id": TEAM_ID}
OIDC_CLIENT = ("1234.5678", "client-secret-for-tests")  # (client_id, client_secret) accepted


def oidc_authorize_url(slack: FakeSlack) -> str:
    """Slack's authorize page: answers at once with a redirect carrying a code and the state."""
    return f"{slack.url}/oidc/authorize"


def oidc_credentials(headers: dict[str, str]) -> dict[str, str]:
    """The client id and secret a token exchange sends as HTTP Basic credentials."""
    kind, _, value = headers.get("authorization", "").partition(" ")
    if kind.lower() != "basic":
        return {}
    client_id, _, secret = base64.b64decode(value).decode().partition(":")
    return {"client_id": client_id, "client_secret": secret}


def _oidc_token(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    if (body.get("client_id"), body.get("client_secret")) != OIDC_CLIENT:
        return {"ok": False, "error": "invalid_client_id"}
    if not str(body.get("code", "")).startswith("oidc-code-"):
        return {"ok": False, "error": "invalid_code"}
    return {"ok": True, "access_token": f"xoxp-oidc-{body['code']}", "token_type": "Bearer"}


def _oidc_user_info(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, **OIDC_USER, "https://slack.com/user_id": OIDC_USER["sub"]}


def _oidc_redirect(slack: FakeSlack, query: dict[str, str]) -> str:
    code = f"oidc-code-{next(slack._ts)}"
    return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"


_OIDC_ANSWERS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "openid.connect.token": _oidc_token,
    "openid.connect.userInfo": _oidc_user_info,
}


# -- end of Sign in with Slack ---------------------------------------------------------------
# SLA report files go to the asker's direct messages: conversations.open gives the DM channel.
def _conversations_open(slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    user = str(body.get("users", "")).split(",")[0]
    return {"ok": True, "channel": {"id": f"D{user}"}}


_ANSWERS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.update": _update,
    "chat.postEphemeral": lambda slack, body: {"ok": True, "message_ts": slack.next_ts()},
    "views.publish": lambda slack, body: {"ok": True, "view": {"id": "V0001", **body["view"]}},
    "files.getUploadURLExternal": _upload_url,
    "files.completeUploadExternal": _complete_upload,
    "apps.connections.open": _connections_open,
    "usergroups.users.list": _usergroup_users,
    **_OIDC_ANSWERS,
    "conversations.open": _conversations_open,
}


def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        return json.loads(text) if text else {}
    if "x-www-form-urlencoded" in content_type:
        return {k: _maybe_json(v) for k, v in parse_qsl(text, keep_blank_values=True)}
    return {"content": text}


def _maybe_json(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _handler_for(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            instance, _, path = self.path.lstrip("/").partition("/")
            if instance != slack.instance:  # a call meant for an earlier fake on this port
                self._send(404, {"ok": False, "error": "unknown_instance"}, {})
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = _decode(raw, headers.get("content-type", ""))
            kind, _, rest = path.partition("/")
            method = {"api": rest.split("?")[0], "response": "response_url"}.get(kind, kind)
            if method == "openid.connect.token":
                body |= oidc_credentials(headers)
            failure = slack._take_failure(method)
            status, payload, extra = self._outcome(method, body, failure)
            ok = status == 200 and (payload.get("ok", True) if isinstance(payload, dict) else True)
            self._send(status, payload, extra)
            # Recorded after answering, so a waiter sees the call only once it was delivered.
            slack._record(Call(method, self.path, body, headers, status, ok))

        def do_GET(self) -> None:  # only Sign in with Slack's authorize page
            parts = urlsplit(self.path)
            instance, _, path = parts.path.lstrip("/").partition("/")
            query = dict(parse_qsl(parts.query))
            wrong = instance != slack.instance or path != "oidc/authorize"
            if wrong or "redirect_uri" not in query:
                self._send(404, {"ok": False, "error": "not_found"}, {})
                return
            self._send(302, "", {"Location": _oidc_redirect(slack, query)})
            slack._record(Call("oidc.authorize", self.path, query, {}, 302, True))

        def _outcome(
            self, method: str, body: dict[str, Any], failure: Failure | None
        ) -> tuple[int, Any, dict[str, str]]:
            if failure and failure.status != 200:
                extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
                return failure.status, {"ok": False, "error": "ratelimited"}, extra
            if failure:
                return 200, {"ok": False, "error": failure.error}, {}
            if method in ("response_url", "upload"):
                return 200, "ok", {}
            return 200, slack.answer(method, body), {}

        def _send(self, status: int, payload: Any, extra: dict[str, str]) -> None:
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            self.send_response(status)
            kind = "text/plain" if isinstance(payload, str) else "application/json"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet; every request is in `slack.calls()`

    return Handler


class FakeSocketMode:
    """A loopback WebSocket standing in for Slack's Socket Mode endpoint.

    Each connection gets a `hello`; `send(envelope)` pushes to the newest connection;
    `wait_for_message(predicate)` waits for what the app sent back (acks).
    """

    def __init__(self) -> None:
        self._received: list[dict[str, Any]] = []
        self._connections: list[ServerConnection] = []
        self._changed = threading.Condition()
        self._server: Server = serve(self._session, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        with self._changed:
            self._connections.append(connection)
            self._changed.notify_all()
        for message in _messages(connection):
            with self._changed:
                self._received.append(json.loads(message))
                self._changed.notify_all()

    def wait_connected(self, timeout: float = 10.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._connections, timeout):
                raise AssertionError("the app never connected over Socket Mode")

    def send(self, envelope: dict[str, Any]) -> None:
        with self._changed:
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))

    def wait_for_message(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((m for m in self._received if predicate(m)), None), timeout
            )
        if found is None:
            raise AssertionError(f"no matching Socket Mode message; got {self._received}")
        return found


def _messages(connection: ServerConnection) -> Iterator[str | bytes]:
    """Messages until the client goes away (a closed socket ends the session quietly)."""
    try:
        yield from connection
    except ConnectionClosed:
        return
