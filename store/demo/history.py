"""A few weeks of plausible status history for the demo company, the same for the same seed.

Some components are flaky (most outages are theirs, so "top causes" says something), the
rest fail rarely; outages last minutes to an hour or two, a few are only degradations, and
there is a weekly maintenance window with planned downtime inside it. Every component
reports OK at the start, so the SLA clock starts there rather than at the first failure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from impact.model import MaintenanceWindow, ServiceMap, State, StatusEvent

SOURCE = "demo-history"
REASON = "demo history: weekly patching"


@dataclass(frozen=True, slots=True)
class DemoHistory:
    events: list[StatusEvent]
    maintenance: list[MaintenanceWindow]


def generate_history(
    service_map: ServiceMap, *, end: datetime, days: int = 28, seed: int = 7
) -> DemoHistory:
    """`days` of events for the non-business components of `service_map`, ending at `end`."""
    rng = random.Random(seed)
    names = sorted(c.name for c in service_map.components.values() if not c.is_business)
    if not names:
        return DemoHistory([], [])
    start = end - timedelta(days=days)
    flaky = rng.sample(names, k=min(4, len(names)))
    events = [
        StatusEvent(n, State.OK, start, SOURCE, "history starts", f"{SOURCE}:{seed}:start:{n}")
        for n in names
    ]
    for index in range(days):
        name = rng.choice(flaky) if rng.random() < 0.7 else rng.choice(names)
        began = start + timedelta(seconds=rng.uniform(3600, days * 86400 - 3 * 3600))
        lasted = timedelta(minutes=rng.choice((3, 6, 11, 18, 27, 40, 65)))
        state = State.DEGRADED if rng.random() < 0.2 else State.DOWN
        ident = f"{SOURCE}:{seed}:{index}"
        events.append(
            StatusEvent(name, state, began, SOURCE, f"generated {state.value}", ident + ":a")
        )
        events.append(
            StatusEvent(name, State.OK, began + lasted, SOURCE, "recovered", ident + ":b")
        )
    maintenance = _maintenance(rng, names, start, days)
    return DemoHistory(events + _planned_outages(maintenance, seed), maintenance)


def _maintenance(
    rng: random.Random, names: list[str], start: datetime, days: int
) -> list[MaintenanceWindow]:
    """A weekly 2-hour window on one component (planned work that takes it down)."""
    target = rng.choice(names)
    windows = []
    for week in range(days // 7):
        begin = (start + timedelta(days=7 * week + 3)).replace(
            hour=2, minute=0, second=0, microsecond=0
        )
        windows.append(MaintenanceWindow(target, begin, begin + timedelta(hours=2), REASON, "demo"))
    return windows


def _planned_outages(windows: list[MaintenanceWindow], seed: int) -> list[StatusEvent]:
    """The component going down inside each maintenance window (planned, not counted)."""
    events = []
    for index, window in enumerate(windows):
        ident = f"{SOURCE}:{seed}:planned:{index}"
        down_at = window.start + timedelta(minutes=10)
        events.append(
            StatusEvent(window.component, State.DOWN, down_at, SOURCE, "patching", ident + ":a")
        )
        events.append(
            StatusEvent(
                window.component,
                State.OK,
                down_at + timedelta(minutes=50),
                SOURCE,
                "patched",
                ident + ":b",
            )
        )
    return events
