"""What the applicant reads, as pure functions: every state of every reference scheme has
plain words for what happens next (never a state's code name), who may apply says each
scheme's conditions, and any stored answer reads back as text. Form fields have unique ids
and their anchors point at an input."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentorhub.applications.applicant_words import (
    Decision,
    Recorded,
    answer_words,
    check_rows,
    next_steps,
    state_words,
    typed_words,
    who_can_apply,
)
from mentorhub.applications.states import State
from mentorhub.applications.views.applicant_form import fields
from mentorhub.schemes.forms import Question, form_for
from mentorhub.schemes.loader import load_tenant
from tests.support import SLUGS

SCHEMES = {slug: load_tenant(slug).scheme for slug in SLUGS}
CODE_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")  # awaiting_approval, line_manager, …


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("role", ["mentor", "mentee"])
@pytest.mark.parametrize("state", list(State))
def test_every_state_has_plain_next_steps(slug: str, role: str, state: State) -> None:
    lines = next_steps(
        SCHEMES[slug],
        role,
        state,
        waiting_for=["line_manager", "board_ratification", "training"],
        window_closes=datetime(2027, 2, 16, 17, tzinfo=UTC),
        interview_at=datetime(2027, 3, 2, 10, 30, tzinfo=UTC),
        interview_format_="phone",
        waitlist_rank=2,
        contact_email="team@example.org",
    )
    assert lines and all(line.strip() for line in lines)
    for line in lines:
        assert not CODE_NAME.search(line), line
    assert not CODE_NAME.search(state_words(state))


def test_next_steps_follow_the_schemes_rules() -> None:
    ma = SCHEMES["museums-association"]
    assert any("phone interview" in s for s in next_steps(ma, "mentee", "eligible"))
    assert not any("interview" in s for s in next_steps(ma, "mentor", "eligible"))
    assert any("personal feedback" in s for s in next_steps(ma, "mentee", "unsuccessful"))
    ahep = SCHEMES["ahep"]
    assert any("3 mentors" in s for s in next_steps(ahep, "mentee", "accepted"))
    waiting = next_steps(
        SCHEMES["alberta-museums"],
        "mentee",
        "awaiting_approval",
        waiting_for=["board_ratification"],
    )
    assert "Waiting for: the Board's ratification of your membership." in waiting
    student = next_steps(ma, "mentee", "ineligible", ineligible_rule="exclusion:students")
    lapsed = next_steps(SCHEMES["ahep"], "mentee", "ineligible", ineligible_rule="membership")
    assert len(student) == 1 and any("check your application again" in s for s in lapsed)


def test_who_can_apply_says_each_schemes_conditions() -> None:
    said = {
        slug: " ".join(who_can_apply(s, "mentee", ["Citizens Advice Leeds"]))
        for slug, s in SCHEMES.items()
    }
    assert (
        "Students and people already in a mentoring relationship cannot apply"
        in said["museums-association"]
    )
    assert (
        "You need to be an Individual Member of the association in good standing"
        in said["alberta-museums"]
    )
    assert "Board ratifies" in said["alberta-museums"]
    assert "partner organisations: Citizens Advice Leeds" in said["advice-skills-academy"]
    assert "line manager approves and signs" in said["advice-skills-academy"]
    assert "whole relationship" in said["ahep"]
    assert "joint training day before you are matched" in said["arts-marketing"]
    mentor = " ".join(who_can_apply(SCHEMES["arts-marketing"], "mentor"))
    assert "five years more career experience" in mentor


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


@given(
    kind=st.sampled_from(
        ["text", "yes_no", "consent", "multiple_choice", "location", "number", "email"]
    ),
    value=json_values,
)
def test_any_stored_answer_reads_back_as_text(kind: str, value: Any) -> None:
    question = Question(
        id="q",
        kind=kind,
        label="Q",  # type: ignore[arg-type]
        options=("A",) if kind == "multiple_choice" else (),
    )
    assert isinstance(answer_words(question, value), str)


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("role", ["mentor", "mentee"])
def test_each_forms_fields_have_unique_ids_and_anchors(slug: str, role: str) -> None:
    form = form_for(SCHEMES[slug], role)
    assert form is not None
    found = fields(form)
    ids = [f.id for f in found]
    assert len(set(ids)) == len(ids)
    for f in found:
        assert f.anchor in (f.id, f"{f.id}-0")
        assert f.label.endswith(" (required)") == f.question.required


def test_a_draft_whose_window_shut_says_it_cannot_be_submitted() -> None:
    ma = SCHEMES["museums-association"]
    shut = "Applications from mentees closed on 16 February 2027."
    lines = next_steps(ma, "mentee", "draft", window_shut=shut)
    assert f"{shut} This draft cannot be submitted now." in lines
    assert not any("Finish the form" in line for line in lines)


# --- a refused submission read back; the approvals and records -----------------------------

YES_NO = Question(id="first_time", kind="yes_no", label="First time?")
CONSENT = Question(id="agree", kind="consent", label="Do you agree?")
CHOICE = Question(
    id="area", kind="multiple_choice", label="Areas", options=("Debt advice", "Housing")
)


def test_typed_words_are_the_forms_words() -> None:
    assert typed_words(YES_NO, ["yes"]) == "Yes"
    assert typed_words(YES_NO, ["NO"]) == "No"
    assert typed_words(CONSENT, ["yes"]) == "Yes, I agree"
    assert typed_words(CHOICE, ["housing", "Debt advice"]) == "Housing, Debt advice"
    assert typed_words(CHOICE, ["Forged"]) == "Forged"  # not offered: as it came
    assert typed_words(YES_NO, ["", "  "]) == ""  # nothing typed: nothing to show


@given(st.sampled_from(["yes", "no", "Yes", "NO", " yes "]))
def test_a_yes_or_no_never_reads_as_its_posted_value(value: str) -> None:
    assert typed_words(YES_NO, [value]) in ("Yes", "No")
    assert typed_words(CONSENT, [value]) in ("Yes, I agree", value)


NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def _decision(status: str, decided: bool = True, expires_in: int = 10) -> Decision:
    return Decision(
        status=status,
        approver_email="boss@example.org",
        asked_at=NOW - timedelta(days=2),
        expires_at=NOW + timedelta(days=expires_in),
        decided_at=NOW - timedelta(days=1) if decided else None,
    )


def test_check_rows_say_who_decided_and_when() -> None:
    [(what, said)] = check_rows(
        line_manager=_decision("approved"), ratification=None, training=None, now=NOW
    )
    assert what == "Your line manager's approval"
    assert said == "Approved by boss@example.org on Wednesday 2 December 2026 at 12:00 (UTC)."
    [(_, said)] = check_rows(
        line_manager=_decision("declined"), ratification=None, training=None, now=NOW
    )
    assert said == "Declined by boss@example.org on Wednesday 2 December 2026 at 12:00 (UTC)."


def test_check_rows_for_a_link_waiting_or_expired() -> None:
    [(_, said)] = check_rows(
        line_manager=_decision("pending", decided=False),
        ratification=None,
        training=None,
        now=NOW,
    )
    assert "works until Sunday 13 December 2026" in said and "No answer yet." in said
    [(_, said)] = check_rows(
        line_manager=_decision("pending", decided=False, expires_in=-1),
        ratification=None,
        training=None,
        now=NOW,
        contact_email="help@example.org",
    )
    assert "expired on Wednesday 2 December 2026" in said
    assert "write to help@example.org" in said


def test_check_rows_for_records() -> None:
    rows = check_rows(
        line_manager=None,
        ratification=Recorded(on=date(2026, 10, 14), recorded_at=NOW),
        training=Recorded(on=date(2026, 11, 20), recorded_at=None, kind="joint"),
        now=NOW,
    )
    assert rows == [
        (
            "The Board's ratification",
            "Ratified on 14 October 2026; recorded on Thursday 3 December 2026 at 12:00 (UTC).",
        ),
        ("Training", "The joint training, completed on 20 November 2026."),
    ]
    [(_, said)] = check_rows(
        line_manager=None,
        ratification=Recorded(on=date(2026, 9, 30), recorded_at=None),
        training=None,
        now=NOW,
    )
    assert said == "Ratified on 30 September 2026, as the association's membership records show."
    assert not check_rows(line_manager=None, ratification=None, training=None, now=NOW)
    for line in [r[1] for r in rows]:
        assert not CODE_NAME.search(line)


@pytest.mark.parametrize(
    ("slug", "role"), [("arts-marketing", "mentor"), ("advice-skills-academy", "mentor")]
)
def test_an_accepted_applicant_is_not_told_to_do_the_training_it_waited_for(
    slug: str, role: str
) -> None:
    lines = next_steps(SCHEMES[slug], role, State.ACCEPTED)
    assert not any("training" in line for line in lines), lines


def test_a_refused_signature_says_what_can_be_done() -> None:
    lines = next_steps(
        SCHEMES["advice-skills-academy"],
        "mentee",
        State.INELIGIBLE,
        ineligible_rule="line_manager_declined",
    )
    assert any("withdraw this application and apply again" in line for line in lines)
