"""Golden timelines: for each association, dates worked out by hand from its seed document.

Each test states the seed's rule and the arithmetic; the engine must agree to the day.
"""

from __future__ import annotations

from datetime import date

import pytest

from mentorhub.schemes import Event, FactsError, PairFacts, timeline
from mentorhub.schemes.rules import Period
from tests.schemes.conftest import tenant

D = date


def run(slug: str, facts: PairFacts) -> list[Event]:
    tf = tenant(slug)
    return timeline(tf.scheme, facts, jurisdiction=tf.tenant.jurisdiction)


def rows(events: list[Event]) -> list[tuple[date, str, str]]:
    return [(e.due, e.kind, e.audience) for e in events]


def by_checkpoint(events: list[Event], checkpoint: str) -> list[Event]:
    return [e for e in events if e.checkpoint == checkpoint]


# --- 000 Arts Marketing Association -------------------------------------------------------


def test_arts_marketing_matched_on_new_years_eve() -> None:
    """Seed 000: e-mail contact at 1 and 3 months "from initial matching", survey at 12
    months ("the official end of the scheme"), meetings "once every two months".

    Matched Thu 31 Dec 2026:
    - +1 month = 31 Jan 2027 (a Sunday) → the AMA's e-mail goes out Mon 1 Feb 2027;
    - +3 months = Wed 31 Mar 2027 (a business day in England);
    - +12 months = Fri 31 Dec 2027 (not a holiday: New Year 2028 is observed on 3 Jan);
    - meetings every 2 months, clamped to month ends: 28 Feb, 30 Apr, 30 Jun, 31 Aug,
      31 Oct, 31 Dec 2027 (the last on the official end, so still inside).
    """
    events = run("arts-marketing", PairFacts(matched_on=D(2026, 12, 31)))
    assert rows(events) == [
        (D(2027, 2, 1), "check_in_email", "each"),
        (D(2027, 2, 28), "meeting", "pair"),
        (D(2027, 3, 31), "check_in_email", "each"),
        (D(2027, 4, 30), "meeting", "pair"),
        (D(2027, 6, 30), "meeting", "pair"),
        (D(2027, 8, 31), "meeting", "pair"),
        (D(2027, 10, 31), "meeting", "pair"),
        (D(2027, 12, 31), "meeting", "pair"),
        (D(2027, 12, 31), "survey", "each"),
        (D(2027, 12, 31), "end", "pair"),
    ]
    first = by_checkpoint(events, "check_in_1_month")[0]
    assert first.business_day and (first.window_start, first.window_end) == (
        D(2027, 1, 25), D(2027, 2, 8)
    )
    survey = by_checkpoint(events, "end_survey")[0]
    assert (survey.window_start, survey.window_end) == (D(2027, 12, 31), D(2028, 1, 14))


def test_arts_marketing_extension_is_capped_by_the_18_month_monitoring_limit() -> None:
    """"no longer be monitored officially by the AMA after a maximum of 18 months"."""
    matched = D(2026, 6, 1)
    ok = run("arts-marketing", PairFacts(matched_on=matched, extensions=((D(2027, 5, 1), 6),)))
    assert ok[-1].kind == "end" and ok[-1].due == D(2027, 12, 1)
    # The 12-month survey stays where the seed puts it.
    assert by_checkpoint(ok, "end_survey")[0].due == D(2027, 6, 1)
    with pytest.raises(FactsError, match="18-month"):
        run("arts-marketing", PairFacts(matched_on=matched, extensions=((D(2027, 5, 1), 7),)))


def test_arts_marketing_pair_may_agree_its_own_rhythm() -> None:
    """"It is up to the mentor and mentee to agree a contact programme": every 6 weeks from
    Mon 1 Jun 2026 → 13 Jul, 24 Aug, … while on or before the end (1 Jun 2027)."""
    events = run("arts-marketing", PairFacts(
        matched_on=D(2026, 6, 1), agreed_cadence=Period(weeks=6)
    ))
    meetings = [e.due for e in events if e.kind == "meeting"]
    assert meetings[:3] == [D(2026, 7, 13), D(2026, 8, 24), D(2026, 10, 5)]
    assert len(meetings) == 8  # 8 × 42 = 336 days ≤ 365 < 9 × 42
    assert meetings[-1] == D(2027, 5, 3)


# --- 001 Museums Association, Mentoring for All --------------------------------------------


def test_museums_association_six_month_relationship_from_june_2017() -> None:
    """Seed 001 (Appendix 1): six-month relationships from June 2017; monthly or six-weekly
    meetings; phone calls to mentors "at month two and month five"; a "mid-point
    supervision session"; baseline questionnaire and mentoring agreement at the start
    (two weeks, our reading); final online survey at the end.

    Matched Thu 1 Jun 2017, end Fri 1 Dec 2017 (183 days later):
    - baseline questionnaire and agreement: 15 Jun 2017;
    - meetings monthly: 1 Jul … 1 Dec; each on time up to six weeks after the previous;
    - calls: Tue 1 Aug 2017 and Wed 1 Nov 2017 (both business days in England);
    - midpoint: 1 Jun + 183 // 2 = 91 days = Thu 31 Aug 2017;
    - final survey and end: 1 Dec 2017.
    """
    events = run("museums-association", PairFacts(matched_on=D(2017, 6, 1)))
    assert rows(events) == [
        (D(2017, 6, 15), "questionnaire", "mentee"),
        (D(2017, 6, 15), "document", "pair"),
        (D(2017, 7, 1), "meeting", "pair"),
        (D(2017, 8, 1), "meeting", "pair"),
        (D(2017, 8, 1), "coordinator_call", "coordinator"),
        (D(2017, 8, 31), "supervision_session", "mentor"),
        (D(2017, 9, 1), "meeting", "pair"),
        (D(2017, 10, 1), "meeting", "pair"),
        (D(2017, 11, 1), "meeting", "pair"),
        (D(2017, 11, 1), "coordinator_call", "coordinator"),
        (D(2017, 12, 1), "meeting", "pair"),
        (D(2017, 12, 1), "survey", "mentee"),
        (D(2017, 12, 1), "survey", "mentor"),
        (D(2017, 12, 1), "end", "pair"),
    ]
    first_meeting = events[2]
    assert (first_meeting.window_start, first_meeting.window_end) == (D(2017, 6, 1), D(2017, 7, 13))


def test_museums_association_extension_agreed_by_both() -> None:
    """Recommendation: "extend beyond six months if required and agreed by both". Agreed on
    15 Nov 2017 for 3 months: end 1 Mar 2018; meetings 1 Jan, 1 Feb, 1 Mar 2018 are added;
    the survey moves to the new end; the midpoint (31 Aug) had passed and stays."""
    events = run("museums-association", PairFacts(
        matched_on=D(2017, 6, 1), extensions=((D(2017, 11, 15), 3),)
    ))
    assert events[-1].due == D(2018, 3, 1)
    assert [e.due for e in events if e.kind == "meeting"][-3:] == [
        D(2018, 1, 1), D(2018, 2, 1), D(2018, 3, 1)
    ]
    assert by_checkpoint(events, "final_survey")[0].due == D(2018, 3, 1)
    assert by_checkpoint(events, "midpoint_supervision")[0].due == D(2017, 8, 31)


def test_museums_association_call_rolls_to_a_business_day() -> None:
    """The programme manager's calls are staff actions, rolled to a business day."""
    events = run("museums-association", PairFacts(matched_on=D(2025, 3, 29)))
    # +2 months = Thu 29 May 2025; +5 months = Fri 29 Aug 2025 — both business days.
    calls = [e.due for e in events if e.kind == "coordinator_call"]
    assert calls == [D(2025, 5, 29), D(2025, 8, 29)]
    events = run("museums-association", PairFacts(matched_on=D(2025, 3, 26)))
    # +2 months = Mon 26 May 2025, the Spring Bank Holiday → Tue 27 May.
    calls = [e.due for e in events if e.kind == "coordinator_call"]
    assert calls == [D(2025, 5, 27), D(2025, 8, 26)]


# --- 002 Advice Skills Academy ---------------------------------------------------------------


def test_advice_skills_academy_pair_inside_the_pilot() -> None:
    """Seed 002: "3 – 6 months", "at least two hours a month/six weeks", "3-6 sessions",
    a reflective log after sessions (within 7 days, our reading), "a one-year pilot, with
    review points at 6 and 12 months".

    Pilot starts Wed 1 Apr 2026; pair matched Mon 11 May 2026:
    - latest end = 11 May + 6 months = Wed 11 Nov 2026 (inside the pilot, ends 1 Apr 2027);
    - meetings monthly: 11 Jun, 11 Jul, 11 Aug, 11 Sep, 11 Oct, 11 Nov (6 = the maximum);
    - logs 7 days after each: 18 Jun … 18 Oct; the last is clipped to the end (11 Nov);
    - pilot reviews: 1 Oct 2026 (6 months) and 1 Apr 2027 (12 months, after this pair's
      end; the scheme says the logs feed it, so it is listed).
    """
    events = run("advice-skills-academy", PairFacts(
        matched_on=D(2026, 5, 11), cohort_start=D(2026, 4, 1)
    ))
    meetings = [e.due for e in events if e.kind == "meeting"]
    assert meetings == [D(2026, m, 11) for m in range(6, 12)]
    logs = [e.due for e in by_checkpoint(events, "reflective_log")]
    assert logs == [D(2026, m, 18) for m in range(6, 11)] + [D(2026, 11, 11)]
    assert all(e.audience == "each" for e in by_checkpoint(events, "reflective_log"))
    assert [e.due for e in events if e.checkpoint and e.checkpoint.startswith("pilot_")] == [
        D(2026, 10, 1), D(2027, 4, 1)
    ]
    end = next(e for e in events if e.kind == "end")
    assert end.due == D(2026, 11, 11)
    assert by_checkpoint(events, "final_review_meeting")[0].due == D(2026, 11, 11)


def test_advice_skills_academy_late_match_ends_with_the_pilot() -> None:
    """Matched Fri 15 Jan 2027 in a pilot that began 1 Apr 2026: the pilot ends 1 Apr 2027,
    before 15 Jul; meetings 15 Feb and 15 Mar only; the 6-month review (1 Oct 2026) came
    before this pair and is not listed."""
    events = run("advice-skills-academy", PairFacts(
        matched_on=D(2027, 1, 15), cohort_start=D(2026, 4, 1)
    ))
    assert [e.due for e in events if e.kind == "meeting"] == [D(2027, 2, 15), D(2027, 3, 15)]
    assert next(e for e in events if e.kind == "end").due == D(2027, 4, 1)
    assert not by_checkpoint(events, "pilot_review_6_months")


def test_advice_skills_academy_sessions_cap_counts_meetings_held() -> None:
    """"usually consist of 3-6 sessions": with four held, only two more are expected, rolling
    monthly from the last one held (Sat 10 Oct 2026 → 10 Nov; the next would be 10 Dec,
    after the end 11 Nov, so one only)."""
    held = (D(2026, 6, 1), D(2026, 7, 3), D(2026, 8, 20), D(2026, 10, 10))
    events = run("advice-skills-academy", PairFacts(
        matched_on=D(2026, 5, 11), cohort_start=D(2026, 4, 1), meetings_held=held
    ))
    meetings = [(e.due, e.status) for e in events if e.kind == "meeting"]
    assert meetings == [(d, "held") for d in held] + [(D(2026, 11, 10), "expected")]
    # A log is asked after every meeting, held ones included.
    assert len(by_checkpoint(events, "reflective_log")) == 5


# --- 003 AHEP ------------------------------------------------------------------------------------


def test_ahep_six_months_and_a_review() -> None:
    """Seed 003: connections "last around 6 months"; "review at the 6 months stage"; the
    pair agrees its own frequency (none expected until it does); first-meeting agenda
    within two weeks (our reading); the office contacts all participants for feedback.

    Matched Mon 1 Jun 2026: agenda 15 Jun; review, survey and end on Tue 1 Dec 2026.
    """
    events = run("ahep", PairFacts(matched_on=D(2026, 6, 1)))
    assert rows(events) == [
        (D(2026, 6, 15), "document", "pair"),
        (D(2026, 12, 1), "review", "pair"),
        (D(2026, 12, 1), "survey", "each"),
        (D(2026, 12, 1), "end", "pair"),
    ]


def test_ahep_agreed_cadence_and_continuing_after_review() -> None:
    """The pair agrees to meet every 3 weeks: 22 Jun, 13 Jul, … 16 Nov 2026 (8 meetings;
    the 9th, 7 Dec, is after the end). At the review on 1 Dec they continue 3 months: the
    end and the feedback survey move to 1 Mar 2027, the review stays on 1 Dec."""
    events = run("ahep", PairFacts(
        matched_on=D(2026, 6, 1), agreed_cadence=Period(weeks=3),
        extensions=((D(2026, 12, 1), 3),),
    ))
    meetings = [e.due for e in events if e.kind == "meeting"]
    assert meetings[:8] == [D(2026, 6, 1) + (D(2026, 6, 22) - D(2026, 6, 1)) * k
                            for k in range(1, 9)]
    assert meetings[7] == D(2026, 11, 16)
    assert meetings[8] == D(2026, 12, 7)  # now inside the extended relationship
    assert by_checkpoint(events, "review_6_months")[0].due == D(2026, 12, 1)
    assert by_checkpoint(events, "feedback_survey")[0].due == D(2027, 3, 1)
    assert events[-1].kind == "end" and events[-1].due == D(2027, 3, 1)


# --- 004 Alberta Museums Association ----------------------------------------------------------


def test_alberta_museums_cohort_october_to_august() -> None:
    """Seed 004: runs "annually from October to August"; meet "at least once per month";
    Mentorship Plan in October (sample plan); Quarterly Updates "on the first business day"
    of January, April and July, one per pair; mid-program survey in March and final survey
    in August, individually.

    Matched Tue 15 Sep 2026 → cohort 1 Oct 2026 – 31 Aug 2027:
    - January 2027: Fri 1st is New Year's Day, 2–3 are the weekend → Mon 4 Jan;
    - April 2027: Good Friday is 26 March, so Thu 1 Apr is a business day;
    - July 2027: Thu 1st is Canada Day → Fri 2 Jul;
    - eleven monthly meetings, each due on its month's last day (31 Oct … 31 Aug).
    """
    events = run("alberta-museums", PairFacts(matched_on=D(2026, 9, 15)))
    updates = by_checkpoint(events, "quarterly_update")
    assert [e.due for e in updates] == [D(2027, 1, 4), D(2027, 4, 1), D(2027, 7, 2)]
    assert all(e.audience == "pair" and e.business_day for e in updates)
    assert (updates[0].window_start, updates[0].window_end) == (D(2026, 12, 21), D(2027, 1, 4))
    plan = by_checkpoint(events, "mentorship_plan")[0]
    assert (plan.due, plan.window_start, plan.window_end) == (
        D(2026, 10, 31), D(2026, 10, 1), D(2026, 10, 31)
    )
    surveys = [(e.due, e.audience) for e in events if e.kind == "survey"]
    assert surveys == [(D(2027, 3, 31), "each"), (D(2027, 8, 31), "each")]
    meetings = [e.due for e in events if e.kind == "meeting"]
    assert len(meetings) == 11
    assert meetings[0] == D(2026, 10, 31) and meetings[-1] == D(2027, 8, 31)
    assert meetings[4] == D(2027, 2, 28)
    assert events[-1].kind == "end" and events[-1].due == D(2027, 8, 31)


def test_alberta_museums_cohort_is_derived_from_the_matching_date() -> None:
    """Matched in September 2027 (between cohorts) → the cohort starting 1 Oct 2027;
    matched in May 2027 → the running cohort, ending 31 Aug 2027, with May's meeting due
    31 May and no January update (it was before the pair)."""
    later = run("alberta-museums", PairFacts(matched_on=D(2027, 9, 10)))
    assert later[-1].due == D(2028, 8, 31)
    # January 2028: New Year's Day is Sat 1 Jan and is observed on Mon 3 Jan → Tue 4 Jan.
    assert by_checkpoint(later, "quarterly_update")[0].due == D(2028, 1, 4)
    mid = run("alberta-museums", PairFacts(matched_on=D(2027, 5, 12)))
    assert [e.due for e in mid if e.kind == "meeting"] == [
        D(2027, 5, 31), D(2027, 6, 30), D(2027, 7, 31), D(2027, 8, 31)
    ]
    assert [e.due for e in by_checkpoint(mid, "quarterly_update")] == [D(2027, 7, 2)]
    assert not by_checkpoint(mid, "mentorship_plan")


def test_alberta_museums_rejects_a_cohort_start_outside_october() -> None:
    with pytest.raises(FactsError, match="October"):
        run("alberta-museums", PairFacts(matched_on=D(2026, 9, 1), cohort_start=D(2026, 9, 1)))


def test_alberta_museums_has_no_extensions() -> None:
    with pytest.raises(FactsError, match="does not allow extensions"):
        run("alberta-museums", PairFacts(
            matched_on=D(2026, 9, 1), extensions=((D(2027, 1, 1), 1),)
        ))
