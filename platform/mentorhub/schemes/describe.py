"""A scheme's rules in plain words, for the tenant's public scheme page.

:func:`describe` returns sections of sentences — structure, not HTML — so the page template
decides the markup and escaping, and the text can also go into e-mails. Every sentence is
derived from the configuration; nothing here is specific to one association.

It says what the scheme asks of people (its rules), never what MentorHub will do for them:
sentences about features the product does not have yet (choosing from suggested mentors on
the platform, a pair's chat or shared documents) are left out until they exist.

Each checkpoint also says what it asks (a survey or form of N questions, a part of the
pair's space, or a task for the coordinator); the e-mail reminders are stated once, and only
when some checkpoint is tracked (it has a form or is done in the pair's space: the clock
makes no item of the others); the quiet-pair nudge uses the same allowance as the clock
(``checkpoints.schedule.quiet_allowance_days``, repeated here because the scheme engine does
not import the checkpoints area), with "about" because a pair's own agreed rhythm may move it.
"""

from __future__ import annotations

from functools import lru_cache

import msgspec

from mentorhub.schemes.calendar import MONTH_NAMES
from mentorhub.schemes.rules import (
    AfterEachMeetingWhen,
    AgreedByPairCadence,
    CalendarMonthCadence,
    Checkpoint,
    CohortMonthWhen,
    Criterion,
    EndWhen,
    FirstBusinessDayWhen,
    FixedDuration,
    IntervalCadence,
    IntRange,
    MidpointWhen,
    NumRange,
    OffsetWhen,
    Period,
    RangeDuration,
    Scheme,
)

__all__ = ["Section", "describe"]


class Section(msgspec.Struct, frozen=True):
    """One heading of the public page and its sentences, in reading order."""

    key: str
    heading: str
    sentences: tuple[str, ...]


def _n(count: float, unit: str) -> str:
    shown = f"{count:g}"
    return f"{shown} {unit}" if count == 1 else f"{shown} {unit}s"


def _period(months: int = 0, weeks: int = 0, days: int = 0) -> str:
    parts = [_n(v, u) for v, u in ((months, "month"), (weeks, "week"), (days, "day")) if v]
    return " and ".join(parts) if parts else "0 days"


def _p(p: Period) -> str:
    return _period(p.months, p.weeks, p.days)


def _every(p: Period) -> str:
    if (p.months, p.weeks, p.days) == (1, 0, 0):
        return "every month"
    if (p.months, p.weeks, p.days) == (0, 1, 0):
        return "every week"
    return f"every {_p(p)}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _range(r: IntRange | NumRange, unit: str) -> str:
    if r.min is not None and r.max is not None:
        return f"between {r.min:g} and {_n(r.max, unit)}"
    if r.min is not None:
        return f"at least {_n(r.min, unit)}"
    if r.max is not None:
        return f"at most {_n(r.max, unit)}"
    return ""


def _minutes(r: IntRange) -> str:
    def hours(m: int) -> str:
        return _n(m / 60, "hour") if m % 60 == 0 else f"{m} minutes"

    if r.min is not None and r.max is not None:
        if r.min % 60 == 0 and r.max % 60 == 0:
            return f"between {r.min // 60:g} and {_n(r.max / 60, 'hour')}"
        return f"between {r.min} and {r.max} minutes"
    if r.min is not None:
        return f"at least {hours(r.min)}"
    if r.max is not None:
        return f"at most {hours(r.max)}"
    return ""


_ROLE = {"mentor": "mentors", "mentee": "mentees"}
_AUDIENCE = {
    "pair": "the mentor and mentee together (one submission per pair)",
    "each": "the mentor and the mentee, each individually",
    "mentor": "mentors",
    "mentee": "mentees",
    "coordinator": "the programme team",
}
_READER = {
    "author": "its author",
    "pair": "the pair",
    "mentor": "the mentor",
    "mentee": "the mentee",
    "coordinator": "the programme coordinator",
}


def _duration(s: Scheme) -> list[str]:
    d = s.duration
    out: list[str] = []
    if isinstance(d, FixedDuration):
        out.append(
            f"A mentoring relationship officially lasts {_n(d.months, 'month')} "
            "from the date of matching."
        )
    elif isinstance(d, RangeDuration):
        out.append(
            f"A mentoring relationship lasts between {d.min_months} and "
            f"{_n(d.max_months, 'month')} from the date of matching."
        )
    else:
        out.append(
            f"The programme runs once a year, from {MONTH_NAMES[d.start_month]} to "
            f"{MONTH_NAMES[d.end_month]}; every pair follows the same calendar."
        )
    if isinstance(d, FixedDuration | RangeDuration) and d.programme_months is not None:
        out.append(
            f"Every relationship ends within the programme's {_n(d.programme_months, 'month')}."
        )
    if d.typical_months is not None:
        out.append(f"On average, relationships last {_n(d.typical_months, 'month')}.")
    if d.extension is not None:
        cap = d.extension.max_total_months
        out.append(
            "The relationship can be extended if both mentor and mentee agree"
            + (f", up to {_n(cap, 'month')} in total." if cap else ".")
        )
    if d.monitoring_limit_months is not None:
        limit = _n(d.monitoring_limit_months, "month")
        out.append(f"The association stops monitoring a pair {limit} after matching at the latest.")
    if d.may_continue_after_end:
        out.append("Pairs who find it useful may carry on informally after the official end.")
    return out


def _meetings(s: Scheme) -> list[str]:
    m = s.meetings
    c = m.cadence
    out: list[str] = []
    if isinstance(c, IntervalCadence):
        if c.at_most is not None and c.at_most != c.every:
            out.append(f"Pairs meet {_every(c.every)}, and no more than {_p(c.at_most)} apart.")
        else:
            out.append(f"Pairs usually meet {_every(c.every)}.")
    elif isinstance(c, CalendarMonthCadence):
        out.append("Pairs meet at least once every month.")
    elif isinstance(c, AgreedByPairCadence):
        out.append("Mentor and mentee agree together how often they will meet.")
    if not isinstance(c, AgreedByPairCadence) and c.pair_may_agree:
        out.append("Mentor and mentee may agree a different rhythm that suits them both.")
    if m.min_hours_per_interval is not None and isinstance(c, IntervalCadence):
        out.append(
            f"Expect to give at least {_n(m.min_hours_per_interval, 'hour')} each time, "
            "including preparation and reflection afterwards."
        )
    if m.session_minutes is not None:
        out.append(f"A session lasts {_minutes(m.session_minutes)}.")
    if m.sessions is not None:
        out.append(f"A relationship usually has {_range(m.sessions, 'session')}.")
    if m.contact_hours is not None:
        out.append(f"In total, pairs spend {_range(m.contact_hours, 'hour')} together.")
    if m.first_and_last_dates_set_at_start:
        out.append(
            "At the start, pairs set the dates of their first and last meetings and how "
            "often they will meet."
        )
    modes = {"in_person": "in person", "virtual": "by phone or video"}
    if m.modes:
        out.append("Meetings can take place " + " or ".join(modes[x] for x in m.modes) + ".")
    if m.in_person_recommended:
        out.append("Meeting face to face at least once is recommended.")
    if m.note:
        out.append(m.note)
    return out


def _eligibility(s: Scheme) -> list[str]:
    e = s.eligibility
    mb = e.membership
    out: list[str] = []
    if e.open_to == "members":
        who = mb.member_type or "members of the association"
        if mb.member_type:
            who = f"{mb.member_type}s"
        out.append(
            f"The scheme is open to {who}" + (" in good standing." if mb.good_standing else ".")
        )
    elif e.open_to == "everyone":
        out.append("The scheme is open to everyone.")
    else:
        out.append("The scheme is open to people from the partner organisations.")
    if e.includes:
        out.append(f"This includes {_join(list(e.includes))}.")
    if e.exclusions:
        labels = {
            "students": "students",
            "already_in_mentoring_relationship": "people already in a mentoring relationship",
        }
        out.append(
            f"You cannot apply if you are one of the following: "
            f"{_join([labels[x] for x in e.exclusions])}."
        )
    if mb.kept_for_whole_relationship:
        out.append("Both mentor and mentee must stay members for the whole relationship.")
    if mb.platform_members_only:
        out.append("The mentoring platform is for members only.")
    if e.mentor_requirements:
        out.append(f"Mentors need {_join(list(e.mentor_requirements))}.")
    if e.note:
        out.append(e.note)
    return out


def _application(s: Scheme) -> list[str]:
    a = s.application
    out: list[str] = []
    for i, w in enumerate(a.recruitment_windows):
        first = "First" if i == 0 else "Then"
        out.append(f"{first}, {_ROLE[w.role]} apply during a {w.weeks}-week window.")
    if a.line_manager_signature:
        out.append(
            f"Applications from {_join([_ROLE[r] for r in a.line_manager_signature])} "
            "must be approved and signed by the applicant's line manager."
        )
    if a.board_ratification:
        out.append("Applicants are ratified by the Board before the relationship starts.")
    if a.shortlist:
        out.append(f"Applications from {_join([_ROLE[r] for r in a.shortlist])} are shortlisted.")
    if a.interview is not None:
        how = {
            "phone": "a short phone interview",
            "video": "a short video interview",
            "in_person": "a short interview",
        }[a.interview.format]
        out.append(
            f"Shortlisted {_join([_ROLE[r] for r in a.interview.roles])} are invited to {how}."
        )
    if a.feedback_to_unsuccessful:
        out.append("Applicants who are not selected are offered feedback.")
    t = a.training
    if t is not None:
        length = f"{_n(t.days, 'day')} of " if t.days else ""
        length = "half a day of " if t.days == 0.5 else length
        who = _join([_ROLE[r] for r in t.roles])
        how = "together" if t.format == "joint" else "separately" if len(t.roles) > 1 else ""
        when = {
            "application": "before applying",
            "matching": "before being matched",
            "relationship_start": "before the relationship starts",
        }[t.before]
        verb = "must attend" if t.required else "are invited to"
        out.append(f"{who.capitalize()} {verb} {length}training {how} {when}.".replace("  ", " "))
    if a.note:
        out.append(a.note)
    return out


def _lower_first(text: str) -> str:
    """ "The mentor …" → "the mentor …" for use mid-sentence (acronyms such as "AHEP" kept)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _criterion(c: Criterion) -> str:
    if c.description:
        return _lower_first(c.description)
    hard = c.is_hard
    if c.kind == "min_gap":
        return f"the mentor's {c.field} exceeds the mentee's by at least {c.min:g}"
    if c.kind == "distance":
        return f"they are within {c.max:g} km of each other"
    if c.kind == "career_stage":
        return "the mentor is at a later career stage than the mentee"
    if c.kind == "same":
        return f"they share the same {c.field}" + ("" if hard else " where possible")
    if c.kind == "availability":
        return f"their {c.field} overlap"
    return f"the mentor offers what the mentee asks for ({c.field})"


def _matching(s: Scheme) -> list[str]:
    m = s.matching
    out: list[str] = []
    if m.matching_survey:
        out.append("Mentors and mentees fill in a matching survey.")
    if m.flow == "coordinator":
        out.append("The programme coordinator matches mentors and mentees.")
    elif m.flow == "suggest_and_accept":
        out.append("Each mentee chooses the mentor they would like to work with.")
        reasons = " after reading the mentee's reasons" if m.mentor_sees_mentee_reasons else ""
        out.append(f"The mentor then accepts or declines{reasons}.")
        if m.rematch_on_decline:
            out.append("If the mentor declines, the mentee chooses again.")
    else:
        out.append(
            "A match is proposed to both, and the relationship only starts if both "
            "mentor and mentee accept."
        )
        if m.rematch_on_decline:
            out.append("If either declines, another match is proposed.")
    hard = [c for c in m.criteria if c.is_hard]
    soft = [c for c in m.criteria if c not in hard]
    if hard:
        out.append(
            "A match always respects these rules: "
            + "; ".join(_criterion(c).rstrip(".") for c in hard)
            + "."
        )
    if soft:
        ranked = sorted(soft, key=lambda c: -c.weight)
        out.append(
            "Among the possible matches, the best fit is chosen by: "
            + "; ".join(_criterion(c).rstrip(".") for c in ranked)
            + "."
        )
    if m.conflicts_of_interest:
        out.append("Conflicts of interest are taken into account.")
    if m.coordinator_calls_mentors:
        out.append("The coordinator talks with mentors by phone about their expectations.")
    if m.capacity_declared:
        rec = (
            f" (no more than {m.capacity_recommended_max} at a time is recommended)"
            if m.capacity_recommended_max
            else ""
        )
        out.append(f"Mentors say how many mentees they can take on{rec}.")
    elif m.capacity_recommended_max:
        out.append(f"A mentor takes on at most {_n(m.capacity_recommended_max, 'mentee')}.")
    if m.unmatched == "inform_and_invite_next_cohort":
        out.append(
            "If no suitable match can be found, you are told so and invited to apply "
            "again next year."
        )
    elif m.unmatched == "inform":
        out.append("If no suitable match can be found, you are told so.")
    if m.note:
        out.append(m.note)
    return out


def _when(c: Checkpoint, s: Scheme) -> str:
    w = c.when
    if isinstance(w, OffsetWhen):
        anchor = {
            "matching": "matching",
            "start": "the start",
            "cohort_start": "the start of the programme",
        }[w.anchor]
        span = _period(w.offset_months, w.offset_weeks, w.offset_days)
        if span == "0 days":
            return f"at {anchor}"
        return f"{span} after {anchor}"
    if isinstance(w, CohortMonthWhen):
        return f"in {MONTH_NAMES[w.month]}"
    if isinstance(w, FirstBusinessDayWhen):
        return "on the first working day of " + _join([MONTH_NAMES[m] for m in w.months])
    if isinstance(w, MidpointWhen):
        return "halfway through"
    if isinstance(w, EndWhen):
        return "at the end"
    assert isinstance(w, AfterEachMeetingWhen)
    return "after each meeting" + (f" (within {_n(w.within_days, 'day')})" if w.within_days else "")


_DONE_IN = {
    "plan": "It is done by submitting the pair's plan.",
    "agreement": "It is done when mentor and mentee have both agreed to their written agreement.",
    "log": "It is done by writing a log entry about the meeting.",
}


def _asks(c: Checkpoint, s: Scheme) -> str:
    """What the checkpoint asks, in words: a form of N questions, a part of the pair's
    space, or a task for the coordinator ("" when none of these: nothing is tracked)."""
    if c.audience == "coordinator":
        return "It is a task on the programme coordinator's list; nothing is asked of you."
    form = s.checkpoint_form(c.id)
    if form is not None:
        noun = "a survey" if c.kind in ("survey", "questionnaire") else "a form"
        words = f"It is {noun} of {_n(len(form.questions), 'question')}."
        if any(q.permission for q in form.questions):
            words += (
                " The answers stay confidential unless you give your permission to share "
                "them, in the form itself."
            )
        return words
    if c.done_in is not None:
        return _DONE_IN[c.done_in]
    return ""


def _days(days: tuple[int, ...]) -> str:
    ordered = sorted(days, reverse=True)
    return f"{_join([str(d) for d in ordered])} {'day' if ordered == [1] else 'days'}"


def _reminders(s: Scheme) -> list[str]:
    """When the clock e-mails the people a checkpoint asks something of (only when one is
    tracked: it has a form or is done in the pair's space)."""
    tracked = [
        c
        for c in s.checkpoints
        if c.audience != "coordinator" and (s.checkpoint_form(c.id) or c.done_in)
    ]
    r = s.reminders
    ahead: list[str] = []
    if r.at_opening:
        ahead.append("when something asked of you opens")
    if r.before_due_days:
        ahead.append(f"{_days(r.before_due_days)} before it is due")
    late = (
        f"{_days(r.after_due_days)} after the due date if it is not yet done"
        if r.after_due_days
        else ""
    )
    if not tracked or not (ahead or late):
        return []
    if ahead and late:
        when = f"{' and '.join(ahead)}, and again {late}"
    else:
        when = " and ".join(ahead) or late
    return [f"You are e-mailed {when}. E-mails go at {r.send_at} local time, on working days."]


def _period_days(p: Period) -> int:
    return p.months * 30 + p.weeks * 7 + p.days


def _quiet(s: Scheme) -> list[str]:
    """The staged nudge of a quiet pair, with the allowance the clock uses (the scheme's
    days, or its longest gap between meetings plus the grace days)."""
    q = s.reminders.quiet
    if not q.enabled:
        return []
    contact = (
        "meeting, message or submission"
        if "chat" in s.relationship.shared_space
        else ("meeting or submission")
    )
    cadence = s.meetings.cadence
    if q.after_days is not None:
        spell = f"about {_n(q.after_days, 'day')}"
    elif isinstance(cadence, AgreedByPairCadence):
        spell = (
            f"{_n(q.grace_days, 'day')} longer than the rhythm they agreed (about "
            f"{_n(60 + q.grace_days, 'day')} until they agree one)"
        )
    else:
        base = (
            _period_days(cadence.at_most or cadence.every)
            if isinstance(cadence, IntervalCadence)
            else 31
        )
        spell = f"about {_n(base + q.grace_days, 'day')}"
        if cadence.pair_may_agree:
            spell += (
                f" (or {_n(q.grace_days, 'day')} longer than the rhythm they agreed, if they "
                "agreed one)"
            )
    return [
        f"If a pair records no {contact} for {spell}, mentor and mentee are sent a nudge; "
        f"if it stays quiet {_n(q.coordinator_after_days, 'day')} more, the pair goes on the "
        "programme coordinator's list to follow up."
    ]


def _checkpoints(s: Scheme) -> list[str]:
    out: list[str] = []
    for c in s.checkpoints:
        sentence = f"{c.title} — {_when(c, s)}, for {_AUDIENCE[c.audience]}."
        if asks := _asks(c, s):
            sentence += f" {asks}"
        if c.readers:
            sentence += f" Read by {_join([_READER[r] for r in c.readers])}."
        if c.note:
            sentence += f" {c.note}"
        out.append(sentence)
    return out + _reminders(s) + _quiet(s)


def _relationship(s: Scheme) -> list[str]:
    r = s.relationship
    out: list[str] = []
    if r.agreement_at_start:
        out.append("At the start, mentor and mentee agree how they will work together.")
    if r.goals is not None:
        out.append(f"Mentees set {_range(r.goals, 'development goal')}.")
    if r.mentee_leads:
        out.append("The mentee leads the relationship; the mentor supports.")
    if r.confidentiality == "private_to_pair":
        out.append("What is said in mentoring conversations stays between mentor and mentee.")
    elif r.confidentiality == "written_permission_to_share":
        out.append(
            "Everything shared stays confidential; the association only shares it with "
            "your explicit written permission."
        )
    if r.confidentiality_exceptions:
        out.append(f"The exception is {_join(list(r.confidentiality_exceptions))}.")
    if r.no_contact_with_mentee_line_manager:
        out.append("Mentors do not contact the mentee's line manager.")
    if r.mentee_may_update_line_manager:
        out.append("Mentees may update their line manager on their progress.")
    if r.either_party_may_end:
        out.append("Either mentor or mentee can end the relationship.")
    if r.final_review_meeting:
        out.append("A final review meeting looks back at the initial objectives.")
    if r.rematch_on_failure:
        out.append(
            "If a relationship does not work out, the association helps and, where "
            "possible, finds a new match."
        )
    if r.removal_for_ethics_breach:
        out.append("Anyone who breaches the ethical expectations is removed from the programme.")
    if r.logs_stored_securely:
        out.append("Learning logs are stored securely until the programme's reviews are done.")
    if r.principles:
        out.append(
            "Every relationship follows these principles: "
            + " ".join(p if p.endswith(".") else p + "." for p in r.principles)
        )
    if r.note:
        out.append(r.note)
    out.extend(_space(s))
    return out


def _space(s: Scheme) -> list[str]:
    """The pair's space (issue 15): the agreement's sections, the plan, how long it is kept."""
    space, out = s.space, []
    if space.agreement:
        out.append(
            "Mentor and mentee write their agreement together, covering "
            + _join([a.heading.lower() for a in space.agreement])
            + "; both agree to it, and again after any change."
        )
    if space.plan:
        first, last = space.plan[0].month, space.plan[-1].month
        out.append(
            f"The pair writes a plan month by month, {MONTH_NAMES[first]} to "
            f"{MONTH_NAMES[last]}, starting from the association's sample plan, with the dates "
            "of the first and last meetings, and submits it to the coordinator."
        )
    out.append(
        f"The pair's records are kept for {_n(space.retention_months, 'month')} after the "
        "relationship ends, then deleted."
    )
    return out


def describe(scheme: Scheme) -> list[Section]:
    """The public page's sections, in reading order; empty sections are left out. Worked out
    once per scheme version in a process (`_sections`): a scheme is immutable, and the stored
    version's parse is cached too (`services._parse`), so the scheme page asks with the same
    object each time."""
    return list(_sections(scheme))


@lru_cache(maxsize=256)
def _sections(scheme: Scheme) -> tuple[Section, ...]:
    parts = [
        ("duration", "How long it lasts", _duration(scheme)),
        ("meetings", "Meetings", _meetings(scheme)),
        ("eligibility", "Who can take part", _eligibility(scheme)),
        ("application", "How to apply", _application(scheme)),
        ("matching", "How matching works", _matching(scheme)),
        ("checkpoints", "What is asked of you, and when", _checkpoints(scheme)),
        ("relationship", "How the relationship works", _relationship(scheme)),
    ]
    sections = [
        Section(key, heading, tuple(sentences)) for key, heading, sentences in parts if sentences
    ]
    if scheme.summary:
        sections.insert(0, Section("summary", "About the scheme", (scheme.summary,)))
    return tuple(sections)
