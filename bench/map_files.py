"""Reading map files: one file and a directory, valid and with one error, against the baseline.

    python bench/map_files.py [--components 20000] [--files 20] [--runs 3]

The baseline, measured in the same run, is what a single YAML file cost before maps could
be directories: `parse_map(text)` (YAML load + validation). Then `read_map_source` on the
same map as one file, split over `--files` files, and with one unknown reference in the last
entry (the error path reads the files a second time with node marks, to give the error its
line and column). Prints ONE JSON line: best-of-runs seconds and each ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from store import MapValidationError, parse_map, read_map_source  # noqa: E402


def entries(components: int, per_component: int) -> list[str]:
    rng = random.Random(20261202)
    out = []
    for index in range(components):
        targets = sorted({rng.randrange(index + 1, components + 1) for _ in range(per_component)})
        deps = ", ".join(f"c-{t:06d}" for t in targets if t < components)
        out.append(f"  - {{name: c-{index:06d}, kind: service, depends_on: [{deps}]}}")
    return out


def best(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def expect_error(path: Path) -> Callable[[], None]:
    def work() -> None:
        try:
            read_map_source(path)
        except MapValidationError as error:
            assert error.errors[0].line is not None
            return
        raise AssertionError("the broken map was accepted")

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lines = entries(args.components, 3)
    text = "\n".join(["version: 1", "components:", *lines, ""])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        single = root / "map.yaml"
        single.write_text(text)
        split = root / "split"
        split.mkdir()
        size = -(-len(lines) // args.files)
        for number in range(args.files):
            part = lines[number * size : (number + 1) * size]
            body = "\n".join(["version: 1", "components:", *part, ""])
            (split / f"team-{number:03d}.yaml").write_text(body)
        broken = root / "broken.yaml"
        broken.write_text(text.rstrip("]\n") + ", nowhere]\n")
        baseline = best(args.runs, lambda: parse_map(single.read_text()))
        figures = {
            "one_file": best(args.runs, lambda: read_map_source(single)),
            "directory": best(args.runs, lambda: read_map_source(split)),
            "one_error": best(args.runs, expect_error(broken)),
        }
    result = {
        "bench": "map_files",
        "components": args.components,
        "files": args.files,
        "baseline_parse_map_s": round(baseline, 3),
        **{f"{name}_s": round(value, 3) for name, value in figures.items()},
        **{f"{name}_ratio": round(value / baseline, 2) for name, value in figures.items()},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
