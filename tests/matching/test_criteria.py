"""One matching criterion: a scheme file and a matching input write the same model, checked by
the same function, with the same defaults — a criterion a tenant's file accepts is one the
engine accepts and reads the same way."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from mentorhub.matching import Criterion, InputError, parse_criteria, parse_instance
from mentorhub.schemes import SchemeError, parse_tenant_file
from mentorhub.schemes.rules import Matching
from tests.schemes.conftest import raw

BAD: dict[str, tuple[dict[str, Any], str]] = {
    "unknown key": (
        {"name": "a", "kind": "same", "field": "f", "wieght": 2}, "wieght: unknown key"),
    "unknown kind": (
        {"name": "a", "kind": "telepathy", "field": "f"}, "kind: a string ('telepathy')"),
    "negative weight": (
        {"name": "a", "kind": "same", "field": "f", "weight": -1}, "weight: must be ≥ 0"),
    "min_gap without min": ({"name": "a", "kind": "min_gap", "field": "f"},
                            "min: required for kind 'min_gap'"),
    "distance without max": ({"name": "a", "kind": "distance", "field": "f"},
                             "max: required for kind 'distance'"),
    "distance max zero": ({"name": "a", "kind": "distance", "field": "f", "max": 0},
                          "max: must be > 0 (kilometres)"),
    "order on overlap": ({"name": "a", "kind": "overlap", "field": "f", "order": ["x"]},
                         "order: not used by kind 'overlap'"),
    "min on same": ({"name": "a", "kind": "same", "field": "f", "min": 1},
                    "min: not used by kind 'same'"),
    "career stage without order": ({"name": "a", "kind": "career_stage", "field": "f"},
                                   "order: required for kind 'career_stage'"),
    "stage listed twice": (
        {"name": "a", "kind": "career_stage", "field": "f", "order": ["x", "x"]},
        "order: lists a stage twice"),
    "impossible stage gap": (
        {"name": "a", "kind": "career_stage", "field": "f", "order": ["x", "y"], "min": 2},
        "min: a gap of 2 stages is impossible with 2 stages"),
    "fractional shared items": ({"name": "a", "kind": "overlap", "field": "f", "min": 1.5},
                                "min: must be a whole number"),
    "availability of nothing": ({"name": "a", "kind": "availability", "field": "f", "min": 0},
                                "min: must be ≥ 1 shared item"),
    "reserved field": ({"name": "a", "kind": "same", "field": "capacity"},
                       "field: 'capacity' is reserved"),
    "soft and weightless": ({"name": "a", "kind": "overlap", "field": "f", "weight": 0},
                            "weight: a soft criterion with weight 0 has no effect"),
}


def scheme_problems(criterion: dict[str, Any]) -> list[str]:
    """The problems a tenant file with this criterion has, as paths under `criteria[0]`."""
    data = raw("museums-association")
    data["scheme"]["matching"]["criteria"] = [criterion]
    with pytest.raises(SchemeError) as info:
        parse_tenant_file(data, "x.toml", expected_slug="museums-association")
    return [f"{p.path.removeprefix('scheme.matching.')}: {p.message}" for p in info.value.problems]


def input_problems(criterion: dict[str, Any]) -> list[str]:
    with pytest.raises(InputError) as info:
        parse_criteria([criterion])
    return info.value.problems


def test_a_scheme_criterion_is_the_engine_criterion() -> None:
    hints = msgspec.inspect.type_info(Matching)
    field = next(f for f in hints.fields if f.name == "criteria")  # type: ignore[attr-defined]
    assert field.type.item_type.cls is Criterion


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_criterion_is_refused_alike_in_a_scheme_file_and_a_matching_input(case: str) -> None:
    criterion, expected = BAD[case]
    from_scheme = scheme_problems(criterion)
    assert any(p.startswith(f"criteria[0].{expected}") for p in from_scheme), from_scheme
    assert input_problems(criterion) == from_scheme


def test_duplicate_names_are_refused_alike() -> None:
    twice = [
        {"name": "a", "kind": "same", "field": "f"},
        {"name": "a", "kind": "same", "field": "g"},
    ]
    with pytest.raises(InputError) as info:
        parse_criteria(twice)
    assert info.value.problems == ["criteria[1].name: 'a' is already used by criteria[0]"]


def test_defaults_are_the_same_for_a_scheme_and_an_input() -> None:
    """A min_gap without a weight scores 1 in a tenant's file and in a matching input alike."""
    # The field is one the AMA's forms ask (the scheme check refuses a criterion reading a
    # field no form question feeds).
    written = {"name": "gap", "kind": "min_gap", "field": "career_years", "min": 5}
    data = raw("arts-marketing")
    data["scheme"]["matching"]["criteria"] = [written]
    scheme = parse_tenant_file(data, "x.toml", expected_slug="arts-marketing").scheme
    [from_scheme] = scheme.matching.criteria
    [from_input] = parse_criteria([written])
    assert from_input == from_scheme.resolved()
    assert (from_input.weight, from_input.hard, from_input.min) == (1.0, True, 5.0)
    instance = parse_instance({
        "criteria": [written],
        "mentees": [{"id": "e", "career_years": 1}],
        "mentors": [{"id": "r", "career_years": 9}],
    })
    from mentorhub.matching.scoring import score_pair

    assert score_pair(instance, "e", "r").score == 1.0


@pytest.mark.parametrize(
    ("written", "hard", "least"),
    [
        ({"kind": "overlap"}, False, 0.0),
        ({"kind": "overlap", "hard": True}, True, 1.0),
        ({"kind": "availability"}, True, 1.0),
        ({"kind": "availability", "hard": False}, False, 1.0),
        ({"kind": "career_stage", "order": ["a", "b"]}, True, 0.0),
        ({"kind": "same"}, False, None),
        ({"kind": "distance", "max": 10}, True, None),
    ],
)
def test_resolved_spells_out_each_kinds_defaults(
    written: dict[str, Any], hard: bool, least: float | None
) -> None:
    [c] = parse_criteria([{"name": "c", "field": "f", **written}])
    assert (c.hard, c.min, c.weight) == (hard, least, 1.0)
