"""Latency of answering questions (`bsm ask --json -` path, process start excluded).

Times `Conversation.ask` + `json.dumps(answer.to_json())` per question over a question mix,
on the demo map and on a generated map, both in a real SQLite store (the generated map is
imported once and the database file kept under the temporary directory, keyed by size and
seed; `--memory` answers the generated map from memory instead). A trivial baseline
(json.dumps of a fixed answer) is measured in the same run so figures can be read as
ratios across machines. Prints one line per map, then a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from handlers.answer import Answer
from handlers.conversation import Conversation
from impact.model import (
    BUSINESS_KIND,
    Component,
    Dependency,
    RedundancyGroup,
    ServiceMap,
    State,
)
from services.model import ModelService

DEMO_QUESTIONS = [
    "what does db-03 affect?",
    "what does dns affect?",
    "what if db-01 and db-02 fail?",
    "what does checkout depend on",
    "why is checkout down?",
    "spof online-checkout",
    "path from online-checkout to db-03",
    "status",
    "who owns payments-api?",
    "waht does *db-03* afect",
    "what does chekout depend on",
    "help",
]


def generated_map(size: int, seed: int = 7) -> ServiceMap:
    """Layers: 1% business services, 10% services, 30% platform, the rest infrastructure."""
    rng = random.Random(seed)
    layers = [max(1, size // 100), size // 10, size * 3 // 10]
    layers.append(size - sum(layers))
    names = [[f"l{i}-{j:06d}" for j in range(n)] for i, n in enumerate(layers)]
    comps = [
        Component(
            n,
            kind=BUSINESS_KIND,
            title=f"Business {n}",
            tier=rng.randint(1, 4),
            revenue_per_hour=rng.randint(0, 20) * 500.0,
        )
        for n in names[0]
    ]
    comps += [Component(n) for layer in names[1:] for n in layer]
    deps: list[Dependency] = []
    groups: list[RedundancyGroup] = []
    for upper, lower in itertools.pairwise(names):
        for name in upper:
            for target in rng.sample(lower, 2):
                deps.append(Dependency(name, target))
            if rng.random() < 0.3:
                members = tuple(rng.sample(lower, 3))
                groups.append(RedundancyGroup(f"{name}:pool", name, members, min_up=2))
    return ServiceMap.build(comps, deps, groups)


class MemorySource:
    """A map source without a database: the cost measured is the conversation's own."""

    def __init__(self, service_map: ServiceMap) -> None:
        self.service_map = service_map
        self.states: dict[str, State] = {}

    def load_map(self) -> ServiceMap:
        return self.service_map

    def map_version(self) -> int:
        return 1

    def current_states(self, at: Any = None) -> dict[str, State]:
        return self.states


def generated_questions(service_map: ServiceMap) -> list[str]:
    names = sorted(service_map.components)
    business = sorted(c.name for c in service_map.business_services)
    infra = [n for n in names if n.startswith("l3-")]
    return [
        f"what does {infra[0]} affect?",
        f"what does {infra[500]} affect",
        f"what if {infra[1]} and {infra[2]} fail",
        f"what does {business[0]} depend on",
        f"why is {business[1]} down?",
        f"spof {business[2]}",
        f"path from {business[0]} to {infra[3]}",
        "status",
        f"who owns {names[10]}",
        f"waht does `{infra[4]}` afect",
        "what does l3-zzz depend on",
        "help",
        f"what does {business[3][:-1]} affect",  # ambiguous prefix: candidates listed
        f"what does Business {business[4]} depend on",  # a title
    ]


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def measure(conversation: Conversation, questions: list[str], rounds: int) -> dict[str, float]:
    conversation.ask("status")  # compile outside the timing, as a long-running process would
    samples: list[float] = []
    for question in questions:
        samples += timed(lambda q=question: json.dumps(conversation.ask(q).to_json()), rounds)
    baseline = _baseline(rounds * len(questions))
    median, p99 = statistics.median(samples), _p99(samples)
    return {
        "questions": len(questions),
        "samples": len(samples),
        "median_ms": median * 1e3,
        "p99_ms": p99 * 1e3,
        "baseline_median_us": baseline * 1e6,
        "median_x_baseline": median / baseline,
        "p99_x_baseline": p99 / baseline,
    }


def _baseline(rounds: int) -> float:
    fixed = Answer(
        "affects",
        "db-03 outage takes down 2 business services",
        ("db-03",),
        data={"down": ["a", "b"], "degraded": [], "revenue_at_risk": 14000.0},
    )
    return statistics.median(timed(lambda: json.dumps(fixed.to_json()), rounds))


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def demo_conversation(directory: Path) -> Conversation:
    from store import Store, parse_map

    store = Store(url=f"sqlite:///{directory / 'bench.db'}")
    store.import_map(parse_map(files("store").joinpath("demo/demo.yaml").read_text("utf-8")))
    return Conversation(ModelService(store))


GENERATOR_VERSION = 1  # bump when generated_map changes, so cached databases are rebuilt


def generated_store(size: int, seed: int = 7) -> Any:
    """A SQLite store holding `generated_map(size, seed)`, imported once and then reused."""
    from store import Store

    path = Path(tempfile.gettempdir()) / f"bsm-bench-ask-{size}-{seed}-v{GENERATOR_VERSION}.db"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        store = Store(url=f"sqlite:///{partial}")
        start = time.perf_counter()
        store.import_map(generated_map(size, seed))
        store.close()
        os.replace(partial, path)
        print(f"imported {size} components in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return Store(url=f"sqlite:///{path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000, help="size of the generated map")
    parser.add_argument("--rounds", type=int, default=20, help="repetitions per question (demo)")
    parser.add_argument("--memory", action="store_true", help="generated map without a store")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        results["demo"] = measure(demo_conversation(Path(directory)), DEMO_QUESTIONS, args.rounds)
    source = MemorySource(generated_map(args.nodes)) if args.memory else generated_store(args.nodes)
    start = time.perf_counter()
    conversation = Conversation(ModelService(source))
    conversation.ask("status")
    compile_s = time.perf_counter() - start
    key = f"generated_{args.nodes}" + ("_memory" if args.memory else "_sqlite")
    results[key] = measure(
        conversation, generated_questions(source.load_map()), max(3, args.rounds // 5)
    )
    results[key]["compile_s"] = compile_s
    for name, figures in results.items():
        print(
            f"{name}: median {figures['median_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms "
            f"(baseline {figures['baseline_median_us']:.2f} us)",
            file=sys.stderr,
        )
    print(json.dumps({"bench": "ask", **results}))


if __name__ == "__main__":
    main()
