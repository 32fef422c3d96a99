"""Propagation rules: each test is one rule on a tiny map."""

from __future__ import annotations

from impact.model import State

DOWN, DEGRADED, OK = State.DOWN, State.DEGRADED, State.OK
MAINT, UNKNOWN = State.MAINTENANCE, State.UNKNOWN


def test_unlisted_components_are_ok(model):
    m = model({"app": ["db"]})
    assert m.state_of("app") == OK and m.state_of("db") == OK


def test_hard_dependency_down_takes_dependant_down_transitively(model):
    m = model({"web": ["app"], "app": ["db"]}, states={"db": DOWN})
    assert [m.state_of(n) for n in ("db", "app", "web")] == [DOWN, DOWN, DOWN]


def test_hard_dependency_degraded_degrades_dependant(model):
    m = model({"web": ["app"], "app": ["db"]}, states={"db": DEGRADED})
    assert m.state_of("web") == DEGRADED


def test_soft_dependency_down_only_degrades(model):
    m = model({"web": [("soft", "recs")], "shop": ["web"]}, states={"recs": DOWN})
    assert m.state_of("web") == DEGRADED
    assert m.state_of("shop") == DEGRADED


def test_hard_wins_when_also_soft(model):
    m = model({"web": ["db", ("soft", "db")]}, states={"db": DOWN})
    assert m.state_of("web") == DOWN


def test_group_holds_with_enough_members_up_but_is_degraded(model):
    m = model({"api": [("group", 2, ["db1", "db2", "db3"])]}, states={"db1": DOWN})
    assert m.state_of("api") == DEGRADED


def test_group_falls_below_min(model):
    m = model({"api": [("group", 2, ["db1", "db2", "db3"])]}, states={"db1": DOWN, "db3": DOWN})
    assert m.state_of("api") == DOWN


def test_group_degraded_member_counts_as_up(model):
    states = {"db1": DOWN, "db2": DEGRADED}
    m = model({"api": [("group", 2, ["db1", "db2", "db3"])]}, states=states)
    assert m.state_of("api") == DEGRADED


def test_group_min_percent_rounds_up(model):
    # 60% of 3 = 1.8 -> 2 members needed
    spec = {"api": [("group", "60%", ["a", "b", "c"])]}
    assert model(spec, states={"a": DOWN}).state_of("api") == DEGRADED
    assert model(spec, states={"a": DOWN, "b": DOWN}).state_of("api") == DOWN


def test_group_member_down_through_its_own_dependency(model):
    spec = {"api": [("group", 1, ["db1", "db2"])], "db1": ["host"], "db2": ["host"]}
    assert model(spec, states={"host": DOWN}).state_of("api") == DOWN


def test_cycle_does_not_fail_by_itself(model):
    m = model({"a": ["b"], "b": ["a"]})
    assert m.state_of("a") == OK and m.state_of("b") == OK


def test_failure_entering_a_cycle_goes_around_it(model):
    m = model({"a": ["b"], "b": ["c"], "c": ["a", "x"]}, states={"x": DOWN})
    assert [m.state_of(n) for n in "abc"] == [DOWN, DOWN, DOWN]


def test_self_dependency_is_harmless(model):
    m = model({"a": ["a"]}, states={})
    assert m.state_of("a") == OK


def test_unknown_is_reported_but_propagates_nothing(model):
    m = model({"web": ["app"]}, states={"app": UNKNOWN})
    assert m.state_of("app") == UNKNOWN
    assert m.state_of("web") == OK


def test_unknown_component_still_shows_an_outage_below_it(model):
    m = model({"web": ["app"], "app": ["db"]}, states={"app": UNKNOWN, "db": DOWN})
    assert m.state_of("app") == DOWN


def test_maintenance_alone_is_planned(model):
    m = model({"web": ["app"], "app": ["db"]}, states={"db": MAINT})
    assert [m.state_of(n) for n in ("db", "app", "web")] == [MAINT, MAINT, MAINT]


def test_maintenance_plus_unplanned_failure_in_group_is_an_outage(model):
    spec = {"api": [("group", 2, ["db1", "db2", "db3"])], "shop": ["api"]}
    m = model(spec, states={"db1": MAINT, "db2": DOWN})
    assert m.state_of("api") == DOWN
    assert m.state_of("shop") == DOWN
    assert m.state_of("db1") == MAINT


def test_maintenance_of_one_member_only_degrades_as_planned(model):
    m = model({"api": [("group", 2, ["db1", "db2", "db3"])]}, states={"db1": MAINT})
    assert m.state_of("api") == MAINT


def test_unplanned_explains_everything_so_maintenance_is_not_mentioned(model):
    m = model({"web": ["app", "db"]}, states={"db": MAINT, "app": DOWN})
    assert m.state_of("web") == DOWN


def test_planned_down_that_maintenance_alone_explains_stays_planned(model):
    # maintenance alone takes web down; the unplanned cache failure alone would only degrade
    m = model({"web": ["db", ("soft", "cache")]}, states={"db": MAINT, "cache": DOWN})
    assert m.state_of("web") == MAINT
    # the planned cause of the down comes first; the unplanned one still shows, as degrading
    causes = m.why("web").root_causes
    assert [(c.name, c.planned, c.effect) for c in causes] == [
        ("db", True, DOWN),
        ("cache", False, DEGRADED),
    ]


def test_set_states_replaces_previous_states(model):
    m = model({"web": ["db"]}, states={"db": DOWN})
    m.set_states({})
    assert m.state_of("web") == OK
