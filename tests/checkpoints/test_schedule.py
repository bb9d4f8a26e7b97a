"""checkpoints.schedule: which items each of the five schemes gives a pair, the clock's steps
for an item (business days, the tenant's local send time across DST) and what `advance`
finds due — unit tests on the real tenant files, hypothesis properties for the clock's
arithmetic."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorhub.checkpoints.schedule import (
    ItemSpec,
    Step,
    advance,
    item_specs,
    local_at,
    quiet_allowance_days,
    steps_for,
)
from mentorhub.schemes.calendar import is_business_day
from mentorhub.schemes.forms import Question
from mentorhub.schemes.loader import load_tenant
from mentorhub.schemes.rules import (
    AgreedByPairCadence,
    CheckpointForm,
    Meetings,
    Period,
    Quiet,
    Reminders,
    Scheme,
)
from mentorhub.schemes.timeline import PairFacts

MENTOR = uuid.UUID("00000000-0000-0000-0000-00000000000a")
MENTEE = uuid.UUID("00000000-0000-0000-0000-00000000000b")
EDMONTON = ZoneInfo("America/Edmonton")
LONDON = ZoneInfo("Europe/London")


def scheme_of(slug: str) -> tuple[Scheme, str]:
    """The tenant's scheme and jurisdiction."""
    tf = load_tenant(slug)
    return tf.scheme, tf.tenant.jurisdiction


def answerable(scheme: Scheme) -> Scheme:
    """`scheme` with a one-question form for every participant checkpoint that has neither
    a form nor `done_in` (none left on tenant files of version 4; older ones make no item
    for such checkpoints)."""
    extra = tuple(
        CheckpointForm(
            checkpoint=c.id,
            questions=(Question(id="note", kind="long_text", label="Anything to add?"),),
        )
        for c in scheme.checkpoints
        if c.audience != "coordinator"
        and c.done_in is None
        and scheme.checkpoint_form(c.id) is None
    )
    return msgspec.structs.replace(scheme, checkpoint_forms=scheme.checkpoint_forms + extra)


def specs(
    slug: str,
    matched_on: date,
    *,
    cohort_start: date | None = None,
    held: tuple[date, ...] = (),
    extensions: tuple[tuple[date, int], ...] = (),
    ended: tuple[str, date] | None = None,
) -> list[ItemSpec]:
    scheme, jurisdiction = scheme_of(slug)
    scheme = answerable(scheme)
    facts = PairFacts(
        matched_on=matched_on,
        cohort_start=cohort_start,
        meetings_held=held,
        extensions=extensions,
    )
    return item_specs(
        scheme,
        facts,
        jurisdiction=jurisdiction,
        mentor_id=MENTOR,
        mentee_id=MENTEE,
        ended=ended,
    )


def by_id(items: list[ItemSpec]) -> dict[tuple[str, str, uuid.UUID | None], ItemSpec]:
    found = {i.identity: i for i in items}
    assert len(found) == len(items), "item identities are unique"
    return found


# --- which items, per scheme -----------------------------------------------------------------


def test_alberta_quarterly_updates_one_per_pair_on_first_business_days() -> None:
    items = by_id(specs("alberta-museums", date(2026, 10, 1), cohort_start=date(2026, 10, 1)))
    updates = {k: v for k, v in items.items() if k[0] == "quarterly_update"}
    assert sorted(updates) == [
        ("quarterly_update", "2027-01", None),
        ("quarterly_update", "2027-04", None),
        ("quarterly_update", "2027-07", None),
    ]
    january = updates[("quarterly_update", "2027-01", None)]
    assert january.due_on == date(2027, 1, 4)  # 1 January is a holiday, then a weekend
    assert january.audience == "pair"
    assert january.kind == "quarterly_update"
    assert "coordinator" in january.readers
    assert january.opens_on <= january.due_on <= january.closes_on
    assert not january.anchored_to_end


def test_alberta_surveys_each_person_and_the_plan_once() -> None:
    items = by_id(specs("alberta-museums", date(2026, 10, 1), cohort_start=date(2026, 10, 1)))
    assert items[("mid_program_survey", "", MENTOR)].due_on == date(2027, 3, 31)
    assert items[("mid_program_survey", "", MENTEE)].due_on == date(2027, 3, 31)
    assert items[("final_survey", "", MENTOR)].due_on == date(2027, 8, 31)
    assert items[("final_survey", "", MENTEE)].due_on == date(2027, 8, 31)
    plan = items[("mentorship_plan", "", None)]
    assert plan.due_on == date(2026, 10, 31)
    assert plan.audience == "pair"


def test_museums_association_each_mentee_and_coordinator_items() -> None:
    matched = date(2027, 1, 11)
    items = by_id(specs("museums-association", matched))
    assert items[("baseline_questionnaire", "", MENTEE)].due_on == matched + timedelta(weeks=2)
    assert ("baseline_questionnaire", "", MENTOR) not in items
    assert items[("final_survey", "", MENTEE)].anchored_to_end
    assert items[("final_survey", "", MENTEE)].due_on == date(2027, 7, 11)  # +6 months
    assert items[("final_survey_mentors", "", MENTOR)].due_on == date(2027, 7, 11)
    call = items[("call_month_2", "", None)]
    assert call.audience == "coordinator"
    assert call.due_on == date(2027, 3, 11)  # a Thursday
    assert ("call_month_5", "", None) in items
    assert items[("mentoring_agreement", "", None)].audience == "pair"


def test_arts_marketing_check_ins_each_person_on_business_days() -> None:
    items = by_id(specs("arts-marketing", date(2027, 1, 30)))
    one = items[("check_in_1_month", "", MENTOR)]
    assert one.due_on == date(2027, 3, 1)  # 28 February is a Sunday → Monday 1 March
    assert items[("check_in_3_months", "", MENTEE)].due_on == date(2027, 4, 30)
    survey = items[("end_survey", "", MENTEE)]
    assert survey.due_on == date(2028, 1, 31)  # 30 January 2028 is a Sunday
    assert not survey.anchored_to_end


def test_ahep_items_and_the_end_rule() -> None:
    matched = date(2027, 2, 1)
    items = by_id(specs("ahep", matched))
    assert items[("first_meeting_agenda", "", None)].due_on == date(2027, 2, 15)
    assert items[("review_6_months", "", None)].due_on == date(2027, 8, 1)
    assert items[("feedback_survey", "", MENTOR)].due_on == date(2027, 8, 1)

    ended = by_id(specs("ahep", matched, ended=("ended_early", date(2027, 5, 3))))
    assert ("review_6_months", "", None) not in ended  # due after the end: dropped
    survey = ended[("feedback_survey", "", MENTEE)]
    assert survey.due_on == date(2027, 5, 3)  # anchored to the end: moves to it
    assert survey.opens_on <= survey.due_on <= survey.closes_on
    assert ("first_meeting_agenda", "", None) in ended  # due before the end: kept

    removed = by_id(specs("ahep", matched, ended=("removed", date(2027, 5, 3))))
    assert set(removed) == {("first_meeting_agenda", "", None)}


def test_extension_moves_the_end_anchored_items() -> None:
    matched = date(2027, 1, 11)
    items = by_id(specs("museums-association", matched, extensions=((date(2027, 5, 1), 3),)))
    assert items[("final_survey", "", MENTEE)].due_on == date(2027, 10, 11)


def test_advice_skills_academy_logs_only_after_held_meetings() -> None:
    matched = date(2027, 1, 11)
    assert not [
        i for i in specs("advice-skills-academy", matched) if i.checkpoint == "reflective_log"
    ]
    held = (date(2027, 2, 10), date(2027, 3, 10), date(2027, 3, 10))
    items = by_id(specs("advice-skills-academy", matched, held=held))
    logs = sorted(k for k in items if k[0] == "reflective_log")
    assert logs == sorted(
        ("reflective_log", slot, who)
        for slot in ("2027-02-10", "2027-03-10", "2027-03-10-2")
        for who in (MENTOR, MENTEE)
    )
    first = items[("reflective_log", "2027-02-10", MENTEE)]
    assert (first.opens_on, first.due_on) == (date(2027, 2, 10), date(2027, 2, 17))
    assert items[("final_review_meeting", "", None)].anchored_to_end
    assert items[("pilot_review_6_months", "", None)].audience == "coordinator"


def test_participant_checkpoints_without_form_or_done_in_make_no_item() -> None:
    scheme, jurisdiction = scheme_of("museums-association")
    bare = msgspec.structs.replace(
        scheme,
        checkpoint_forms=(),
        checkpoints=tuple(msgspec.structs.replace(c, done_in=None) for c in scheme.checkpoints),
    )
    items = item_specs(
        bare,
        PairFacts(matched_on=date(2027, 1, 11)),
        jurisdiction=jurisdiction,
        mentor_id=MENTOR,
        mentee_id=MENTEE,
    )
    assert items
    assert {i.audience for i in items} == {"coordinator"}


# --- steps ---------------------------------------------------------------------------------


def test_a_nine_oclock_send_is_local_time_across_dst() -> None:
    assert local_at(date(2027, 1, 15), "09:00", EDMONTON) == datetime(2027, 1, 15, 16, tzinfo=UTC)
    assert local_at(date(2027, 7, 15), "09:00", EDMONTON) == datetime(2027, 7, 15, 15, tzinfo=UTC)
    assert local_at(date(2027, 1, 15), "09:00", LONDON) == datetime(2027, 1, 15, 9, tzinfo=UTC)
    assert local_at(date(2027, 7, 15), "09:30", LONDON) == datetime(2027, 7, 15, 8, 30, tzinfo=UTC)
    # The day clocks go forward (14 March 2027 in Alberta): 09:00 is already MDT.
    assert local_at(date(2027, 3, 14), "09:00", EDMONTON) == datetime(2027, 3, 14, 15, tzinfo=UTC)


def test_quarterly_update_steps_in_alberta() -> None:
    steps = steps_for(
        opens_on=date(2026, 12, 28),
        due_on=date(2027, 1, 4),
        closes_on=date(2027, 1, 11),
        audience="pair",
        reminders=Reminders(),
        zone=EDMONTON,
        jurisdiction="CA-AB",
    )
    assert [(s.name, s.on, s.mail) for s in steps] == [
        ("open", date(2026, 12, 28), "checkpoint_open"),
        ("before:3", date(2026, 12, 31), "reminder"),  # 1 January is a holiday: the day before
        ("after:2", date(2027, 1, 6), "checkpoint_overdue"),
        ("missed", date(2027, 1, 12), None),
    ]
    assert steps[0].at == datetime(2026, 12, 28, 16, tzinfo=UTC)


def test_opening_moves_to_a_business_day_but_never_past_the_close() -> None:
    def steps(opens_on: date, due_on: date, closes_on: date) -> tuple[Step, ...]:
        return steps_for(
            opens_on=opens_on,
            due_on=due_on,
            closes_on=closes_on,
            audience="each",
            reminders=Reminders(),
            zone=LONDON,
            jurisdiction="GB-ENG",
        )

    # Opens on Saturday 2 January 2027 → Monday 4 January.
    assert steps(date(2027, 1, 2), date(2027, 1, 9), date(2027, 1, 16))[0].on == date(2027, 1, 4)
    # A window of one weekend day: open on that day (the close), not after it.
    assert steps(date(2027, 1, 2), date(2027, 1, 2), date(2027, 1, 2))[0].on == date(2027, 1, 2)


def test_reminder_not_after_the_opening_is_left_out_and_options_are_kept() -> None:
    reminders = Reminders(at_opening=False, before_due_days=(3, 10), after_due_days=(2, 7))
    steps = steps_for(
        opens_on=date(2027, 3, 1),
        due_on=date(2027, 3, 8),
        closes_on=date(2027, 3, 8),
        audience="mentee",
        reminders=reminders,
        zone=LONDON,
        jurisdiction="GB-ENG",
    )
    assert [(s.name, s.on, s.mail) for s in steps] == [
        ("open", date(2027, 3, 1), None),
        ("before:3", date(2027, 3, 5), "reminder"),
        ("after:2", date(2027, 3, 10), "checkpoint_overdue"),
        ("after:7", date(2027, 3, 15), "checkpoint_overdue"),
        ("missed", date(2027, 3, 16), None),
    ]


def test_coordinator_items_only_open() -> None:
    steps = steps_for(
        opens_on=date(2027, 3, 4),
        due_on=date(2027, 3, 11),
        closes_on=date(2027, 3, 18),
        audience="coordinator",
        reminders=Reminders(),
        zone=LONDON,
        jurisdiction="GB-ENG",
    )
    assert [s.name for s in steps] == ["open"]


def _steps() -> tuple[Step, ...]:
    return steps_for(
        opens_on=date(2027, 3, 1),
        due_on=date(2027, 3, 8),
        closes_on=date(2027, 3, 15),
        audience="pair",
        reminders=Reminders(),
        zone=LONDON,
        jurisdiction="GB-ENG",
    )


def test_advance_catching_up_sends_one_mail_the_latest() -> None:
    steps = _steps()  # open 1 March, before:3 5 March, after:2 10 March, missed 16 March
    before = advance(steps, 0, datetime(2027, 2, 28, tzinfo=UTC))
    assert before == type(before)(0, False, False, None, steps[0].at)
    late = advance(steps, 0, datetime(2027, 3, 11, tzinfo=UTC))
    assert late.done == 3 and late.opened and not late.missed
    assert late.mail is not None and late.mail.name == "after:2"
    assert late.next_at == steps[3].at
    missed = advance(steps, 1, datetime(2027, 4, 1, tzinfo=UTC))
    assert missed.done == 4 and missed.missed and missed.mail is None and missed.next_at is None
    assert not missed.opened


# --- quiet pairs ---------------------------------------------------------------------------


def test_quiet_allowance_from_the_cadence() -> None:
    asa, _ = scheme_of("advice-skills-academy")  # every month, at most six weeks
    assert quiet_allowance_days(asa, None) == 42 + asa.reminders.quiet.grace_days
    alberta, _ = scheme_of("alberta-museums")  # calendar month
    grace = alberta.reminders.quiet.grace_days
    if alberta.reminders.quiet.after_days is None:
        assert quiet_allowance_days(alberta, None) == 31 + grace
        assert quiet_allowance_days(alberta, Period(weeks=2)) == 14 + grace  # may agree
    ahep, _ = scheme_of("ahep")
    assert isinstance(ahep.meetings.cadence, AgreedByPairCadence)
    if ahep.reminders.quiet.after_days is None:
        g = ahep.reminders.quiet.grace_days
        assert quiet_allowance_days(ahep, None) == 60 + g
        assert quiet_allowance_days(ahep, Period(months=1, weeks=1, days=1)) == 38 + g


def test_quiet_allowance_set_or_off() -> None:
    ahep, _ = scheme_of("ahep")
    set_days = msgspec.structs.replace(
        ahep, reminders=Reminders(quiet=Quiet(after_days=20, grace_days=5))
    )
    assert quiet_allowance_days(set_days, None) == 20
    off = msgspec.structs.replace(ahep, reminders=Reminders(quiet=Quiet(enabled=False)))
    assert quiet_allowance_days(off, None) is None
    assert isinstance(ahep.meetings, Meetings)


# --- properties ----------------------------------------------------------------------------

JURISDICTIONS = st.sampled_from([("CA-AB", EDMONTON), ("GB-ENG", LONDON)])
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def items(draw: st.DrawFn) -> tuple[tuple[Step, ...], str]:
    jurisdiction, zone = draw(JURISDICTIONS)
    due = draw(DAYS)
    before = draw(st.integers(0, 30))
    after = draw(st.integers(0, 30))
    reminders = Reminders(
        send_at=draw(st.sampled_from(["00:00", "02:30", "09:00", "17:45", "23:59"])),
        at_opening=draw(st.booleans()),
        before_due_days=tuple(draw(st.lists(st.integers(1, 20), max_size=3))),
        after_due_days=tuple(draw(st.lists(st.integers(1, 20), max_size=3))),
    )
    audience = draw(st.sampled_from(["pair", "each", "mentor", "mentee", "coordinator"]))
    steps = steps_for(
        opens_on=due - timedelta(days=before),
        due_on=due,
        closes_on=due + timedelta(days=after),
        audience=audience,
        reminders=reminders,
        zone=zone,
        jurisdiction=jurisdiction,
    )
    return steps, jurisdiction


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items())
def test_steps_are_sorted_and_mail_on_business_days(case: tuple[tuple[Step, ...], str]) -> None:
    steps, jurisdiction = case
    assert list(steps) == sorted(steps, key=lambda s: s.at)
    assert steps[0].name == "open"
    assert len({s.name for s in steps}) == len(steps)
    assert all(s.at.tzinfo is not None and s.at.utcoffset() == timedelta(0) for s in steps)
    for s in steps[1:]:
        if s.mail is not None:
            assert is_business_day(s.on, jurisdiction)
            assert s.on > steps[0].on
    if len(steps) > 1:
        assert steps[-1].name == "missed"
        assert all(s.on < steps[-1].on for s in steps[:-1])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items(), st.lists(st.integers(0, 60 * 24 * 80), min_size=1, max_size=12))
def test_advance_properties(case: tuple[tuple[Step, ...], str], offsets: list[int]) -> None:
    steps, _ = case
    start = datetime.combine(steps[0].on, datetime.min.time(), tzinfo=UTC) - timedelta(days=10)
    done = 0
    for minutes in sorted(offsets):
        now = start + timedelta(minutes=minutes)
        result = advance(steps, done, now)
        assert result.done >= done
        assert result.next_at is None or result.next_at > now
        assert (result.next_at is None) == (result.done == len(steps))
        if result.mail is not None:
            assert result.mail in steps[done : result.done]
            assert not result.missed
        assert result.opened == any(s.name == "open" for s in steps[done : result.done])
        again = advance(steps, result.done, now)
        assert again.done == result.done
        assert again.mail is None and not again.opened and not again.missed
        assert again.next_at == result.next_at
        done = result.done


def test_items_never_share_an_identity_and_keep_their_window() -> None:
    for slug, matched in (
        ("arts-marketing", date(2027, 1, 30)),
        ("museums-association", date(2027, 1, 11)),
        ("advice-skills-academy", date(2027, 1, 11)),
        ("ahep", date(2027, 2, 1)),
        ("alberta-museums", date(2026, 10, 1)),
    ):
        for item in specs(slug, matched, held=(matched + timedelta(days=20),)):
            assert item.opens_on <= item.due_on <= item.closes_on, (slug, item)


@pytest.mark.parametrize(
    "slug",
    ["arts-marketing", "museums-association", "advice-skills-academy", "ahep", "alberta-museums"],
)
def test_every_participant_checkpoint_of_the_tenant_files_makes_items(slug: str) -> None:
    """Version 4 of the tenant files gives every participant checkpoint a form or `done_in`,
    so the helper that adds forms changes nothing."""
    scheme, _ = scheme_of(slug)
    assert answerable(scheme) == scheme
