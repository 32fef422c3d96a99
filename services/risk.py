"""Change-risk preview as a use case: the current failures and windows, through impact.risk.

    preview_risk(store, models.current().model, ["db-03"], start, end)

Reads only: the current states (the failures of now) and the stored maintenance windows;
the model (the process's one compiled model) is forked, so the what-if leaves its states
alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from impact.engine import ImpactModel
from impact.model import MaintenanceWindow, State
from impact.risk import RiskPreview, risk_preview


class RiskSource(Protocol):
    def current_states(self, at: datetime | None = None) -> dict[str, State]: ...
    def maintenance_windows(self, active_at: datetime | None = None) -> list[MaintenanceWindow]: ...


def preview_risk(
    store: RiskSource,
    model: ImpactModel,
    components: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    skip: int | None = None,
) -> RiskPreview:
    """What taking `components` down over [start, end) would do (see `impact.risk`);
    `skip`: a stored window that is this work itself (not an overlap of it)."""
    failing = {n: s for n, s in store.current_states().items() if s != State.OK}
    windows = [w for w in store.maintenance_windows() if w.end > start and w.id != skip]
    return risk_preview(model.fork(), components, start, end, windows=windows, failing=failing)


def maintenance_warnings(preview: RiskPreview) -> tuple[str, ...]:
    """What to say before a maintenance window is created (chat and CLI say the same).

    A group left at or below its minimum, business services it takes down, and other
    windows on the same components or groups at the same time.
    """
    found = []
    for margin in preview.margins:
        found.append(
            f"{margin.group} is left at its minimum ({margin.up} of {len(margin.members)}, "
            f"needs {margin.required}): one more loss takes {', '.join(margin.services)} down"
        )
    if preview.down:
        found.append(f"it takes {', '.join(preview.down)} down")
    for window in preview.overlapping_windows:
        found.append(
            f"it overlaps maintenance #{window.id} on {window.component} "
            f"({window.start:%Y-%m-%d %H:%M}-{window.end:%H:%M} UTC)"
        )
    return tuple(found)
