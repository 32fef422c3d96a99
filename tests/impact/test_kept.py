"""Derived answers are computed once per states (`ImpactModel.kept`), on the demo map.

Hand reading of store/demo/demo.yaml: orders-db-cluster is db-01, db-02, db-03 with min 2.
With db-03 down it is at its minimum (2 of 3): one more node down takes orders-db down and
with it Online Checkout, Order Fulfilment and Customer Support Desk (hard paths; Internal
Reporting reaches orders-db through a soft edge only). With db-01 down as well the cluster
has fallen (1 of 3): no group is at its minimum any more.
"""

from __future__ import annotations

from pathlib import Path

from impact.engine import ImpactModel
from impact.model import State
from impact.risk import current_margins
from store import load_map_file

DEMO = Path(__file__).resolve().parents[2] / "store" / "demo" / "demo.yaml"
ORDERS = ("customer-support", "online-checkout", "order-fulfilment")


def test_margins_are_kept_per_states_and_shared_with_forks() -> None:
    model = ImpactModel.from_map(load_map_file(DEMO), {"db-03": State.DOWN})
    first = current_margins(model)
    assert [(m.group, m.up, m.required, m.services) for m in first] == [
        ("orders-db-cluster", 2, 2, ORDERS)
    ]
    assert current_margins(model) is first  # the same states: not computed again
    assert current_margins(model.fork()) is first  # a fork starts with the same states

    fork = model.fork()
    fork.set_states({"db-03": State.DOWN, "db-01": State.DOWN})
    assert current_margins(fork) == ()
    assert current_margins(model) is first  # the fork's states are its own

    model.set_states({})
    assert current_margins(model) == ()  # healthy: every group has a spare member


def test_status_follows_the_states_it_is_kept_for() -> None:
    model = ImpactModel.from_map(load_map_file(DEMO))
    healthy = model.status()
    assert all(s.state is State.OK for s in healthy.services)
    assert model.status() is healthy
    model.set_states({"dns": State.DOWN})  # README: dns takes down 7 of the 8 services
    assert sum(s.state is State.DOWN for s in model.status().services) == 7
