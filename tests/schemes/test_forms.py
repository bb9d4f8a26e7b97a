"""Application forms: posted fields become answers or field errors (never an exception), and
the helpers the applications area reads (exclusions, approver, organisation, matching
fields, what the mentor and the approver see)."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorhub.matching import parse_instance
from mentorhub.schemes.forms import (
    FieldError,
    Form,
    Question,
    approver_address,
    declared_exclusions,
    form_for,
    form_values,
    matching_fields,
    organisation_answer,
    parse_answers,
    visible_answers,
)
from mentorhub.schemes.geo import find_ca_city, find_uk_postcode
from tests.schemes.conftest import SLUGS, tenant

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def q(**kw: Any) -> Question:
    return msgspec.convert({"label": "Q", **kw}, Question)


FORM = Form(
    intro="",
    questions=(
        q(id="name", kind="text", required=True, max_length=10),
        q(id="story", kind="long_text"),
        q(id="colour", kind="single_choice", options=["Red", "Blue"], required=True),
        q(
            id="areas",
            kind="multiple_choice",
            options=["A", "B", "C"],
            min_choices=2,
            max_choices=2,
        ),
        q(id="years", kind="number", integer=True, min=0, max=60),
        q(id="ratio", kind="number", min=0.5, max=2.5),
        q(id="student", kind="yes_no", excludes="students"),
        q(id="agree", kind="consent", required=True),
        q(id="postcode", kind="location", location="GB", feeds="location"),
        q(id="city", kind="location", location="CA"),
        q(id="manager", kind="email", approver=True, shown_to_approver=True),
        q(id="org", kind="organisation"),
        q(id="reasons", kind="long_text", shown_to_mentor=True),
    ),
)


def parse(
    data: dict[str, Any], *, final: bool = False, **kw: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    answers, errors = parse_answers(FORM, data, final=final, **kw)
    return answers, {e.field: e.message for e in errors}


# --- one question at a time ---------------------------------------------------------------


def test_a_draft_needs_nothing_and_a_submission_needs_the_required_answers() -> None:
    assert parse({}) == ({}, {})
    answers, errors = parse({}, final=True)
    assert answers == {}
    assert errors == {
        "name": "Answer this question",
        "colour": "Choose an answer",
        "agree": "Tick the box to agree",
    }


def test_blank_values_are_no_answer() -> None:
    answers, errors = parse({"name": ["   "], "story": [""]}, final=True)
    assert "name" not in answers and errors["name"] == "Answer this question"
    assert "story" not in answers and "story" not in errors


def test_text_is_trimmed_and_limited() -> None:
    assert parse({"name": ["  Ada  "]})[0] == {"name": "Ada"}
    answers, errors = parse({"name": ["x" * 11]})
    assert answers == {} and errors == {"name": "Your answer must be 10 characters or fewer"}
    assert parse({"story": ["a" * 4000]})[0] == {"story": "a" * 4000}
    assert "story" in parse({"story": ["a" * 4001]})[1]


def test_text_refuses_control_characters_but_long_text_keeps_line_breaks() -> None:
    assert "name" in parse({"name": ["a\x00b"]})[1]
    assert "name" in parse({"name": ["a\nb"]})[1]
    assert parse({"story": ["line one\nline two"]})[0] == {"story": "line one\nline two"}
    assert "story" in parse({"story": ["\ud800"]})[1]


def test_choices_outside_the_list_are_refused() -> None:
    assert parse({"colour": ["Blue"]})[0] == {"colour": "Blue"}
    assert parse({"colour": ["Green"]})[1] == {"colour": "Choose from the list"}
    assert parse({"colour": ["Red", "Blue"]})[1] == {"colour": "Give one answer only"}
    assert parse({"colour": ["Red", "Red"]})[0] == {"colour": "Red"}


def test_multiple_choice_keeps_the_list_order_and_its_limits() -> None:
    assert parse({"areas": ["C", "A", "C"]})[0] == {"areas": ["A", "C"]}
    assert parse({"areas": ["A", "D"]})[1] == {"areas": "Choose from the list"}
    assert parse({"areas": ["A", "B", "C"]})[1] == {"areas": "Choose no more than 2"}
    # min_choices is a completeness rule: a draft may hold fewer, a submission not.
    assert parse({"areas": ["A"]})[0] == {"areas": ["A"]}
    assert parse({"areas": ["A"]}, final=True)[1]["areas"] == "Choose at least 2"


@pytest.mark.parametrize(
    ("field", "posted", "expected"),
    [
        ("years", "12", 12),
        ("years", " 7 ", 7),
        ("years", "12.0", 12),
        ("years", "1,000", None),
        ("years", "-1", None),
        ("years", "61", None),
        ("years", "2.5", None),
        ("years", "twelve", None),
        ("years", "1e3", None),
        ("years", "1e1", 10),
        ("ratio", "1e400", None),
        ("years", "9" * 5000, None),
        ("ratio", "1.5", 1.5),
        ("ratio", "2", 2),
        ("ratio", ".5", 0.5),
        ("ratio", "nan", None),
        ("ratio", "inf", None),
        ("ratio", "3", None),
    ],
)
def test_numbers_are_bounded(field: str, posted: str, expected: int | float | None) -> None:
    answers, errors = parse({field: [posted]})
    if expected is None:
        assert field in errors and field not in answers
    else:
        assert answers == {field: expected} and type(answers[field]) is type(expected)


def test_yes_no_and_consent() -> None:
    assert parse({"student": ["yes"]})[0] == {"student": True}
    assert parse({"student": ["no"]})[0] == {"student": False}
    assert parse({"student": ["maybe"]})[1] == {"student": "Answer yes or no"}
    assert parse({"agree": ["on"]})[0] == {"agree": True}
    assert parse({"agree": ["no"]})[1] == {"agree": "Tick the box to agree"}


def test_email() -> None:
    assert parse({"manager": ["boss@example.org"]})[0] == {"manager": "boss@example.org"}
    assert "manager" in parse({"manager": ["not an address"]})[1]


def test_organisation_comes_from_the_list_passed_in() -> None:
    orgs = ["Citizens Advice Leeds", "Chapeltown Law Centre"]
    answers, errors = parse({"org": ["Chapeltown Law Centre"]}, organisations=orgs)
    assert answers == {"org": "Chapeltown Law Centre"} and errors == {}
    assert parse({"org": ["Elsewhere"]}, organisations=orgs)[1] == {
        "org": "Choose your organisation from the list"
    }
    assert "org" in parse({"org": ["Chapeltown Law Centre"]})[1]


def test_uk_postcode_is_placed_at_its_district() -> None:
    answers, errors = parse({"postcode": ["sw1a1aa"]})
    assert errors == {}
    where = answers["postcode"]
    assert where["text"] == "SW1A 1AA" and where["label"] == "Postcode district SW1A"
    assert math.isclose(where["lat"], 51.50, abs_tol=0.05)
    assert math.isclose(where["lon"], -0.13, abs_tol=0.05)
    assert parse({"postcode": ["M1"]})[0]["postcode"]["text"] == "M1"


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ("not a postcode", "Enter a UK postcode, for example SW1A 1AA"),
        ("ZZ9 9ZZ", "We could not find the postcode district ZZ9: check the postcode"),
    ],
)
def test_unknown_postcodes_are_refused_at_the_field(posted: str, message: str) -> None:
    assert parse({"postcode": [posted]})[1] == {"postcode": message}


def test_northern_ireland_is_refused_with_its_own_message() -> None:
    assert "Northern Ireland" in parse({"postcode": ["BT1 1AA"]})[1]["postcode"]


def test_canadian_cities_with_or_without_a_province() -> None:
    red_deer = parse({"city": ["red deer"]})[0]["city"]
    assert red_deer["text"] == "Red Deer, AB" and red_deer["label"] == "Red Deer, Alberta"
    assert math.isclose(red_deer["lat"], 52.27, abs_tol=0.05)
    assert parse({"city": ["Calgary, Alberta"]})[0]["city"]["text"] == "Calgary, AB"
    assert parse({"city": ["Montreal"]})[0]["city"]["text"] == "Montréal, QC"
    assert "city" in parse({"city": ["Calgary, QC"]})[1]
    assert "not a Canadian province" in parse({"city": ["Calgary, XX"]})[1]["city"]
    assert "could not find" in parse({"city": ["Atlantis"]})[1]["city"]


def test_alberta_municipalities_are_found() -> None:
    for town in (
        "Edmonton",
        "Lethbridge",
        "Medicine Hat",
        "Grande Prairie",
        "Fort McMurray",
        "Drumheller",
        "Canmore",
        "St. Albert",
        "Wetaskiwin",
        "Vegreville",
    ):
        found = find_ca_city(f"{town}, AB")
        assert not isinstance(found, str), (town, found)
        assert 48.9 < found.lat < 60.1 and -120.1 < found.lon < -109.9, town


def test_an_ambiguous_canadian_name_asks_for_the_province() -> None:
    found = find_ca_city("Richmond")
    assert isinstance(found, str) and "add the province" in found
    assert not isinstance(find_ca_city("Richmond, BC"), str)


def test_postcode_lookup_accepts_any_spacing_and_case() -> None:
    a, b = find_uk_postcode("ec1a 1bb"), find_uk_postcode("  EC1A1BB ")
    assert a == b and not isinstance(a, str)


def test_unknown_fields_are_ignored_and_odd_values_are_no_answer() -> None:
    data: dict[str, Any] = {
        "csrf_token": ["x"],
        "name": [1, None, "Ada"],
        "story": "plain",
        "colour": {"Red": "Red"},
    }
    assert parse(data) == ({"name": "Ada", "story": "plain"}, {})


# --- what the applications area reads -----------------------------------------------------


def test_helpers_read_the_answers() -> None:
    answers, errors = parse(
        {
            "student": ["yes"],
            "manager": ["boss@example.org"],
            "org": ["Law Centre"],
            "postcode": ["LS1 4AP"],
            "reasons": ["To grow"],
            "name": ["Ada"],
        },
        organisations=["Law Centre"],
    )
    assert errors == {}
    assert declared_exclusions(FORM, answers) == ["students"]
    assert declared_exclusions(FORM, {**answers, "student": False}) == []
    assert approver_address(FORM, answers) == "boss@example.org"
    assert organisation_answer(FORM, answers) == "Law Centre"
    loc = answers["postcode"]
    assert matching_fields(FORM, answers) == {"location": [loc["lat"], loc["lon"]]}
    assert [(q.id, v) for q, v in visible_answers(FORM, answers, "mentor")] == [
        ("reasons", "To grow")
    ]
    assert [q.id for q, _ in visible_answers(FORM, answers, "approver")] == ["manager"]
    assert approver_address(FORM, {}) is None and organisation_answer(FORM, {}) is None


def test_form_for_each_role() -> None:
    scheme = tenant("ahep").scheme
    assert form_for(scheme, "mentor") is scheme.forms.mentor is not None
    assert form_for(scheme, "mentee") is scheme.forms.mentee is not None
    assert form_for(scheme, "coordinator") is None


# --- properties ---------------------------------------------------------------------------

_TEXTS = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "yes",
            "no",
            "on",
            "12",
            "-3",
            "2.5",
            "1e9",
            "nan",
            "Red",
            "A",
            "B",
            "SW1A 1AA",
            "BT1 1AA",
            "Red Deer, AB",
            "x@example.org",
            "Law Centre",
        ]
    ),
    st.text(min_size=190, max_size=4100),
)
_VALUES = st.one_of(
    st.lists(_TEXTS, max_size=4),
    _TEXTS,
    st.none(),
    st.integers(),
    st.lists(st.one_of(st.none(), st.integers(), st.binary(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
_FIELDS = st.sampled_from([q.id for q in FORM.questions] + ["other"])


@SETTINGS
@given(st.dictionaries(_FIELDS, _VALUES, max_size=14), st.booleans())
def test_any_input_gives_answers_or_field_errors(data: dict[str, Any], final: bool) -> None:
    answers, errors = parse_answers(FORM, data, final=final, organisations=["Law Centre"])
    ids = [q.id for q in FORM.questions]
    assert all(isinstance(e, FieldError) and e.field in ids and e.message for e in errors)
    assert len({e.field for e in errors}) == len(errors)  # one message per field
    assert not set(answers) & {e.field for e in errors}
    assert set(answers) <= set(ids)
    msgspec.json.encode(answers)  # storable as JSON
    by_id = {q.id: q for q in FORM.questions}
    for qid, value in answers.items():
        question = by_id[qid]
        if question.kind in ("text", "long_text"):
            assert isinstance(value, str) and 0 < len(value) <= question.limit
            assert "\x00" not in value
        elif question.kind == "single_choice":
            assert value in question.options
        elif question.kind == "multiple_choice":
            assert set(value) <= set(question.options)
            assert len(value) <= (question.max_choices or len(question.options))
        elif question.kind == "number":
            assert isinstance(value, int | float) and not isinstance(value, bool)
            assert question.min is None or value >= question.min
            assert question.max is None or value <= question.max
            assert not question.integer or isinstance(value, int)
        elif question.kind == "organisation":
            assert value == "Law Centre"
        elif question.kind == "location":
            assert set(value) == {"text", "label", "lat", "lon"}
    if final:
        missing = {q.id for q in FORM.questions if q.required} - set(answers)
        assert missing <= {e.field for e in errors}


@SETTINGS
@given(st.dictionaries(_FIELDS, _VALUES, max_size=14))
def test_a_draft_never_complains_of_a_missing_answer(data: dict[str, Any]) -> None:
    _, draft = parse_answers(FORM, data, final=False)
    _, final = parse_answers(FORM, data, final=True)
    assert {(e.field, e.message) for e in draft} <= {(e.field, e.message) for e in final}


@SETTINGS
@given(st.dictionaries(_FIELDS, _VALUES, max_size=14))
def test_a_saved_draft_shown_again_and_posted_back_is_unchanged(data: dict[str, Any]) -> None:
    orgs = ["Law Centre"]
    answers, _ = parse_answers(FORM, data, final=False, organisations=orgs)
    again, errors = parse_answers(FORM, form_values(FORM, answers), final=False, organisations=orgs)
    assert errors == [] and again == answers


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0.5, max_value=2.5))
def test_any_number_in_bounds_round_trips(value: float) -> None:
    answers, errors = parse({"ratio": [repr(value)]})
    assert errors == {} and answers["ratio"] == value


@SETTINGS
@given(st.text(max_size=12))
def test_location_lookups_never_raise(text: str) -> None:
    for found in (find_uk_postcode(text), find_ca_city(text)):
        assert isinstance(found, str) or (-90 <= found.lat <= 90 and -180 <= found.lon <= 180)


# --- the shipped forms, end to end --------------------------------------------------------


def _fill(question: Question) -> list[str]:
    """A valid posted value for `question`."""
    return {
        "text": ["Curator"],
        "long_text": ["Because."],
        "single_choice": [question.options[0] if question.options else ""],
        "multiple_choice": list(question.options[: max(question.min_choices or 1, 1)]),
        "number": [str(int(question.min if question.min is not None else 1))],
        "yes_no": ["no"],
        "consent": ["yes"],
        "location": ["Red Deer, AB" if question.location == "CA" else "LS1 4AP"],
        "email": ["manager@example.org"],
        "organisation": ["Law Centre"],
    }[question.kind]


@pytest.mark.parametrize("slug", SLUGS)
def test_each_tenants_filled_forms_make_a_matching_input(slug: str) -> None:
    """Answers to both shipped forms give the person records every criterion reads: the
    matching input built from them is valid (the forms and the criteria do not drift)."""
    scheme = tenant(slug).scheme
    people: dict[str, list[dict[str, Any]]] = {}
    for role in ("mentor", "mentee"):
        form = form_for(scheme, role)
        assert form is not None
        if role == "mentor" and slug == "alberta-museums":  # a mentor further on in career
            data = {
                q.id: ([q.options[-1]] if q.feeds == "career_stage" else _fill(q))
                for q in form.questions
            }
        else:
            data = {q.id: _fill(q) for q in form.questions}
        answers, errors = parse_answers(form, data, final=True, organisations=["Law Centre"])
        assert errors == [], (slug, role, errors)
        people[role + "s"] = [{"id": role, **matching_fields(form, answers)}]
    criteria = msgspec.to_builtins(scheme.matching.criteria)
    instance = parse_instance({"criteria": criteria, **people})
    assert len(instance.mentors) == len(instance.mentees) == 1
