"""Checkpoint forms (issue 16): rating scales and Likert grids become answers or field errors
(never an exception) and show again as the fields they came from; every rule of
``[[scheme.checkpoint_forms]]`` and ``[scheme.reminders]`` is checked at its key path; a
scheme with checkpoint forms is stored and read back exactly; the public page says what each
checkpoint asks, when the reminders go and when a quiet pair is nudged."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorhub.schemes.forms import (
    FieldError,
    Form,
    Question,
    form_values,
    likert_field,
    parse_answers,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

STATEMENTS = ("I feel confident", "I know my strengths", "I plan my career")
SCALE = ("Disagree", "Neutral", "Agree")


def q(**kw: Any) -> Question:
    return msgspec.convert({"label": "Q", **kw}, Question)


FORM = Form(
    questions=(
        q(
            id="overall",
            kind="rating",
            min=1,
            max=5,
            required=True,
            low_label="Not at all",
            high_label="Very much",
        ),
        q(id="nps", kind="rating", min=0, max=10),
        q(id="qualities", kind="likert", rows=STATEMENTS, options=SCALE, required=True),
        q(id="extras", kind="likert", rows=("Would recommend",), options=SCALE),
        q(id="share", kind="yes_no", permission=True),
        q(id="story", kind="long_text"),
    ),
)


def parse(data: dict[str, Any], *, final: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    answers, errors = parse_answers(FORM, data, final=final)
    return answers, {e.field: e.message for e in errors}


# --- rating ---------------------------------------------------------------------------------


def test_a_rating_is_a_whole_number_of_its_scale() -> None:
    assert parse({"overall": ["4"]}) == ({"overall": 4}, {})
    assert parse({"overall": [" 1 "], "nps": ["0"]}) == ({"overall": 1, "nps": 0}, {})
    assert type(parse({"overall": ["5"]})[0]["overall"]) is int
    for bad in ("0", "6", "3.5", "three", "-1", "1e1", "٣", "9" * 40, "4 2"):
        assert parse({"overall": [bad]}) == ({}, {"overall": "Choose a number from 1 to 5"}), bad
    assert parse({"nps": ["11"]})[1] == {"nps": "Choose a number from 0 to 10"}
    assert parse({"overall": ["2", "3"]})[1] == {"overall": "Give one answer only"}


def test_a_required_rating_must_be_chosen_to_send_in() -> None:
    assert parse({})[1] == {}
    assert parse({}, final=True)[1]["overall"] == "Choose a number from 1 to 5"
    assert "nps" not in parse({}, final=True)[1]


# --- likert ---------------------------------------------------------------------------------


def rows(*chosen: str | None, qid: str = "qualities") -> dict[str, list[str]]:
    return {likert_field(qid, n): [c] for n, c in enumerate(chosen, start=1) if c is not None}


def test_a_likert_answer_lists_the_options_chosen_in_row_order() -> None:
    assert likert_field("qualities", 2) == "qualities.2"
    answers, errors = parse(rows("Agree", "Neutral", "Disagree"), final=True)
    assert errors == {} or set(errors) == {"overall"}
    assert answers["qualities"] == ["Agree", "Neutral", "Disagree"]


def test_a_draft_keeps_unanswered_statements_as_none() -> None:
    assert parse(rows("Agree", None, "Neutral")) == ({"qualities": ["Agree", None, "Neutral"]}, {})
    assert parse(rows(None, None, None)) == ({}, {})


def test_sending_in_a_required_grid_names_the_first_missing_statement() -> None:
    data = {"overall": ["3"], **rows("Agree", None, None)}
    assert parse(data, final=True) == (
        {"overall": 3},
        {"qualities": "Choose an answer for “I know my strengths”"},
    )
    assert parse({"overall": ["3"]}, final=True)[1] == {
        "qualities": "Choose an answer for “I feel confident”"
    }


def test_an_optional_grid_may_be_sent_in_part_answered() -> None:
    data = {"overall": ["3"], **rows("Agree", "Agree", "Agree"), "extras.1": ["Neutral"]}
    assert parse(data, final=True) == (
        {"overall": 3, "qualities": ["Agree"] * 3, "extras": ["Neutral"]},
        {},
    )


def test_an_option_not_on_the_scale_is_refused_at_its_statement() -> None:
    assert parse(rows("Agree", "Strongly agree")) == (
        {},
        {"qualities": "Choose from the list for “I know my strengths”"},
    )
    assert parse({"qualities.1": ["Agree", "Neutral"]})[1] == {
        "qualities": "Give one answer only for “I feel confident”"
    }
    assert parse({"qualities.1": ["a\x00b"]})[1] == {
        "qualities": "Choose from the list for “I feel confident”"
    }


def test_fields_beyond_the_rows_and_the_bare_id_are_ignored() -> None:
    assert parse({"qualities": ["Agree"], "qualities.0": ["Agree"], "qualities.4": ["Agree"]}) == (
        {},
        {},
    )


def test_permission_is_an_ordinary_yes_no_answer() -> None:
    assert parse({"share": ["yes"]})[0] == {"share": True}
    assert parse({"share": ["no"]})[0] == {"share": False}


def test_a_saved_draft_shows_again_as_its_fields() -> None:
    answers = {"overall": 2, "qualities": ["Agree", None, "Neutral"], "share": False}
    assert form_values(FORM, answers) == {
        "overall": ["2"],
        "qualities.1": ["Agree"],
        "qualities.3": ["Neutral"],
        "share": ["no"],
    }
    # A stored answer longer than the grid (or odd values) shows only what fits.
    assert form_values(FORM, {"qualities": ["Agree", 3, None, "Agree"]}) == {
        "qualities.1": ["Agree"]
    }
    assert form_values(FORM, {"qualities": "Agree"}) == {}


# --- properties -----------------------------------------------------------------------------

_TEXTS = st.one_of(
    st.text(max_size=20),
    st.sampled_from([*SCALE, "0", "1", "5", "10", "11", "-3", "2.5", "1e1", " 3 ", "yes", "no"]),
    st.text(min_size=990, max_size=1100),
)
_VALUES = st.one_of(
    st.lists(_TEXTS, max_size=3),
    _TEXTS,
    st.none(),
    st.integers(),
    st.lists(st.one_of(st.none(), st.integers(), st.binary(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
_FIELDS = st.sampled_from(
    [qu.id for qu in FORM.questions]
    + [likert_field("qualities", n) for n in range(0, 5)]
    + [likert_field("extras", n) for n in range(0, 3)]
    + ["other", "qualities.x"]
)


@SETTINGS
@given(st.dictionaries(_FIELDS, _VALUES, max_size=14), st.booleans())
def test_any_input_gives_answers_or_field_errors(data: dict[str, Any], final: bool) -> None:
    answers, errors = parse_answers(FORM, data, final=final)
    ids = [qu.id for qu in FORM.questions]
    assert all(isinstance(e, FieldError) and e.field in ids and e.message for e in errors)
    assert len({e.field for e in errors}) == len(errors)
    assert not set(answers) & {e.field for e in errors}
    msgspec.json.encode(answers)
    by_id = {qu.id: qu for qu in FORM.questions}
    for qid, value in answers.items():
        question = by_id[qid]
        if question.kind == "rating":
            assert type(value) is int
            assert question.min is not None and question.max is not None
            assert question.min <= value <= question.max
        elif question.kind == "likert":
            assert isinstance(value, list) and len(value) == len(question.rows)
            assert all(v is None or v in question.options for v in value)
            assert any(v is not None for v in value)
            if final and question.required:
                assert None not in value
    if final:
        missing = {qu.id for qu in FORM.questions if qu.required} - set(answers)
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
    answers, _ = parse_answers(FORM, data, final=False)
    again, errors = parse_answers(FORM, form_values(FORM, answers), final=False)
    assert errors == [] and again == answers


@SETTINGS
@given(
    st.integers(min_value=-5, max_value=5),
    st.integers(min_value=1, max_value=10),
    st.integers(min_value=-20, max_value=20),
)
def test_a_rating_accepts_exactly_its_scale(low: int, span: int, posted: int) -> None:
    form = Form(questions=(q(id="r", kind="rating", min=low, max=low + span),))
    answers, errors = parse_answers(form, {"r": [str(posted)]}, final=True)
    if low <= posted <= low + span:
        assert answers == {"r": posted} and errors == []
    else:
        assert answers == {} and errors == [
            FieldError("r", f"Choose a number from {low} to {low + span}")
        ]


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.sampled_from(SCALE)), min_size=3, max_size=3))
def test_any_grid_answer_round_trips(chosen: list[str | None]) -> None:
    posted = rows(*chosen)
    answers, errors = parse_answers(FORM, posted, final=False)
    expected = {"qualities": chosen} if any(c is not None for c in chosen) else {}
    assert errors == [] and answers == expected
    assert form_values(FORM, answers) == posted


@SETTINGS
@given(st.text(max_size=30), st.text(max_size=30))
def test_odd_forms_never_raise(qid_value: str, row_value: str) -> None:
    """A form the check would refuse (no scale, no rows) still never raises when parsing."""
    odd = Form(
        questions=(
            q(id="r", kind="rating", required=True),
            q(id="g", kind="likert", required=True),
            q(id="h", kind="likert", rows=("S",), required=True),
        )
    )
    data = {"r": [qid_value], "g.1": [row_value], "h.1": [row_value]}
    for final in (False, True):
        answers, errors = parse_answers(odd, data, final=final)
        assert {e.field for e in errors} | set(answers) <= {"r", "g", "h"}
