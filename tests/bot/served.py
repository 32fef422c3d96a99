"""`bsm serve` in a subprocess on a free port, ready when uvicorn says so (no sleeping)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

READY = "Application startup complete"


def free_port() -> int:
    """A port the OS just handed out; a subprocess server cannot be given port 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bsm_executable() -> str:
    found = shutil.which("bsm", path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError("the bsm entry point is not installed next to this Python")
    return found


def bsm_serve(
    env: Mapping[str, str], *args: str, timeout: float = 60.0
) -> AbstractContextManager[str]:
    """Run `bsm serve`, yield its base URL once it accepts requests, stop it afterwards."""
    command = [bsm_executable(), "serve", "--host", "127.0.0.1", *args]
    return serving(command, env, timeout=timeout)


@contextmanager
def serving(command: list[str], env: Mapping[str, str], *, timeout: float = 60.0) -> Iterator[str]:
    """Run an HTTP server `command` (given `--port P`), yield its URL once uvicorn is up."""
    port = free_port()
    command = [*command, "--port", str(port)]
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            output.append(line)
            if READY in line:
                ready.set()
        ready.set()  # the process ended: wake the waiter

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not ready.wait(timeout) or process.poll() is not None:
            raise RuntimeError("bsm serve did not start:\n" + "".join(output))
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
