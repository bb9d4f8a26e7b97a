"""Demo pairs for the embedded default (issue 15): in every tenant, pairs at every stage of a
relationship, so a newcomer who signs in finds the pair's space alive. Never used in
production (the embedded default runs `seed_demo_pairs` after the demo matching, in
`applications.demo.fill_demo_applications`, which logs and retries on an outage).

The stages, and who to sign in as (the demo identity provider lists every member):

* **new** — just matched, nothing done: the demo matching's pair of Morgan Mentor and Eli
  Mentee (`matching.demo`, its cohort starts next month), not made here;
* **mid-way** — Morgan Mentor (mentor1) and Priya Shah, in the *running* cohort (started
  about four months ago; Alberta: this programme year): meetings held and recorded (one a
  cadence interval), one scheduled and one proposed waiting for Morgan, the agreement agreed
  by both where the scheme has one, goals at every status, log entries by both (Advice
  Skills Academy: Priya shares one with the coordinator for the pilot review), Alberta's
  Mentorship Plan submitted to the coordinator, AHEP's chat and a shared document;
* **overdue** — Mina Mentor (mentor2) and Tom Walsh, same cohort: matched months ago, one
  meeting in the first weeks and nothing since (behind the cadence; AHEP: no agreement and
  its first-meeting agenda checkpoint long past);
* **ended early** — Leo Marchetti and Ines Duarte, same cohort: a first meeting, then the
  mentee ended it (where the scheme lets either person end; otherwise the coordinator did,
  at her request), with a reason;
* **completed** — Mina Mentor and Alex Moreau, in the *previous* cohort (whose relationship
  length has passed): every meeting held, goals achieved, ended as completed by the
  coordinator on the official end.

The coordinator (Cora Coordinator) reads each pair's coordinator view (dates, counts, the
plan once submitted, the shared log entries) at the pair's address; the mails in the catcher
that name a pair (plan submitted, a log entry shared, a pair ended) link to it.

Decisions where the issue is silent:

* Meetings fall on workdays at 14:00 in the association's zone, a week after the start and
  then one cadence interval apart (AHEP, whose pairs agree their own: monthly); each lasts
  two hours within the scheme's session length — except the Advice Skills Academy's, whose
  two hours a month (preparation and reflection included, which the product does not see)
  exceed its 60–90 minute sessions: the pair records two hours, so it reads as on track.
* A story's "today" is the day its pair was made (the pair row's `created_at`, the first
  start's day): the mid-way pair's meetings are held up to it, the next one is scheduled ten
  days after it and the one after proposed; its latest chat messages are from the days
  before it. So a start on a later day computes the same dates and makes nothing again
  (a meeting still to be proposed whose time has passed by then is left out).
* Alberta's running cohort is the programme year that started last (October): in October
  and November its pairs are only weeks in, and in September (between programme years)
  they are past their official end. The other schemes' running cohort started on the
  first of the month four months back, the previous one its relationship length (plus
  three months) before that.
* Log entries are shared with the coordinator where the scheme has a review checkpoint for
  the coordinator (the Advice Skills Academy's pilot reviews use the logs).
* Nothing is written around the actions: every past time is the actions' own `now`.

Everything is made through the actions, as people would make it, at past times: the actions
take `now`, so the pairs are matched months ago (`create_pairs(now=…)`), meetings proposed,
accepted and recorded around their dates, and pairs ended on their day. Their mails go to
the mail catcher (the meeting invitations with their .ics among them). The two past cohorts
are made by the demo tenant admin (`applications.services.create_cohort`: the association
recording the cohorts that ran before it came to MentorHub), which also keeps them apart
from the demo coordinator's cohorts that `applications.demo` and `matching.demo` find by
order. The past cohorts' pairs have no applications (they were matched before the product).

Idempotent and deterministic: people by e-mail (`<key>@<slug>.localhost`), the pairs by
their two people, every piece of content by what identifies it (a meeting by its start, a
goal by its title, a log entry by its author and title, a chat message by its text, a
document by its file name), and every date from the stored cohort's start — so a restart
adds nothing and a first start that was stopped finishes on the next.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, select

from mentorhub.applications import services as applications
from mentorhub.applications.eligibility import members_only
from mentorhub.applications.models import Cohort
from mentorhub.applications.queue import tenant_zone
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.demo import demo_email
from mentorhub.identity.membership import set_membership
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import (
    agreement,
    chat,
    documents,
    ending,
    lifecycle,
    logs,
    meetings,
)
from mentorhub.pairs.space_models import (
    Agreement,
    ChatMessage,
    Document,
    Goal,
    LogEntry,
    Meeting,
)
from mentorhub.pairs.space_models import Plan as PairPlan
from mentorhub.pairs.storage import Storage, storage_from
from mentorhub.schemes.calendar import add_months
from mentorhub.schemes.rules import (
    AgreedByPairCadence,
    CalendarMonthCadence,
    CohortDuration,
    FixedDuration,
    IntervalCadence,
    RangeDuration,
    Scheme,
)
from mentorhub.schemes.services import current_scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

__all__ = ["PEOPLE", "STORIES", "Story", "demo_past_cohorts", "seed_demo_pairs"]

#: The pairs demo's own people (beyond the demo members), by key: (name, role).
PEOPLE = {
    "priya.shah": ("Priya Shah", "mentee"),
    "tom.walsh": ("Tom Walsh", "mentee"),
    "leo.marchetti": ("Leo Marchetti", "mentor"),
    "ines.duarte": ("Ines Duarte", "mentee"),
    "alex.moreau": ("Alex Moreau", "mentee"),
}


@dataclass(frozen=True)
class Story:
    stage: str  # "mid_way", "overdue", "ended_early", "completed"
    cohort: str  # "running" or "previous"
    mentor: str  # a demo member's key or one of PEOPLE
    mentee: str


STORIES = (
    Story("mid_way", "running", "mentor1", "priya.shah"),
    Story("overdue", "running", "mentor2", "tom.walsh"),
    Story("ended_early", "running", "leo.marchetti", "ines.duarte"),
    Story("completed", "previous", "mentor2", "alex.moreau"),
)


# --- dates ---------------------------------------------------------------------------------


def _month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def _length_months(scheme: Scheme) -> int:
    d = scheme.duration
    if isinstance(d, FixedDuration):
        return d.months
    if isinstance(d, RangeDuration):
        return d.max_months
    return 12


def _programme_year(d: CohortDuration, start_year: int) -> tuple[date, date]:
    starts = date(start_year, d.start_month, 1)
    end_year = start_year if d.end_month >= d.start_month else start_year + 1
    ends = add_months(date(end_year, d.end_month, 1), 1) - timedelta(days=1)
    return starts, ends


def _programme_name(starts: date, ends: date) -> str:
    if ends.year != starts.year:
        return f"{starts.year}–{str(ends.year)[-2:]} programme year"
    return f"{starts.year} programme year"


def past_cohort_dates(scheme: Scheme, today: date, which: str) -> tuple[str, date, date]:
    """The demo's past cohorts: `running` started about four months ago (a cohort scheme:
    the programme year that started last), `previous` long enough ago that its relationships
    are over (a cohort scheme: the programme year before)."""
    d = scheme.duration
    if isinstance(d, CohortDuration):
        year = today.year if today.month >= d.start_month else today.year - 1
        if which == "previous":
            year -= 1
        starts, ends = _programme_year(d, year)
        return _programme_name(starts, ends), starts, ends
    months = _length_months(scheme)
    back = 4 if which == "running" else months + 3
    starts = add_months(_month_start(today), -back)
    ends = add_months(starts, months) - timedelta(days=1)
    return f"{starts:%B %Y} cohort", starts, ends


def _interval_months(scheme: Scheme) -> int:
    """Months between the demo's meetings: the scheme's cadence (a calendar month; AHEP,
    whose pairs agree their own: monthly, as the demo's agreement says)."""
    cadence = scheme.meetings.cadence
    if isinstance(cadence, IntervalCadence):
        return max(1, cadence.every.months or round((cadence.every.weeks * 7) / 30))
    if isinstance(cadence, CalendarMonthCadence | AgreedByPairCadence):
        return 1
    return 1


def _minutes(scheme: Scheme) -> int:
    """A meeting's length: two hours, within the scheme's session length — except where the
    scheme asks for more time per cadence interval than a session's length (the Advice
    Skills Academy: two hours a month, preparation and reflection included, which the
    product does not see): the pair records two hours, so it reads as on track."""
    wanted = 120
    bounds = scheme.meetings.session_minutes
    if bounds is not None:
        if bounds.max is not None:
            wanted = min(wanted, bounds.max)
        if bounds.min is not None:
            wanted = max(wanted, bounds.min)
    per_interval = scheme.meetings.min_hours_per_interval
    if per_interval is not None:
        wanted = max(wanted, min(480, round(per_interval * 60)))
    return wanted


def _weekday(day: date) -> date:
    """`day`, or the Monday after when it falls on a weekend (people meet on workdays)."""
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """`hour` o'clock on `day` in the tenant's zone, as UTC."""
    return datetime.combine(day, time(hour, 0), tzinfo=zone).astimezone(UTC)


# --- the seed --------------------------------------------------------------------------------


@dataclass
class _World:
    db: Database
    tenant: Tenant
    now: datetime
    zone: ZoneInfo
    coordinator: Member
    admin: Member
    scheme: Scheme
    storage: Storage
    cohorts: dict[str, Cohort]
    people: dict[str, Member]

    @property
    def tid(self) -> uuid.UUID:
        return self.tenant.id

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()


async def seed_demo_pairs(
    db: Database,
    tenants: Sequence[Tenant],
    *,
    now: datetime | None = None,
    storage: Storage | None = None,
) -> int:
    """Made once per tenant (see the module's docstring); returns how many steps were taken
    (0 on every start after the first). `storage`: where the product keeps the pairs'
    documents (default: the settings' storage)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    storage = storage or storage_from(get_settings())
    made = 0
    for tenant in tenants:
        made += await _seed_tenant(db, tenant, now, storage)
    return made


async def _seed_tenant(db: Database, tenant: Tenant, now: datetime, storage: Storage) -> int:
    emails = [demo_email(tenant.slug, "coordinator"), demo_email(tenant.slug, "admin")]
    async with db.tenant(tenant.id) as session:
        found = await session.execute(select(Member).where(Member.email.in_(emails)))
        staff = {m.email: m for m in found.scalars()}
        scheme = await current_scheme(session)
    coordinator = staff.get(emails[0])
    admin = staff.get(emails[1])
    if coordinator is None or admin is None or scheme is None:
        return 0  # no demo members here (not the embedded default's seed)
    zone = tenant_zone(tenant.jurisdiction)
    w = _World(db, tenant, now, zone, coordinator, admin, scheme, storage, {}, {})
    steps = await _cohorts(w)
    steps += await _people(w)
    for story in STORIES:
        steps += await _play(w, story)
    return steps


async def demo_past_cohorts(db: Database, tenant: Tenant) -> list[uuid.UUID]:
    """The cohorts the demo tenant admin created, oldest start first: [previous, running]
    (or the one made so far)."""
    async with db.tenant(tenant.id, read_only=True) as session:
        rows = await session.execute(
            select(Cohort.id)
            .join(AuditEntry, AuditEntry.subject == cast(Cohort.id, String))
            .where(
                AuditEntry.action == "cohort_created",
                AuditEntry.actor == demo_email(tenant.slug, "admin"),
            )
            .order_by(Cohort.starts_on)
        )
        return list(rows.scalars())


async def _cohorts(w: _World) -> int:
    made = await demo_past_cohorts(w.db, w.tenant)
    async with w.db.tenant(w.tid, read_only=True) as session:
        have = [
            c for c in (await session.execute(select(Cohort).where(Cohort.id.in_(made)))).scalars()
        ]
    have.sort(key=lambda c: c.starts_on)
    steps = 0
    # The running cohort is made first: when only one exists, it is the running one.
    if len(have) >= 1:
        w.cohorts["running"] = have[-1]
    if len(have) >= 2:
        w.cohorts["previous"] = have[0]
    for which in ("running", "previous"):
        if which in w.cohorts:
            continue
        name, starts, ends = past_cohort_dates(w.scheme, w.today, which)
        w.cohorts[which] = await applications.create_cohort(
            w.db, w.tid, w.admin.id, name=name, starts_on=starts, ends_on=ends
        )
        steps += 1
    return steps


async def _people(w: _World) -> int:
    """The demo members in the stories, and PEOPLE (made if new, as `applications.demo`
    makes its applicants: an active membership from the demo provider's claim where the
    scheme is for members)."""
    keys = {s.mentor for s in STORIES} | {s.mentee for s in STORIES}
    emails = {demo_email(w.tenant.slug, k): k for k in keys}
    made = 0
    async with w.db.tenant(w.tid) as session:
        found = {
            m.email: m
            for m in (
                await session.execute(select(Member).where(Member.email.in_(list(emails))))
            ).scalars()
        }
        for email, key in sorted(emails.items()):
            member = found.get(email)
            if member is None:
                if key not in PEOPLE:
                    raise LookupError(f"demo member {email} is missing")
                name, role = PEOPLE[key]
                member = Member(
                    tenant_id=w.tid, id=uuid.uuid4(), email=email, display_name=name, roles=[role]
                )
                session.add(member)
                made += 1
            if members_only(w.scheme) and member.membership_status is None:
                set_membership(session, member, "active", source="claim")
            w.people[key] = member
        await session.flush()
    return made


async def _pair(w: _World, story: Story) -> Pair | None:
    mentor, mentee = w.people[story.mentor], w.people[story.mentee]
    async with w.db.tenant(w.tid, read_only=True) as session:
        return (
            await session.execute(
                select(Pair)
                .where(
                    Pair.mentor_id == mentor.id,
                    Pair.mentee_id == mentee.id,
                    Pair.cohort_id == w.cohorts[story.cohort].id,
                )
                .order_by(Pair.created_at)
                .limit(1)
            )
        ).scalar_one_or_none()


async def _play(w: _World, story: Story) -> int:
    steps = 0
    cohort = w.cohorts[story.cohort]
    pair = await _pair(w, story)
    if pair is None:
        matched = cohort.starts_on - timedelta(days=10)
        async with w.db.tenant(w.tid) as session:
            await lifecycle.create_pairs(
                session,
                [
                    lifecycle.NewPair(
                        cohort.id,
                        w.people[story.mentor].id,
                        w.people[story.mentee].id,
                        w.scheme.matching.flow,
                    )
                ],
                actor_id=w.coordinator.id,
                actor=w.coordinator.email,
                now=_at(matched, 11, w.zone),
            )
        steps += 1
        pair = await _pair(w, story)
        assert pair is not None
    p = _Pair(w, story, pair)
    if story.stage == "mid_way":
        steps += await _mid_way(p)
    elif story.stage == "overdue":
        steps += await _overdue(p)
    elif story.stage == "ended_early":
        steps += await _ended_early(p)
    else:
        steps += await _completed(p)
    return steps


@dataclass
class _Pair:
    w: _World
    story: Story
    pair: Pair

    @property
    def id(self) -> uuid.UUID:
        return self.pair.id

    @property
    def mentor(self) -> Member:
        return self.w.people[self.story.mentor]

    @property
    def mentee(self) -> Member:
        return self.w.people[self.story.mentee]

    @property
    def start(self) -> date:
        """The relationship's first day: the cohort's start (the pair was matched before)."""
        return max(self.pair.matched_on, self.w.cohorts[self.story.cohort].starts_on)

    @property
    def today(self) -> date:
        """The story's today: the day the pair was made (see the module's docstring)."""
        return self.pair.created_at.astimezone(self.w.zone).date()

    def at(self, day: date, hour: int = 10) -> datetime:
        return _at(day, hour, self.w.zone)


# --- the stages ------------------------------------------------------------------------------


async def _mid_way(p: _Pair) -> int:
    steps = await _agreement(p)
    steps += await _goals(p, _MID_WAY_GOALS)
    steps += await _plan(p)
    steps += await _meetings(p, held=_held_days(p, until=p.today - timedelta(days=3)), ahead=True)
    steps += await _logs(p)
    steps += await _chat(p)
    steps += await _documents(p)
    return steps


async def _overdue(p: _Pair) -> int:
    """One meeting in the first weeks, nothing since."""
    return await _meetings(p, held=[_weekday(p.start + timedelta(days=9))], ahead=False)


async def _ended_early(p: _Pair) -> int:
    w = p.w
    steps = await _meetings(p, held=[_weekday(p.start + timedelta(days=7))], ahead=False)
    if p.pair.state == "ended":
        return steps
    on = p.at(p.start + timedelta(days=45), 18)
    if w.scheme.relationship.either_party_may_end:
        await ending.end_by_party(w.db, w.tid, p.mentee.id, p.id, reason=_ENDED_REASON, now=on)
    else:
        await ending.coordinator_end(
            w.db,
            w.tid,
            w.coordinator.id,
            p.id,
            kind="ended_early",
            reason=f"{p.mentee.display_name} asked to stop: {_ENDED_REASON}",
            now=on,
        )
    return steps + 1


async def _completed(p: _Pair) -> int:
    w = p.w
    async with w.db.tenant(w.tid, read_only=True) as session:
        span = await lifecycle.span_of(session, p.pair)
    steps = await _goals(p, _COMPLETED_GOALS)
    steps += await _meetings(p, held=_held_days(p, until=span.end - timedelta(days=7)), ahead=False)
    if p.pair.state != "ended":
        await ending.coordinator_end(
            w.db, w.tid, w.coordinator.id, p.id, kind="completed", now=p.at(span.end, 17)
        )
        steps += 1
    return steps


_ENDED_REASON = "My new job leaves me no time for mentoring this year. Thank you for the start."


# --- content ---------------------------------------------------------------------------------

_MID_WAY_GOALS = (
    ("Lead a small project from start to finish", "in_progress"),
    ("Build a network beyond my own organisation", "achieved"),
    ("Prepare for a management role", "partly"),
    ("Write a short piece for the sector's press", "not_started"),
)
_COMPLETED_GOALS = (
    ("Grow my confidence presenting to senior colleagues", "achieved"),
    ("Plan the next step of my career", "achieved"),
    ("Learn how funding bids are put together", "dropped"),
)

#: The agreement's words by section key (the schemes' templates); any other key: _AGREED.
_AGREEMENT = {
    "confidentiality": "What we say stays between us, unless one of us is at risk or the law "
    "says otherwise; we ask before sharing anything.",
    "expectations": "Priya brings the topics; Morgan listens, asks and shares experience. We "
    "both turn up prepared.",
    "limits_of_discussion": "Line management issues in Priya's team stay with her manager; we "
    "talk about how she handles them.",
    "frequency": "Once a month.",
    "length": "An hour to an hour and a half.",
    "time": "Weekday afternoons; we fix the next date at the end of each meeting.",
    "location": "By video, and in person when we are at the same event.",
    "agenda": "Priya sends two or three points a few days before.",
    "other_contact": "Chat here for quick questions; no calls outside working hours.",
    "commitment": "Six months, then we review.",
    "losing_contact": "If one of us has not answered for three weeks, the other asks the "
    "coordinator to help.",
    "reviewing": "We look at how it is going every second meeting.",
    "aims": "Build Priya's confidence with complex casework and plan her next step.",
    "working_together": "Priya sets the agenda; Morgan shares experience and asks questions.",
    "boundaries": "No casework decisions are made in our meetings; each of us follows our own "
    "service's procedures.",
    "meetings": "Monthly, 90 minutes, in a neutral private room or by video.",
    "ending": "After six sessions, with a final review meeting.",
    "roles": "Priya leads the relationship and sets our goals; Morgan supports and challenges.",
}
_AGREED = "Agreed at our first meeting."

_PLAN = {
    10: "Set up our plan; goals: lead an exhibition project, and understand funding bids.",
    11: "Interviewed Morgan about their career, from front of house to director.",
    12: "Talked about role models; Priya picked two leaders to learn from.",
    1: "Competencies: where Priya is strong (engagement) and what to grow (budgets).",
    2: "Reading: two books and a report on museum leadership.",
    3: "The changing landscape: funding, audiences and digital.",
    4: "Cross-sector practice: visit a library and a gallery together.",
    5: "Networks: who to meet at the spring conference.",
    6: "Attend a networking event together.",
    7: "The dream job: what it looks like, and the steps to it.",
    8: "Look back at the year and plan what comes next.",
}

#: The mid-way pair's log: (author, days after the first meeting, title, body, shared).
_LOGS = (
    (
        "mentor",
        1,
        "First meeting",
        "We set our agreement and goals. Priya is clear about what she wants; I need to "
        "listen more and advise less.",
        False,
    ),
    (
        "mentee",
        1,
        "After our first meeting",
        "I found it useful to say my goals out loud. Next: ask my manager about leading the "
        "spring project.",
        False,
    ),
    (
        "mentee",
        35,
        "Trying delegation",
        "I handed two cases to a colleague with clear notes, as we discussed. It went well; "
        "I had more time for the complex ones. The log helps me see progress.",
        True,
    ),
)

#: The mid-way pair's chat (AHEP): (author, days after the start, hour, text).
_CHAT = (
    ("mentee", 1, 9, "Hello Morgan, thank you for accepting me. When would suit you to meet?"),
    ("mentor", 1, 12, "Hello Priya! Next week works. I'll propose a time in Meetings."),
    ("mentee", 2, 16, "I've put the first-meeting agenda in Documents."),
    ("mentor", 8, 11, "Thanks for today. The article I mentioned is on our staff blog."),
    ("mentee", 30, 10, "I tried the delegation idea. It worked better than I expected!"),
    ("mentor", 30, 14, "That's great to hear. Let's talk about it next time."),
    ("mentee", -3, 9, "Could we add budgets to next time's agenda?"),
    ("mentor", -2, 17, "Of course. Bring last year's figures if you can."),
)


def _held_days(p: _Pair, *, until: date) -> list[date]:
    """The days the pair met: a week after the start, then one cadence interval apart, up to
    `until`."""
    every = _interval_months(p.w.scheme)
    days = []
    k = 0
    while (day := _weekday(add_months(p.start, every * k) + timedelta(days=7))) <= until:
        days.append(day)
        k += 1
    return days


def _shares_logs(scheme: Scheme) -> bool:
    """Whether the scheme's coordinator reviews the pairs' logs (the Advice Skills Academy's
    pilot reviews): a review checkpoint for the coordinator."""
    return any(c.kind == "review" and c.audience == "coordinator" for c in scheme.checkpoints)


async def _agreement(p: _Pair) -> int:
    w = p.w
    sections = w.scheme.space.agreement
    if not sections:
        return 0
    steps = 0
    row = await _agreement_row(p)
    if row is None:
        await agreement.save_agreement(
            w.db,
            w.tid,
            p.mentor.id,
            p.id,
            texts={s.key: _AGREEMENT.get(s.key, _AGREED) for s in sections},
            lock_version=0,
            now=p.at(p.start + timedelta(days=7), 15),
        )
        steps += 1
        row = await _agreement_row(p)
        assert row is not None
    for member, agreed, day in (
        (p.mentor, row.mentor_agreed_revision, 8),
        (p.mentee, row.mentee_agreed_revision, 9),
    ):
        if agreed != row.revision:
            await agreement.agree(
                w.db,
                w.tid,
                member.id,
                p.id,
                revision=row.revision,
                now=p.at(p.start + timedelta(days=day), 11),
            )
            steps += 1
    return steps


async def _agreement_row(p: _Pair) -> Agreement | None:
    async with p.w.db.tenant(p.w.tid, read_only=True) as session:
        return (
            await session.execute(select(Agreement).where(Agreement.pair_id == p.id))
        ).scalar_one_or_none()


async def _goals(p: _Pair, goals: Sequence[tuple[str, str]]) -> int:
    w = p.w
    bounds = w.scheme.relationship.goals
    wanted = list(goals[: bounds.max] if bounds is not None and bounds.max else goals)
    async with w.db.tenant(w.tid, read_only=True) as session:
        have = {
            g.title: g
            for g in (await session.execute(select(Goal).where(Goal.pair_id == p.id))).scalars()
        }
    steps = 0
    for title, status in wanted:
        goal = have.get(title)
        if goal is None:
            goal = await agreement.add_goal(
                w.db, w.tid, p.mentee.id, p.id, title=title, now=p.at(p.start + timedelta(days=9))
            )
            steps += 1
        if goal.status != status:
            await agreement.edit_goal(
                w.db,
                w.tid,
                p.mentee.id,
                p.id,
                goal.id,
                title=goal.title,
                detail=goal.detail,
                status=status,
                lock_version=goal.lock_version,
                now=p.at(p.start + timedelta(days=40)),
            )
            steps += 1
    return steps


async def _plan(p: _Pair) -> int:
    w = p.w
    months = w.scheme.space.plan
    if not months:
        return 0
    steps = 0
    row = await _plan_row(p)
    if row is None:
        cohort = w.cohorts[p.story.cohort]
        await agreement.save_plan(
            w.db,
            w.tid,
            p.mentee.id,
            p.id,
            texts={m.month: _PLAN.get(m.month, _AGREED) for m in months},
            first_meeting_on=_weekday(p.start + timedelta(days=7)),
            last_meeting_on=cohort.ends_on - timedelta(days=14),
            lock_version=0,
            now=p.at(p.start + timedelta(days=8), 16),
        )
        steps += 1
        row = await _plan_row(p)
        assert row is not None
    if row.submitted_revision is None:
        await agreement.submit_plan(
            w.db,
            w.tid,
            p.mentee.id,
            p.id,
            lock_version=row.lock_version,
            now=p.at(p.start + timedelta(days=10), 9),
        )
        steps += 1
    return steps


async def _plan_row(p: _Pair) -> PairPlan | None:
    async with p.w.db.tenant(p.w.tid, read_only=True) as session:
        return (
            await session.execute(select(PairPlan).where(PairPlan.pair_id == p.id))
        ).scalar_one_or_none()


async def _logs(p: _Pair) -> int:
    w = p.w
    first = _weekday(p.start + timedelta(days=7))
    async with w.db.tenant(w.tid, read_only=True) as session:
        have = {
            (e.author_id, e.title): e
            for e in (
                await session.execute(select(LogEntry).where(LogEntry.pair_id == p.id))
            ).scalars()
        }
    steps = 0
    share = _shares_logs(w.scheme)
    for who, after, title, body, shared in _LOGS:
        author = p.mentor if who == "mentor" else p.mentee
        day = min(first + timedelta(days=after), p.today - timedelta(days=1))
        entry = have.get((author.id, title))
        if entry is None:
            entry = await logs.write_entry(
                w.db,
                w.tid,
                author.id,
                p.id,
                body=body,
                title=title,
                written_on=day,
                now=p.at(day, 20),
            )
            steps += 1
        if shared and share and entry.shared_at is None:
            await logs.share_entry(w.db, w.tid, author.id, p.id, entry.id, now=p.at(day, 21))
            steps += 1
    return steps


async def _chat(p: _Pair) -> int:
    w = p.w
    if "chat" not in w.scheme.relationship.shared_space:
        return 0
    async with w.db.tenant(w.tid, read_only=True) as session:
        have = set(
            (
                await session.execute(select(ChatMessage.body).where(ChatMessage.pair_id == p.id))
            ).scalars()
        )
    steps = 0
    for who, days, hour, body in _CHAT:
        if body in have:
            continue
        day = p.start + timedelta(days=days) if days >= 0 else p.today + timedelta(days=days)
        author = p.mentor if who == "mentor" else p.mentee
        await chat.post_message(w.db, w.tid, author.id, p.id, body, now=p.at(day, hour))
        steps += 1
    return steps


async def _meetings(p: _Pair, *, held: Sequence[date], ahead: bool) -> int:
    """Meetings held on `held` (proposed a week before by one, accepted by the other,
    recorded after) and, `ahead`, the next one scheduled and the one after proposed by the
    mentee, waiting for the mentor. Each made at its own past time (`now`), so invitations
    and records read as they happened."""
    w = p.w
    minutes = _minutes(w.scheme)
    async with w.db.tenant(w.tid, read_only=True) as session:
        have = {
            m.starts_at: m
            for m in (
                await session.execute(select(Meeting).where(Meeting.pair_id == p.id))
            ).scalars()
        }
    plan: list[tuple[datetime, str]] = [(p.at(day, 14), "held") for day in held]
    if ahead:
        first = p.today + timedelta(days=10)
        later = add_months(first, _interval_months(w.scheme))
        plan.append((p.at(_weekday(first), 14), "scheduled"))
        plan.append((p.at(_weekday(later), 14), "proposed"))
    steps = 0
    for k, (starts, state) in enumerate(plan):
        meeting = have.get(starts)
        # The mentee proposes every other meeting and the one waiting for the mentor.
        mentee_asks = k % 2 == 0 or state == "proposed"
        proposer, other = (p.mentee, p.mentor) if mentee_asks else (p.mentor, p.mentee)
        # Asked a week before and accepted the next day; never later than now.
        asked = min(starts - timedelta(days=7), w.now - timedelta(minutes=10))
        accepted = min(asked + timedelta(hours=20), w.now - timedelta(minutes=5))
        if meeting is None and state != "held" and starts <= w.now:
            continue  # its time passed before it was made (a later start): not remade
        if meeting is not None and meeting.state in ("declined", "cancelled"):
            continue  # someone changed it since: theirs
        if meeting is None:
            mode = "video" if k % 2 else "in_person"
            [meeting] = await meetings.propose(
                w.db,
                w.tid,
                proposer.id,
                p.id,
                [
                    meetings.NewTime(
                        starts_at=starts,
                        minutes=minutes,
                        mode=mode,
                        place=_PLACE if mode == "in_person" else "",
                        link=f"https://meet.example.org/{p.id.hex[:10]}" if mode == "video" else "",
                    )
                ],
                now=asked,
            )
            steps += 1
        if state == "proposed":
            continue
        if meeting.state == "proposed":
            meeting = await meetings.accept(w.db, w.tid, other.id, p.id, meeting.id, now=accepted)
            steps += 1
        if state == "held" and meeting.state != "held":
            await meetings.record_held(
                w.db,
                w.tid,
                p.mentee.id,
                p.id,
                meeting.id,
                held_minutes=minutes,
                record=_RECORDS[k % len(_RECORDS)],
                now=starts + timedelta(minutes=minutes + 60),
            )
            steps += 1
    return steps


_PLACE = "The café on the ground floor of the central library"
_RECORDS = (
    "Agreed how we work together and set goals. Actions: Priya drafts her goals; Morgan "
    "sends two articles.",
    "Delegation and saying no. Action: try handing over two cases with clear notes.",
    "Reviewed the goals; talked about budgets. Action: Priya asks to shadow the budget round.",
    "Preparing for interviews: practised two questions. Action: write up three examples.",
    "Networks: who to meet at the conference. Action: introduce Priya to two colleagues.",
    "Looking back at what changed; planned the last meetings.",
)


async def _documents(p: _Pair) -> int:
    w = p.w
    if "documents" not in w.scheme.relationship.shared_space:
        return 0
    async with w.db.tenant(w.tid, read_only=True) as session:
        have = set(
            (
                await session.execute(
                    select(Document.filename).where(
                        Document.pair_id == p.id, Document.removed_at.is_(None)
                    )
                )
            ).scalars()
        )
    if _AGENDA_FILE in have:
        return 0
    await documents.upload_document(
        w.db,
        w.storage,
        w.tid,
        p.mentee.id,
        p.id,
        filename=_AGENDA_FILE,
        data=agenda_pdf(p.mentor.display_name, p.mentee.display_name),
        now=p.at(p.start + timedelta(days=2), 16),
    )
    return 1


_AGENDA_FILE = "First-meeting agenda.pdf"


def agenda_pdf(mentor: str, mentee: str) -> bytes:
    """The demo's shared document: a one-page first-meeting agenda (fpdf2, as the CPD
    record is made)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 12, "First-meeting agenda", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 12)
    pdf.cell(0, 8, f"{mentee} and {mentor}", new_x="LMARGIN", new_y="NEXT")
    for line in (
        "1. Introductions: our work and what brought us here",
        "2. Boundaries: confidentiality, expectations, limits of discussion",
        "3. Frequency, length, time and place of our meetings",
        "4. Goals for the next six months",
        "5. How we keep in touch between meetings",
    ):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))  # the same bytes every time
    return bytes(pdf.output())
