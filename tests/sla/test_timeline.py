"""Replaying component events into business-service timelines.

The replay mechanics (ordering, batching, maintenance, clipping) run against a tiny stand-in
model whose rule is obvious (a service takes the worst state of its components); the
propagation itself is checked against the real engine in test_timeline_engine.py.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from impact.errors import UnknownComponent
from impact.model import BUSINESS_KIND, Component, MaintenanceWindow, State, StatusEvent
from impact.results import DependencyNode, DependsResult, RootCause, WhyResult
from impact.sla import sla_report
from impact.timeline import Segment, service_timelines
from impact.windows import custom_window

OK, DOWN, DEGRADED, MAINT = State.OK, State.DOWN, State.DEGRADED, State.MAINTENANCE


def t(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


class WorstOf:
    """A stand-in engine: each business service takes the worst state of its components."""

    def __init__(self, services: dict[str, list[str]]) -> None:
        self.services = services
        self.states: dict[str, State] = {}
        self.set_calls = 0

    def names(self) -> list[str]:
        parts = {c for deps in self.services.values() for c in deps}
        return [*self.services, *sorted(parts)]

    def component(self, name: str) -> Component:
        return Component(name, kind=BUSINESS_KIND if name in self.services else "service")

    def depends(self, name: str, depth: int = 3) -> DependsResult:
        deps = tuple(sorted(self.services.get(name, [])))
        return DependsResult(name, DependencyNode(name, "service", OK), deps, depth)

    def set_states(self, states: dict[str, State]) -> None:
        self.states = dict(states)
        self.set_calls += 1

    def state_of(self, name: str) -> State:
        found = [self.states.get(c, OK) for c in self.services.get(name, [name])]
        return max(found, key=lambda s: s.severity)

    def why(self, name: str) -> WhyResult:
        # Root causes: the components in the service's (worst) state.
        state = self.state_of(name)
        worst = [c for c in self.services[name] if self.states.get(c, OK) == state]
        return WhyResult(name, state, tuple(RootCause(c, state, 1, (c, name)) for c in worst))


def event(component: str, state: State, at: datetime) -> StatusEvent:
    return StatusEvent(component, state, at)


def model() -> WorstOf:
    return WorstOf({"checkout": ["db", "web"], "search": ["index"]})


EVENTS = [
    event("db", OK, t(8)),
    event("db", DOWN, t(10)),
    event("web", DOWN, t(10, 30)),
    event("db", OK, t(11)),
    event("web", OK, t(11, 15)),
    event("index", DEGRADED, t(12)),
    event("index", OK, t(13)),
]


def test_segments_follow_the_events_with_root_causes() -> None:
    timelines = service_timelines(model(), EVENTS, t(0), t(0, day=3))
    assert timelines["checkout"] == [
        Segment(t(8), t(10), OK),
        Segment(t(10), t(10, 30), DOWN, ("db",)),
        Segment(t(10, 30), t(11), DOWN, ("db", "web")),
        Segment(t(11), t(11, 15), DOWN, ("web",)),
        Segment(t(11, 15), t(0, day=3), OK),
    ]
    # The state is known from the first event of the history (08:00), not from midnight.
    assert timelines["search"][0] == Segment(t(8), t(12), OK)
    assert timelines["search"][1] == Segment(t(12), t(13), DEGRADED, ("index",))


def test_events_out_of_order_give_the_same_timeline() -> None:
    expected = service_timelines(model(), EVENTS, t(0), t(0, day=3))
    shuffled = EVENTS[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert service_timelines(model(), shuffled, t(0), t(0, day=3)) == expected


def test_conflicting_events_at_one_instant_the_worst_wins_whatever_the_order() -> None:
    clash = [event("db", OK, t(8)), event("db", DOWN, t(9)), event("db", OK, t(9))]
    for events in (clash, clash[::-1]):
        timeline = service_timelines(model(), events, t(8), t(10), ["checkout"])["checkout"]
        assert timeline == [Segment(t(8), t(9), OK), Segment(t(9), t(10), DOWN, ("db",))]


def test_events_before_the_window_set_the_starting_state_and_the_end_clips() -> None:
    timeline = service_timelines(model(), EVENTS, t(10, 45), t(11, 5), ["checkout"])["checkout"]
    assert timeline == [
        Segment(t(10, 45), t(11), DOWN, ("db", "web")),
        Segment(t(11), t(11, 5), DOWN, ("web",)),
    ]


def test_known_since_makes_quiet_services_ok_from_the_import() -> None:
    timelines = service_timelines(model(), [], t(0), t(6), known_since=t(1))
    assert timelines["search"] == [Segment(t(1), t(6), OK)]


def test_no_events_and_no_import_time_is_no_data() -> None:
    assert service_timelines(model(), [], t(0), t(6)) == {"checkout": [], "search": []}


def test_failing_component_in_its_maintenance_window_is_planned() -> None:
    window = MaintenanceWindow("db", t(10), t(10, 45))
    timeline = service_timelines(model(), EVENTS, t(9), t(12), ["checkout"], maintenance=[window])[
        "checkout"
    ]
    assert timeline == [
        Segment(t(9), t(10), OK),
        Segment(t(10), t(10, 30), MAINT, ("db",)),
        Segment(t(10, 30), t(10, 45), DOWN, ("web",)),  # web is not in maintenance
        Segment(t(10, 45), t(11), DOWN, ("db", "web")),  # db still down after the window
        Segment(t(11), t(11, 15), DOWN, ("web",)),
        Segment(t(11, 15), t(12), OK),
    ]


def test_repeated_states_and_unrelated_components_do_not_ask_the_engine() -> None:
    engine = model()
    heartbeats = [event("db", OK, t(8, minute)) for minute in range(60)]
    noise = [event("index", DOWN, t(9)), event("not-in-map", DOWN, t(9, 30))]
    timeline = service_timelines(engine, heartbeats + noise, t(8), t(10), ["checkout"])
    assert timeline == {"checkout": [Segment(t(8), t(10), OK)]}
    assert engine.set_calls == 1  # only the initial state


def test_names_are_matched_case_insensitively_and_unknown_services_are_refused() -> None:
    timeline = service_timelines(model(), [event("DB", DOWN, t(8))], t(8), t(9), ["Checkout"])
    assert timeline == {"checkout": [Segment(t(8), t(9), DOWN, ("db",))]}
    with pytest.raises(UnknownComponent, match="checkout"):
        service_timelines(model(), EVENTS, t(8), t(9), ["chekout"])


def test_timeline_feeds_the_sla_report() -> None:
    timeline = service_timelines(model(), EVENTS, t(0), t(0, day=3), ["checkout"])["checkout"]
    report = sla_report(
        timeline, target=99.0, window=custom_window(t(0), t(0, day=3)), now=t(0, day=4)
    )
    # 00:00-08:00 unknown; 16 h measured, of which 10:00-11:15 down.
    assert (report.no_data_s, report.measured_s, report.downtime_s) == (28_800, 57_600, 4500)
    assert report.incidents == 1
    assert [(c.name, c.downtime_s) for c in report.top_causes] == [("db", 3600), ("web", 2700)]
