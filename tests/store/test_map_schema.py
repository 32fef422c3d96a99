"""The JSON Schema of the map format accepts real maps and points at the exact bad key."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "store" / "map_schema" / "service-map.schema.json"
DEMO_PATH = ROOT / "store" / "demo" / "demo.yaml"
DOC_PATH = ROOT / "docs" / "service-map.md"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def demo_map() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(DEMO_PATH.read_text(), Loader=SafeLoader)
    return loaded


@pytest.fixture()
def demo(demo_map: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy each test may break."""
    return copy.deepcopy(demo_map)


def error_paths(validator: jsonschema.Draft202012Validator, doc: object) -> set[str]:
    return {error.json_path for error in validator.iter_errors(doc)}


def component_index(demo: dict[str, Any], name: str) -> int:
    return next(i for i, c in enumerate(demo["components"]) if c["name"] == name)


def test_schema_validates_the_demo_map(validator, demo) -> None:
    assert error_paths(validator, demo) == set()


def test_schema_validates_the_example_in_the_docs(validator) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC_PATH.read_text(), flags=re.DOTALL)
    assert blocks, "docs/service-map.md has no yaml example"
    example = yaml.safe_load(blocks[0])
    assert example["version"] == 1 and example["components"]
    assert error_paths(validator, example) == set()


def test_unknown_key_is_reported_on_its_component(validator, demo) -> None:
    demo["components"][3]["onwer"] = "dba-team"
    errors = list(validator.iter_errors(demo))
    assert [e.json_path for e in errors] == ["$.components[3]"]
    assert "'onwer'" in errors[0].message


def test_unknown_top_level_key_and_wrong_version_are_rejected(validator, demo) -> None:
    demo["services"] = []
    demo["version"] = 2
    assert error_paths(validator, demo) == {"$", "$.version"}


@pytest.mark.parametrize("tier", [0, 5, "1", 1.5])
def test_tier_outside_1_to_4_is_rejected(validator, demo, tier) -> None:
    demo["business_services"][0]["tier"] = tier
    assert error_paths(validator, demo) == {"$.business_services[0].tier"}


@pytest.mark.parametrize("sla", [0, -1, 100.01, "99.9"])
def test_sla_must_be_a_percentage_above_zero(validator, demo, sla) -> None:
    demo["business_services"][1]["sla"] = sla
    assert error_paths(validator, demo) == {"$.business_services[1].sla"}


@pytest.mark.parametrize("bad", ["two", "0%", "150%", "60 %", "%", 0, -2, 1.5, True])
def test_bad_min_is_reported_on_the_group(validator, demo, bad) -> None:
    i = component_index(demo, "orders-db")
    demo["components"][i]["depends_on"][0]["min"] = bad
    assert error_paths(validator, demo) == {f"$.components[{i}].depends_on[0].min"}


@pytest.mark.parametrize("good", [1, 3, "60%", "100%", "12.5%", "0.5%"])
def test_count_and_percent_min_are_accepted(validator, demo, good) -> None:
    i = component_index(demo, "orders-db")
    demo["components"][i]["depends_on"][0]["min"] = good
    assert error_paths(validator, demo) == set()


def test_group_without_min_is_rejected(validator, demo) -> None:
    i = component_index(demo, "orders-db")
    del demo["components"][i]["depends_on"][0]["min"]
    assert error_paths(validator, demo) == {f"$.components[{i}].depends_on[0]"}


@pytest.mark.parametrize("name", ["-db-01", ".hidden", "db 01", "db/01", "", "bäckerei"])
def test_bad_component_name_is_rejected(validator, demo, name) -> None:
    demo["components"][5]["name"] = name
    assert error_paths(validator, demo) == {"$.components[5].name"}


def test_bad_names_inside_dependencies_are_reported_where_they_are(validator, demo) -> None:
    i = component_index(demo, "orders-db")
    demo["components"][i]["depends_on"][0]["any_of"][2] = "db 03"
    demo["components"][i]["depends_on"][1] = "_dx"
    assert error_paths(validator, demo) == {
        f"$.components[{i}].depends_on[0].any_of[2]",
        f"$.components[{i}].depends_on[1]",
    }


def test_dependency_kind_is_hard_or_soft(validator, demo) -> None:
    i = component_index(demo, "checkout-api")
    soft = next(j for j, d in enumerate(demo["components"][i]["depends_on"]) if isinstance(d, dict))
    demo["components"][i]["depends_on"][soft]["kind"] = "optional"
    assert error_paths(validator, demo) == {f"$.components[{i}].depends_on[{soft}].kind"}


def test_dependency_must_be_a_name_or_a_mapping(validator, demo) -> None:
    demo["components"][0]["depends_on"].append(42)
    last = len(demo["components"][0]["depends_on"]) - 1
    assert error_paths(validator, demo) == {f"$.components[0].depends_on[{last}]"}


def test_business_services_have_no_kind(validator, demo) -> None:
    demo["business_services"][2]["kind"] = "service"
    assert error_paths(validator, demo) == {"$.business_services[2]"}


def test_check_needs_a_url_and_known_keys(validator, demo) -> None:
    i = component_index(demo, "checkout-api")
    check = demo["components"][i]["check"]
    del check["url"]
    check["retries"] = 3
    errors = list(validator.iter_errors(demo))
    assert {e.json_path for e in errors} == {f"$.components[{i}].check"}
    assert {e.validator for e in errors} == {"required", "additionalProperties"}


@pytest.mark.parametrize("value", ["yes", 1, {"a": "b"}])
def test_label_values_are_strings(validator, demo, value) -> None:
    demo["components"][0]["labels"] = {"pci": value}
    expected = {"$.components[0].labels.pci"}
    if isinstance(value, str):
        expected = set()
    assert error_paths(validator, demo) == expected


GOOD_HOURS = [
    "24x7",
    "24x7 Europe/Berlin",
    "Mon-Fri 08:00-20:00 Europe/Berlin",
    "Mon-Fri 08:00-18:00, Sat 09:00-13:00 UTC",
    "Mon,Wed 06:00-22:00",
    "mon-fri 8:00-18:00",
    "Fri-Mon 00:00-24:00",
    "Sat 18:00-24:00 America/Argentina/Buenos_Aires",
]
BAD_HOURS = [
    "always",
    "Mon-Fri 08:00-24:30",
    "Mon-Fri 25:00-26:00",
    "Monday 08:00-18:00",
    "08:00-18:00",
    "Mon-Fri 08:00",
    "Mon-Fri 08:00-18:00 Europe/Berlin extra",
]


@pytest.mark.parametrize("hours", GOOD_HOURS)
def test_service_hours_in_the_grammar_are_accepted(validator, demo, hours) -> None:
    demo["business_services"][0]["service_hours"] = hours
    assert error_paths(validator, demo) == set()


@pytest.mark.parametrize("hours", BAD_HOURS)
def test_service_hours_outside_the_grammar_are_rejected(validator, demo, hours) -> None:
    demo["business_services"][0]["service_hours"] = hours
    assert error_paths(validator, demo) == {"$.business_services[0].service_hours"}


@pytest.mark.parametrize("hours", GOOD_HOURS + BAD_HOURS)
def test_schema_and_service_hours_parser_agree(validator, hours) -> None:
    service_hours = pytest.importorskip("impact.service_hours")
    try:
        service_hours.parse_service_hours(hours)
        parsed = True
    except service_hours.ServiceHoursError:
        parsed = False
    pattern = validator.schema["$defs"]["service_hours"]["pattern"]
    assert (re.match(pattern, hours) is not None) == parsed


def test_every_mistake_is_reported_at_once(validator, demo) -> None:
    broken = copy.deepcopy(demo)
    broken["business_services"][0]["tier"] = 5
    broken["components"][1]["colour"] = "red"
    broken["components"][2]["name"] = "-x"
    assert error_paths(validator, broken) == {
        "$.business_services[0].tier",
        "$.components[1]",
        "$.components[2].name",
    }
