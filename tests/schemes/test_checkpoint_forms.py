"""Checkpoint forms (issue 16): rating scales and Likert grids become answers or field errors
(never an exception) and show again as the fields they came from; every rule of
``[[scheme.checkpoint_forms]]`` and ``[scheme.reminders]`` is checked at its key path; a
scheme with checkpoint forms is stored and read back exactly; the public page says what each
checkpoint asks, when the reminders go and when a quiet pair is nudged."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorhub.schemes import SchemeError, describe, parse_scheme, scheme_document
from mentorhub.schemes.forms import (
    FieldError,
    Form,
    Question,
    form_values,
    likert_field,
    parse_answers,
)
from tests.schemes.conftest import SLUGS, raw, tenant

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


# --- the scheme check -----------------------------------------------------------------------


def scheme_doc() -> dict[str, Any]:
    """A sound scheme (AHEP's file, six months, with an agreement and no plan) whose
    checkpoints, checkpoint forms and reminders are this test's own, so that the tenant
    files' own versions do not move what is checked here."""
    data: dict[str, Any] = raw("ahep")["scheme"]
    data.pop("reminders", None)
    data["relationship"]["agreement_at_start"] = True
    offset = {"kind": "offset", "anchor": "matching"}
    data["checkpoints"] = [
        {
            "id": "review",
            "kind": "review",
            "title": "Review",
            "audience": "pair",
            "when": {**offset, "offset_months": 3},
            "readers": ["pair", "coordinator"],
        },
        {
            "id": "survey",
            "kind": "survey",
            "title": "Survey",
            "audience": "each",
            "when": {"kind": "end"},
            "readers": ["coordinator"],
        },
        {
            "id": "agenda",
            "kind": "document",
            "title": "Agenda",
            "audience": "pair",
            "when": {**offset, "offset_weeks": 2},
            "readers": ["pair"],
            "done_in": "agreement",
        },
        {
            "id": "call",
            "kind": "coordinator_call",
            "title": "Call",
            "audience": "coordinator",
            "when": {**offset, "offset_months": 2},
            "readers": ["coordinator"],
        },
        {
            "id": "log",
            "kind": "reflective_log",
            "title": "Log",
            "audience": "each",
            "when": {"kind": "after_each_meeting"},
            "done_in": "log",
        },
    ]
    data["checkpoint_forms"] = [
        {
            "checkpoint": "review",
            "intro": "How is it going?",
            "questions": [
                {
                    "id": "overall",
                    "kind": "rating",
                    "label": "Overall",
                    "min": 1,
                    "max": 5,
                    "low_label": "Poor",
                    "high_label": "Great",
                    "required": True,
                },
                {
                    "id": "qualities",
                    "kind": "likert",
                    "label": "Qualities",
                    "rows": list(STATEMENTS),
                    "options": list(SCALE),
                    "required": True,
                },
                {"id": "progress", "kind": "long_text", "label": "Progress"},
                {"id": "share", "kind": "yes_no", "label": "May we share it?", "permission": True},
            ],
        },
        {
            "checkpoint": "survey",
            "questions": [
                {
                    "id": "overall",
                    "kind": "rating",
                    "label": "Overall, at the end",
                    "min": 1,
                    "max": 5,
                },
                {"id": "nps", "kind": "rating", "label": "Recommend?", "min": 0, "max": 10},
                {
                    "id": "consent",
                    "kind": "consent",
                    "label": "You may quote me",
                    "permission": True,
                },
            ],
        },
    ]
    return data


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(SchemeError) as info:
        parse_scheme(data, "test")
    return [f"{p.path}: {p.message}" for p in info.value.problems]


def only(data: dict[str, Any], path: str) -> str:
    """The one problem of `data`, at `path`: its message."""
    found = problems_of(data)
    assert len(found) == 1 and found[0].startswith(path + ": "), found
    return found[0].removeprefix(path + ": ")


def form_q(data: dict[str, Any], form: int, question: int) -> dict[str, Any]:
    result: dict[str, Any] = data["checkpoint_forms"][form]["questions"][question]
    return result


def test_a_sound_scheme_with_checkpoint_forms_reads_back_exactly() -> None:
    scheme = parse_scheme(scheme_doc(), "test")
    form = scheme.checkpoint_form("review")
    assert form is not None and form.checkpoint == "review"
    assert [q.kind for q in form.questions] == ["rating", "likert", "long_text", "yes_no"]
    assert form.questions[1].rows == STATEMENTS and form.questions[3].permission
    assert scheme.checkpoint_form("agenda") is None and scheme.checkpoint_form("call") is None
    doc = scheme_document(scheme)
    assert json.loads(json.dumps(doc)) == doc
    assert parse_scheme(doc, "stored") == scheme


@SETTINGS
@given(
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=1, max_value=10),
    st.lists(st.integers(min_value=1, max_value=60), max_size=4, unique=True),
    st.lists(st.integers(min_value=1, max_value=60), max_size=4, unique=True),
    st.sampled_from(["00:00", "09:00", "17:45", "23:59"]),
    st.one_of(st.none(), st.integers(min_value=1, max_value=365)),
)
def test_any_sound_scale_and_schedule_reads_back_exactly(
    low: int, span: int, before: list[int], after: list[int], send_at: str, quiet: int | None
) -> None:
    data = scheme_doc()
    form_q(data, 1, 1).update(min=low, max=low + span)
    data["reminders"] = {
        "send_at": send_at,
        "before_due_days": before,
        "after_due_days": after,
        "at_opening": not before,
        "quiet": {"after_days": quiet} if quiet else {},
    }
    scheme = parse_scheme(data, "test")
    assert parse_scheme(scheme_document(scheme), "stored") == scheme


def _set(path: str, value: Any) -> Any:
    """A change to the document: `value` at the key path (below [scheme])."""

    def change(data: dict[str, Any]) -> None:
        tokens: list[str | int] = [
            name or int(index) for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)
        ]
        node: Any = data
        for token in tokens[:-1]:
            node = node[token]
        if value is _DELETE:
            del node[tokens[-1]]
        else:
            node[tokens[-1]] = value

    return change


_DELETE = object()


def _both(*changes: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        for c in changes:
            c(data)

    return change


_SECOND_FORM_Q0 = "checkpoint_forms[1].questions[0]"
_REVIEW_Q = "checkpoint_forms[0].questions"
RULES: list[tuple[str, Any, str, str]] = [
    # the form and its checkpoint
    (
        "unknown checkpoint",
        _set("checkpoint_forms[1].checkpoint", "final"),
        "checkpoint_forms[1].checkpoint",
        "'final' is not a checkpoint of this scheme (checkpoints: 'review', 'survey', 'agenda', "
        "'call', 'log')",
    ),
    (
        "second form for a checkpoint",
        _set("checkpoint_forms[1].checkpoint", "review"),
        "checkpoint_forms[1].checkpoint",
        "'review' already has a form (checkpoint_forms[0])",
    ),
    (
        "coordinator's checkpoint",
        _set("checkpoint_forms[1].checkpoint", "call"),
        "checkpoint_forms[1].checkpoint",
        "'call' is the coordinator's (audience = 'coordinator'): a task on their list, not a form",
    ),
    (
        "form and done_in",
        _set("checkpoints[1].done_in", "agreement"),
        "checkpoints[1].done_in",
        "the checkpoint also has a form (checkpoint_forms[1]): it is done in the pair's "
        "agreement or answered in its form, not both",
    ),
    # done in the pair's space
    (
        "plan without a plan",
        _set("checkpoints[2].done_in", "plan"),
        "checkpoints[2].done_in",
        "'plan' needs the pair's plan (the months of [[scheme.space.plan]])",
    ),
    (
        "agreement without an agreement",
        _both(_set("space.agreement", []), _set("relationship.agreement_at_start", False)),
        "checkpoints[2].done_in",
        "'agreement' needs the agreement's sections ([[scheme.space.agreement]])",
    ),
    (
        "log not after a meeting",
        _set("checkpoints[4].when", {"kind": "end"}),
        "checkpoints[4].done_in",
        "'log' is a log entry written after a meeting: it needs when.kind = 'after_each_meeting'",
    ),
    (
        "done_in for the coordinator",
        _set("checkpoints[3].done_in", "agreement"),
        "checkpoints[3].done_in",
        "a coordinator's checkpoint is a task on their list, not done in the pair's space",
    ),
    # questions
    (
        "question id twice",
        _set(f"{_REVIEW_Q}[2].id", "overall"),
        f"{_REVIEW_Q}[2].id",
        "'overall' is already used by questions[0]",
    ),
    (
        "repeated question asked differently",
        _set(f"{_SECOND_FORM_Q0}.max", 7),
        f"{_SECOND_FORM_Q0}.id",
        "'overall' is also asked by checkpoint_forms[0].questions[0], which it is compared "
        "with: ask it the same way (kind, options, rows, min, max) or give it another id",
    ),
    (
        "feeds",
        _set(f"{_REVIEW_Q}[2].feeds", "goals"),
        f"{_REVIEW_Q}[2].feeds",
        "only in application forms (matching reads the application)",
    ),
    (
        "excludes",
        _set(f"{_REVIEW_Q}[3].excludes", "students"),
        f"{_REVIEW_Q}[3].excludes",
        "only in application forms (eligibility reads the application)",
    ),
    (
        "approver",
        _set(f"{_REVIEW_Q}[2].approver", True),
        f"{_REVIEW_Q}[2].approver",
        "only in application forms (the line manager approves the application)",
    ),
    (
        "shown_to_mentor",
        _set(f"{_REVIEW_Q}[2].shown_to_mentor", True),
        f"{_REVIEW_Q}[2].shown_to_mentor",
        "only in application forms (the mentor reads the mentee's application)",
    ),
    (
        "shown_to_approver",
        _set(f"{_REVIEW_Q}[2].shown_to_approver", True),
        f"{_REVIEW_Q}[2].shown_to_approver",
        "only in application forms (the line manager reads the application)",
    ),
    (
        "organisation",
        _set(f"{_REVIEW_Q}[2].kind", "organisation"),
        f"{_REVIEW_Q}[2].kind",
        "not in a checkpoint form: the organisation is asked when applying",
    ),
    (
        "email",
        _set(f"{_REVIEW_Q}[2].kind", "email"),
        f"{_REVIEW_Q}[2].kind",
        "not in a checkpoint form: the people answering are members whose addresses are known",
    ),
    # rating
    (
        "rating without min",
        _set(f"{_REVIEW_Q}[0].min", _DELETE),
        f"{_REVIEW_Q}[0].min",
        "required for a rating question: the lowest point of the scale",
    ),
    (
        "rating without max",
        _set(f"{_REVIEW_Q}[0].max", _DELETE),
        f"{_REVIEW_Q}[0].max",
        "required for a rating question: the highest point of the scale",
    ),
    (
        "rating not whole",
        _set(f"{_REVIEW_Q}[0].min", 1.5),
        f"{_REVIEW_Q}[0].min",
        "must be a whole number (a rating's points are)",
    ),
    (
        "rating upside down",
        _set(f"{_REVIEW_Q}[0].min", 5),
        f"{_REVIEW_Q}[0].min",
        "minimum 5 must be below maximum 5",
    ),
    (
        "rating too long",
        _set(f"{_REVIEW_Q}[0].max", 12),
        f"{_REVIEW_Q}[0].max",
        "a scale of 12 points; at most 11 (e.g. 0 to 10)",
    ),
    (
        "integer on a rating",
        _set(f"{_REVIEW_Q}[0].integer", True),
        f"{_REVIEW_Q}[0].integer",
        "only for number questions",
    ),
    # likert
    (
        "likert without rows",
        _set(f"{_REVIEW_Q}[1].rows", []),
        f"{_REVIEW_Q}[1].rows",
        "a likert question needs its statements",
    ),
    (
        "likert row twice",
        _set(f"{_REVIEW_Q}[1].rows", ["A", "B", "A"]),
        f"{_REVIEW_Q}[1].rows",
        "lists a statement twice",
    ),
    (
        "likert without options",
        _set(f"{_REVIEW_Q}[1].options", []),
        f"{_REVIEW_Q}[1].options",
        "a likert question needs its options",
    ),
    (
        "likert of one option",
        _set(f"{_REVIEW_Q}[1].options", ["Yes"]),
        f"{_REVIEW_Q}[1].options",
        "a likert scale has 2 to 7 options, not 1",
    ),
    (
        "likert of eight options",
        _set(f"{_REVIEW_Q}[1].options", list("ABCDEFGH")),
        f"{_REVIEW_Q}[1].options",
        "a likert scale has 2 to 7 options, not 8",
    ),
    (
        "likert option twice",
        _set(f"{_REVIEW_Q}[1].options", ["A", "B", "A"]),
        f"{_REVIEW_Q}[1].options",
        "lists an option twice",
    ),
    # settings of another kind
    (
        "rows on a rating",
        _set(f"{_REVIEW_Q}[0].rows", ["A"]),
        f"{_REVIEW_Q}[0].rows",
        "only for likert questions",
    ),
    (
        "low_label on likert",
        _set(f"{_REVIEW_Q}[1].low_label", "Low"),
        f"{_REVIEW_Q}[1].low_label",
        "only for rating questions",
    ),
    (
        "high_label on text",
        _set(f"{_REVIEW_Q}[2].high_label", "High"),
        f"{_REVIEW_Q}[2].high_label",
        "only for rating questions",
    ),
    (
        "options on text",
        _set(f"{_REVIEW_Q}[2].options", ["A", "B"]),
        f"{_REVIEW_Q}[2].options",
        "only for single_choice, multiple_choice or likert",
    ),
    (
        "min on text",
        _set(f"{_REVIEW_Q}[2].min", 1),
        f"{_REVIEW_Q}[2].min",
        "only for number and rating questions",
    ),
    # permission
    (
        "permission on text",
        _set(f"{_REVIEW_Q}[2].permission", True),
        f"{_REVIEW_Q}[2].permission",
        "only for consent or yes_no questions",
    ),
    (
        "permission required",
        _set(f"{_REVIEW_Q}[3].required", True),
        f"{_REVIEW_Q}[3].required",
        "a permission to share is never required: without it the answers stay confidential",
    ),
    (
        "two permissions",
        _set(
            f"{_REVIEW_Q}[2]",
            {"id": "again", "kind": "consent", "label": "Again", "permission": True},
        ),
        f"{_REVIEW_Q}[3].permission",
        "only one permission question per form (questions[2] is one)",
    ),
    # reminders
    (
        "a reminder day twice",
        _set("reminders", {"before_due_days": [3, 1, 3]}),
        "reminders.before_due_days",
        "lists a day twice",
    ),
    (
        "a reminder too early",
        _set("reminders", {"before_due_days": [3, 61]}),
        "reminders.before_due_days[1]",
        "must be ≤ 60",
    ),
    (
        "an after day twice",
        _set("reminders", {"after_due_days": [2, 2]}),
        "reminders.after_due_days",
        "lists a day twice",
    ),
    (
        "a reminder too late",
        _set("reminders", {"after_due_days": [90]}),
        "reminders.after_due_days[0]",
        "must be ≤ 60",
    ),
    (
        "quiet for over a year",
        _set("reminders", {"quiet": {"after_days": 366}}),
        "reminders.quiet.after_days",
        "must be ≤ 365",
    ),
]


@pytest.mark.parametrize(
    ("change", "path", "message"), [r[1:] for r in RULES], ids=[r[0] for r in RULES]
)
def test_each_rule_refuses_a_bad_document_at_its_path(change: Any, path: str, message: str) -> None:
    data = scheme_doc()
    change(data)
    assert only(data, f"scheme.{path}") == message


def test_every_problem_is_listed_at_once() -> None:
    data = scheme_doc()
    _set("checkpoint_forms[0].checkpoint", "nope")(data)
    _set(f"{_SECOND_FORM_Q0}.max", 4)(data)
    _set(f"{_REVIEW_Q}[1].options", ["Yes"])(data)
    _set("checkpoints[4].when", {"kind": "end"})(data)
    _set("reminders", {"after_due_days": [61]})(data)
    found = problems_of(data)
    assert [p.split(": ")[0] for p in found] == [
        "scheme.checkpoints[4].done_in",
        "scheme.reminders.after_due_days[0]",
        "scheme.checkpoint_forms[0].questions[1].options",
        "scheme.checkpoint_forms[0].checkpoint",
        "scheme.checkpoint_forms[1].questions[0].id",
    ]


def test_shape_problems_of_a_checkpoint_form_are_named_too() -> None:
    data = scheme_doc()
    form_q(data, 0, 0)["colour"] = "red"
    data["checkpoints"][2]["done_in"] = "minutes"
    data["checkpoint_forms"][1]["questions"] = []
    data["reminders"] = {"send_at": "9am", "before_due_days": [0]}
    found = problems_of(data)
    assert [p.split(": ")[0] for p in found] == [
        "scheme.checkpoints[2].done_in",
        "scheme.reminders.send_at",
        "scheme.reminders.before_due_days[0]",
        "scheme.checkpoint_forms[0].questions[0].colour",
        "scheme.checkpoint_forms[1].questions",
    ], found


def test_a_form_naming_a_checkpoint_with_its_own_problem_reports_only_that() -> None:
    data = scheme_doc()
    data["checkpoints"][1]["audience"] = "everyone"
    assert "is not one of" in only(data, "scheme.checkpoints[1].audience")


def test_a_question_with_its_own_problem_is_not_also_compared() -> None:
    data = scheme_doc()
    form_q(data, 0, 0)["max"] = 40
    assert only(data, f"scheme.{_REVIEW_Q}[0].max").startswith("a scale of 40 points")


# --- application forms: the decision --------------------------------------------------------


def mentee_questions(data: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = data["forms"]["mentee"]["questions"]
    return result


@pytest.mark.parametrize(
    ("question", "key", "message"),
    [
        (
            {"kind": "rating", "min": 1, "max": 5},
            "kind",
            "rating questions are for checkpoint forms ([[scheme.checkpoint_forms]]), not "
            "application forms",
        ),
        (
            {"kind": "likert", "rows": ["A"], "options": ["Y", "N"]},
            "kind",
            "likert questions are for checkpoint forms ([[scheme.checkpoint_forms]]), not "
            "application forms",
        ),
        (
            {"kind": "yes_no", "permission": True},
            "permission",
            "only in checkpoint forms (nothing in an application is shared beyond its readers)",
        ),
        ({"kind": "text", "rows": ["A"]}, "rows", "only for likert questions"),
        ({"kind": "number", "low_label": "Few"}, "low_label", "only for rating questions"),
        ({"kind": "text", "min": 1}, "min", "only for number questions"),
    ],
)
def test_application_forms_ask_no_survey_scales(
    question: dict[str, Any], key: str, message: str
) -> None:
    data = scheme_doc()
    mentee_questions(data).append({"id": "extra", "label": "Extra", **question})
    n = len(mentee_questions(data)) - 1
    assert only(data, f"scheme.forms.mentee.questions[{n}].{key}") == message


# --- the public scheme page -----------------------------------------------------------------


def page(data: dict[str, Any]) -> list[str]:
    """The sentences of "What is asked of you, and when"."""
    sections = {s.key: s for s in describe(parse_scheme(data, "test"))}
    return list(sections["checkpoints"].sentences)


def test_the_page_says_what_each_checkpoint_asks() -> None:
    review, survey, agenda, call, log, *_ = page(scheme_doc())
    assert review.startswith("Review — 3 months after matching, for the mentor and mentee")
    assert (
        "It is a form of 4 questions. The answers stay confidential unless you give your "
        "permission to share them, in the form itself. Read by the pair" in review
    )
    assert "It is a survey of 3 questions." in survey
    assert "It is done when mentor and mentee have both agreed to their written agreement." in (
        agenda
    )
    assert "It is a task on the programme coordinator's list; nothing is asked of you." in call
    assert "It is done by writing a log entry about the meeting." in log


def test_the_page_says_when_the_reminders_go() -> None:
    assert page(scheme_doc())[5] == (
        "You are e-mailed when something asked of you opens and 3 days before it is due, and "
        "again 2 days after the due date if it is not yet done. E-mails go at 09:00 local "
        "time, on working days."
    )
    data = scheme_doc()
    data["reminders"] = {
        "send_at": "08:30",
        "at_opening": False,
        "before_due_days": [1, 7],
        "after_due_days": [],
    }
    assert page(data)[5] == (
        "You are e-mailed 7 and 1 days before it is due. E-mails go at 08:30 local time, on "
        "working days."
    )
    data["reminders"] = {"at_opening": False, "before_due_days": [], "after_due_days": [1]}
    assert page(data)[5].startswith(
        "You are e-mailed 1 day after the due date if it is not yet done. E-mails go at 09:00"
    )


def test_no_reminder_is_promised_when_nothing_is_tracked() -> None:
    data = scheme_doc()
    data["checkpoint_forms"] = []
    for c in data["checkpoints"]:
        c.pop("done_in", None)
    assert not any("e-mailed" in s for s in page(data))
    data = scheme_doc()
    data["reminders"] = {"at_opening": False, "before_due_days": [], "after_due_days": []}
    assert not any("e-mailed" in s for s in page(data))


def test_the_page_says_when_a_quiet_pair_is_nudged() -> None:
    nudge = page(scheme_doc())[-1]
    assert nudge == (
        "If a pair records no meeting, message or submission for 7 days longer than the "
        "rhythm they agreed (about 67 days until they agree one), mentor and mentee are sent "
        "a nudge; if it stays quiet 14 days more, the pair goes on the programme "
        "coordinator's list to follow up."
    )
    data = scheme_doc()
    data["relationship"]["shared_space"] = []
    data["reminders"] = {"quiet": {"after_days": 30, "coordinator_after_days": 10}}
    assert page(data)[-1].startswith(
        "If a pair records no meeting or submission for about 30 days, mentor and mentee are "
        "sent a nudge; if it stays quiet 10 days more,"
    )
    data["meetings"]["cadence"] = {
        "kind": "interval",
        "every": {"months": 1},
        "at_most": {"weeks": 6},
    }
    data["reminders"] = {"quiet": {"grace_days": 3}}
    assert "for about 45 days, mentor" in page(data)[-1]
    data["reminders"] = {"quiet": {"enabled": False}}
    assert not any("nudge" in s for s in page(data))


@pytest.mark.parametrize("slug", SLUGS)
def test_each_shipped_page_states_its_reminders_and_nudge(slug: str) -> None:
    scheme = tenant(slug).scheme
    sentences = next(s for s in describe(scheme) if s.key == "checkpoints").sentences
    tracked = any(
        c.audience != "coordinator" and (scheme.checkpoint_form(c.id) or c.done_in)
        for c in scheme.checkpoints
    )
    assert any(s.startswith("You are e-mailed") for s in sentences) == tracked
    assert any("nudge" in s for s in sentences) == scheme.reminders.quiet.enabled
