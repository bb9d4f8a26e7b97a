"""The flows' pure helpers: when the one reminder goes, how the engine's explanation reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mentorhub.matching.criteria import Criterion
from mentorhub.matching.scoring import Contribution
from mentorhub.matching.suggest_flow import (
    DEFAULT_RESPONSE_DAYS,
    REMINDER_LEAD,
    plain_why,
    reminder_lead,
)

START = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)


@given(st.integers(min_value=1, max_value=60 * 24 * 60))
def test_the_reminder_comes_before_the_lapse_and_after_the_ask(minutes: int) -> None:
    expires = START + timedelta(minutes=minutes)
    lead = reminder_lead(START, expires)
    assert timedelta(0) < lead <= REMINDER_LEAD
    assert lead <= (expires - START) / 2
    assert START < expires - lead < expires


def test_a_week_to_answer_is_reminded_two_days_before() -> None:
    expires = START + timedelta(days=DEFAULT_RESPONSE_DAYS)
    assert expires - reminder_lead(START, expires) == START + timedelta(days=5)


AREAS = Criterion(
    name="support_areas",
    kind="overlap",
    field="support_areas",
    description="The mentor supports the areas the mentee is looking for help with.",
)
REGION = Criterion(name="region", kind="same", field="region")


def test_plain_words_use_the_schemes_description_and_skip_what_did_not_count() -> None:
    why = plain_why(
        (AREAS, REGION),
        (
            Contribution("support_areas", "overlap", 2.0, "2 shared: Digital, Leadership"),
            Contribution("region", "same", 0.0, "North vs South"),
        ),
    )
    assert why == [
        "The mentor supports the areas the mentee is looking for help with "
        "(in common: Digital, Leadership)."
    ]
    named = plain_why((REGION,), (Contribution("region", "same", 1.0, "same: North"),))
    assert named == ["region (same: North)."]
    assert plain_why((AREAS,), ()) == [
        "A suitable mentor by the scheme's rules, though nothing in particular stands out."
    ]


@given(
    st.lists(
        st.tuples(st.sampled_from(["support_areas", "region", "unknown"]), st.floats(-5, 5)),
        max_size=6,
    )
)
def test_one_sentence_per_criterion_that_counted(parts: list[tuple[str, float]]) -> None:
    contributions = [Contribution(name, "overlap", points, "x") for name, points in parts]
    why = plain_why((AREAS, REGION), contributions)
    counted = [p for name, p in parts if name != "unknown" and p > 0]
    assert len(why) == (len(counted) or 1)
    assert all(sentence.endswith(".") for sentence in why)
