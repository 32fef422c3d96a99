"""Cost of the proactive checks on the demo map, against a plain what-if in the same run.

Times `impact.risk.risk_preview` (db-03 for 2 h) and `impact.risk.current_margins` (db-03
down: one group at its minimum, the work added to every reconcile) against the baseline
`ImpactModel.whatif(["db-03"])`. Prints ONE JSON line: medians in ms and the ratios.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from impact.engine import ImpactModel
from impact.model import State
from impact.risk import current_margins, risk_preview
from store.mapfile import load_map_file

DEMO = Path(__file__).resolve().parents[1] / "store" / "demo" / "demo.yaml"
RUNS = 200


def median_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    model = ImpactModel.from_map(load_map_file(DEMO), {"db-03": State.DOWN})
    start = datetime(2026, 12, 5, 2, tzinfo=UTC)
    end = start + timedelta(hours=2)
    baseline = median_ms(lambda: model.fork().whatif(["db-03"]))
    preview = median_ms(lambda: risk_preview(model.fork(), ["db-03"], start, end))
    margins = median_ms(lambda: current_margins(model.fork()))
    print(
        json.dumps(
            {
                "bench": "risk",
                "baseline_whatif_ms": round(baseline, 3),
                "risk_preview_ms": round(preview, 3),
                "current_margins_ms": round(margins, 3),
                "preview_ratio": round(preview / baseline, 2),
                "margins_ratio": round(margins / baseline, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
