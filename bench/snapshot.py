"""Snapshot save and load on a large map: the file beside SQLite against the database's row.

    python bench/snapshot.py [--nodes 100000] [--rounds 3] [--postgres URL]

Generates the layered map of `bench/serve.py`, imports it into an SQLite file and compiles
it once through a conversation (so the name index tables are attached, as `bsm serve`
saves them), then times, in the same run: the snapshot's save (`Snapshots.save`: the row,
and the file beside the database), and a start's model and name index loaded from it
(`Conversation.warm` in a new `ModelService`), alternately from the file and, with the file
moved away, from the row (the baseline: what a start read before the file existed, and
what PostgreSQL reads). With `--postgres`, the same load from a PostgreSQL row. Each load
is a fresh `ModelService` in this process, its garbage dropped before the next. Prints ONE
JSON line; ratios are the row's time over the file's.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))


def warm_s(url: str) -> tuple[float, list[int]]:
    """Seconds for a new process's model and name index, and the versions it loaded."""
    from handlers.conversation import Conversation
    from services.model import ModelService
    from store import Store

    store = Store(url)
    try:
        started = time.perf_counter()
        conversation = Conversation(ModelService(store))
        conversation.warm()
        taken = time.perf_counter() - started
        assert conversation.ask("what does dns affect?").ok
        return taken, list(conversation.models.loaded_from_snapshot)
    finally:
        store.close()
        gc.collect()


def generate(nodes: int, seed: int) -> Any:
    """The map of `bench/serve.py` (a script of bench/, loaded as a module)."""
    spec = importlib.util.spec_from_file_location("bench_serve", HERE / "serve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.generate(nodes, seed)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from handlers.conversation import Conversation
    from services.model import ModelService
    from store import Store

    service_map = generate(args.nodes, args.seed)
    url = f"sqlite:///{work / 'bench.sqlite'}"
    store = Store(url)
    store.import_map(service_map, source="bench", checked=True)
    del service_map
    first = Conversation(ModelService(store))
    first.warm()  # compiles, saves the snapshot (and its file) in a thread
    first.models.flush()
    del first
    gc.collect()
    snapshots = store.snapshots
    version = snapshots.versions()[-1]
    data = snapshots.load(version)
    assert data is not None
    saves = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        snapshots.save(version, data)
        saves.append(time.perf_counter() - started)
    path = snapshots.path(version)
    assert path is not None and path.exists()
    aside = path.with_name(path.name + ".aside")
    from_file, from_row = [], []
    for _ in range(args.rounds):
        taken, loaded = warm_s(url)
        assert loaded == [version], loaded
        from_file.append(taken)
        os.replace(path, aside)
        try:
            taken, loaded = warm_s(url)
            assert loaded == [version], loaded
            from_row.append(taken)
        finally:
            os.replace(aside, path)
    result: dict[str, Any] = {
        "nodes": args.nodes,
        "snapshot_mb": round(len(data) / 2**20, 1),
        "save_s": round(statistics.median(saves), 2),
        "load_from_row_s": round(statistics.median(from_row), 2),  # the baseline
        "load_from_file_s": round(statistics.median(from_file), 2),
        "ratio_row_vs_file": round(statistics.median(from_row) / statistics.median(from_file), 2),
        "rounds": args.rounds,
    }
    if args.postgres:
        postgres = Store(args.postgres, upgrade=True)
        postgres.import_map(store.load_map(), source="bench", checked=True)
        version = postgres.map_version()
        started = time.perf_counter()
        postgres.snapshots.save(version, data)  # the same map's snapshot, its version
        result["postgres_save_s"] = round(time.perf_counter() - started, 2)
        postgres.close()
        loads = [warm_s(args.postgres)[0] for _ in range(args.rounds)]
        result["load_from_postgres_row_s"] = round(statistics.median(loads), 2)
    store.close()
    result["loadavg_1m"] = round(os.getloadavg()[0], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL URL to load the row from too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bsm-snapshot-") as tmp:
        print(json.dumps(run(args, Path(tmp))))


if __name__ == "__main__":
    main()
