"""Hostile loopback HTTP servers for the outbound-policy tests (port 0, threads, bounded)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]
SECRET = b"INTERNAL-ONLY aws_secret_access_key=AKIAEXAMPLESECRET"


@contextmanager
def serving(handler: Handler, host: str = "127.0.0.1") -> Iterator[tuple[str, list[str]]]:
    """A server answering every GET with `handler`; yields its base URL and the paths seen."""
    seen: list[str] = []

    class Handle(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                handler(self)  # the client may hang up, as the policy should make it

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer((host, 0), Handle)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def answer(status: int, body: bytes, content_type: str = "text/plain") -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    return handle


def redirect(location: str) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    return handle


def trickle(every_s: float, for_s: float) -> Handler:
    """Headers at once, then one byte every `every_s`, for at most `for_s` seconds."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", "100000")
        request.end_headers()
        stop = time.monotonic() + for_s
        while time.monotonic() < stop:
            request.wfile.write(b" ")
            request.wfile.flush()
            time.sleep(every_s)

    return handle


def endless(total_bytes: int, chunk: int = 1024 * 1024) -> Handler:
    """A JSON-looking body of `total_bytes`, generated while sent, with no Content-Length."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Connection", "close")
        request.end_headers()
        block = b"[" + b"0," * (chunk // 2 - 1)
        sent = 0
        while sent < total_bytes:
            request.wfile.write(block)
            sent += len(block)

    return handle
