"""Speed of "did you mean" on a 100k-component index: the rapidfuzz suggester vs the old one.

The old suggester (difflib over a trigram shortlist, `handlers/similarity.py` before it was
replaced) is read from git at `--baseline` and timed in the same run, on the same
spellings (every component's name and title) and the same misspelt phrases. Prints one
JSON line: build and per-query times of both, and how often their first suggestion agrees.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from impact.suggest import Suggester  # noqa: E402

BASELINE = "3232578"  # the last commit with handlers/similarity.py
WORDS = [
    "order",
    "cart",
    "pay",
    "ledger",
    "search",
    "index",
    "user",
    "auth",
    "session",
    "price",
    "stock",
    "ship",
    "mail",
]


def spellings(size: int, seed: int) -> dict[str, str]:
    """spelling -> component name: `<word>-<word>-<n>` names and "Word Word N" titles."""
    rng = random.Random(seed)
    found: dict[str, str] = {}
    for n in range(size):
        a, b = rng.sample(WORDS, 2)
        name = f"{a}-{b}-{n:05d}"
        found[name] = name
        found[f"{a.title()} {b.title()} {n}"] = name
    return found


def misspelt(names: list[str], count: int, seed: int) -> list[str]:
    """Names with one character dropped, doubled or swapped."""
    rng = random.Random(seed + 1)
    typed = []
    for name in rng.sample(names, count):
        i = rng.randrange(1, len(name) - 1)
        typed.append(rng.choice([name[:i] + name[i + 1 :], name[:i] + name[i] + name[i:]]))
    return typed


def old_module(rev: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:handlers/similarity.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("old_similarity")
    exec(compile(source, "old_similarity.py", "exec"), module.__dict__)
    return module


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(size: int, queries: int, seed: int, rev: str) -> dict[str, Any]:
    table = spellings(size, seed)
    typed = misspelt(sorted(set(table.values())), queries, seed)
    old_build, old = timed(lambda: old_module(rev).Spellings({k.casefold() for k in table}))
    new_build, new = timed(lambda: Suggester(table))
    folded = {k.casefold(): v for k, v in table.items()}
    old_times, new_times, agree = [], [], 0
    for phrase in typed:
        t_old, got_old = timed(lambda p=phrase: old.close(p.casefold(), n=6))
        t_new, got_new = timed(lambda p=phrase: new.close(p, 3))
        old_times.append(t_old)
        new_times.append(t_new)
        agree += bool(got_old and got_new and folded[got_old[0]] == got_new[0])
    return {
        "bench": "suggest",
        "components": size,
        "spellings": len(table),
        "queries": queries,
        "old_build_s": round(old_build, 3),
        "new_build_s": round(new_build, 3),
        "old_query_ms_median": round(statistics.median(old_times) * 1000, 2),
        "new_query_ms_median": round(statistics.median(new_times) * 1000, 2),
        "old_query_ms_max": round(max(old_times) * 1000, 2),
        "new_query_ms_max": round(max(new_times) * 1000, 2),
        "first_suggestion_agrees": round(agree / queries, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old suggester")
    args = parser.parse_args()
    print(json.dumps(run(args.size, args.queries, args.seed, args.baseline)))


if __name__ == "__main__":
    main()
