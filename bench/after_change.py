"""The first answer after a one-component map change, on a large map served by `bsm serve`.

    python bench/after_change.py [--nodes 100000] [--rounds 5] [--against /path/to/other/tree]

The map of `bench/serve.py` is imported into an SQLite file; `bsm serve` starts once to
compile and save its snapshot, then again (a restart, as `bench/serve.py` measures). Each
round asks `help` (the baseline: an answer that reads no map), then applies one merge
import through another `Store` (`bench/serve.py: merge_one`: a host re-described with one
more dependency, then a new component) and times the next `affects` answer and the one
after it. With `--against`, a server running that tree's code (its PYTHONPATH) is measured
the same way, the two alternating round by round on the same database. Prints ONE JSON
line: medians per kind of answer, per tree, and their ratios to `help`.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
_spec = importlib.util.spec_from_file_location("bench_serve", HERE / "serve.py")
assert _spec is not None and _spec.loader is not None
serve = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = serve
_spec.loader.exec_module(serve)
served = serve.served  # fake Slack, `bsm serve`, signed commands


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from store import Store

    service_map = serve.generate(args.nodes, args.seed)
    url = f"sqlite:///{work / 'serve.sqlite'}"
    store = Store(url)
    store.import_map(service_map, source="bench", checked=True)
    store.close()
    names = sorted(service_map.components)
    hosts = [n for n in names if n.startswith("host-")]
    rng = random.Random(args.seed)
    pick = lambda: f"what does {rng.choice(names)} affect?"  # noqa: E731
    trees = {"this": os.environ.get("PYTHONPATH", "")}
    if args.against:
        trees["against"] = str(Path(args.against).resolve())
    samples: dict[str, dict[str, list[float]]] = {
        tree: {"help": [], "after_change": [], "next": [], "after_new_component": []}
        for tree in trees
    }
    added = 0
    with serve.served.fake_slack() as (api, slack_url), ExitStack() as stack:
        base_env = serve.server_env(slack_url, url)
        first = {**base_env, "PYTHONPATH": trees["this"]}
        serve.first_answer(first, api, slack_url, args.timeout, pick)  # compiles, saves
        clients = {}
        for tree, path in trees.items():  # restarts: each loads the snapshot
            http = stack.enter_context(httpx.Client(timeout=args.timeout))
            env = {**base_env, "PYTHONPATH": path}
            _, base = stack.enter_context(served.serving(env, args.timeout))
            http.base_url = httpx.URL(base)
            serve.wait_healthy(http, args.timeout)
            client = serve.Client(http, api, slack_url, args.timeout)
            client.steps = itertools.count(1_000_000 * len(clients))  # replies of its own
            client.ask(pick())
            client.ask("help")
            clients[tree] = client
        time.sleep(args.settle)  # past each scheduler's start (3 s after ready)
        load_before = os.getloadavg()[0]
        for _ in range(args.rounds):
            for tree, client in clients.items():
                kinds = samples[tree]
                client.ask(pick())  # caught up with the other trees' changes first
                kinds["help"].append(client.ask("help"))
                serve.merge_one(url, service_map, rng.choice(hosts))
                kinds["after_change"].append(client.ask(pick()))
                kinds["next"].append(client.ask(pick()))
                added += 1
                serve.merge_one(url, service_map, rng.choice(hosts), f"bench-added-{added}")
                kinds["after_new_component"].append(client.ask(pick()))
        load_after = os.getloadavg()[0]
    medians = {
        tree: {kind: round(statistics.median(v), 1) for kind, v in kinds.items()}
        for tree, kinds in samples.items()
    }
    result: dict[str, Any] = {
        "nodes": args.nodes,
        "components": len(names),
        "rounds": args.rounds,
        "median_ms": medians,
        "max_ms": {
            tree: {kind: round(max(v), 1) for kind, v in kinds.items()}
            for tree, kinds in samples.items()
        },
        "ratio_vs_help": {
            tree: {kind: round(m / max(ms["help"], 1e-9), 2) for kind, m in ms.items()}
            for tree, ms in medians.items()
        },
    }
    result["after_change_ms"] = {  # every round, the first one the first change since the start
        tree: [round(v, 1) for v in kinds["after_change"]] for tree, kinds in samples.items()
    }
    if "against" in medians:
        result["ratio_this_vs_against"] = {
            kind: round(m / max(medians["against"][kind], 1e-9), 2)
            for kind, m in medians["this"].items()
        }
    result["loadavg_1m"] = [round(load_before, 2), round(load_after, 2)]
    result["answer_failures"] = [f for c in clients.values() for f in c.failures][:5]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", help="another source tree, served the same way")
    parser.add_argument("--timeout", type=float, default=900.0, help="per step, seconds")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before the rounds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bsm-change-") as tmp:
        print(json.dumps(run(args, Path(tmp))))


if __name__ == "__main__":
    main()
