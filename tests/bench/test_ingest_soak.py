"""The ingestion benchmark runs in CI with a short soak: no errors, memory flat, one JSON line.

The full 10-minute soak (`bench/ingest.py --soak 600`) is for closing notes; this proves the
script works on a fresh machine and catches a gross leak or an error under sustained load.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_short_soak_on_sqlite_has_no_errors_and_flat_memory() -> None:
    command = [sys.executable, "bench/ingest.py", "--seconds", "1", "--soak", "8", "--clients", "2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["webhook"]["errors"] == 0 and result["trivial"]["errors"] == 0
    assert result["alerts_per_s"] > 0 and result["webhook"]["p99_ms"] > 0
    # Flat: after warm-up, the server grows by less than 64 MiB over the soak.
    assert result["rss_kb_growth_after_warmup"] < 64 * 1024
