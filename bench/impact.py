"""Impact-engine benchmark on a generated, layered service map.

    python bench/impact.py --nodes 100000 [--seed 7]

The map: business services -> apps -> services -> data stores (db/cache/queue, in 2-of-3
clusters) -> hosts -> racks/switches -> core routers (2-of-4), with shared infrastructure
(DNS behind a 2-of-3 resolver group, NTP, LDAP, monitoring, a 3-of-5 shared DB cluster)
used by most of the estate. Picks are local (a service uses hosts near its own number), as
in real estates where teams own neighbouring resources. The last line printed is one JSON
object with the measurements.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impact.engine import ImpactModel
from impact.model import (
    BUSINESS_KIND,
    Component,
    Dependency,
    DependencyKind,
    RedundancyGroup,
    ServiceMap,
    State,
)

SOFT = DependencyKind.SOFT
SHARED = ["dns", "dns-1", "ntp", "ldap", "monitoring", "shared-db", "shared-db-1", "core-1"]


class Estate:
    """Builds the layered map deterministically from (nodes, seed)."""

    def __init__(self, nodes: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.components: list[Component] = []
        self.deps: list[Dependency] = []
        self.groups: list[RedundancyGroup] = []
        n = max(nodes, 1000)
        self.sizes = {
            "switch": n // 100,
            "rack": n // 100,
            "host": n * 45 // 100,
            "store": n * 10 // 100,
            "cluster": n * 3 // 100,
            "svc": n * 26 // 100,
            "app": n * 12 // 100,
            "biz": n // 1000,
        }

    def layer(self, prefix: str, kind: str = "service") -> list[str]:
        count = self.sizes[prefix]
        width = len(str(count))
        names = [f"{prefix}-{i:0{width}d}" for i in range(count)]
        self.components.extend(Component(name, kind=kind) for name in names)
        return names

    def near(self, pool: list[str], i: int, of: int, spread: int = 8) -> str:
        """A pool member near position i/of: local picks, like real ownership."""
        centre = i * len(pool) // of
        return pool[min(len(pool) - 1, max(0, centre + self.rng.randint(-spread, spread)))]

    def group(self, dependant: str, members: list[str], needed: int, name: str) -> None:
        self.groups.append(RedundancyGroup(name, dependant, tuple(members), min_up=needed))

    def hard(self, source: str, target: str) -> None:
        self.deps.append(Dependency(source, target))

    def soft(self, source: str, target: str) -> None:
        self.deps.append(Dependency(source, target, SOFT))

    def build(self) -> ServiceMap:
        shared = ["dns", "dns-1", "dns-2", "dns-3", "ntp", "ldap", "monitoring", "shared-db"]
        shared += [f"shared-db-{i}" for i in range(1, 6)] + [f"core-{i}" for i in range(1, 5)]
        self.components.extend(Component(name, kind="infra") for name in shared)
        cores = [f"core-{i}" for i in range(1, 5)]
        self.group("dns", ["dns-1", "dns-2", "dns-3"], 2, "dns-resolvers")
        self.group("shared-db", [f"shared-db-{i}" for i in range(1, 6)], 3, "shared-db-cluster")
        switches, racks = self.layer("switch", "network"), self.layer("rack", "rack")
        for i, (switch, rack) in enumerate(zip(switches, racks, strict=True)):
            self.group(switch, self.rng.sample(cores, 4), 2, f"{switch}-uplinks")
            self.hard(rack, switch)
            self.hard(rack, switches[(i + 1) % len(switches)]) if i % 2 else None
        hosts = self.layer("host", "host")
        for i, host in enumerate(hosts):
            self.hard(host, self.near(racks, i, len(hosts), 1))
            self.hard(host, self.near(switches, i, len(hosts), 1))
            for shared_name in ("dns", "ntp"):
                self.hard(host, shared_name)
            self.soft(host, "ldap")
            self.soft(host, "monitoring")
        return self._upper(hosts)

    def _upper(self, hosts: list[str]) -> ServiceMap:
        stores = self.layer("store", "database")
        for i, store in enumerate(stores):
            self.hard(store, self.near(hosts, i, len(stores)))
            self.hard(store, self.near(hosts, i, len(stores)))
            self.soft(store, "monitoring")
        clusters = self.layer("cluster", "cluster")
        for i, cluster in enumerate(clusters):
            members = sorted({self.near(stores, i, len(clusters), 4) for _ in range(3)})
            self.group(cluster, members, max(1, len(members) - 1), f"{cluster}-members")
        services = self.layer("svc")
        for i, svc in enumerate(services):
            self.hard(svc, self.near(hosts, i, len(services)))
            self.hard(svc, self.near(hosts, i, len(services)))
            self.hard(svc, self.near(clusters, i, len(services)))
            self.soft(svc, self.near(stores, i, len(services)))
            self.soft(svc, self.near(services, i, len(services), 50))
            self.hard(svc, "shared-db") if self.rng.random() < 0.8 else self.soft(svc, "shared-db")
        apps = self.layer("app")
        for i, app in enumerate(apps):
            for _ in range(4):
                self.hard(app, self.near(services, i, len(apps)))
            self.soft(app, self.near(services, i, len(apps), 200))
            self.soft(app, self.near(apps, i, len(apps), 20))
        for i, biz in enumerate(self.layer("biz", BUSINESS_KIND)):
            for _ in range(4):
                self.hard(biz, self.near(apps, i, self.sizes["biz"]))
            self.soft(biz, self.near(apps, i, self.sizes["biz"], 50))
        self._business_attributes()
        return ServiceMap.build(self.components, self.deps, self.groups)

    def _business_attributes(self) -> None:
        for k, c in enumerate(self.components):
            if c.kind == BUSINESS_KIND:
                self.components[k] = Component(
                    c.name,
                    kind=BUSINESS_KIND,
                    tier=self.rng.randint(1, 4),
                    revenue_per_hour=float(self.rng.randrange(0, 50000, 500)),
                    owner="team",
                )


def timed(call: Callable[[], object], repeat: int = 1) -> float:
    """Median wall time of `call` in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(args: argparse.Namespace) -> dict[str, float | int | str]:
    start = time.perf_counter()
    smap = Estate(args.nodes, args.seed).build()
    gen_s = time.perf_counter() - start
    start = time.perf_counter()
    model = ImpactModel.from_map(smap)
    build_s = time.perf_counter() - start
    rng = random.Random(args.seed)
    names = sorted(smap.components)
    sample = [rng.choice(names) for _ in range(args.samples)]
    uniform = [timed(lambda n=name: model.affects([n])) for name in sample]
    shared = {name: timed(lambda n=name: model.affects([n]), 3) for name in SHARED}
    worst = max(shared, key=shared.__getitem__)
    model.set_states({rng.choice(names): State.DOWN for _ in range(20)})
    rack = next(n for n in names if n.startswith("rack-"))
    whatif_ms = timed(lambda: model.whatif([rack, "core-1"]), 3)
    updates = measure_updates(model, names, rng)
    result: dict[str, float | int | str] = {
        "nodes": len(names) + len(smap.groups),
        "components": len(names),
        "groups": len(smap.groups),
        "edges": len(smap.dependencies) + sum(1 + len(g.members) for g in smap.groups),
        "business_services": len(smap.business_services),
        "gen_s": round(gen_s, 2),
        "build_s": round(build_s, 2),
        "affects_p50_ms": round(percentile(uniform, 0.5), 3),
        "affects_p99_ms": round(percentile(uniform, 0.99), 3),
        "affects_shared_max_ms": round(shared[worst], 2),
        "affects_shared_worst": worst,
        "whatif_ms": round(whatif_ms, 2),
        **updates,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    result.update(baselines(model, smap, "dns"))
    result["shared_vs_limit"] = round(
        result["affects_shared_max_ms"] / result["limit_bfs_shared_ms"], 2
    )  # type: ignore[operator]
    return result


def measure_updates(model: ImpactModel, names: list[str], rng: random.Random) -> dict[str, float]:
    """What one change costs until the next answer reflects it."""
    source, target = rng.choice(names), rng.choice(names)
    add_ms = timed(
        lambda: (model.add_dependency(Dependency(source, target)), model.state_of(source))
    )
    remove_ms = timed(lambda: (model.remove_dependency(source, target), model.state_of(source)))
    states = {rng.choice(names): State.DOWN for _ in range(20)}
    state_ms = timed(lambda: (model.set_states(states), model.state_of(source)))
    status_ms = timed(model.status)
    return {
        "add_dependency_ms": round(add_ms, 2),
        "remove_dependency_ms": round(remove_ms, 2),
        "set_states_ms": round(state_ms, 2),
        "status_ms": round(status_ms, 2),
    }


def baselines(model: ImpactModel, smap: ServiceMap, node: str) -> dict[str, float]:
    """The practical limit (one scipy BFS) and the naive networkx answer, same graph and node."""
    import networkx as nx
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    graph = model._graph  # the same compiled arrays the engine answers from
    adj, n = graph.all, graph.n
    edges = adj.edge_count
    csr = csr_matrix(
        (np.ones(edges), adj.indices[:edges].copy(), adj.indptr[: n + 1].copy()), shape=(n, n)
    )
    start = graph.lookup(node)
    limit = timed(lambda: breadth_first_order(csr, start, directed=True), 5)
    digraph = nx.DiGraph()
    digraph.add_edges_from((d.source, d.target) for d in smap.dependencies)
    for g in smap.groups:
        digraph.add_edge(g.dependant, g.name)
        digraph.add_edges_from((g.name, m) for m in g.members)
    naive = timed(lambda: nx.ancestors(digraph, node), 1)
    return {"limit_bfs_shared_ms": round(limit, 2), "naive_networkx_shared_ms": round(naive, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=300, help="uniform affects queries")
    args = parser.parse_args()
    print(json.dumps(measure(args)))


if __name__ == "__main__":
    main()
