"""The pure incident decisions: grouping by shared causes, dampening, convergence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from impact.incidents import Dampening, Hit, OpenIncident, plan
from impact.model import State

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def hit(name: str, *causes: str, state: State = State.DOWN, since: datetime = T0) -> Hit:
    return Hit(name, state, frozenset(causes), since)


def test_failures_sharing_a_cause_open_one_incident() -> None:
    decided = plan([hit("checkout", "db-03"), hit("search", "db-03"), hit("mail", "smtp")], [], T0)
    assert sorted(sorted(o.services) for o in decided.opens) == [["checkout", "search"], ["mail"]]


def test_open_dampening_waits_then_opens() -> None:
    damp = Dampening(open_after_s=120)
    assert plan([hit("checkout", "db-03")], [], T0 + timedelta(seconds=60), damp).pending == (
        "checkout",
    )
    assert len(plan([hit("checkout", "db-03")], [], T0 + timedelta(seconds=121), damp).opens) == 1


def test_resolve_dampening_keeps_a_flapping_incident_open() -> None:
    damp = Dampening(resolve_after_s=300)
    incident = OpenIncident(7, {"checkout": State.DOWN}, frozenset({"db-03"}))
    first = plan([], [incident], T0, damp)
    assert first.resolves == () and first.updates[0].recovered_at == T0
    recovering = OpenIncident(7, {"checkout": State.OK}, frozenset({"db-03"}), recovered_at=T0)
    assert plan([], [recovering], T0 + timedelta(seconds=299), damp).empty
    flapped = plan([hit("checkout", "db-03")], [recovering], T0 + timedelta(seconds=60), damp)
    assert flapped.opens == () and flapped.updates[0].recovered_at is None
    assert plan([], [recovering], T0 + timedelta(seconds=300), damp).resolves == (7,)


def test_plan_is_idempotent_once_applied() -> None:
    incident = OpenIncident(1, {"checkout": State.DOWN}, frozenset({"db-03"}))
    assert plan([hit("checkout", "db-03")], [incident], T0).empty


def test_maintenance_only_is_planned() -> None:
    [opening] = plan([hit("checkout", "db-03", state=State.MAINTENANCE)], [], T0).opens
    assert opening.planned
