"""`mentorhub scheme check` on application forms: each bad form shape is reported at its key
path in the tenant file, and the forms and the matching criteria cannot drift apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mentorhub.schemes import SchemeError, parse_scheme, parse_tenant_file, scheme_document
from mentorhub.schemes.cli import scheme as scheme_cli
from tests.schemes.conftest import SLUGS, TENANTS_DIR, raw, tenant


def problems(data: dict[str, Any], slug: str) -> list[str]:
    """Every problem of the tenant document, as "key path: message"."""
    with pytest.raises(SchemeError) as info:
        parse_tenant_file(data, f"tenants/{slug}.toml", expected_slug=slug)
    return [f"{p.path}: {p.message}" for p in info.value.problems]


def questions(data: dict[str, Any], role: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = data["scheme"]["forms"][role]["questions"]
    return result


def index(data: dict[str, Any], role: str, qid: str) -> int:
    return next(i for i, q in enumerate(questions(data, role)) if q["id"] == qid)


def one(found: list[str], path: str) -> str:
    """The one problem at `path` (and that it is the only problem)."""
    assert len(found) == 1 and found[0].startswith(path + ": "), found
    return found[0].removeprefix(path + ": ")


# --- the shipped files ----------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_every_tenant_has_both_forms_and_passes(slug: str) -> None:
    scheme = tenant(slug).scheme
    assert scheme.forms.mentor is not None and scheme.forms.mentee is not None
    assert parse_scheme(scheme_document(scheme), "stored") == scheme


def test_scheme_check_command_passes_all_five() -> None:
    result = CliRunner().invoke(
        scheme_cli, ["check", *(str(TENANTS_DIR / f"{s}.toml") for s in SLUGS)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("scheme version 4") == 4
    assert "(museums-association, scheme version 5)" in result.output  # quote permission


def test_the_scheme_check_command_names_the_file_and_key_path(tmp_path: Path) -> None:
    text = (TENANTS_DIR / "ahep.toml").read_text(encoding="utf-8")
    head, tail = text.split("[scheme.forms.mentee]", 1)
    bad = tmp_path / "ahep.toml"
    bad.write_text(
        head
        + "[scheme.forms.mentee]"
        + tail.replace('kind = "multiple_choice"', 'kind = "tick"', 1),
        encoding="utf-8",
    )
    result = CliRunner().invoke(scheme_cli, ["check", str(bad)])
    assert result.exit_code != 0
    assert f"{bad}: scheme.forms.mentee.questions[0].kind: " in result.output


# --- shape: unknown keys, kinds, types ------------------------------------------------------


def test_unknown_key_in_a_question() -> None:
    data = raw("ahep")
    questions(data, "mentee")[1]["colour"] = "red"
    assert one(problems(data, "ahep"), "scheme.forms.mentee.questions[1].colour").startswith(
        "unknown key (allowed here:"
    )


def test_unknown_role() -> None:
    data = raw("ahep")
    data["scheme"]["forms"]["coordinator"] = {"questions": []}
    assert one(problems(data, "ahep"), "scheme.forms.coordinator").startswith("unknown key")


def test_bad_kind() -> None:
    data = raw("ahep")
    questions(data, "mentee")[0]["kind"] = "checkbox"
    assert "('checkbox') is not one of 'consent'" in one(
        problems(data, "ahep"), "scheme.forms.mentee.questions[0].kind"
    )


def test_bad_id_and_empty_form() -> None:
    data = raw("ahep")
    questions(data, "mentor")[0]["id"] = "Job Title"
    data["scheme"]["forms"]["mentee"]["questions"] = []
    assert problems(data, "ahep") == [
        "scheme.forms.mentor.questions[0].id: 'Job Title' must match ^[a-z][a-z0-9_]*$",
        "scheme.forms.mentee.questions: must list at least 1 item(s)",
    ]


def test_a_shape_problem_does_not_also_report_drift() -> None:
    data = raw("ahep")
    del questions(data, "mentee")[index(data, "mentee", "support_areas")]["kind"]
    found = problems(data, "ahep")
    assert all(p.startswith("scheme.forms.mentee.questions[0].kind") for p in found), found


# --- meaning: each question -----------------------------------------------------------------


def test_duplicate_ids() -> None:
    data = raw("museums-association")
    questions(data, "mentee")[2]["id"] = "is_student"
    assert (
        one(problems(data, "museums-association"), "scheme.forms.mentee.questions[2].id")
        == "'is_student' is already used by questions[1]"
    )


@pytest.mark.parametrize("kind", ["text", "number", "yes_no", "organisation"])
def test_options_only_on_choice_kinds(kind: str) -> None:
    data = raw("arts-marketing")
    i = index(data, "mentee", "current_role")
    questions(data, "mentee")[i] = {
        "id": "current_role",
        "kind": kind,
        "label": "Role",
        "options": ["a", "b"],
    }
    assert one(
        problems(data, "arts-marketing"), f"scheme.forms.mentee.questions[{i}].options"
    ).startswith("only for single_choice or multiple_choice")


def test_a_choice_needs_options_each_once() -> None:
    data = raw("museums-association")
    questions(data, "mentee")[0]["options"] = []
    questions(data, "mentor")[0]["options"] = ["Volunteer", "Volunteer"]
    assert problems(data, "museums-association") == [
        "scheme.forms.mentor.questions[0].options: lists an option twice",
        "scheme.forms.mentee.questions[0].options: a single_choice question needs its options",
    ]


def test_choice_limits() -> None:
    data = raw("ahep")
    i = index(data, "mentee", "support_areas")
    questions(data, "mentee")[i].update(min_choices=5, max_choices=4)
    questions(data, "mentor")[index(data, "mentor", "support_areas")]["min_choices"] = 9
    assert problems(data, "ahep") == [
        f"scheme.forms.mentor.questions[{index(data, 'mentor', 'support_areas')}].min_choices: "
        "9 exceeds the 8 option(s)",
        f"scheme.forms.mentee.questions[{i}].min_choices: 5 exceeds max_choices (4)",
    ]
    data = raw("ahep")
    questions(data, "mentee")[i]["max_choices"] = 9
    assert one(problems(data, "ahep"), f"scheme.forms.mentee.questions[{i}].max_choices") == (
        "9 exceeds the 8 option(s)"
    )
    data = raw("ahep")
    questions(data, "mentee")[index(data, "mentee", "reasons")]["max_choices"] = 2
    assert (
        one(
            problems(data, "ahep"),
            f"scheme.forms.mentee.questions[{index(data, 'mentee', 'reasons')}].max_choices",
        )
        == "only for multiple_choice questions"
    )


def test_text_limits() -> None:
    data = raw("ahep")
    i = index(data, "mentee", "reasons")
    questions(data, "mentee")[i]["max_length"] = 50_000
    assert one(problems(data, "ahep"), f"scheme.forms.mentee.questions[{i}].max_length") == (
        "must be ≤ 20000 for long_text"
    )
    data = raw("ahep")
    questions(data, "mentor")[index(data, "mentor", "capacity")]["max_length"] = 5
    assert (
        one(
            problems(data, "ahep"),
            f"scheme.forms.mentor.questions[{index(data, 'mentor', 'capacity')}].max_length",
        )
        == "only for text and long_text questions"
    )
    data = raw("ahep")
    questions(data, "mentor")[0]["max_length"] = 0
    assert one(problems(data, "ahep"), "scheme.forms.mentor.questions[0].max_length") == (
        "must be ≥ 1"
    )


def test_number_limits() -> None:
    data = raw("arts-marketing")
    questions(data, "mentee")[0].update(min=10, max=5)
    questions(data, "mentor")[0]["max"] = 40.5
    assert problems(data, "arts-marketing") == [
        "scheme.forms.mentor.questions[0].max: must be a whole number (integer = true)",
        "scheme.forms.mentee.questions[0].min: minimum 10 exceeds maximum 5",
    ]
    data = raw("arts-marketing")
    i = index(data, "mentee", "current_role")
    questions(data, "mentee")[i].update(min=1, integer=True)
    assert problems(data, "arts-marketing") == [
        f"scheme.forms.mentee.questions[{i}].min: only for number questions",
        f"scheme.forms.mentee.questions[{i}].integer: only for number questions",
    ]


def test_location_needs_its_country() -> None:
    data = raw("alberta-museums")
    i = index(data, "mentee", "based_in")
    del questions(data, "mentee")[i]["location"]
    questions(data, "mentee")[0]["location"] = "CA"
    assert problems(data, "alberta-museums") == [
        "scheme.forms.mentee.questions[0].location: only for location questions",
        f"scheme.forms.mentee.questions[{i}].location: required for a location question: "
        "'GB' or 'CA'",
    ]
    data = raw("alberta-museums")
    questions(data, "mentee")[i]["location"] = "US"
    assert "is not one of " in one(
        problems(data, "alberta-museums"), f"scheme.forms.mentee.questions[{i}].location"
    )


# --- exclusions -----------------------------------------------------------------------------


def test_excludes_only_on_yes_no() -> None:
    data = raw("museums-association")
    questions(data, "mentee")[0]["excludes"] = "students"
    found = problems(data, "museums-association")
    assert found == ["scheme.forms.mentee.questions[0].excludes: only for yes_no questions"]


def test_excludes_names_an_exclusion_of_the_scheme() -> None:
    data = raw("ahep")  # AHEP lists no exclusions
    questions(data, "mentee").append(
        {"id": "student", "kind": "yes_no", "label": "Student?", "excludes": "students"}
    )
    n = len(questions(data, "mentee")) - 1
    assert one(problems(data, "ahep"), f"scheme.forms.mentee.questions[{n}].excludes") == (
        "'students' is not an exclusion of this scheme ([scheme.eligibility].exclusions)"
    )
    data = raw("ahep")
    questions(data, "mentee").append(
        {"id": "x", "kind": "yes_no", "label": "X?", "excludes": "pets"}
    )
    assert "('pets') is not one of " in one(
        problems(data, "ahep"), f"scheme.forms.mentee.questions[{n}].excludes"
    )


def test_every_exclusion_is_asked_in_every_form_once() -> None:
    data = raw("museums-association")
    del questions(data, "mentor")[index(data, "mentor", "in_mentoring_relationship")]
    assert one(problems(data, "museums-association"), "scheme.forms.mentor.questions") == (
        "does not ask whether the applicant is one of the people already in a mentoring "
        "relationship: add a yes_no question with excludes = 'already_in_mentoring_relationship'"
    )
    data = raw("museums-association")
    i = index(data, "mentee", "outside_region")
    questions(data, "mentee")[i]["excludes"] = "students"
    assert (
        one(problems(data, "museums-association"), f"scheme.forms.mentee.questions[{i}].excludes")
        == "'students' is already asked by questions[1]"
    )


# --- the line manager's approval ------------------------------------------------------------


def test_a_signed_application_asks_one_approver_address() -> None:
    data = raw("advice-skills-academy")
    i = index(data, "mentee", "line_manager_email")
    questions(data, "mentee")[i]["approver"] = False
    assert one(problems(data, "advice-skills-academy"), "scheme.forms.mentee.questions") == (
        "needs the line manager's e-mail address: an email question with approver = true "
        "(the application is signed by the line manager)"
    )
    data = raw("advice-skills-academy")
    questions(data, "mentee").append(
        {"id": "second", "kind": "email", "label": "Other", "approver": True}
    )
    n = len(questions(data, "mentee")) - 1
    assert (
        one(problems(data, "advice-skills-academy"), f"scheme.forms.mentee.questions[{n}].approver")
        == f"only one approver address per form (questions[{i}] is one)"
    )


def test_approver_only_on_email_and_only_where_the_line_manager_signs() -> None:
    data = raw("advice-skills-academy")
    questions(data, "mentee")[index(data, "mentee", "job_role")]["approver"] = True
    i = index(data, "mentee", "job_role")
    assert (
        one(problems(data, "advice-skills-academy"), f"scheme.forms.mentee.questions[{i}].approver")
        == "only for email questions"
    )
    data = raw("ahep")
    questions(data, "mentee").append(
        {
            "id": "boss",
            "kind": "email",
            "label": "Boss",
            "approver": True,
            "shown_to_approver": False,
        }
    )
    n = len(questions(data, "mentee")) - 1
    assert one(problems(data, "ahep"), f"scheme.forms.mentee.questions[{n}].approver") == (
        "mentees' applications are not signed by a line manager "
        "([scheme.application].line_manager_signature)"
    )
    data = raw("ahep")
    questions(data, "mentee")[0]["shown_to_approver"] = True
    assert one(
        problems(data, "ahep"), "scheme.forms.mentee.questions[0].shown_to_approver"
    ).startswith("nobody approves mentees' applications")


def test_shown_to_mentor_is_a_mentee_form_setting() -> None:
    data = raw("ahep")
    questions(data, "mentor")[0]["shown_to_mentor"] = True
    assert one(problems(data, "ahep"), "scheme.forms.mentor.questions[0].shown_to_mentor") == (
        "only in the mentee form (the mentor reads it)"
    )


# --- the drift check --------------------------------------------------------------------


def test_a_criterion_reading_a_field_no_form_asks_fails() -> None:
    data = raw("arts-marketing")
    del questions(data, "mentee")[index(data, "mentee", "postcode")]["feeds"]
    assert one(problems(data, "arts-marketing"), "scheme.matching.criteria[1].field") == (
        "'travelling_distance' reads 'location', which no question of the mentee form asks "
        "(add feeds = 'location' to one)"
    )


def test_a_new_criterion_needs_a_question_in_both_forms() -> None:
    data = raw("museums-association")
    data["scheme"]["matching"]["criteria"].append(
        {"name": "languages", "kind": "overlap", "field": "languages"}
    )
    assert problems(data, "museums-association") == [
        "scheme.matching.criteria[2].field: 'languages' reads 'languages', which no question "
        "of the mentor form asks (add feeds = 'languages' to one)",
        "scheme.matching.criteria[2].field: 'languages' reads 'languages', which no question "
        "of the mentee form asks (add feeds = 'languages' to one)",
    ]


def test_a_missing_role_form_is_named() -> None:
    data = raw("ahep")
    del data["scheme"]["forms"]["mentee"]
    assert one(problems(data, "ahep"), "scheme.matching.criteria[0].field") == (
        "'support_areas' reads 'support_areas' of every mentee, but there is no mentee form "
        "([scheme.forms.mentee])"
    )


def test_a_scheme_without_forms_is_not_drift_checked() -> None:
    """A version stored before forms existed still reads back."""
    data = raw("ahep")
    del data["scheme"]["forms"]
    assert parse_tenant_file(data, "ahep.toml", expected_slug="ahep").scheme.forms.declared() == []


def test_a_question_feeding_an_unread_field_is_fine() -> None:
    data = raw("ahep")
    questions(data, "mentee")[index(data, "mentee", "job_title")]["feeds"] = "job_title"
    assert parse_tenant_file(data, "ahep.toml", expected_slug="ahep")


@pytest.mark.parametrize(
    ("slug", "role", "qid", "kind", "needs"),
    [
        ("arts-marketing", "mentee", "career_years", "text", "number"),
        ("arts-marketing", "mentor", "postcode", "text", "location"),
        ("ahep", "mentee", "support_areas", "single_choice", "multiple_choice"),
        ("alberta-museums", "mentee", "career_stage", "multiple_choice", "single_choice"),
    ],
)
def test_the_feeding_question_has_the_shape_the_criterion_reads(
    slug: str, role: str, qid: str, kind: str, needs: str
) -> None:
    data = raw(slug)
    i = index(data, role, qid)
    question = questions(data, role)[i]
    keep = {"id", "label", "required", "feeds"}
    if "choice" in kind:
        keep |= {"options"}
    questions(data, role)[i] = {k: v for k, v in question.items() if k in keep} | {"kind": kind}
    message = one(problems(data, slug), f"scheme.forms.{role}.questions[{i}].kind")
    assert message.startswith(f"feeds {question['feeds']!r} to criterion ")
    assert message.endswith(f"which needs a {needs} question")


def test_a_career_stage_question_offers_the_criterions_stages() -> None:
    data = raw("alberta-museums")
    i = index(data, "mentee", "career_stage")
    questions(data, "mentee")[i]["options"] = ["Emerging professional", "Student"]
    assert one(
        problems(data, "alberta-museums"), f"scheme.forms.mentee.questions[{i}].options"
    ) == (
        "'Student' is not a stage of criterion 'career_stage' (Emerging professional, "
        "Early career, Mid-career, Senior professional)"
    )


def test_a_feeding_question_is_required() -> None:
    data = raw("museums-association")
    i = index(data, "mentor", "region")
    questions(data, "mentor")[i]["required"] = False
    assert (
        one(problems(data, "museums-association"), f"scheme.forms.mentor.questions[{i}].required")
        == "must be true: criterion 'same_region' reads this answer of every mentor"
    )


def test_a_feed_is_given_once_per_form() -> None:
    data = raw("ahep")
    questions(data, "mentee")[index(data, "mentee", "job_title")]["feeds"] = "support_areas"
    i = index(data, "mentee", "job_title")
    assert one(problems(data, "ahep"), f"scheme.forms.mentee.questions[{i}].feeds") == (
        "'support_areas' is already fed by questions[0]"
    )


def test_a_criterion_with_its_own_problem_is_not_also_drift_checked() -> None:
    data = raw("museums-association")
    data["scheme"]["matching"]["criteria"][1]["field"] = "capacity"
    assert one(problems(data, "museums-association"), "scheme.matching.criteria[1].field") == (
        "'capacity' is reserved for the person record"
    )


# --- capacity -------------------------------------------------------------------------------


def test_declared_capacity_is_asked_of_mentors() -> None:
    data = raw("ahep")
    del questions(data, "mentor")[index(data, "mentor", "capacity")]
    assert one(problems(data, "ahep"), "scheme.forms.mentor.questions") == (
        "mentors declare how many mentees they take on ([scheme.matching] capacity_declared "
        "= true): add a number question with feeds = 'capacity'"
    )


def test_reserved_person_fields_are_not_fed() -> None:
    data = raw("ahep")
    questions(data, "mentee")[index(data, "mentee", "job_title")]["feeds"] = "declined"
    i = index(data, "mentee", "job_title")
    assert one(problems(data, "ahep"), f"scheme.forms.mentee.questions[{i}].feeds") == (
        "'declined' is reserved for the person record"
    )
    data = raw("ahep")
    i = index(data, "mentor", "capacity")
    questions(data, "mentor")[i]["integer"] = False
    assert one(problems(data, "ahep"), f"scheme.forms.mentor.questions[{i}].feeds") == (
        "a capacity is a number question with integer = true and min ≥ 1"
    )
