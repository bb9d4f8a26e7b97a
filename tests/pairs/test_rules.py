"""The pair's states (pure): hypothesis properties of who may end, remove, extend."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mentorhub.pairs.rules import LIVE, refusal

states = st.sampled_from(["active", "extended", "ended"])
actions = st.sampled_from(["extend", "complete", "end_early", "remove"])
actors = st.sampled_from(["mentor", "mentee", "coordinator"])


@given(states, actions, actors, st.booleans(), st.text(max_size=20))
def test_every_answer_is_a_sentence_or_none_and_ended_is_terminal(
    state: str, action: str, actor: str, may_end: bool, reason: str
) -> None:
    why = refusal(state, action, actor, either_party_may_end=may_end, reason=reason)  # type: ignore[arg-type]
    assert why is None or (why.endswith(".") and why[0].isupper())
    if state not in LIVE:
        assert why == "This relationship has already ended."


@given(states, actors, st.booleans(), st.text(max_size=20))
def test_only_the_coordinator_removes_and_only_with_a_reason(
    state: str, actor: str, may_end: bool, reason: str
) -> None:
    why = refusal(state, "remove", actor, either_party_may_end=may_end, reason=reason)  # type: ignore[arg-type]
    allowed = state in LIVE and actor == "coordinator" and bool(reason.strip())
    assert (why is None) == allowed


@given(states, actors, st.booleans())
def test_a_party_ends_early_only_where_the_scheme_lets_them(
    state: str, actor: str, may_end: bool
) -> None:
    why = refusal(state, "end_early", actor, either_party_may_end=may_end)  # type: ignore[arg-type]
    assert (why is None) == (state in LIVE and (actor == "coordinator" or may_end))
