"""Demo checkpoints for the embedded default (issue 16): in every tenant, the demo pairs'
checkpoint items in every state — open, open past their due date, missed, sent in and
reviewed — the coordinator's tasks (the Museums Association's calls, quiet pairs), and in
the mail catcher the mails that produced them. Never used in production (the embedded
default runs `seed_demo_checkpoints` after the demo pairs, in
`applications.demo.fill_demo_applications`, which logs and retries on an outage).

How: the demo pairs (`pairs.demo`, `matching.demo`) were made at past times, so the clock
is run over their history — `checkpoints.clock.run_pass(as_of=day, tenant_slug=...)` on
each day something was due (an item's `next_at`, a quiet pair's check, a planned answer),
from the earliest match to the day before today, then once at the present. Each item opens,
is reminded, falls overdue and is missed on its own day, so the catcher holds the opening
mails, the reminders, the overdue mails and the quiet-pair nudges as they would have gone
out. Between the passes the people act, at past times, through the actions: they send in
forms (`services.submissions.save_answers`, answers built from the tenant's checkpoint
forms), the coordinator reviews (`services.review.review_item`) and completes tasks
(`services.review.complete_task`).

Who does what (decisions where the issue is silent):

* **mid-way** (Morgan Mentor and Priya Shah): sends in every form item due at least a week
  before today, two days before its due date (after the reminder); newer ones stay open
  (some past their due date: overdue). Items done in the space (the agreement, the plan, a
  log entry) are the clock's to mark (`checkpoints.fulfilment`), from what `pairs.demo`
  did there.
* **completed** (Mina Mentor and Alex Moreau, previous cohort): sends in everything on time
  except the mentor's first form item of their own (missed: Mina forgot one), when the
  pair has three form items or more.
* **overdue** (Mina Mentor and Tom Walsh): answers nothing — missed items, overdue mails,
  and the quiet-pair nudge, then the coordinator's quiet-pair task.
* **ended early**, **new** (matched today): answer nothing (items after an early end are
  dropped; the new pair's first items are open or upcoming).
* **open now** (Rosa Lindgren and Theo Banks, made here): a pair of the running cohort
  matched on the latest day that leaves one of its items open now and one open past its
  due date (else one of the two), found with `schedule.item_specs` — because no other
  demo pair has an open item on every day of the year (the Arts Marketing Association's
  check-ins fall at 1 and 3 months; in a cohort scheme every pair shares its dates: on
  days when Alberta's calendar has nothing open, no pair is made for it).
* The coordinator reviews what was sent in for them (`"coordinator"` among the readers)
  three days after it came, leaving the latest one for the newcomer to review when no
  other submission waits; completes the tasks of the completed and mid-way pairs (the
  calls) the day after they were due; leaves the others on the list.
* Answers are deterministic (chosen by a hash of tenant, checkpoint and person): ratings
  and Likert statements lean positive, and a question asked again later (the Museums
  Association's baseline statements in its final survey) is answered higher the second
  time, so the report shows change; the permission to share is given by the completed
  pair only (confidential by default).

Idempotent and deterministic: every date is counted from the day the demo pairs were made
(the mid-way pair's `created_at`, the first start's day: "today" of the story); items,
tasks and people are found by what identifies them, actions are taken only on what still
waits for them, and the clock's keys make a repeated step write nothing. A restart adds
nothing (its passes find nothing due before the story's today; on a later day what is due
is the real clock's work, not the demo's).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.eligibility import members_only
from mentorhub.applications.models import Cohort
from mentorhub.applications.queue import tenant_zone
from mentorhub.checkpoints.clock import run_tenant
from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.checkpoints.schedule import item_specs, local_at, steps_for
from mentorhub.checkpoints.services.review import complete_task, review_item
from mentorhub.checkpoints.services.submissions import save_answers
from mentorhub.db import Database
from mentorhub.demo import demo_email
from mentorhub.identity.membership import set_membership
from mentorhub.identity.models import Member
from mentorhub.pairs.demo import STORIES, demo_past_cohorts
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import lifecycle, meetings
from mentorhub.schemes.errors import FactsError
from mentorhub.schemes.forms import Form, Question, form_values
from mentorhub.schemes.rules import AfterEachMeetingWhen, Scheme
from mentorhub.schemes.services import current_scheme
from mentorhub.tenancy.models import Tenant

__all__ = ["NOW_PEOPLE", "NowPair", "answers_for", "now_pairs", "seed_demo_checkpoints"]

log = logging.getLogger("mentorhub.demo")

#: The pairs made here (`now_pairs`), by story: their people, key → (name, role).
NOW_PEOPLE: dict[str, dict[str, tuple[str, str]]] = {
    "open_now": {
        "rosa.lindgren": ("Rosa Lindgren", "mentor"),
        "theo.banks": ("Theo Banks", "mentee"),
    },
    "overdue_now": {"nadia.cole": ("Nadia Cole", "mentor"), "owen.price": ("Owen Price", "mentee")},
}
_STORIES = {(s.mentor, s.mentee): s.stage for s in STORIES} | {
    ("mentor1", "mentee1"): "new",
    **{tuple(people): story for story, people in NOW_PEOPLE.items()},
}
#: How often a pass that another clock holds is tried again (the embedded clock runs beside).
_SKIPPED_TRIES = 50


async def seed_demo_checkpoints(
    db: Database, tenants: Sequence[Tenant], *, now: datetime | None = None
) -> int:
    """Made once per tenant (see the module's docstring); returns how many steps were taken
    (clock steps, answers, reviews, tasks, people and pairs; 0 on every start after the
    first)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    made = 0
    for tenant in tenants:
        made += await _seed_tenant(db, tenant, now)
    return made


# --- the world -------------------------------------------------------------------------------


@dataclass
class _World:
    db: Database
    tenant: Tenant
    now: datetime
    zone: ZoneInfo
    scheme: Scheme
    coordinator: Member
    #: The day the demo pairs were made (the story's today).
    today: date
    stories: dict[uuid.UUID, str] = field(default_factory=dict)
    pairs: dict[uuid.UUID, Pair] = field(default_factory=dict)
    people: dict[uuid.UUID, Member] = field(default_factory=dict)
    #: The completed pair's item left unanswered (computed once its items exist).
    forgotten: uuid.UUID | None = None
    forgotten_known: bool = False

    @property
    def tid(self) -> uuid.UUID:
        return self.tenant.id

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(UTC)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


async def _seed_tenant(db: Database, tenant: Tenant, now: datetime) -> int:
    async with db.tenant(tenant.id, read_only=True) as session:
        scheme = await current_scheme(session)
        coordinator = (
            await session.execute(
                select(Member).where(Member.email == demo_email(tenant.slug, "coordinator"))
            )
        ).scalar_one_or_none()
    if scheme is None or coordinator is None:
        return 0  # no demo members here (not the embedded default's seed)
    zone = tenant_zone(tenant.jurisdiction)
    w = _World(db, tenant, now, zone, scheme, coordinator, today=now.date())
    if not await _find_pairs(w):
        return 0  # the demo pairs are not made yet
    steps = await _now_pairs(w)
    steps += await _replay(w)
    steps += await _reviews(w)
    steps += await _tasks(w)
    return steps


async def _find_pairs(w: _World) -> bool:
    """The demo pairs by their people, with their stories; False while the mid-way pair
    (`pairs.demo`) is not there."""
    keys = {k for pair in _STORIES for k in pair}
    emails = {demo_email(w.tenant.slug, k): k for k in keys}
    async with w.db.tenant(w.tid, read_only=True) as session:
        members = {
            emails[m.email]: m
            for m in (
                await session.execute(select(Member).where(Member.email.in_(list(emails))))
            ).scalars()
        }
        pairs = list(
            (
                await session.execute(
                    select(Pair).where(
                        Pair.mentor_id.in_([m.id for m in members.values()]),
                        Pair.mentee_id.in_([m.id for m in members.values()]),
                    )
                )
            ).scalars()
        )
    by_people = {(m.id): k for k, m in members.items()}
    pairs.sort(key=lambda p: p.created_at)
    for pair in pairs:
        story = _STORIES.get((by_people[pair.mentor_id], by_people[pair.mentee_id]))
        if story is None or story in w.stories.values():
            continue
        w.stories[pair.id] = story
        w.pairs[pair.id] = pair
    w.people = {m.id: m for m in members.values()}
    mid_way = next((p for p in w.pairs.values() if w.stories[p.id] == "mid_way"), None)
    if mid_way is None:
        return False
    w.today = w.local_day(mid_way.created_at)
    return True


# --- the pairs with an item open now -------------------------------------------------------


@dataclass(frozen=True)
class NowPair:
    """A pair to make so that an item is open today (`open`) and/or open past its due date
    (`overdue`): matched on `matched_on`, with one meeting held on `held_on` where the
    scheme's items follow each meeting."""

    matched_on: date
    held_on: date | None
    open: bool
    overdue: bool


def now_pairs(
    scheme: Scheme, cohort: Cohort, jurisdiction: str, zone: ZoneInfo, today: date
) -> list[NowPair]:
    """The pairs of `cohort` to make (at most two: one with an item open today, one with an
    item open past its due date, or one with both), each matched on the latest day that
    does it (not before ten days ahead of the cohort's start); without a meeting when that
    suffices, else with one held in the last fortnight. Empty when no match day gives
    either (a cohort scheme's calendar between its checkpoints)."""
    first = cohort.starts_on - timedelta(days=10)
    found: dict[str, NowPair] = {}
    candidates: list[tuple[date, date | None]] = [
        (today - timedelta(days=k), None) for k in range(1, (today - first).days + 1)
    ]
    if any(isinstance(c.when, AfterEachMeetingWhen) for c in scheme.checkpoints):
        matched = max(first, today - timedelta(days=28))
        candidates += [
            (matched, today - timedelta(days=k))
            for k in range(2, 15)
            if (today - timedelta(days=k)).weekday() < 5 and today - timedelta(days=k) > matched
        ]
    for matched, held in candidates:
        open_now, overdue = _states_today(scheme, cohort, jurisdiction, zone, today, matched, held)
        pair = NowPair(matched, held, open_now, overdue)
        if open_now and overdue and not found:
            return [pair]
        if open_now:
            found.setdefault("open", pair)
        if overdue:
            found.setdefault("overdue", pair)
        if len(found) == 2:
            break
    return list(found.values())


def _states_today(
    scheme: Scheme,
    cohort: Cohort,
    jurisdiction: str,
    zone: ZoneInfo,
    today: date,
    matched: date,
    held: date | None,
) -> tuple[bool, bool]:
    """Whether a pair matched on `matched` (a meeting held on `held`) has, today, an item
    open and not yet due, and one open past its due date (nothing sent in)."""
    facts = lifecycle.facts_of(Pair(matched_on=matched, extensions=[]), cohort, scheme)
    if held is not None:
        facts = msgspec.structs.replace(facts, meetings_held=(held,))
    some, one = uuid.UUID(int=1), uuid.UUID(int=2)
    try:
        specs = item_specs(scheme, facts, jurisdiction=jurisdiction, mentor_id=some, mentee_id=one)
    except FactsError:
        return False, False
    open_now = overdue = False
    for spec in specs:
        if spec.audience == "coordinator":
            continue
        steps = steps_for(
            opens_on=spec.opens_on,
            due_on=spec.due_on,
            closes_on=spec.closes_on,
            audience=spec.audience,
            reminders=scheme.reminders,
            zone=zone,
            jurisdiction=jurisdiction,
        )
        opened, missed = steps[0].on, steps[-1].on
        if opened < today and spec.due_on > today + timedelta(days=1):
            open_now = True
        if opened < today and spec.due_on < today and missed > today + timedelta(days=1):
            overdue = True
    return open_now, overdue


async def _now_pairs(w: _World) -> int:
    """The pairs of `now_pairs`, made once (found again by their people)."""
    if {"open_now", "overdue_now"} & set(w.stories.values()):
        return 0
    cohorts = await demo_past_cohorts(w.db, w.tenant)
    if not cohorts:
        return 0
    async with w.db.tenant(w.tid, read_only=True) as session:
        cohort = await session.get(Cohort, {"tenant_id": w.tid, "id": cohorts[-1]})
    assert cohort is not None
    steps = 0
    wanted = now_pairs(w.scheme, cohort, w.tenant.jurisdiction, w.zone, w.today)
    for (story, people), plan in zip(NOW_PEOPLE.items(), wanted, strict=False):
        steps += await _now_pair(w, cohort, story, people, plan)
    return steps


async def _now_pair(
    w: _World, cohort: Cohort, story: str, people: dict[str, tuple[str, str]], plan: NowPair
) -> int:
    steps = 0
    async with w.db.tenant(w.tid) as session:
        by_role: dict[str, Member] = {}
        for key, (name, role) in people.items():
            email = demo_email(w.tenant.slug, key)
            member = (
                await session.execute(select(Member).where(Member.email == email))
            ).scalar_one_or_none()
            if member is None:
                member = Member(
                    tenant_id=w.tid, id=uuid.uuid4(), email=email, display_name=name, roles=[role]
                )
                session.add(member)
                steps += 1
            if members_only(w.scheme) and member.membership_status is None:
                set_membership(session, member, "active", source="claim")
            by_role[role] = member
        await session.flush()
        [pair] = await lifecycle.create_pairs(
            session,
            [
                lifecycle.NewPair(
                    cohort.id, by_role["mentor"].id, by_role["mentee"].id, w.scheme.matching.flow
                )
            ],
            actor_id=w.coordinator.id,
            actor=w.coordinator.email,
            now=w.at(plan.matched_on, 11),
        )
    steps += 1
    if plan.held_on is not None:
        starts = w.at(plan.held_on, 14)
        await meetings.record_held(
            w.db,
            w.tid,
            by_role["mentee"].id,
            pair.id,
            None,
            held_minutes=90,
            record="Our first meeting: we agreed how we work together and set two goals.",
            held=meetings.NewTime(starts_at=starts, minutes=90, mode="video"),
            lock_version=pair.lock_version,
            now=starts + timedelta(hours=3),
        )
        steps += 1
    w.stories[pair.id] = story
    w.pairs[pair.id] = pair
    w.people.update({m.id: m for m in by_role.values()})
    return steps


# --- the clock over the pairs' history -------------------------------------------------------


async def _replay(w: _World) -> int:
    """The clock on every day something was due, from the earliest match to the story's
    today (see the module's docstring), the people acting between its passes."""
    steps = 0
    day = min(p.matched_on for p in w.pairs.values())
    while day < w.today:
        seen = await _pass(w, local_at(day, w.scheme.reminders.send_at, w.zone))
        steps += seen.steps + await _act(w, day, seen.waiting)
        answers = [d for d in (_answer_day(w, i) for i in seen.waiting) if d and d > day]
        day = max(day + timedelta(days=1), min([*answers, *seen.due], default=w.today))
    if w.local_day(w.now) == w.today:
        seen = await _pass(w, w.now)
        steps += seen.steps + await _act(w, w.today, seen.waiting)
    return steps


@dataclass(frozen=True)
class _Seen:
    """A pass's work (steps), the open items the people answer, and the days the clock
    has something due next (an item's next step, a quiet pair's check)."""

    steps: int
    waiting: list[CheckpointItem]
    due: list[date]


async def _pass(w: _World, now: datetime) -> _Seen:
    """The clock's work for the tenant at `now` (`checkpoints.clock.run_tenant`, in one
    transaction with what the demo reads next). Another clock holding the tenant (the
    embedded default's, beside the demo): tried again a moment later."""
    for _ in range(_SKIPPED_TRIES):
        async with w.db.tenant(w.tid) as session:
            result = await run_tenant(session, w.tenant, now=now)
            if not result.skipped:
                if not w.forgotten_known:
                    await _forgotten(w, session)
                item = (await session.execute(select(func.min(CheckpointItem.next_at)))).scalar()
                quiet = (await session.execute(select(func.min(Pair.quiet_next_at)))).scalar()
                return _Seen(
                    steps=sum(n for k, n in result.counts().items() if k != "mails"),
                    waiting=await _answerable(w, session),
                    due=[w.local_day(m) for m in (item, quiet) if m is not None],
                )
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the clock held tenant {w.tenant.slug} through {_SKIPPED_TRIES} tries")


async def _answerable(w: _World, session: AsyncSession) -> list[CheckpointItem]:
    """The open items of the pairs whose people answer (mid-way and completed), and their
    missed ones: a clock that ran over the pairs before the demo did (the embedded
    default's, at the present) leaves them missed, and they are still sent in on the day
    the story says (a missed item takes a late answer)."""
    ids = [pid for pid, story in w.stories.items() if story in ("mid_way", "completed")]
    return list(
        (
            await session.execute(
                select(CheckpointItem)
                .where(
                    CheckpointItem.pair_id.in_(ids),
                    CheckpointItem.state.in_(("open", "missed")),
                )
                .order_by(CheckpointItem.due_on, CheckpointItem.checkpoint, CheckpointItem.id)
            )
        ).scalars()
    )


def _answer_day(w: _World, item: CheckpointItem) -> date | None:
    """The day an open item is sent in, or None when nobody will (see the docstring)."""
    if item.audience == "coordinator" or item.id == w.forgotten:
        return None
    if w.scheme.checkpoint_form(item.checkpoint) is None or _done_in_space(w, item.checkpoint):
        return None
    story = w.stories[item.pair_id]
    if story == "mid_way" and item.due_on > w.today - timedelta(days=7):
        return None
    opened = w.local_day(item.opened_at) if item.opened_at is not None else item.opens_on
    return max(opened, item.due_on - timedelta(days=2))


def _done_in_space(w: _World, checkpoint: str) -> bool:
    return any(c.id == checkpoint and c.done_in for c in w.scheme.checkpoints)


async def _act(w: _World, day: date, waiting: list[CheckpointItem]) -> int:
    """The mid-way and completed pairs send in what they answer on `day` (at 17:30)."""
    steps = 0
    for item in waiting:
        on = _answer_day(w, item)
        if on is None or on > day or w.at(on, 17, 30) > w.now:
            continue
        await _answer(w, item, w.at(on, 17, 30))
        steps += 1
    return steps


async def _forgotten(w: _World, session: AsyncSession) -> None:
    """The completed pair's mentor's first form item of their own, left unanswered (when
    the pair has three form items or more)."""
    completed = next((pid for pid, s in w.stories.items() if s == "completed"), None)
    if completed is None:
        w.forgotten_known = True
        return
    items = list(
        (
            await session.execute(
                select(CheckpointItem)
                .where(CheckpointItem.pair_id == completed)
                .order_by(CheckpointItem.due_on, CheckpointItem.checkpoint, CheckpointItem.id)
            )
        ).scalars()
    )
    if not items:
        return  # not synced yet: a pass makes them
    w.forgotten_known = True
    with_form = [
        i
        for i in items
        if i.audience != "coordinator"
        and w.scheme.checkpoint_form(i.checkpoint) is not None
        and not _done_in_space(w, i.checkpoint)
    ]
    mentor = w.pairs[completed].mentor_id
    own = [i for i in with_form if i.member_id == mentor]
    if len(with_form) >= 3 and own:
        w.forgotten = own[0].id


async def _answer(w: _World, item: CheckpointItem, at: datetime) -> None:
    pair = w.pairs[item.pair_id]
    member = w.people[item.member_id or pair.mentee_id]
    form = w.scheme.checkpoint_form(item.checkpoint)
    assert form is not None
    story = w.stories[item.pair_id]
    answers = answers_for(
        w.scheme,
        form,
        seed=f"{w.tenant.slug}:{item.checkpoint}:{item.slot}:{member.email}",
        role="mentor" if member.id == pair.mentor_id else "mentee",
        share=story == "completed",
    )
    async with w.db.tenant(w.tid) as session:
        await save_answers(
            session,
            w.tenant,
            member,
            item.id,
            form_values(form, answers),
            lock_version=item.lock_version,
            submit=True,
            now=at,
        )


# --- the coordinator -------------------------------------------------------------------------

_REVIEW_NOTES = (
    "Thank you: read, nothing to follow up.",
    "Good to see steady progress. I will mention the networking event at the next catch-up.",
    "Read. Noted the point about finding time; I will share the guidance on short meetings.",
)


async def _reviews(w: _World) -> int:
    """Reviewed three days after coming in, at 10:00; the latest left for the newcomer
    when no other submission waits (see the module's docstring)."""
    async with w.db.tenant(w.tid, read_only=True) as session:
        submitted = list(
            (
                await session.execute(
                    select(CheckpointItem)
                    .where(
                        CheckpointItem.state == "submitted",
                        CheckpointItem.pair_id.in_(list(w.pairs)),
                    )
                    .order_by(CheckpointItem.submitted_at, CheckpointItem.id)
                )
            ).scalars()
        )
    due = [
        i
        for i in submitted
        if "coordinator" in (i.readers or [])
        and i.audience != "coordinator"
        and i.submitted_at is not None
        and w.local_day(i.submitted_at) + timedelta(days=3) < w.today
    ]
    if due and len(due) == len(submitted):
        due = due[:-1]
    steps = 0
    for n, item in enumerate(due):
        assert item.submitted_at is not None
        async with w.db.tenant(w.tid) as session:
            await review_item(
                session,
                w.tenant,
                w.coordinator,
                item.id,
                note=_REVIEW_NOTES[n % len(_REVIEW_NOTES)],
                lock_version=item.lock_version,
                now=w.at(w.local_day(item.submitted_at) + timedelta(days=3), 10),
            )
        steps += 1
    return steps


async def _tasks(w: _World) -> int:
    """The calls of the completed and mid-way pairs, done the day after they were due."""
    ids = [pid for pid, story in w.stories.items() if story in ("completed", "mid_way")]
    async with w.db.tenant(w.tid, read_only=True) as session:
        tasks = list(
            (
                await session.execute(
                    select(CoordinatorTask)
                    .where(
                        CoordinatorTask.state == "open",
                        CoordinatorTask.kind == "checkpoint",
                        CoordinatorTask.pair_id.in_(ids),
                        CoordinatorTask.due_on < w.today - timedelta(days=1),
                    )
                    .order_by(CoordinatorTask.due_on, CoordinatorTask.id)
                )
            ).scalars()
        )
    steps = 0
    for task in tasks:
        mentor = w.people[w.pairs[task.pair_id].mentor_id]
        async with w.db.tenant(w.tid) as session:
            await complete_task(
                session,
                w.tenant,
                w.coordinator,
                task.id,
                note=f"Called {mentor.display_name}: meeting regularly, goals on track, no "
                "concerns. Suggested the mentors' peer session.",
                lock_version=task.lock_version,
                now=w.at(task.due_on + timedelta(days=1), 15),
            )
        steps += 1
    return steps


# --- answers ---------------------------------------------------------------------------------

#: Long answers by what the question asks (words in its label), mentee's and mentor's.
_TEXTS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("unable", "not done", "didn't", "did not", "not yet", "could not", "couldn't"),
        "We planned to shadow a board meeting together, but it was postponed to the spring; "
        "we will try again then.",
        "The visit to the archive did not happen: the store was closed for works. It is "
        "back on the plan for next quarter.",
    ),
    (
        ("change about", "would you change", "improve", "suggest", "recommend", "would help"),
        "More chances to meet the other pairs, perhaps one networking event halfway through.",
        "A short guide for mentors on the first meeting would have helped; otherwise it ran "
        "smoothly.",
    ),
    (
        ("adjust",),
        "We moved every other meeting to video, since the journey took most of an afternoon, "
        "and swapped the reading list for a visit to a partner organisation.",
        "We moved every other meeting to video and agreed to keep the first Monday of the "
        "month free for it.",
    ),
    (
        ("progress", "summary", "update", "so far", "gone well", "notes from"),
        "We have met every month since we started. My goal of leading a project is on "
        "track: I am leading our spring project from planning to delivery.\n\n"
        "The meetings help me step back and plan instead of reacting. Next we will work on "
        "budgets and on preparing for a management interview.",
        "We meet monthly and keep to our agreement. My mentee sets the agenda and comes "
        "prepared; most of our time goes on their project and on handling pressure.\n\n"
        "I have suggested two contacts in the sector, and we will look at budgets next.",
    ),
    (
        ("challenge", "difficult", "issue", "problem", "raise", "troubleshoot", "concern"),
        "Finding time in busy months; we solved it by fixing the next date at each meeting.",
        "Only diary clashes; fixing two or three dates at a time solved it.",
    ),
    (
        ("match",),
        "We work in similar organisations and were honest with each other from the start.",
        "Similar backgrounds, and meeting in person first: we trusted each other quickly.",
    ),
    (
        ("goal", "hope", "different by", "want", "expect", "future", "forward", "next"),
        "To feel confident leading a small project from start to finish, and to know what "
        "my next career step is.",
        "To help my mentee find their own answers, and to get better at listening rather "
        "than advising.",
    ),
    (
        ("learn", "gain", "benefit", "valuable", "useful", "worked"),
        "Having someone outside my organisation to think out loud with. I am calmer about "
        "difficult conversations and I delegate more.",
        "Seeing the sector through a newer colleague's eyes, and practising asking questions "
        "instead of giving answers.",
    ),
    (
        ("agenda", "first meeting", "boundar", "expectation"),
        "We agreed to meet monthly for ninety minutes, keep what we say confidential, and "
        "let me set the agenda.",
        "Monthly, ninety minutes, confidential; my mentee sets the agenda and I follow up "
        "with contacts and reading.",
    ),
)
_DEFAULT_TEXT = (
    "It has been a good experience: regular meetings, honest conversations and clear next steps.",
    "Going well: we meet regularly and my mentee is making steady progress on their goals.",
)
_SHORT = ("Going well, thank you", "On track", "Monthly, by video and in person")
_POSITIVE = ("continue", "very well", "very satisfied", "very useful", "excellent", "agree", "yes")


def _pick(seed: str, salt: str, n: int) -> int:
    digest = hashlib.sha256(f"{seed}:{salt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % n


def _asked_earlier(scheme: Scheme, form: Form, question_id: str) -> bool:
    """Whether a checkpoint form before `form` asks the same question (a repeated one)."""
    for other in scheme.checkpoint_forms:
        if other.checkpoint == getattr(form, "checkpoint", None):
            return False
        if other.question(question_id) is not None:
            return True
    return False


def _text(q: Question, role: str, seed: str) -> str:
    label = f"{q.label} {q.help}".casefold()
    mentee, mentor = next(
        ((a, b) for words, a, b in _TEXTS if any(word in label for word in words)),
        _DEFAULT_TEXT,
    )
    chosen = mentor if role == "mentor" else mentee
    if q.kind == "text":
        chosen = _SHORT[_pick(seed, q.id, len(_SHORT))]
    return chosen[: q.limit]


def answers_for(scheme: Scheme, form: Form, *, seed: str, role: str, share: bool) -> dict[str, Any]:
    """Realistic answers to every question of `form` (see the module's docstring), as the
    form's answers (`schemes.forms.form_values` makes them posted fields again)."""
    out: dict[str, Any] = {}
    for q in form.questions:
        later = _asked_earlier(scheme, form, q.id)
        n = _pick(seed, q.id, 2)
        if q.kind in ("text", "long_text"):
            out[q.id] = _text(q, role, seed)
        elif q.kind == "single_choice" and q.options:
            options = [o.casefold() for o in q.options]
            best = next((i for word in _POSITIVE for i, o in enumerate(options) if word in o), None)
            out[q.id] = q.options[best if best is not None else _pick(seed, q.id, len(q.options))]
        elif q.kind == "multiple_choice" and q.options:
            k = max(q.min_choices or 1, min(2, q.max_choices or 2))
            out[q.id] = list(q.options[:k])
        elif q.kind == "number":
            out[q.id] = _number(q, n)
        elif q.kind == "rating":
            lo, hi = int(q.min if q.min is not None else 1), int(q.max if q.max is not None else 5)
            middling = _repeated(scheme, q.id) and not later
            out[q.id] = min(hi, (lo + hi) // 2 + n) if middling else max(lo, hi - n)
        elif q.kind == "likert" and q.options:
            top = len(q.options) - 1
            rows = []
            for r in range(len(q.rows)):
                lean = _pick(seed, f"{q.id}.{r}", 3)
                if _repeated(scheme, q.id) and not later:
                    rows.append(q.options[max(0, min(top, top // 2 + lean - 1))])
                else:
                    rows.append(q.options[max(0, top - lean // 2)])
            out[q.id] = rows
        elif q.kind == "yes_no":
            out[q.id] = share if q.permission else n == 0 or q.required
        elif q.kind == "consent" and (share or not q.permission):
            out[q.id] = True
    return out


def _number(q: Question, n: int) -> int:
    """A small whole number within the question's bounds: how many times a pair met (six
    or so), how many goals were met (two or three; one partly)."""
    label = q.label.casefold()
    if "partly" in label or "partially" in label:
        wanted = 1
    elif "times" in label or "meet" in label or "sessions" in label:
        wanted = 6 + n
    else:
        wanted = 2 + n
    lo = int(q.min) if q.min is not None else 0
    hi = int(q.max) if q.max is not None else max(lo, wanted)
    return max(lo, min(hi, wanted))


def _repeated(scheme: Scheme, question_id: str) -> bool:
    """Whether two or more checkpoint forms of the scheme ask this question."""
    return sum(1 for f in scheme.checkpoint_forms if f.question(question_id) is not None) >= 2
