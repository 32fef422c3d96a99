"""The incidents use case decides over the process's one compiled model and leaves it as it was."""

from __future__ import annotations

from payloads import Clock

from impact.model import ServiceMap, State, StatusEvent
from services.incidents import Incidents
from services.model import ModelService
from store import Store
from store.alerts import Observation


def down(component: str, clock: Clock) -> Observation:
    event = StatusEvent(component, State.DOWN, clock(), "alertmanager", None, f"{component}:down")
    return Observation(f"am:{component}", event)


def no_reload() -> ServiceMap:
    raise AssertionError("the map was loaded and compiled again")


def test_reconcile_shares_the_compiled_model_and_leaves_its_states(
    mapped_store: Store, clock: Clock
) -> None:
    models = ModelService(mapped_store)
    held = models.current()
    incidents = Incidents(mapped_store, models, clock=clock)

    incidents.ingest([down("checkout-api", clock)])
    incidents.reconcile()

    [opened] = incidents.incidents()
    assert dict(opened.services) == {"checkout": State.DOWN}
    assert models.compiled(held.version, no_reload).model is held.model  # compiled once
    assert held.model.state_of("checkout") is State.OK  # the decision used a fork
    assert incidents.service_map() is held.service_map


def test_a_new_map_version_is_compiled_once_for_every_user(
    mapped_store: Store, clock: Clock
) -> None:
    models = ModelService(mapped_store)
    incidents = Incidents(mapped_store, models, clock=clock)
    before = incidents.service_map()
    changed = ServiceMap.build(list(before.components.values()), list(before.dependencies), [])
    mapped_store.import_map(changed, actor="tests")

    incidents.ingest([down("search-api", clock)])

    compiled = models.current()
    assert incidents.service_map() is compiled.service_map is not before
    [opened] = incidents.incidents()
    assert dict(opened.services) == {"search": State.DOWN}


def test_names_with_capitals_open_incidents_and_notices(store: Store, clock: Clock) -> None:
    """States travel by name key: a component and a service spelt with capitals still
    fail, open their incident and reach the service's channel."""
    from impact.model import Component, Dependency

    service_map = ServiceMap.build(
        [
            Component("Payments-DB"),
            Component("Pay-API"),
            Component("Payments", "business_service", channel="#inc-pay", tier=1),
        ],
        [Dependency("Pay-API", "Payments-DB"), Dependency("Payments", "Pay-API")],
    )
    store.import_map(service_map, actor="tests")
    incidents = Incidents(store, ModelService(store), clock=clock)

    incidents.ingest([down("payments-db", clock)])

    [opened] = incidents.incidents()
    assert dict(opened.services) == {"Payments": State.DOWN}
    [notice] = store.outbox.claim(clock(), min_interval_s=0)
    assert notice.channel == "#inc-pay"
