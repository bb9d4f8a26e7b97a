"""Properties of the timeline that hold for every tenant and every pair's facts."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorhub.schemes import Event, PairFacts, relationship_span, timeline
from mentorhub.schemes.calendar import is_business_day
from mentorhub.schemes.rules import (
    AgreedByPairCadence,
    FirstBusinessDayWhen,
    Period,
    RangeDuration,
)
from tests.schemes.conftest import SLUGS, tenant

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def pair(draw: st.DrawFn, with_extension: bool = False) -> tuple[str, PairFacts]:
    """A tenant slug and facts that its scheme accepts."""
    if with_extension:
        slug = draw(st.sampled_from(
            [s for s in SLUGS if tenant(s).scheme.duration.extension is not None]
        ))
    else:
        slug = draw(st.sampled_from(SLUGS))
    scheme = tenant(slug).scheme
    matched = draw(st.dates(date(2019, 1, 1), date(2034, 12, 31)))
    cohort_start = None
    if isinstance(scheme.duration, RangeDuration) and draw(st.booleans()):
        cohort_start = matched - timedelta(days=draw(st.integers(0, 300)))
    cadence = scheme.meetings.cadence
    agreed = None
    if (isinstance(cadence, AgreedByPairCadence) or cadence.pair_may_agree) and draw(
        st.booleans()
    ):
        agreed = draw(st.sampled_from(
            [Period(weeks=2), Period(weeks=3), Period(months=1), Period(weeks=6)]
        ))
    base = PairFacts(matched_on=matched, cohort_start=cohort_start, agreed_cadence=agreed)
    span = relationship_span(scheme, base)
    held = tuple(sorted(draw(st.lists(
        st.dates(span.start, span.end + timedelta(days=60)), max_size=8
    ))))
    extensions: tuple[tuple[date, int], ...] = ()
    if with_extension:
        ext = scheme.duration.extension
        assert ext is not None
        limit = scheme.duration.monitoring_limit_months or ext.max_total_months
        agreed_on = draw(st.dates(matched, span.end))
        months = draw(st.integers(1, 6 if limit is None else max(1, limit - 12)))
        extensions = ((agreed_on, months),)
    return slug, msgspec.structs.replace(base, meetings_held=held, extensions=extensions)


def run(slug: str, facts: PairFacts) -> list[Event]:
    tf = tenant(slug)
    return timeline(tf.scheme, facts, jurisdiction=tf.tenant.jurisdiction)


def end_of(events: list[Event]) -> date:
    (end,) = [e.due for e in events if e.kind == "end"]
    return end


@SETTINGS
@given(pair())
def test_events_are_sorted_by_due_date(case: tuple[str, PairFacts]) -> None:
    events = run(*case)
    assert [e.due for e in events] == sorted(e.due for e in events)
    end_of(events)  # exactly one end


@SETTINGS
@given(pair())
def test_nothing_after_the_end_unless_the_scheme_says_so(case: tuple[str, PairFacts]) -> None:
    slug, facts = case
    scheme = tenant(slug).scheme
    after_end_allowed = {c.id for c in scheme.checkpoints if c.after_end}
    events = run(slug, facts)
    end = end_of(events)
    for e in events:
        if e.due > end:
            # Meetings that actually happened are facts; only the scheme may place more.
            assert e.status == "held" or e.checkpoint in after_end_allowed, e


@SETTINGS
@given(pair())
def test_business_day_dates_are_business_days(case: tuple[str, PairFacts]) -> None:
    slug, facts = case
    tf = tenant(slug)
    j = tf.tenant.jurisdiction
    first_bd = {c.id for c in tf.scheme.checkpoints if isinstance(c.when, FirstBusinessDayWhen)}
    for e in run(slug, facts):
        if e.business_day:
            assert is_business_day(e.due, j), e
        if e.checkpoint in first_bd:
            # …and it is the *first* one of its month.
            assert e.business_day
            d = e.due.replace(day=1)
            while d < e.due:
                assert not is_business_day(d, j), (d, e)
                d += timedelta(days=1)


@SETTINGS
@given(pair())
def test_every_event_is_due_inside_its_on_time_window(case: tuple[str, PairFacts]) -> None:
    for e in run(*case):
        assert e.window_start <= e.due <= e.window_end, e


@SETTINGS
@given(pair(with_extension=True))
def test_an_extension_moves_only_what_lies_after_it(case: tuple[str, PairFacts]) -> None:
    slug, facts = case
    (agreed_on, _months), = facts.extensions
    without = run(slug, msgspec.structs.replace(facts, extensions=()))
    with_ext = run(slug, facts)
    assert [e for e in without if e.due < agreed_on] == [e for e in with_ext if e.due < agreed_on]
    assert end_of(with_ext) > end_of(without)


@SETTINGS
@given(pair(), pair(with_extension=True))
def test_timeline_is_a_pure_function_of_its_inputs(
    a: tuple[str, PairFacts], b: tuple[str, PairFacts]
) -> None:
    for slug, facts in (a, b):
        scheme = tenant(slug).scheme
        scheme_before = msgspec.to_builtins(scheme)
        facts_before = copy.deepcopy(facts)
        first = run(slug, facts)
        run(*(b if (slug, facts) == a else a))  # interleave another computation
        second = run(slug, facts)
        assert first == second
        assert msgspec.to_builtins(scheme) == scheme_before
        assert facts == facts_before
