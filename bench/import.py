"""Import benchmark: a generated 100k-component / ~500k-edge map into SQLite and PostgreSQL.

    python bench/import.py [--components 100000] [--edges-per-component 5] [--postgres URL]

Each backend runs in its own process so its peak RSS is its own. The last line is JSON:
seconds for the raw YAML parse (the baseline), parse+validate, the first import, a
re-import of the same map (which must change nothing), and peak RSS in MiB per backend.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

# bench/ also holds impact.py (the engine benchmark): keep it from shadowing the package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def generate(path: Path, components: int, per_component: int) -> int:
    """Write a deterministic map; returns the number of plain dependency edges."""
    rng = random.Random(20240601)
    services = max(1, components // 1000)
    lines = ["version: 1", "business_services:"]
    for index in range(services):
        targets = sorted({rng.randrange(services, components) for _ in range(per_component)})
        lines += [
            f"  - name: bs-{index:05d}",
            f"    tier: {index % 4 + 1}",
            "    sla: 99.9",
            f"    owner: team-{index % 50}",
            f"    depends_on: [{', '.join(f'c-{t:06d}' for t in targets)}]",
        ]
    lines.append("components:")
    edges = services * per_component
    for index in range(services, components):
        lines += [
            f"  - name: c-{index:06d}",
            f"    kind: {('service', 'database', 'host')[index % 3]}",
        ]
        # Mostly downward edges plus a few upward ones, so the graph has cycles.
        targets = {rng.randrange(services, components) for _ in range(per_component)} - {index}
        entries = [f"c-{t:06d}" for t in sorted(targets)]
        if index % 100 == 0 and index + 3 < components:
            members = ", ".join(f"c-{index + k:06d}" for k in (1, 2, 3))
            entries.append(f"{{any_of: [{members}], min: 2}}")
        if entries:
            lines.append(f"    depends_on: [{', '.join(entries)}]")
        edges += len(targets)
    path.write_text("\n".join(lines) + "\n")
    return edges


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str, path: Path) -> None:
    """Runs in a subprocess: parse, import, re-import; prints one JSON object."""
    from store import Store, parse_map

    started, cpu_started = time.perf_counter(), time.process_time()
    service_map = parse_map(path.read_text())
    parsed = time.perf_counter()
    store = Store(url, upgrade=True)
    report = store.import_map(service_map, checked=True)
    imported, cpu_imported = time.perf_counter(), time.process_time()
    again = store.import_map(service_map, checked=True)
    reimported = time.perf_counter()
    loaded = store.load_map()
    done = time.perf_counter()
    assert not again.changed and len(loaded.dependencies) == report.dependencies.added
    store.close()
    result = {
        "parse_validate_s": round(parsed - started, 2),
        "import_s": round(imported - parsed, 2),
        "parse_and_import_s": round(imported - started, 2),
        # This process's CPU seconds: comparable across runs on a busy machine (the
        # database server's own time is not in it).
        "parse_and_import_cpu_s": round(cpu_imported - cpu_started, 2),
        "reimport_unchanged_s": round(reimported - imported, 2),
        "load_map_s": round(done - reimported, 2),
        "components": report.components.added,
        "dependencies": report.dependencies.added,
        "groups": report.groups.added,
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }
    print(json.dumps(result))


def run_backend(url: str, path: Path) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", url, str(path)]
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return result


def baseline(path: Path) -> float:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    started = time.perf_counter()
    yaml.load(path.read_text(), Loader=loader)
    return round(time.perf_counter() - started, 2)


def with_schema(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=100_000)
    parser.add_argument("--edges-per-component", type=int, default=5)
    parser.add_argument(
        "--postgres", default=os.environ.get("BSM_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "map.yaml"
        edges = generate(path, args.components, args.edges_per_component)
        summary: dict[str, object] = {
            "components": args.components,
            "edges": edges,
            "file_mib": round(path.stat().st_size / 2**20, 1),
            "baseline_yaml_parse_s": baseline(path),
        }
        summary["sqlite"] = run_backend(f"sqlite:///{Path(tmp) / 'bench.db'}", path)
        print("sqlite", json.dumps(summary["sqlite"]), file=sys.stderr)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(args.postgres)
        with engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            summary["postgresql"] = run_backend(with_schema(args.postgres, schema), path)
        finally:
            with engine.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
