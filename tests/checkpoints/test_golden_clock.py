"""Golden clock tests (issue 16): for each of the five reference tenants, one pair matched on
a chosen date and the clock run day by day (`run_pass(as_of=day)`, as `mentorhub clock run
--as-of` does) from the match to 45 days after the official end, every mail delivered to
the SMTP sink through the real outbox path. What happened must be exactly the list written
by hand below: each mail's day, person and kind, each item missed on its day, each
coordinator task on its day — each once.

The lists are derived by hand from the tenant files (tenants/*.toml, which cite the seeds)
and the contract of issue 16, never computed with the code under test:

- an item opens on its window's first day (moved to the next business day), mailing
  `checkpoint_open` (every file keeps `at_opening`); `reminder` on due − 3 days moved to
  the previous business day, left out unless after the open day; `checkpoint_overdue` on
  due + 2 days moved to the next business day; missed (no mail) on the day after the later
  of the window's last day and the overdue day;
- a pair item mails both people, an "each" item is one item per person, a coordinator item
  is a task on the coordinator's list when it opens (no mail, never missed);
- a window is 7 days either side of the due date unless the checkpoint says otherwise;
- a quiet pair (nothing recorded since the match: the pair holds no meeting here) is
  nudged (`quiet_pair_nudge`, both) on start + allowance days moved to the next business
  day, allowance = the file's `after_days`, else the cadence's longest interval in days
  (months × 30, weeks × 7; calendar month: 31; agreed by the pair, none agreed: 60) +
  `grace_days`; it goes on the coordinator's list `coordinator_after_days` after the nudge,
  moved to the next business day; later re-checks (the allowance after the list, on a
  business day) find the same last activity (the match), whose keys are used up.

Holidays (the `holidays` package, the tenant's jurisdiction): England 2026–27: 25 Dec
(Fri), 28 Dec (Mon, Boxing Day observed), 1 Jan (Fri), 26 Mar (Good Friday), 29 Mar
(Easter Monday), 3 May, 31 May, 30 Aug. Alberta 2026–27: 12 Oct, 11 Nov, 25 Dec, 1 Jan,
15 Feb, 26 Mar (Good Friday), 24 May, 1 Jul (Canada Day), 6 Sep.

Also checked on every day something happened: the same day's pass run again writes
nothing; and at the end, the sink holds no second copy of any message. A second test sends
an item in and sees its reminders stop.
"""

from __future__ import annotations

import time as clock_time
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from mentorhub.checkpoints.clock import run_pass
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.pairs.rules import Refused
from tests.checkpoints.golden_helpers import (
    Event,
    Golden,
    Recorder,
    days,
    deliver,
    duplicates,
    golden,
    golden_world,
    item_of,
    send_in,
    show,
)
from tests.messages.sink import Sink


@dataclass(frozen=True)
class Case:
    cohort_start: date
    cohort_end: date
    matched_on: date
    end: date  # the official end, derived by hand (the run goes on 45 days after it)
    expected: str


# --- Arts Marketing Association ------------------------------------------------------------
# Fixed 12 months from matching; matched Fri 25 Sep 2026 → official end Sat 25 Sep 2027.
ARTS_MARKETING = Case(
    date(2026, 9, 25),
    date(2027, 9, 24),
    date(2026, 9, 25),
    date(2027, 9, 25),
    """
    # Check-in (1 month), each: due 25 Oct 2026 is a Sunday, rolled (business_day) to
    # Mon 26 Oct; window ±7 → opens Mon 19 Oct, closes Mon 2 Nov; reminder Fri 23 Oct
    # (due − 3, a business day); overdue Wed 28 Oct (due + 2); missed Tue 3 Nov (2 Nov + 1).
    Mon 19 Oct 2026  both  checkpoint_open     check_in_1_month
    Fri 23 Oct 2026  both  reminder            check_in_1_month
    Wed 28 Oct 2026  both  checkpoint_overdue  check_in_1_month
    Tue 3 Nov 2026   mentor  missed            check_in_1_month
    Tue 3 Nov 2026   mentee  missed            check_in_1_month
    # Quiet: every 2 months = 60 days + 7 grace = 67 → Tue 1 Dec 2026 (a business day);
    # still quiet 14 days later → the coordinator's list Tue 15 Dec (a business day).
    Tue 1 Dec 2026   both  quiet_pair_nudge    quiet
    Tue 15 Dec 2026  coordinator  task         quiet_pair
    # Check-in (3 months), each: due 25 Dec 2026 (Christmas; 26–27 weekend; 28 Dec Boxing
    # Day observed) → Tue 29 Dec; opens Tue 22 Dec; reminder: 26 Dec is a Saturday →
    # previous business day Thu 24 Dec (25 Dec a holiday); overdue Thu 31 Dec (due + 2);
    # closes Tue 5 Jan 2027 → missed Wed 6 Jan.
    Tue 22 Dec 2026  both  checkpoint_open     check_in_3_months
    Thu 24 Dec 2026  both  reminder            check_in_3_months
    Thu 31 Dec 2026  both  checkpoint_overdue  check_in_3_months
    Wed 6 Jan 2027   mentor  missed            check_in_3_months
    Wed 6 Jan 2027   mentee  missed            check_in_3_months
    # End-of-scheme survey (12 months), each: due 25 Sep 2027 (Saturday) → Mon 27 Sep;
    # window 0 before / 14 after → opens Mon 27 Sep, closes Mon 11 Oct; reminder left out
    # (due − 3 = Fri 24 Sep is not after the open day); overdue Wed 29 Sep; missed Tue 12 Oct.
    Mon 27 Sep 2027  both  checkpoint_open     end_survey
    Wed 29 Sep 2027  both  checkpoint_overdue  end_survey
    Tue 12 Oct 2027  mentor  missed            end_survey
    Tue 12 Oct 2027  mentee  missed            end_survey
    """,
)

# --- Museums Association --------------------------------------------------------------------
# Fixed 6 months; matched Wed 28 Oct 2026 → official end Wed 28 Apr 2027; midpoint
# 28 Oct + 182 // 2 = 91 days = Wed 27 Jan 2027.
MUSEUMS_ASSOCIATION = Case(
    date(2026, 10, 28),
    date(2027, 10, 27),
    date(2026, 10, 28),
    date(2027, 4, 28),
    """
    # Baseline questionnaire, mentee: due Wed 11 Nov 2026 (matching + 2 weeks); window 14
    # before / 0 after → opens Wed 28 Oct; reminder: 8 Nov is a Sunday → Fri 6 Nov;
    # overdue Fri 13 Nov; missed Sat 14 Nov (the day after the overdue day).
    Wed 28 Oct 2026  mentee  checkpoint_open     baseline_questionnaire
    Fri 6 Nov 2026   mentee  reminder            baseline_questionnaire
    Fri 13 Nov 2026  mentee  checkpoint_overdue  baseline_questionnaire
    Sat 14 Nov 2026  mentee  missed              baseline_questionnaire
    # Mentoring agreement, the pair: due Wed 11 Nov; 14 before / 7 after → opens Wed 28 Oct,
    # closes Wed 18 Nov; reminder Fri 6 Nov; overdue Fri 13 Nov; missed Thu 19 Nov.
    Wed 28 Oct 2026  both  checkpoint_open       mentoring_agreement
    Fri 6 Nov 2026   both  reminder              mentoring_agreement
    Fri 13 Nov 2026  both  checkpoint_overdue    mentoring_agreement
    Thu 19 Nov 2026  pair  missed                mentoring_agreement
    # Quiet: at most 6 weeks = 42 days + 7 = 49 → Wed 16 Dec 2026; the list 14 days later,
    # Wed 30 Dec (between Boxing Day observed, 28 Dec, and 1 Jan: a business day).
    Wed 16 Dec 2026  both  quiet_pair_nudge      quiet
    Wed 30 Dec 2026  coordinator  task           quiet_pair
    # Programme manager's call (month 2), coordinator: due 28 Dec 2026 (Boxing Day
    # observed) → Tue 29 Dec; window ±7 → opens Tue 22 Dec: the task, no mail.
    Tue 22 Dec 2026  coordinator  task           call_month_2
    # Mid-point supervision session, mentor: due Wed 27 Jan 2027; ±14 → opens Wed 13 Jan,
    # closes Wed 10 Feb; reminder: 24 Jan is a Sunday → Fri 22 Jan; overdue Fri 29 Jan;
    # missed Thu 11 Feb.
    Wed 13 Jan 2027  mentor  checkpoint_open     midpoint_supervision
    Fri 22 Jan 2027  mentor  reminder            midpoint_supervision
    Fri 29 Jan 2027  mentor  checkpoint_overdue  midpoint_supervision
    Thu 11 Feb 2027  mentor  missed              midpoint_supervision
    # Call (month 5): due 28 Mar 2027 (Sunday; 29 Mar Easter Monday) → Tue 30 Mar; opens
    # Tue 23 Mar: the task.
    Tue 23 Mar 2027  coordinator  task           call_month_5
    # Final online surveys, the mentees' (final_survey) and the mentors'
    # (final_survey_mentors): due the end, Wed 28 Apr 2027; 0 before / 28 after → opens
    # Wed 28 Apr, closes Wed 26 May; no reminder (due − 3 is before the open day); overdue
    # Fri 30 Apr; missed Thu 27 May.
    Wed 28 Apr 2027  mentee  checkpoint_open     final_survey
    Wed 28 Apr 2027  mentor  checkpoint_open     final_survey_mentors
    Fri 30 Apr 2027  mentee  checkpoint_overdue  final_survey
    Fri 30 Apr 2027  mentor  checkpoint_overdue  final_survey_mentors
    Thu 27 May 2027  mentee  missed              final_survey
    Thu 27 May 2027  mentor  missed              final_survey_mentors
    """,
)

# --- Advice Skills Academy --------------------------------------------------------------------
# Range 3–6 months within a 12-month pilot from the cohort start; cohort and match Tue 2 Mar
# 2027 → latest end Thu 2 Sep 2027 (start + 6 months, before the pilot's 2 Mar 2028). No
# meeting is held, so no reflective log item exists.
ADVICE_SKILLS_ACADEMY = Case(
    date(2027, 3, 2),
    date(2028, 3, 1),
    date(2027, 3, 2),
    date(2027, 9, 2),
    """
    # Quiet: at most 6 weeks = 42 + 7 = 49 days → Tue 20 Apr 2027 (a business day); the
    # list 14 days later, Tue 4 May (the bank holiday is Mon 3 May).
    Tue 20 Apr 2027  both  quiet_pair_nudge      quiet
    Tue 4 May 2027   coordinator  task           quiet_pair
    # Final review meeting, the pair: due the end, Thu 2 Sep 2027; 28 before / 0 after →
    # opens Thu 5 Aug, closes Thu 2 Sep; reminder: 30 Aug is the summer bank holiday →
    # Fri 27 Aug; overdue: 4 Sep is a Saturday → Mon 6 Sep; missed Tue 7 Sep.
    Thu 5 Aug 2027   both  checkpoint_open       final_review_meeting
    Fri 27 Aug 2027  both  reminder              final_review_meeting
    Mon 6 Sep 2027   both  checkpoint_overdue    final_review_meeting
    Tue 7 Sep 2027   pair  missed                final_review_meeting
    # Pilot review at 6 months (cohort start + 6 = Thu 2 Sep 2027), coordinator: ±7 →
    # opens Thu 26 Aug: the task. (The 12-month review opens 26 Feb 2028, after the run.)
    Thu 26 Aug 2027  coordinator  task           pilot_review_6_months
    """,
)

# --- AHEP -------------------------------------------------------------------------------------
# Fixed 6 months; matched Thu 17 Dec 2026 → official end Thu 17 Jun 2027.
AHEP = Case(
    date(2026, 12, 17),
    date(2027, 12, 16),
    date(2026, 12, 17),
    date(2027, 6, 17),
    """
    # First-meeting agenda, the pair: due Thu 31 Dec 2026 (matching + 2 weeks); 14 before /
    # 7 after → opens Thu 17 Dec, closes Thu 7 Jan; reminder: 28 Dec is Boxing Day observed,
    # 27–26 a weekend, 25 Christmas → Thu 24 Dec; overdue: 2 Jan is a Saturday → Mon 4 Jan;
    # missed Fri 8 Jan.
    Thu 17 Dec 2026  both  checkpoint_open       first_meeting_agenda
    Thu 24 Dec 2026  both  reminder              first_meeting_agenda
    Mon 4 Jan 2027   both  checkpoint_overdue    first_meeting_agenda
    Fri 8 Jan 2027   pair  missed                first_meeting_agenda
    # Quiet: the file's after_days = 42 is the whole allowance (no grace added) → Thu
    # 28 Jan 2027 (a business day); still quiet 14 days later → the list Thu 11 Feb (a
    # business day).
    Thu 28 Jan 2027  both  quiet_pair_nudge      quiet
    Thu 11 Feb 2027  coordinator  task           quiet_pair
    # Review at 6 months, the pair: due Thu 17 Jun 2027; ±14 → opens Thu 3 Jun, closes
    # Thu 1 Jul; reminder Mon 14 Jun; overdue: 19 Jun is a Saturday → Mon 21 Jun; missed
    # Fri 2 Jul.
    Thu 3 Jun 2027   both  checkpoint_open       review_6_months
    Mon 14 Jun 2027  both  reminder              review_6_months
    Mon 21 Jun 2027  both  checkpoint_overdue    review_6_months
    Fri 2 Jul 2027   pair  missed                review_6_months
    # Feedback survey, each: due the end, Thu 17 Jun; 0 before / 28 after → opens Thu
    # 17 Jun, closes Thu 15 Jul; no reminder; overdue Mon 21 Jun; missed Fri 16 Jul.
    Thu 17 Jun 2027  both  checkpoint_open       feedback_survey
    Mon 21 Jun 2027  both  checkpoint_overdue    feedback_survey
    Fri 16 Jul 2027  mentor  missed              feedback_survey
    Fri 16 Jul 2027  mentee  missed              feedback_survey
    """,
)

# --- Alberta Museums Association --------------------------------------------------------------
# Cohort October to August: cohort Thu 1 Oct 2026, matched the same day → end Tue 31 Aug
# 2027. Days are Alberta's (09:00 America/Edmonton).
ALBERTA_MUSEUMS = Case(
    date(2026, 10, 1),
    date(2027, 8, 31),
    date(2026, 10, 1),
    date(2027, 8, 31),
    """
    # Mentorship Plan, the pair: October → due Sat 31 Oct 2026, window 1–31 Oct; opens Thu
    # 1 Oct; reminder Wed 28 Oct; overdue Mon 2 Nov; missed Tue 3 Nov.
    Thu 1 Oct 2026   both  checkpoint_open       mentorship_plan
    Wed 28 Oct 2026  both  reminder              mentorship_plan
    Mon 2 Nov 2026   both  checkpoint_overdue    mentorship_plan
    Tue 3 Nov 2026   pair  missed                mentorship_plan
    # Quiet: a meeting every calendar month = 31 + 7 = 38 days → Sun 8 Nov 2026, a Sunday
    # → the next business day, Mon 9 Nov (Remembrance Day is Wed 11 Nov); the file's
    # coordinator_after_days = 30 → Wed 9 Dec (a business day), the list.
    Mon 9 Nov 2026   both  quiet_pair_nudge      quiet
    Wed 9 Dec 2026   coordinator  task           quiet_pair
    # Quarterly Update (January), the pair: due Mon 4 Jan 2027 (first business day; 1 Jan a
    # holiday, 2–3 a weekend); opens Mon 21 Dec 2026 (due − 14); reminder Thu 31 Dec (due −
    # 3 = 1 Jan is a holiday → previous business day); overdue Wed 6 Jan; missed Thu 7 Jan.
    Mon 21 Dec 2026  both  checkpoint_open       quarterly_update:2027-01
    Thu 31 Dec 2026  both  reminder              quarterly_update:2027-01
    Wed 6 Jan 2027   both  checkpoint_overdue    quarterly_update:2027-01
    Thu 7 Jan 2027   pair  missed                quarterly_update:2027-01
    # Mid-program survey, each: March → due Wed 31 Mar 2027, window 1–31 Mar; opens Mon
    # 1 Mar; reminder: 28 Mar a Sunday, 26 Mar Good Friday → Thu 25 Mar; overdue Fri 2 Apr;
    # missed Sat 3 Apr.
    Mon 1 Mar 2027   both  checkpoint_open       mid_program_survey
    Thu 25 Mar 2027  both  reminder              mid_program_survey
    Fri 2 Apr 2027   both  checkpoint_overdue    mid_program_survey
    Sat 3 Apr 2027   mentor  missed              mid_program_survey
    Sat 3 Apr 2027   mentee  missed              mid_program_survey
    # Quarterly Update (April): due Thu 1 Apr 2027; opens Thu 18 Mar; reminder Mon 29 Mar
    # (Easter Monday is no holiday in Alberta); overdue: 3 Apr a Saturday → Mon 5 Apr;
    # missed Tue 6 Apr.
    Thu 18 Mar 2027  both  checkpoint_open       quarterly_update:2027-04
    Mon 29 Mar 2027  both  reminder              quarterly_update:2027-04
    Mon 5 Apr 2027   both  checkpoint_overdue    quarterly_update:2027-04
    Tue 6 Apr 2027   pair  missed                quarterly_update:2027-04
    # Quarterly Update (July): 1 Jul is Canada Day → due Fri 2 Jul 2027; opens Fri 18 Jun;
    # reminder Tue 29 Jun; overdue: 4 Jul a Sunday → Mon 5 Jul; missed Tue 6 Jul.
    Fri 18 Jun 2027  both  checkpoint_open       quarterly_update:2027-07
    Tue 29 Jun 2027  both  reminder              quarterly_update:2027-07
    Mon 5 Jul 2027   both  checkpoint_overdue    quarterly_update:2027-07
    Tue 6 Jul 2027   pair  missed                quarterly_update:2027-07
    # Final survey, each: August → due Tue 31 Aug 2027, window 1–31 Aug; 1 Aug a Sunday →
    # opens Mon 2 Aug; reminder: 28 Aug a Saturday → Fri 27 Aug; overdue Thu 2 Sep; missed
    # Fri 3 Sep.
    Mon 2 Aug 2027   both  checkpoint_open       final_survey
    Fri 27 Aug 2027  both  reminder              final_survey
    Thu 2 Sep 2027   both  checkpoint_overdue    final_survey
    Fri 3 Sep 2027   mentor  missed              final_survey
    Fri 3 Sep 2027   mentee  missed              final_survey
    """,
)

CASES = {
    "arts-marketing": ARTS_MARKETING,
    "museums-association": MUSEUMS_ASSOCIATION,
    "advice-skills-academy": ADVICE_SKILLS_ACADEMY,
    "ahep": AHEP,
    "alberta-museums": ALBERTA_MUSEUMS,
}

AFTER_END = 45


async def make(db: Database, slug: str) -> Golden:
    case = CASES[slug]
    return await golden_world(
        db,
        slug,
        cohort_start=case.cohort_start,
        cohort_end=case.cohort_end,
        matched_on=case.matched_on,
    )


async def one_day(db: Database, g: Golden, rec: Recorder, day: date, sink: Sink) -> list[Event]:
    """The clock's pass as of `day` for the test tenant, its mail delivered; on a day when
    something happened, the same pass again must write nothing and change nothing."""
    result = await run_pass(db, as_of=day, tenant_slug=g.test_slug)
    assert not result.failures, result.failures
    new = await rec.look(db, day, sink)
    if new:
        again = await run_pass(db, as_of=day, tenant_slug=g.test_slug)
        assert not again.failures, again.failures
        assert await rec.look(db, day, sink) == [], f"a second pass on {day} did more"
    return new


@pytest.mark.parametrize("slug", list(CASES))
async def test_the_clock_runs_each_scheme_day_by_day(
    live_db: Database, inbox: Sink, slug: str
) -> None:
    case = CASES[slug]
    g = await make(live_db, slug)
    await deliver(live_db, g.tenant.id)  # the match notices (not the clock's)
    rec = Recorder(g, seen_mail=len(inbox.caught))
    started = clock_time.monotonic()
    last = date.fromordinal(case.end.toordinal() + AFTER_END)
    for day in days(case.matched_on, last):
        await one_day(live_db, g, rec, day, inbox)
    took = clock_time.monotonic() - started
    expected = golden(case.expected)
    assert sorted(rec.events) == expected, (
        f"{slug} ({took:.1f} s)\n--- got\n{show(rec.events)}\n--- expected\n{show(expected)}"
    )
    assert duplicates(inbox, g.tenant) == {}
    # Every participant item not sent in ended missed; a coordinator item stays with its task.
    async with live_db.tenant(g.tenant.id) as session:
        states = {
            (i.checkpoint, i.slot, i.audience, i.state)
            for i in (
                await session.execute(
                    select(CheckpointItem).where(CheckpointItem.pair_id == g.pair.id)
                )
            ).scalars()
        }
    assert {s[3] for s in states if s[2] != "coordinator"} <= {"missed"}, states


async def test_sent_in_once_per_pair_and_once_per_person(live_db: Database, inbox: Sink) -> None:
    """Alberta, the pair matched Thu 1 Oct 2026, the clock down until Mon 21 Dec (its first
    pass catches up), then run daily to Mon 1 Mar 2027. The mentee sends in the January
    Quarterly Update on Tue 22 Dec: the mentor is told, cannot send it in a second time,
    and its reminder (Thu 31 Dec), overdue mail (Wed 6 Jan) and missed day (Thu 7 Jan) never
    come. On 1 Mar each person sends in their own mid-program survey once: a second time
    is refused, and nobody sends in the other's."""
    g = await make(live_db, "alberta-museums")
    await deliver(live_db, g.tenant.id)
    rec = Recorder(g, seen_mail=len(inbox.caught))
    for day in days(date(2026, 12, 21), date(2027, 3, 1)):
        await one_day(live_db, g, rec, day, inbox)
        if day == date(2026, 12, 22):
            item = await item_of(live_db, g, "quarterly_update", "2027-01")
            assert item.state == "open"
            await send_in(live_db, g, g.mentee, item, day)
            with pytest.raises(Refused, match="Already sent in by Theo Mentee on Tuesday 22 Dec"):
                await send_in(live_db, g, g.mentor, item, day)
            await rec.look(live_db, day, inbox)
    assert sorted(rec.events) == golden(
        """
        # The first pass after the downtime: the Mentorship Plan's opening, reminder and
        # overdue days (1 Oct, 28 Oct, 2 Nov) all passed and so did its missed day (3 Nov):
        # missed, no mail. The first quiet look (Oct 1 + 38 = Sun 8 Nov → the business day
        # Mon 9 Nov) nudges now; the next look is in 30 days, Wed 20 Jan (a business day).
        Mon 21 Dec 2026  pair  missed               mentorship_plan
        Mon 21 Dec 2026  both  quiet_pair_nudge     quiet
        # Quarterly Update (January) opens Mon 21 Dec (due Mon 4 Jan − 14).
        Mon 21 Dec 2026  both  checkpoint_open      quarterly_update:2027-01
        # Sent in by the mentee: the mentor is told; nothing more for this item.
        Tue 22 Dec 2026  mentor  checkpoint_submitted  quarterly_update:2027-01
        # Wed 20 Jan: the last activity is the submission (Tue 22 Dec), not the match the
        # nudge was about: not still quiet, a new spell, and only 29 days < 38: next look
        # Tue 22 Dec + 38 = Fri 29 Jan (a business day), when the new spell is nudged; still
        # quiet 30 days later, Sun 28 Feb → the next business day, Mon 1 Mar: the list.
        Fri 29 Jan 2027  both  quiet_pair_nudge     quiet
        Mon 1 Mar 2027   coordinator  task          quiet_pair
        # Mid-program survey, each: opens Mon 1 Mar.
        Mon 1 Mar 2027   both  checkpoint_open      mid_program_survey
        """
    ), show(rec.events)
    item = await item_of(live_db, g, "quarterly_update", "2027-01")
    assert (item.state, item.submitted_by, item.next_at) == ("submitted", g.mentee.id, None)

    march = date(2027, 3, 1)
    mine = await item_of(live_db, g, "mid_program_survey", member_id=g.mentee.id)
    theirs = await item_of(live_db, g, "mid_program_survey", member_id=g.mentor.id)
    with pytest.raises(NotFound):
        await send_in(live_db, g, g.mentor, mine, march)  # not the mentor's to answer
    sent = await send_in(live_db, g, g.mentee, mine, march)
    with pytest.raises(Refused, match="Already sent in by you on Monday 1 March 2027"):
        await send_in(live_db, g, g.mentee, sent, march)
    assert (await item_of(live_db, g, "mid_program_survey", member_id=g.mentor.id)).state == (
        "open"
    )
    await send_in(live_db, g, g.mentor, theirs, march)
    # An individual survey tells nobody else.
    assert await rec.look(live_db, march, inbox) == []
    assert duplicates(inbox, g.tenant) == {}
