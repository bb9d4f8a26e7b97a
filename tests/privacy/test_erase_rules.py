"""The pure rule of what stays of a checkpoint item's answers after an erasure
(`privacy.services.free_text_removed`): structured answers stay as they were, free text goes,
and without a form only numbers and yes/no values (which cannot be words) stay."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mentorhub.privacy.services import FREE_TEXT_KINDS, erased_email, free_text_removed

KINDS = sorted(
    FREE_TEXT_KINDS
    | {"single_choice", "multiple_choice", "number", "yes_no", "consent", "rating", "likert"}
)
values = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
answers = st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=8)


@given(answers, st.dictionaries(st.text(min_size=1, max_size=8), st.sampled_from(KINDS)))
def test_structured_answers_stay_free_text_goes(
    given_answers: dict[str, Any], kinds: dict[str, str]
) -> None:
    kept = free_text_removed(given_answers, kinds)
    assert kept.keys() <= given_answers.keys()
    for key, value in kept.items():
        assert value == given_answers[key]
        assert kinds[key] not in FREE_TEXT_KINDS
    for key in given_answers:
        if kinds.get(key) is not None and kinds[key] not in FREE_TEXT_KINDS:
            assert key in kept
        else:
            assert key not in kept  # free text, or a question no form explains


@given(answers)
def test_without_a_form_no_words_stay(given_answers: dict[str, Any]) -> None:
    kept = free_text_removed(given_answers, None)
    assert all(isinstance(v, bool | int | float) for v in kept.values())
    assert {k for k, v in given_answers.items() if isinstance(v, bool | int | float)} == set(kept)


def test_an_example() -> None:
    kinds = {"overall": "rating", "areas": "multiple_choice", "what_worked": "long_text"}
    answers = {"overall": 4, "areas": ["Leadership"], "what_worked": "Talking to Ann"}
    assert free_text_removed(answers, kinds) == {"overall": 4, "areas": ["Leadership"]}


def test_the_placeholder_address_cannot_take_mail() -> None:
    import uuid

    member = uuid.uuid4()
    address = erased_email(member)
    assert address.endswith(".invalid") and member.hex in address
