"""The cadence summary (pairs.cadence): counts and contact time against each shipped
scheme's cadence, in plain words; properties for any pair's facts and meetings."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorhub.pairs.cadence import Held, hours_words, months_between, period_words, summarise
from mentorhub.schemes.calendar import add_months
from mentorhub.schemes.rules import Period
from mentorhub.schemes.timeline import PairFacts, relationship_span, timeline
from tests.schemes.conftest import SLUGS, tenant

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MATCHED = date(2027, 1, 10)


def _summary(slug: str, held: list[Held], today: date, **kw: object):  # type: ignore[no-untyped-def]
    t = tenant(slug)
    facts = PairFacts(matched_on=MATCHED, **kw)  # type: ignore[arg-type]
    return summarise(t.scheme, facts, held, today, jurisdiction=t.tenant.jurisdiction)


def test_museums_association_words_the_contact_hours_range() -> None:
    held = [Held(date(2027, 2, 5), 90), Held(date(2027, 3, 5), 60), Held(date(2027, 4, 9), 90)]
    held.append(Held(date(2027, 5, 1), 90))
    s = _summary("museums-association", held, date(2027, 5, 20))
    assert s.held == 4 and s.contact_minutes == 330 and s.contact_hours == 5.5
    assert s.contact_hours_min == 9 and s.contact_hours_max == 12
    assert s.lines[0] == (
        "4 meetings, 5.5 hours of contact: the scheme asks for 9 to 12 hours in six months."
    )
    # Four whole months of six: the minimum pro rata is 6 hours, 5.5 is behind.
    assert s.hours_due_by_now == 6
    assert not s.on_track
    assert any("minimum works out at 6 hours" in line for line in s.behind)


def test_museums_association_on_track_with_enough_time() -> None:
    held = [Held(add_months(MATCHED, k) - timedelta(days=3), 120) for k in range(1, 5)]
    s = _summary("museums-association", held, date(2027, 5, 20))
    assert s.contact_hours == 8 and s.on_track and s.lines[-1] == "On track."
    assert s.next_due == add_months(held[-1].on, 1)


def test_expected_meetings_are_the_timelines() -> None:
    """The counts are the timeline's meeting events, never a second derivation."""
    t = tenant("arts-marketing")
    held = [Held(date(2027, 3, 1), 60)]
    facts = PairFacts(matched_on=MATCHED)
    s = summarise(t.scheme, facts, held, date(2027, 8, 1), jurisdiction="GB-ENG")
    events = [
        e
        for e in timeline(
            t.scheme,
            PairFacts(matched_on=MATCHED, meetings_held=(date(2027, 3, 1),)),
            jurisdiction="GB-ENG",
        )
        if e.kind == "meeting"
    ]
    assert s.expected_total == len(events)
    assert s.expected_so_far == sum(1 for e in events if e.due <= date(2027, 8, 1))
    assert "At a meeting every two months" in s.lines[1]


def test_advice_skills_academy_two_hours_a_month_and_sessions() -> None:
    held = [Held(date(2027, 1, 20), 120), Held(date(2027, 2, 20), 60)]
    s = _summary("advice-skills-academy", held, date(2027, 3, 15))
    assert s.min_hours_per_interval == 2 and s.interval_words == "month"
    assert s.sessions_min == 3 and s.sessions_max == 6
    assert s.session_minutes_min == 60 and s.session_minutes_max == 90
    # 10 Jan–10 Feb: 2 h (fine); 10 Feb–10 Mar: 1 h (short, and the last complete one).
    assert s.short_intervals == 1 and s.last_interval_short
    assert "The last month had less than 2 hours of meetings." in s.behind
    assert any("3 to 6 sessions" in line for line in s.lines)


def test_advice_skills_academy_too_few_sessions_once_over() -> None:
    t = tenant("advice-skills-academy")
    facts = PairFacts(matched_on=MATCHED)
    end = relationship_span(t.scheme, facts).end
    held = [Held(MATCHED + timedelta(days=20), 150), Held(MATCHED + timedelta(days=45), 150)]
    s = summarise(t.scheme, facts, held, end + timedelta(days=30), jurisdiction="GB-ENG")
    assert s.stage == "over" and s.as_of == end
    assert "2 sessions held; the scheme expects at least 3." in s.behind


def test_ahep_agreed_by_the_pair_counts_nothing_until_agreed() -> None:
    s = _summary("ahep", [Held(date(2027, 2, 1), 60)], date(2027, 4, 1))
    assert s.expected_so_far is None and s.expected_total is None and s.on_track
    assert "You agree together how often to meet" in s.lines[1]
    agreed = _summary(
        "ahep", [Held(date(2027, 2, 1), 60)], date(2027, 4, 1), agreed_cadence=Period(weeks=3)
    )
    assert agreed.expected_total is not None and agreed.expected_total > 1
    assert agreed.overdue and not agreed.on_track  # due 22 Feb, nothing since


def test_alberta_calendar_months_and_not_started() -> None:
    s = _summary("alberta-museums", [], date(2026, 12, 1))
    assert s.stage == "not_started" and s.on_track and s.expected_so_far == 0
    assert s.lines[-1].startswith("The relationship starts on ")
    s = _summary("alberta-museums", [Held(date(2027, 1, 20), 60)], date(2027, 2, 15))
    assert "a meeting every calendar month" in s.lines[1]
    assert s.on_track and s.next_due == date(2027, 2, 28)
    s = _summary("alberta-museums", [Held(date(2027, 1, 20), 60)], date(2027, 3, 2))
    assert s.overdue == (date(2027, 2, 28),) and not s.on_track


def test_ended_early_caps_the_counts() -> None:
    t = tenant("museums-association")
    facts = PairFacts(matched_on=MATCHED)
    s = summarise(
        t.scheme, facts, [], date(2027, 12, 1), jurisdiction="GB-ENG", ended_on=date(2027, 2, 1)
    )
    assert s.as_of == date(2027, 2, 1) and s.stage == "over"
    assert s.expected_so_far == 0


def test_words() -> None:
    assert hours_words(0) == "no time"
    assert hours_words(45) == "45 minutes"
    assert hours_words(60) == "1 hour"
    assert hours_words(330) == "5.5 hours"
    assert hours_words(75) == "1.25 hours"
    assert period_words(Period(months=1)) == "month"
    assert period_words(Period(months=2)) == "two months"
    assert period_words(Period(weeks=6)) == "six weeks"
    assert months_between(date(2027, 1, 31), date(2027, 2, 28)) == 1
    assert months_between(date(2027, 1, 31), date(2027, 2, 27)) == 0
    assert months_between(date(2027, 3, 1), date(2027, 1, 1)) == 0


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, PairFacts, list[Held], date]:
    slug = draw(st.sampled_from(SLUGS))
    matched = draw(st.dates(date(2024, 1, 1), date(2032, 12, 31)))
    facts = PairFacts(matched_on=matched)
    span = relationship_span(tenant(slug).scheme, facts)
    held = draw(
        st.lists(
            st.builds(
                Held,
                st.dates(matched - timedelta(days=30), span.end + timedelta(days=60)),
                st.integers(0, 240),
            ),
            max_size=10,
        )
    )
    today = draw(st.dates(matched - timedelta(days=60), span.end + timedelta(days=120)))
    return slug, facts, held, today


@SETTINGS
@given(_case())
def test_properties(case: tuple[str, PairFacts, list[Held], date]) -> None:
    slug, facts, held, today = case
    t = tenant(slug)
    s = summarise(t.scheme, facts, held, today, jurisdiction=t.tenant.jurisdiction)
    counted = [h for h in held if h.on >= facts.matched_on]
    assert s.held == len(counted)
    assert s.contact_minutes == sum(h.minutes for h in counted)
    assert s.as_of <= today and s.as_of <= s.span.end
    assert s.lines and s.lines[0].startswith(
        f"{len(counted)} meeting" if counted else "No meetings held yet"
    )
    assert s.on_track == (not s.behind)
    if s.expected_total is not None:
        assert s.expected_so_far is not None
        assert 0 <= s.expected_so_far <= s.expected_total
        sessions = t.scheme.meetings.sessions
        if sessions is not None and sessions.max is not None:
            assert s.expected_total <= max(sessions.max, s.held)
    if s.stage == "not_started":
        assert s.on_track and s.expected_so_far in (0, None)
    # Adding a meeting never lowers the contact time nor raises the pro-rata shortfall.
    more = summarise(
        t.scheme,
        facts,
        [*held, Held(max(facts.matched_on, s.span.start), 60)],
        today,
        jurisdiction=t.tenant.jurisdiction,
    )
    assert more.contact_minutes == s.contact_minutes + 60
    assert more.hours_due_by_now == s.hours_due_by_now
