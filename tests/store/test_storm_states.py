"""States in a storm: questions may answer from states caught up a moment ago, never from
an older map; `catch_up` (the reconcile loop's) always reads the states of now.

Demo map (store/demo/demo.yaml, README): dns down takes 7 of the 8 business services down.
"""

from __future__ import annotations

from datetime import timedelta

from impact.clock import utcnow
from impact.model import Component, Dependency, ServiceMap, State, StatusEvent
from services.model import ModelService
from store import Store


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def down_count(models: ModelService) -> int:
    return sum(s.state is State.DOWN for s in models.current().model.status().services)


def test_held_states_answer_within_their_age_and_catch_up_reads_now(demo_store: Store) -> None:
    ticks = Ticks()
    models = ModelService(demo_store, states_age_s=2.0, monotonic=ticks)
    assert down_count(models) == 0
    demo_store.record_events([StatusEvent("dns", State.DOWN, utcnow() - timedelta(seconds=1))])

    ticks.now += 1.0  # caught up 1 s ago: the held states answer
    assert down_count(models) == 0
    caught = models.catch_up()  # the reconcile loop: the states of now
    assert sum(s.state is State.DOWN for s in caught.model.status().services) == 7
    assert down_count(models) == 7

    demo_store.record_events([StatusEvent("dns", State.OK, utcnow())])
    ticks.now += 2.5  # older than the age: the question reads them itself
    assert down_count(models) == 0


def test_without_an_age_every_question_reads_the_states_of_now(demo_store: Store) -> None:
    models = ModelService(demo_store)
    assert down_count(models) == 0
    demo_store.record_events([StatusEvent("dns", State.DOWN, utcnow() - timedelta(seconds=1))])
    assert down_count(models) == 7


def test_a_map_change_is_current_whatever_the_age_of_the_states(demo_store: Store) -> None:
    ticks = Ticks()
    models = ModelService(demo_store, states_age_s=60.0, monotonic=ticks)
    before = models.current()
    assert "bench-new" not in before.service_map.components
    added = ServiceMap.build([Component("bench-new")], [Dependency("bench-new", "dns")])
    demo_store.import_map(added, actor="tests")
    assert "bench-new" in models.current().service_map.components


def test_back_to_back_catch_ups_slower_than_the_age_stretch_it_boundedly(
    demo_store: Store,
) -> None:
    """A cycle of 3 s (a storm on a big map): held states answer for 1.5 cycles (4.5 s),
    never for more than 4 times the age (8 s), and a quiet gap gives the plain age back."""
    ticks = Ticks()
    models = ModelService(demo_store, states_age_s=2.0, monotonic=ticks)
    models.catch_up()
    ticks.now += 3.0
    models.catch_up()  # catch-ups 3 s apart
    demo_store.record_events([StatusEvent("dns", State.DOWN, utcnow() - timedelta(seconds=1))])
    ticks.now += 4.0  # 4 s < 1.5 cycles: held
    assert down_count(models) == 0
    ticks.now += 1.0  # 5 s: read
    assert down_count(models) == 7

    ticks.now += 20.0
    models.catch_up()  # after a quiet 20 s: the plain age again
    demo_store.record_events([StatusEvent("dns", State.OK, utcnow())])
    ticks.now += 2.5
    assert down_count(models) == 0
