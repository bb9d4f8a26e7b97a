"""Bad scheme documents: every problem is reported at once, naming file, key path and cause."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from mentorhub.matching.criteria import parse_criteria
from mentorhub.schemes import (
    Problem,
    SchemeError,
    load_tenant_file,
    parse_scheme,
    parse_tenant_file,
    scheme_document,
)
from tests.schemes.conftest import SLUGS, raw, tenant

SOURCE = "tenants/ahep.toml"


def problems(data: dict[str, Any], source: str = SOURCE) -> list[str]:
    with pytest.raises(SchemeError) as info:
        parse_tenant_file(data, source, expected_slug=Path(source).stem)
    assert all(isinstance(p, Problem) and p.file == source for p in info.value.problems)
    return [str(p) for p in info.value.problems]


def checkpoint(data: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in data["scheme"]["checkpoints"] if c["id"] == cid)


@pytest.mark.parametrize("slug", SLUGS)
def test_shipped_tenant_files_are_valid(slug: str, tenants_dir: Path) -> None:
    tf = load_tenant_file(tenants_dir / f"{slug}.toml")
    assert tf.tenant.slug == slug
    # 2: application forms, 3: the pair's space, 4: operations, 5 (MA): quote permission
    assert tf.scheme.version == (5 if slug == "museums-association" else 4)


def test_negative_offset_names_file_and_key_path() -> None:
    data = raw("ahep")
    data["scheme"]["checkpoints"][2]["when"] = {"kind": "offset", "offset_months": -1}
    assert problems(data) == [
        "tenants/ahep.toml: scheme.checkpoints[2].when.offset_months: must be ≥ 0"
    ]


def test_unknown_keys_are_errors_at_every_level() -> None:
    data = raw("ahep")
    data["colour"] = "red"
    data["tenant"]["branding"]["font"] = "serif"
    data["scheme"]["duration"]["lenght"] = 6
    data["scheme"]["matching"]["criteria"][0]["wieght"] = 2
    found = problems(data)
    assert f"{SOURCE}: colour: unknown key (allowed here: messages, scheme, tenant)" in found
    assert any(p.startswith(f"{SOURCE}: tenant.branding.font: unknown key") for p in found)
    assert any(p.startswith(f"{SOURCE}: scheme.duration.lenght: unknown key") for p in found)
    assert any(
        p.startswith(f"{SOURCE}: scheme.matching.criteria[0].wieght: unknown key") for p in found
    )
    assert len(found) == 4


def test_wrong_types_and_unknown_choices() -> None:
    data = raw("ahep")
    data["scheme"]["version"] = "1"
    data["scheme"]["matching"]["top_n"] = "three"
    data["scheme"]["matching"]["flow"] = "lottery"
    data["scheme"]["checkpoints"][0]["audience"] = "everyone"
    data["scheme"]["meetings"]["cadence"] = {"kind": "fortnightly"}
    found = problems(data)
    assert f"{SOURCE}: scheme.version: expected an integer, got a string ('1')" in found
    assert f"{SOURCE}: scheme.matching.top_n: expected an integer, got a string ('three')" in found
    assert any(p.startswith(f"{SOURCE}: scheme.matching.flow: a string ('lottery') is not one of")
               for p in found)
    assert any(p.startswith(f"{SOURCE}: scheme.checkpoints[0].audience:") for p in found)
    assert any(p.startswith(f"{SOURCE}: scheme.meetings.cadence.kind: a string ('fortnightly')")
               for p in found)
    assert len(found) == 5


def test_missing_required_keys_and_tables() -> None:
    data = raw("ahep")
    del data["scheme"]["duration"]["months"]
    del data["scheme"]["matching"]["flow"]
    assert problems(data) == [
        f"{SOURCE}: scheme.duration.months: required key is missing",
        f"{SOURCE}: scheme.matching.flow: required key is missing",
    ]
    assert problems({"tenant": raw("ahep")["tenant"]}) == [
        f"{SOURCE}: scheme: required table [scheme] is missing"
    ]


def test_range_minimum_above_maximum() -> None:
    data = raw("advice-skills-academy")
    data["scheme"]["duration"]["min_months"] = 9
    data["scheme"]["meetings"]["session_minutes"] = {"min": 90, "max": 60}
    data["scheme"]["meetings"]["sessions"] = {"min": 7, "max": 6}
    found = problems(data, "tenants/advice-skills-academy.toml")
    src = "tenants/advice-skills-academy.toml"
    assert f"{src}: scheme.duration.min_months: minimum 9 exceeds max_months 6" in found
    assert f"{src}: scheme.meetings.session_minutes.min: minimum 90 exceeds maximum 60" in found
    assert f"{src}: scheme.meetings.sessions.min: minimum 7 exceeds maximum 6" in found


def test_checkpoint_after_the_end_unless_the_scheme_allows_it() -> None:
    data = raw("ahep")
    checkpoint(data, "review_6_months")["when"]["offset_months"] = 7
    found = problems(data)
    assert found == [
        f"{SOURCE}: scheme.checkpoints[1].when: falls after the end of the relationship "
        "(6 months); set after_end = true if the scheme really places it there"
    ]
    checkpoint(data, "review_6_months")["after_end"] = True
    parse_tenant_file(data, SOURCE, expected_slug="ahep")


def test_offset_of_days_that_can_pass_the_end() -> None:
    """5 months + 31 days can pass a 6-month end: from 30 Sep 2022, 5 months is 28 Feb 2023
    (clamped) and 31 days later is 31 Mar, after the end on 30 Mar."""
    data = raw("ahep")
    checkpoint(data, "review_6_months")["when"] = {
        "kind": "offset", "offset_months": 5, "offset_days": 31
    }
    assert any("falls after the end" in p for p in problems(data))


def test_cohort_month_outside_the_cohort_window() -> None:
    data = raw("alberta-museums")
    checkpoint(data, "mid_program_survey")["when"] = {"kind": "cohort_month", "month": 9}
    checkpoint(data, "quarterly_update")["when"]["months"] = [1, 4, 7, 9]
    src = "tenants/alberta-museums.toml"
    found = problems(data, src)
    assert f"{src}: scheme.checkpoints[2].when.month: month(s) [9] fall outside the cohort " \
           "window (10→8)" in found
    assert f"{src}: scheme.checkpoints[1].when.months: month(s) [9] fall outside the cohort " \
           "window (10→8)" in found


def test_unknown_jurisdiction() -> None:
    data = raw("alberta-museums")
    data["tenant"]["jurisdiction"] = "CA-ZZ"
    assert problems(data, "tenants/alberta-museums.toml") == [
        "tenants/alberta-museums.toml: tenant.jurisdiction: unknown subdivision 'ZZ' of CA"
    ]
    data["tenant"]["jurisdiction"] = "XX"
    assert problems(data, "tenants/alberta-museums.toml") == [
        "tenants/alberta-museums.toml: tenant.jurisdiction: unknown country 'XX' "
        "(the holidays library does not know it)"
    ]


def test_matching_criteria_need_the_parameters_of_their_kind() -> None:
    data = raw("arts-marketing")
    crit = data["scheme"]["matching"]["criteria"]
    del crit[0]["min"]  # min_gap without min
    del crit[1]["max"]  # distance without max
    crit[2]["order"] = ["a", "b"]  # order on an overlap
    crit.append({"name": "career_difference", "kind": "career_stage", "field": "stage"})
    crit.append({"name": "x", "kind": "telepathy", "field": "f"})
    crit.append({"name": "y", "kind": "same", "field": "f", "weight": -1})
    src = "tenants/arts-marketing.toml"
    found = problems(data, src)
    assert f"{src}: scheme.matching.criteria[0].min: required for kind 'min_gap'" in found
    assert f"{src}: scheme.matching.criteria[1].max: required for kind 'distance'" in found
    assert f"{src}: scheme.matching.criteria[2].order: not used by kind 'overlap'" in found
    assert f"{src}: scheme.matching.criteria[3].order: required for kind 'career_stage'" in found
    assert f"{src}: scheme.matching.criteria[3].name: 'career_difference' is already used by " \
           "criteria[0]" in found
    assert any(p.startswith(f"{src}: scheme.matching.criteria[4].kind: a string ('telepathy')")
               for p in found)
    assert f"{src}: scheme.matching.criteria[5].weight: must be ≥ 0" in found


def test_suggest_flow_needs_top_n() -> None:
    data = raw("ahep")
    del data["scheme"]["matching"]["top_n"]
    assert problems(data) == [
        f"{SOURCE}: scheme.matching.top_n: required for flow 'suggest_and_accept'"
    ]


def test_duplicate_checkpoint_ids_and_impossible_membership() -> None:
    data = raw("ahep")
    data["scheme"]["checkpoints"][1]["id"] = "first_meeting_agenda"
    data["scheme"]["eligibility"]["open_to"] = "everyone"
    found = problems(data)
    assert f"{SOURCE}: scheme.checkpoints[1].id: 'first_meeting_agenda' is already used by " \
           "checkpoints[0]" in found
    assert f"{SOURCE}: scheme.eligibility.membership.required: contradicts open_to = " \
           "'everyone'" in found


def test_cohort_window_cannot_be_extended() -> None:
    data = raw("alberta-museums")
    data["scheme"]["duration"]["extension"] = {"by": "mutual_agreement"}
    assert problems(data, "tenants/alberta-museums.toml") == [
        "tenants/alberta-museums.toml: scheme.duration.extension: a cohort calendar window "
        "cannot be extended"
    ]


def test_all_problems_are_listed_at_once_across_sections() -> None:
    """Shape problems in one section do not hide meaning problems elsewhere (or in it)."""
    data = raw("ahep")
    data["tenant"]["jurisdiction"] = "XX-YY"
    data["scheme"]["duration"]["colour"] = "red"  # shape problem in duration…
    checkpoint(data, "first_meeting_agenda")["when"] = {"kind": "offset", "offset_months": 7}
    checkpoint(data, "review_6_months")["when"]["offset_months"] = -1
    data["scheme"]["matching"]["top_n"] = "three"
    data["scheme"]["matching"]["criteria"][0]["min"] = 2.5  # shared items: whole numbers
    data["scheme"]["meetings"]["session_minutes"] = {"min": 90, "max": 60}
    found = problems(data)
    paths = [p.split(": ")[1] for p in found]
    assert sorted(paths) == sorted([
        "tenant.jurisdiction",
        "scheme.duration.colour",
        "scheme.checkpoints[0].when",  # …does not hide the checkpoint after the end
        "scheme.checkpoints[1].when.offset_months",
        "scheme.matching.top_n",
        "scheme.matching.criteria[0].min",
        "scheme.meetings.session_minutes.min",
    ])
    # The wrongly typed top_n is reported once, not also as "required for the suggest flow".
    assert sum("top_n" in p for p in found) == 1


def test_tenant_table_is_validated_like_the_tenancy_loader() -> None:
    data = raw("ahep")
    data["tenant"]["slug"] = "other"
    data["tenant"]["hostnames"] = ["Bad_Host"]
    data["tenant"]["branding"]["primary_color"] = "blue"
    found = problems(data)
    assert f"{SOURCE}: tenant.slug: 'other' does not match the file name (ahep.toml)" in found
    assert f"{SOURCE}: tenant.hostnames[0]: 'Bad_Host' is not a lower-case hostname" in found
    assert f"{SOURCE}: tenant.branding.primary_color: must be a colour like #1f4e79" in found


def test_parse_scheme_alone() -> None:
    data = raw("ahep")["scheme"]
    assert parse_scheme(data, "db:scheme_versions/7").matching.top_n == 3
    data["version"] = 0
    with pytest.raises(SchemeError) as info:
        parse_scheme(data, "db:scheme_versions/7")
    assert [str(p) for p in info.value.problems] == [
        "db:scheme_versions/7: scheme.version: must be ≥ 1"
    ]


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(SchemeError, match="cannot read"):
        load_tenant_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[tenant\nslug = 1\n", encoding="utf-8")
    with pytest.raises(SchemeError, match="not valid TOML"):
        load_tenant_file(bad)


def test_criteria_are_accepted_by_the_matching_engine() -> None:
    """The matching engine reads [scheme.matching.criteria]; both sides agree on the shape."""
    for slug in SLUGS:
        criteria = tenant(slug).scheme.matching.criteria
        parsed = parse_criteria(msgspec.to_builtins(criteria))
        assert parsed == tuple(c.resolved() for c in criteria)


@pytest.mark.parametrize("slug", SLUGS)
def test_stored_scheme_version_reads_back_exactly(slug: str) -> None:
    """A version stored as JSON in the database parses back to the same scheme."""
    scheme = tenant(slug).scheme
    doc = scheme_document(scheme)
    assert json.loads(json.dumps(doc)) == doc
    assert parse_scheme(doc, f"db:{slug}") == scheme


# --- the pair's space (version 3) ----------------------------------------------------------


def test_space_agreement_keys_and_plan_months_are_checked() -> None:
    data = raw("alberta-museums")
    data["scheme"]["space"]["plan"][1]["month"] = 10  # October twice
    data["scheme"]["space"]["agreement"] = [
        {"key": "confidentiality", "heading": "Confidentiality"},
        {"key": "confidentiality", "heading": "Again"},
    ]
    source = "tenants/alberta-museums.toml"
    assert problems(data, source) == [
        f"{source}: scheme.space.agreement[1].key: 'confidentiality' is already used by "
        "agreement[0]",
        f"{source}: scheme.space.plan[1].month: month 10 is already planned by plan[0]",
    ]


def test_space_plan_months_must_lie_in_the_cohort_in_order() -> None:
    data = raw("alberta-museums")
    plan = data["scheme"]["space"]["plan"]
    plan[-1]["month"] = 9  # September: the cohort runs October to August
    source = "tenants/alberta-museums.toml"
    assert problems(data, source) == [
        f"{source}: scheme.space.plan[10].month: month 9 is outside the cohort (10 to 8)"
    ]
    data = raw("alberta-museums")
    plan = data["scheme"]["space"]["plan"]
    plan[0], plan[1] = plan[1], plan[0]
    assert problems(data, source) == [
        f"{source}: scheme.space.plan: months must follow the cohort's order"
    ]


def test_space_agreement_at_start_needs_sections_and_shape_is_checked() -> None:
    data = raw("museums-association")
    del data["scheme"]["space"]["agreement"]
    data["scheme"]["space"]["documents"] = {"max_mb": 500, "types": ["exe"]}
    data["scheme"]["space"]["retention_months"] = 0
    source = "tenants/museums-association.toml"
    found = problems(data, source)
    assert any("scheme.space.documents.max_mb" in p for p in found), found
    assert any("scheme.space.documents.types[0]" in p for p in found), found
    assert any("scheme.space.retention_months" in p for p in found), found
    data = raw("museums-association")
    del data["scheme"]["space"]["agreement"]
    for c in data["scheme"]["checkpoints"]:  # done_in = "agreement" is checked on its own
        c.pop("done_in", None)
    assert problems(data, source) == [
        f"{source}: scheme.space.agreement: relationship.agreement_at_start needs the "
        "agreement's sections"
    ]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_shipped_space_is_what_its_seed_asks(slug: str) -> None:
    space = tenant(slug).scheme.space
    assert space.retention_months == 12
    assert bool(space.agreement) == (slug in {"ahep", "museums-association",
                                              "advice-skills-academy"})
    assert bool(space.plan) == (slug == "alberta-museums")
    if slug == "alberta-museums":
        assert [m.month for m in space.plan] == [10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8]
