"""The state machine and eligibility, pure: unit and hypothesis property tests."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorhub.applications.eligibility import (
    Facts,
    LineManager,
    Verdict,
    Waiting,
    evaluate,
    requirements,
)
from mentorhub.applications.states import (
    LIVE,
    TERMINAL,
    Action,
    State,
    TransitionRefused,
    allowed_actions,
    next_state,
    reachable,
    state_label,
    states_used,
    targets,
)
from mentorhub.schemes.loader import load_tenant
from mentorhub.schemes.rules import Application as Rules
from mentorhub.schemes.rules import Interview, Scheme, Training
from tests.support import SLUGS

SCHEMES = {slug: load_tenant(slug).scheme for slug in SLUGS}

rules_strategy = st.builds(
    Rules,
    shortlist=st.lists(st.sampled_from(["mentor", "mentee"]), unique=True).map(tuple),
    interview=st.one_of(
        st.none(),
        st.builds(
            Interview,
            roles=st.lists(st.sampled_from(["mentor", "mentee"]), unique=True, min_size=1).map(
                tuple
            ),
        ),
    ),
    line_manager_signature=st.lists(st.sampled_from(["mentor", "mentee"]), unique=True).map(tuple),
    board_ratification=st.booleans(),
)
roles = st.sampled_from(["mentor", "mentee"])
outcomes = st.sampled_from([State.ELIGIBLE, State.INELIGIBLE, State.AWAITING_APPROVAL])


@settings(max_examples=300)
@given(rules_strategy, roles, st.lists(st.tuples(st.sampled_from(list(Action)), outcomes)))
def test_no_sequence_of_actions_reaches_an_undefined_state(
    rules: Rules, role: str, steps: list[tuple[Action, State]]
) -> None:
    state = State.DRAFT
    seen = reachable(rules, role)
    for action, outcome in steps:
        allowed = allowed_actions(rules, role, state)
        if action not in allowed:
            with pytest.raises(TransitionRefused):
                next_state(rules, role, state, action, outcome)
            continue
        before = state
        state = next_state(rules, role, state, action, outcome)
        assert state in State and state in seen
        assert state in targets(rules, role, before, action)
        if before in TERMINAL:
            pytest.fail("a terminal state allowed an action")


@given(rules_strategy, roles)
def test_terminal_states_stay_terminal_and_live_ones_can_be_withdrawn(
    rules: Rules, role: str
) -> None:
    for state in TERMINAL:
        assert allowed_actions(rules, role, state) == frozenset()
    for state in LIVE:
        assert next_state(rules, role, state, Action.WITHDRAW) == State.WITHDRAWN


@given(rules_strategy, roles)
def test_an_interviewed_role_is_accepted_only_after_its_interview(rules: Rules, role: str) -> None:
    interviewed = rules.interview is not None and role in rules.interview.roles
    for state in State:
        if Action.ACCEPT in allowed_actions(rules, role, state) and interviewed:
            assert state in (State.INTERVIEWED, State.WAITLISTED)
    used = reachable(rules, role)
    assert (State.INTERVIEWED in used) == interviewed
    assert (State.SHORTLISTED in used) == (role in rules.shortlist)
    assert State.ACCEPTED in used and State.WITHDRAWN in used


def test_the_reference_schemes_use_the_steps_their_documents_describe() -> None:
    ma = SCHEMES["museums-association"].application
    assert State.INTERVIEWED in reachable(ma, "mentee")
    assert State.INTERVIEWED not in reachable(ma, "mentor")
    assert State.SHORTLISTED in reachable(ma, "mentor")
    ahep = SCHEMES["ahep"].application
    assert next_state(ahep, "mentee", State.ELIGIBLE, Action.ACCEPT) == State.ACCEPTED
    assert State.SHORTLISTED not in states_used(ahep)


def test_refusals_say_what_in_plain_words() -> None:
    rules = SCHEMES["ahep"].application
    with pytest.raises(TransitionRefused, match="An application that is accepted cannot be "):
        next_state(rules, "mentee", State.ACCEPTED, Action.WITHDRAW)
    with pytest.raises(TransitionRefused, match="draft cannot be shortlisted"):
        next_state(rules, "mentee", State.DRAFT, Action.SHORTLIST)
    assert state_label("waitlisted") == "On the waiting list"


# --- eligibility ---------------------------------------------------------------------------

facts_strategy = st.builds(
    Facts,
    membership_status=st.sampled_from([None, "active", "lapsed", "pending"]),
    declared_exclusions=st.frozensets(
        st.sampled_from(["students", "already_in_mentoring_relationship", "other"])
    ),
    organisation=st.sampled_from([None, "Shelter", "shelter ", "Unknown Org"]),
    partner_organisations=st.frozensets(st.sampled_from(["Shelter", "Citizens Advice Leeds"])),
    trained=st.frozensets(st.sampled_from(["mentor", "mentee", "joint"])),
    ratified_on=st.sampled_from([None, date(2026, 1, 5)]),
    line_manager=st.sampled_from(list(LineManager)),
)
schemes = st.sampled_from(list(SCHEMES.values()))


@settings(max_examples=400)
@given(schemes, roles, facts_strategy)
def test_every_outcome_is_complete(scheme: Scheme, role: str, facts: Facts) -> None:
    outcome = evaluate(scheme, role, facts)
    if outcome.verdict is Verdict.INELIGIBLE:
        assert outcome.rule and outcome.reason and not outcome.waiting_for
        assert outcome.reason.endswith(".")
    elif outcome.verdict is Verdict.WAITING:
        assert outcome.waiting_for and outcome.rule is None
    else:
        assert outcome.rule is None and not outcome.waiting_for
    assert evaluate(scheme, role, facts) == outcome  # deterministic


@settings(max_examples=300)
@given(schemes, roles, facts_strategy)
def test_supplying_what_is_waited_for_makes_the_application_eligible(
    scheme: Scheme, role: str, facts: Facts
) -> None:
    outcome = evaluate(scheme, role, facts)
    if outcome.verdict is not Verdict.WAITING:
        return
    supplied = Facts(
        **{
            **facts.__dict__,
            "line_manager": LineManager.APPROVED,
            "ratified_on": facts.ratified_on or date(2026, 2, 1),
            "trained": facts.trained | {"joint"},
        }
    )
    assert evaluate(scheme, role, supplied).verdict is Verdict.ELIGIBLE


@given(schemes, roles, facts_strategy)
def test_an_exclusion_the_scheme_does_not_list_changes_nothing(
    scheme: Scheme, role: str, facts: Facts
) -> None:
    unlisted = {"other", *({"students"} - set(scheme.eligibility.exclusions))}
    more = Facts(**{**facts.__dict__, "declared_exclusions": facts.declared_exclusions | unlisted})
    assert evaluate(scheme, role, more) == evaluate(scheme, role, facts)


def test_the_reference_schemes_rules() -> None:
    ma, asa = SCHEMES["museums-association"], SCHEMES["advice-skills-academy"]
    alberta, ama = SCHEMES["alberta-museums"], SCHEMES["arts-marketing"]
    nobody = Facts()
    assert evaluate(ma, "mentee", nobody).eligible  # open to all, members or not
    student = evaluate(ma, "mentee", Facts(declared_exclusions=frozenset({"students"})))
    assert student.rule == "exclusion:students"
    assert student.reason is not None and "not open to students" in student.reason
    member = Facts(membership_status="active")
    assert evaluate(alberta, "mentee", member).waiting_for == (Waiting.BOARD_RATIFICATION,)
    lapsed = evaluate(alberta, "mentee", Facts(membership_status="lapsed"))
    assert lapsed.rule == "membership"
    assert evaluate(ama, "mentor", member).waiting_for == (Waiting.TRAINING,)  # joint training
    assert evaluate(
        ama, "mentee", Facts(membership_status="active", trained=frozenset({"joint"}))
    ).eligible
    partner = Facts(
        organisation="citizens advice  leeds",
        partner_organisations=frozenset({"Citizens Advice Leeds"}),
    )
    assert evaluate(asa, "mentee", partner).waiting_for == (Waiting.LINE_MANAGER,)
    # ASA mentors also wait for their one-day training (before matching)
    assert evaluate(asa, "mentor", partner).waiting_for == (Waiting.LINE_MANAGER, Waiting.TRAINING)
    declined = Facts(**{**partner.__dict__, "line_manager": LineManager.DECLINED})
    assert evaluate(asa, "mentee", declined).rule == "line_manager_declined"
    assert any("not open to students" in s for s in requirements(ma, "mentee"))
    assert any("line manager" in s for s in requirements(asa, "mentee"))


def test_training_before_the_relationship_starts_is_not_an_eligibility_condition() -> None:
    ma = SCHEMES["museums-association"]
    assert ma.application.training is not None
    assert ma.application.training.before == "relationship_start"
    assert evaluate(ma, "mentor", Facts()).eligible
    assert isinstance(ma.application.training, Training)
