"""The questions ops ask, on a small shop map."""

from __future__ import annotations

import pytest

from impact.engine import ImpactModel, UnknownComponent
from impact.errors import ImpactError
from impact.model import Dependency, DependencyKind, RedundancyGroup, State

SHOP = {
    "checkout": ["checkout-api", "payments-api"],
    "search": ["search-api"],
    "blog": [("soft", "search-api")],
    "checkout-api": [("group", 2, ["db-01", "db-02", "db-03"]), ("soft", "recs")],
    "payments-api": ["host-1"],
    "search-api": ["host-1", "host-2"],
    "db-01": ["rack-a"],
    "db-02": ["rack-a"],
    "db-03": ["rack-b"],
    "host-1": ["dns"],
    "host-2": ["dns"],
}
BUSINESS = {
    "checkout": {"tier": 1, "revenue_per_hour": 12000.0, "owner": "payments", "channel": "#co"},
    "search": {"tier": 2, "revenue_per_hour": 3000.0},
    "blog": {"tier": None, "revenue_per_hour": None},
}


@pytest.fixture
def shop(model) -> ImpactModel:
    return model(SHOP, BUSINESS)


def test_affects_single_member_takes_nothing_down_and_names_the_group(shop):
    result = shop.affects(["db-03"])
    assert result.down == ()
    assert [s.name for s in result.degraded] == ["checkout"]
    assert result.protected == ("checkout",)
    (group,) = result.groups
    assert (group.dependant, group.up, group.required, group.failed_members) == (
        "checkout-api",
        2,
        3 - 1,
        ("db-03",),
    )
    assert group.holds


def test_affects_shared_rack_takes_checkout_down_with_path(shop):
    result = shop.affects(["rack-a"])
    (down,) = result.down
    assert down.name == "checkout" and down.state == State.DOWN
    assert down.path == ("rack-a", "db-01", "checkout-api", "checkout")
    assert (down.tier, down.owner, down.channel, down.revenue_per_hour) == (
        1,
        "payments",
        "#co",
        12000.0,
    )
    assert result.revenue_at_risk == 12000.0
    assert result.protected == ()
    assert not result.groups[0].holds
    # db-01, db-02, checkout-api, checkout
    assert result.components_impacted == 4


def test_affects_orders_by_business_impact(shop):
    result = shop.affects(["dns"])
    assert [s.name for s in result.down] == ["checkout", "search"]
    assert [s.name for s in result.degraded] == ["blog"]
    assert result.degraded[0].path == ("dns", "host-1", "search-api", "blog")
    assert result.revenue_at_risk == 15000.0


def test_affects_ignores_current_states(model):
    m = model(SHOP, BUSINESS, states={"host-2": State.DOWN})
    assert m.affects(["recs"]).degraded[0].name == "checkout"
    assert m.affects(["recs"]).down == ()


def test_whatif_builds_on_current_states_and_reports_changes(model):
    m = model(SHOP, BUSINESS, states={"db-01": State.DOWN})
    result = m.whatif(["db-03"])
    assert [s.name for s in result.affects.down] == ["checkout"]
    assert [(c.name, c.before, c.after) for c in result.changes] == [
        ("checkout", State.DEGRADED, State.DOWN)
    ]
    assert m.state_of("checkout") == State.DEGRADED  # a what-if changes nothing


def test_whatif_on_top_of_maintenance_is_an_outage(model):
    m = model(SHOP, BUSINESS, states={"db-01": State.MAINTENANCE})
    assert m.state_of("checkout") == State.MAINTENANCE
    result = m.whatif(["db-02"])
    assert [(c.name, c.after) for c in result.changes] == [("checkout", State.DOWN)]


def test_why_ranks_root_causes_by_what_they_explain(model):
    m = model(
        SHOP, BUSINESS, states={"rack-a": State.DOWN, "db-01": State.DOWN, "recs": State.DOWN}
    )
    result = m.why("checkout")
    assert result.state == State.DOWN
    names = [c.name for c in result.root_causes]
    # db-01 is explained by rack-a; rack-a explains rack-a, db-01, db-02, checkout-api, checkout
    assert names == ["rack-a", "recs"]
    assert result.root_causes[0].explains == 5
    assert result.root_causes[0].path == ("rack-a", "db-01", "checkout-api", "checkout")


def test_why_soft_dependency_does_not_explain_a_down(model):
    m = model({"web": [("soft", "cache")]}, states={"web": State.DOWN, "cache": State.DOWN})
    # web's own failure is what takes it down; the soft cache only degrades it
    causes = m.why("web").root_causes
    assert [(c.name, c.effect, c.explains) for c in causes] == [
        ("web", State.DOWN, 1),
        ("cache", State.DEGRADED, 1),
    ]


def test_why_names_the_outage_cause_before_a_degradation(model):
    # one db of the 2-of-3 group down only degrades checkout-api; host-1 takes checkout down
    m = model(SHOP, BUSINESS, states={"db-01": State.DOWN, "host-1": State.DOWN})
    result = m.why("checkout")
    assert result.state == State.DOWN
    outage, degradation = result.root_causes
    assert (outage.name, outage.effect) == ("host-1", State.DOWN)
    assert outage.path == ("host-1", "payments-api", "checkout")
    assert outage.explains == 3  # host-1, payments-api, checkout
    assert (degradation.name, degradation.effect) == ("db-01", State.DEGRADED)
    assert degradation.path == ("db-01", "checkout-api", "checkout")
    assert degradation.explains == 2  # db-01 and checkout-api (degraded), not the down checkout


def test_why_group_members_needed_together_both_explain_the_outage(model):
    m = model(SHOP, BUSINESS, states={"db-01": State.DOWN, "db-03": State.DOWN})
    causes = m.why("checkout").root_causes
    assert [(c.name, c.effect, c.explains) for c in causes] == [
        ("db-01", State.DOWN, 3),  # itself, checkout-api, checkout
        ("db-03", State.DOWN, 3),
    ]
    assert causes[1].path == ("db-03", "checkout-api", "checkout")


def test_why_outage_path_runs_through_down_nodes(model):
    # the shortest route from db is the soft edge; the outage travels through api
    m = model({"web": ["api", ("soft", "db")], "api": ["db"]}, states={"db": State.DOWN})
    (cause,) = m.why("web").root_causes
    assert (cause.effect, cause.path, cause.explains) == (State.DOWN, ("db", "api", "web"), 3)


def test_why_of_a_degraded_subject_ranks_by_what_each_explains(model):
    m = model(SHOP, BUSINESS, states={"db-03": State.DOWN, "recs": State.DEGRADED})
    result = m.why("checkout")
    assert result.state == State.DEGRADED
    assert [(c.name, c.effect, c.explains) for c in result.root_causes] == [
        ("db-03", State.DEGRADED, 3),
        ("recs", State.DEGRADED, 3),
    ]


def test_why_ignores_failures_outside_the_closure(model):
    m = model(SHOP, BUSINESS, states={"host-2": State.DOWN, "rack-b": State.DOWN})
    assert [c.name for c in m.why("search").root_causes] == ["host-2"]
    assert m.why("search").root_causes[0].effect == State.DOWN


def test_why_planned_and_unplanned_members_together_are_an_outage(model):
    m = model(SHOP, BUSINESS, states={"db-01": State.MAINTENANCE, "db-03": State.DOWN})
    result = m.why("checkout")
    assert result.state == State.DOWN
    assert [(c.name, c.planned, c.effect) for c in result.root_causes] == [
        ("db-01", True, State.DOWN),
        ("db-03", False, State.DOWN),
    ]


def test_why_marks_maintenance_as_planned(model):
    m = model(SHOP, BUSINESS, states={"host-1": State.MAINTENANCE})
    (cause,) = m.why("search").root_causes
    assert (cause.name, cause.planned, cause.state) == ("host-1", True, State.MAINTENANCE)


def test_why_of_a_healthy_service_has_no_causes(shop):
    assert shop.why("checkout").root_causes == ()


def test_why_in_a_cycle_finds_the_real_cause(model):
    m = model({"a": ["b"], "b": ["a"]}, states={"a": State.DOWN, "b": State.DOWN})
    assert [c.name for c in m.why("a").root_causes] == ["a", "b"]
    m = model({"a": ["b"], "b": ["a"]}, states={"a": State.DOWN})
    assert [c.name for c in m.why("b").root_causes] == ["a"]


def test_spof_excludes_redundant_members_but_finds_shared_rack(shop):
    assert shop.spof("checkout").spofs == (
        "checkout-api",
        "dns",
        "host-1",
        "payments-api",
        "rack-a",
    )


def test_spof_ignores_soft_dependencies(shop):
    assert shop.spof("blog").spofs == ()


def test_depends_tree_with_groups_kinds_and_states(model):
    m = model(SHOP, BUSINESS, states={"db-02": State.DOWN})
    result = m.depends("checkout", depth=2)
    api = result.tree.children[0]
    assert (api.name, api.state) == ("checkout-api", State.DEGRADED)
    group, recs = api.children
    assert (group.kind, group.group, group.relation) == ("group", "2 of 3", "hard")
    assert [(c.name, c.relation, c.state) for c in group.children] == [
        ("db-01", "member", State.OK),
        ("db-02", "member", State.DOWN),
        ("db-03", "member", State.OK),
    ]
    assert group.children[0].truncated  # rack-a is one level further
    assert recs.relation == "soft"
    assert result.dependencies == (
        "checkout-api",
        "db-01",
        "db-02",
        "db-03",
        "dns",
        "host-1",
        "payments-api",
        "rack-a",
        "rack-b",
        "recs",
    )


def test_depends_depth_zero_is_just_the_subject(shop):
    result = shop.depends("checkout", depth=0)
    assert result.tree.children == () and result.tree.truncated


def test_depends_on_a_cycle_terminates(model):
    result = model({"a": ["b"], "b": ["a"]}).depends("a", depth=10)
    assert result.tree.children[0].children[0].name == "a"
    assert result.tree.children[0].children[0].truncated
    assert result.dependencies == ("b",)  # the subject itself is never listed


def test_path_lists_all_equally_short_paths(shop):
    result = shop.path("search", "dns")
    assert result.paths == (
        ("search", "search-api", "host-1", "dns"),
        ("search", "search-api", "host-2", "dns"),
    )


def test_path_through_a_group(shop):
    assert shop.path("checkout", "rack-b").paths == (
        ("checkout", "checkout-api", "db-03", "rack-b"),
    )


def test_path_tries_the_other_direction(shop):
    result = shop.path("dns", "search")
    assert (result.source, result.target) == ("search", "dns")
    assert len(result.paths) == 2


def test_path_none_when_unrelated(shop):
    assert shop.path("blog", "rack-a").paths == ()


def test_status_worst_first_with_causes(model):
    m = model(SHOP, BUSINESS, states={"host-2": State.DOWN, "recs": State.DOWN})
    result = m.status()
    assert [(s.name, s.state) for s in result.services] == [
        ("search", State.DOWN),
        ("checkout", State.DEGRADED),
        ("blog", State.DEGRADED),
    ]
    assert result.services[0].causes == ("host-2",)
    assert result.services[1].causes == ("recs",)


def test_unknown_name_suggests_close_names(shop):
    with pytest.raises(UnknownComponent) as raised:
        shop.affects(["db-04"])
    assert raised.value.name == "db-04"
    assert "db-01" in str(raised.value)
    assert isinstance(raised.value, ImpactError)


def test_names_are_case_insensitive(shop):
    assert shop.state_of("CHECKOUT") == State.OK
    assert shop.component("Db-01").name == "db-01"


def test_names_and_component(shop):
    assert shop.names()[:3] == ["blog", "checkout", "checkout-api"]
    assert shop.component("checkout").tier == 1


def test_add_dependency_is_reflected_in_the_next_answer(model):
    m = model({"web": ["app"], "cache": []}, states={"cache": State.DOWN})
    assert m.state_of("web") == State.OK
    m.add_dependency(Dependency("app", "cache"))
    assert m.state_of("web") == State.DOWN
    assert m.path("web", "cache").paths == (("web", "app", "cache"),)


def test_remove_dependency_is_reflected_in_the_next_answer(model):
    m = model({"web": ["app"], "app": ["db"]}, states={"db": State.DOWN})
    m.remove_dependency("app", "db")
    assert m.state_of("web") == State.OK
    assert m.depends("web").dependencies == ("app",)


def test_soft_dependency_added_later(model):
    m = model({"web": [], "recs": []}, states={"recs": State.DOWN})
    m.add_dependency(Dependency("web", "recs", DependencyKind.SOFT))
    assert m.state_of("web") == State.DEGRADED


def test_groups_can_be_added_and_removed(model):
    m = model({"api": [], "a": [], "b": []}, states={"a": State.DOWN})
    m.add_dependency(RedundancyGroup("pair", "api", ("a", "b"), min_up=2))
    assert m.state_of("api") == State.DOWN
    assert m.state_of("a") == State.DOWN  # states survive the recompile
    m.remove_dependency("api", "pair")
    assert m.state_of("api") == State.OK


def test_removing_a_missing_dependency_says_so(model):
    m = model({"web": ["app"]})
    with pytest.raises(ImpactError, match="does not depend on"):
        m.remove_dependency("app", "web")


def test_to_networkx_has_kinds_and_states(model):
    g = model(SHOP, BUSINESS, states={"dns": State.DOWN}).to_networkx()
    assert g.edges["checkout-api", "checkout-api-group0"]["kind"] == "group"
    assert g.edges["checkout-api-group0", "db-01"]["kind"] == "member"
    assert g.edges["blog", "search-api"]["kind"] == "soft"
    assert g.nodes["checkout"]["state"] == State.DOWN
    assert g.nodes["checkout"]["business"] is True


def test_answers_are_deterministic(model):
    first = model(SHOP, BUSINESS, states={"dns": State.DOWN}).status()
    second = model(
        dict(reversed(list(SHOP.items()))), BUSINESS, states={"dns": State.DOWN}
    ).status()
    assert first == second


def test_remove_then_add_again_keeps_the_new_dependency(model):
    m = model({"web": ["app"], "app": []}, states={"app": State.DOWN})
    m.remove_dependency("web", "app")
    m.add_dependency(Dependency("web", "app"))
    assert m.state_of("web") == State.DOWN
    assert [(d.source, d.target) for d in m.service_map.dependencies] == [("web", "app")]
