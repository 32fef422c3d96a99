"""YAML alias bombs ("billion laughs") are refused wherever YAML is read, fast and small.

Finding 6 of the security review: a 488-byte file made `bsm import` grow to 2.4 GiB and a
442-byte one cost +1.2 GiB in a sync dry run. Each bomb here is refused in under a second
and under 50 MB (tracemalloc peak), with an error naming the alias and its line, and no
error message renders a huge value.
"""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli.sync import register
from store import MapValidationError, Store, load_yaml_document, parse_map, shown

MB = 1024 * 1024


def laughs(size: int, lead: str = "version: 1\n", key: str = "components: ") -> str:
    """A billion-laughs document of exactly `size` bytes: nine levels of nine aliases."""
    lines = [lead + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        name = key if cur == "i" else f"{cur}: "
        lines.append(f"{name}&{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(lines) + "\n"
    assert len(text) <= size, len(text)
    return text + "#" * (size - len(text) - 1) + "\n"


def backstage_laughs(size: int) -> str:
    lead = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n"
    return laughs(size, lead, key="spec: {dependsOn: ").replace("]\n#", "]}\n", 1)


def alias_line(text: str) -> str:
    """Where the bound is passed: the aliases `*e` of the line anchoring `&f`."""
    return f"line {text.splitlines().index(next(x for x in text.splitlines() if '&f' in x)) + 1}"


def measured(work: Callable[[], Any]) -> tuple[Any, float, int]:
    """(result, seconds, peak bytes allocated) of `work()`."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = work()
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, seconds, peak


def assert_refused_quickly(output: str, seconds: float, peak: int, overhead: float = 0.0) -> None:
    """Refused within a second (beyond `overhead`, what the same command costs without a bomb
    in the same run: opening the store), under 50 MB, naming the problem, nothing expanded."""
    print(
        f"refused in {seconds * 1000:.0f} ms (overhead {overhead * 1000:.0f} ms), "
        f"peak {peak / MB:.2f} MB"
    )
    assert seconds < 1.0 + overhead
    assert peak < 50 * MB
    assert "alias bomb" in output and "line " in output, output
    assert len(output) < 2_000, len(output)  # nothing expanded was rendered


@pytest.mark.parametrize("fmt", ["yaml", "backstage"])
def test_yaml_bomb_import_is_refused_fast_and_small(tmp_path: Path, fmt: str) -> None:
    text = laughs(488) if fmt == "yaml" else backstage_laughs(488)
    assert len(text.encode()) == 488
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    db = f"sqlite:///{tmp_path / 'bsm.db'}"
    runner = CliRunner()
    plain = tmp_path / "plain.yaml"  # the same command without a bomb: opening the store
    plain.write_text("components: {}\n")
    listed, overhead, _ = measured(lambda: runner.invoke(main, ["import", str(plain), "--db", db]))
    assert "Traceback" not in listed.output, listed.output

    result, seconds, peak = measured(
        lambda: runner.invoke(main, ["import", str(path), "--format", fmt, "--db", db])
    )
    assert result.exit_code != 0
    assert_refused_quickly(result.output, seconds, peak, overhead)
    assert f"{alias_line(text)}, column 8: YAML refused" in result.output


@pytest.fixture
def bomb_server() -> Iterator[str]:
    """A loopback server answering every GET with a 442-byte YAML bomb."""
    body = laughs(442).encode()
    assert len(body) == 442

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/yaml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/map.yaml"
    httpd.shutdown()
    httpd.server_close()


def test_yaml_bomb_in_a_sync_dry_run_is_refused_fast_and_small(
    store: Store, bomb_server: str
) -> None:
    group = click.Group("bsm")
    register(group)
    db = ["--db", store.engine.url.render_as_string(hide_password=False)]
    runner = CliRunner()
    added = runner.invoke(group, ["sync", "add", "bomb", "yaml-url", bomb_server, *db])
    assert added.exit_code == 0, added.output

    listed, overhead, _ = measured(lambda: runner.invoke(group, ["sync", "list", *db]))
    assert listed.exit_code == 0, listed.output
    result, seconds, peak = measured(
        lambda: runner.invoke(group, ["sync", "bomb", "--dry-run", *db])
    )
    assert result.exit_code != 0
    assert_refused_quickly(result.output, seconds, peak, overhead)
    assert alias_line(laughs(442)) in result.output


def test_a_few_aliases_still_load() -> None:
    data = load_yaml_document("base: &labels {team: web}\nx: *labels\ny: *labels\n")
    assert data == {"base": {"team": "web"}, "x": {"team": "web"}, "y": {"team": "web"}}


def test_deep_nesting_is_refused_with_its_line() -> None:
    with pytest.raises(MapValidationError, match="nest deeper") as raised:
        load_yaml_document("a: &a 1\nb: *a\nc: " + "[" * 500 + "]" * 500 + "\n")
    assert "line 3" in str(raised.value)


def test_shown_quotes_a_bounded_prefix_of_a_shared_bomb() -> None:
    level: list[Any] = ["lol"] * 9
    for _ in range(30):  # 9**30 leaves: never walked
        level = [level] * 9
    text, seconds, _ = measured(lambda: shown({"components": level}))
    assert len(text) < 200 and text.startswith("{'components': [[[")
    assert seconds < 0.5


def test_yaml_errors_quote_a_bounded_prefix_of_a_big_value() -> None:
    big = "[" + ",".join([f"item-{i:04d}-" + "x" * 40 for i in range(2_000)]) + "]"
    text = f"version: 1\ncomponents:\n  - name: api\n    kind: &big {big}\n    labels: *big\n"
    with pytest.raises(MapValidationError) as raised:
        parse_map(text)
    message = str(raised.value)
    assert "kind must be text" in message and "labels must be a mapping" in message
    assert "item-0000-" in message
    assert len(message) < 1_000, len(message)
