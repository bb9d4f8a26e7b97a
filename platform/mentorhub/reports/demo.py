"""A living evaluation report for the embedded default's demo (issue 17): in the Museums
Association's tenant, a completed cohort of fourteen pairs — "Mentoring for All
(evaluated)" — with its applications, held meetings, goals in every status, and the baseline
questionnaire, the mid-point supervision form and both final surveys answered, so the
coordinator's report (`/coordinator/reports/<cohort>`) shows figures, charts, the change
from baseline to final and, where the scheme's forms ask a permission to share, quotes.
Never used in production (the embedded default runs `seed_demo_report` after the other
demo steps, in `applications.demo.fill_demo_applications`).

How: the cohort through `applications.services.create_cohort` (audited) and the pairs
through the one pair-making action `pairs.services.create_pairs` (their match mails go to
the catcher, dated at the match); then, in ONE transaction, what happened during the six
months of a cohort that ended before today — as rows: the people, their accepted (and
unsuccessful) applications, the pairs ended (thirteen completed, one ended early), their
meetings held, their goals, and the checkpoint items sent in with answers made by
`checkpoints.demo.answers_for` (the same realistic answers as the other demo pairs: a
question asked again later is answered higher the second time). Decision where the brief
is silent: rows, not each step's action, because the actions would mail every step of a
relationship that ended months ago to the catcher (hundreds of mails nobody would read)
and would hold the embedded start for minutes; the pairs' items are written as sent in and
the pairs are not stale, so the clock never reopens them.

Idempotent: the cohort is found by its name; once it has pairs nothing more is done (the
transaction that writes them writes everything else too).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update

from mentorhub.applications import services as applications
from mentorhub.applications.models import Application, Cohort
from mentorhub.checkpoints.demo import answers_for
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db import Database
from mentorhub.demo import demo_email
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import NewPair, create_pairs
from mentorhub.pairs.space_models import Goal, Meeting
from mentorhub.schemes.forms import Form, Question
from mentorhub.schemes.rules import Scheme
from mentorhub.schemes.services import current_scheme
from mentorhub.tenancy.models import Tenant

__all__ = ["COHORT_NAME", "PAIRS", "SLUG", "seed_demo_report"]

log = logging.getLogger("mentorhub.reports.demo")

SLUG = "museums-association"
COHORT_NAME = "Mentoring for All (evaluated)"
PAIRS = 14
UNSUCCESSFUL = 9
MENTORS = (
    "Aisha Rahman", "Ben Carter", "Chloe Evans", "Daniel Okafor", "Ella Morgan", "Finn Gallagher",
    "Grace Liu", "Harriet Shaw", "Imran Qureshi", "Julia Novak", "Kwame Mensah", "Laura Price",
    "Marcus Bell", "Nina Petrova",
)  # fmt: skip
MENTEES = (
    "Olivia Hart", "Priya Nair", "Quentin Ross", "Rachel Adams", "Samuel Brooks", "Tara Quinn",
    "Usha Patel", "Victor Lane", "Wendy Clarke", "Xavier Dunn", "Yasmin Ali", "Zoe Turner",
    "Adam Fox", "Bella Stone",
)  # fmt: skip
GOALS = (
    "Build confidence presenting to senior staff",
    "Map a route into a collections role",
    "Grow a network across regional museums",
    "Lead a small project from start to finish",
)
#: Per pair: meetings held (4.5 on average, as in MA's own report) and their minutes.
HELD = (5, 4, 6, 5, 4, 5, 3, 5, 4, 6, 5, 4, 5, 2)
#: Goal statuses in turn (most achieved or partly; a few still going or dropped).
STATUSES = ("achieved", "partly", "achieved", "achieved", "partly", "in_progress", "achieved",
            "partly", "dropped", "achieved")  # fmt: skip


def _pick(seed: str, n: int) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") % n


def _application_answers(form: Form | None, seed: str) -> dict[str, Any]:
    """Plausible answers to the application form's choice questions (no exclusion declared;
    text questions a short sentence)."""
    out: dict[str, Any] = {}
    for q in form.questions if form is not None else ():
        out.update(_application_answer(q, seed))
    return out


def _application_answer(q: Question, seed: str) -> dict[str, Any]:
    n = _pick(f"{seed}:{q.id}", 100)
    if q.kind == "single_choice" and q.options:
        # the first option most often (MA: "predominantly paid employees")
        k = 0 if n < 60 else 1 + n % max(1, len(q.options) - 1)
        return {q.id: q.options[min(k, len(q.options) - 1)]}
    if q.kind == "multiple_choice" and q.options:
        k = max(q.min_choices or 1, min(q.max_choices or 2, 1 + n % 2))
        start = n % len(q.options)
        return {q.id: [q.options[(start + i) % len(q.options)] for i in range(k)]}
    if q.kind == "yes_no":
        return {q.id: False if q.excludes else n < 40}
    if q.kind in ("text", "long_text"):
        return {q.id: "Keen to develop and to help others develop."[: q.limit]}
    return {}


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def seed_demo_report(
    db: Database, tenants: Sequence[Tenant], *, now: datetime | None = None
) -> int:
    """The Museums Association's evaluated cohort (see the module); returns how many steps
    were taken (0 when it is there already, or without the MA tenant's demo staff)."""
    now = now or datetime.now(UTC)
    made = 0
    for tenant in tenants:
        if tenant.slug == SLUG:
            made += await _seed(db, tenant, now.date())
    return made


async def _seed(db: Database, tenant: Tenant, today: date) -> int:
    tid = tenant.id
    emails = [demo_email(tenant.slug, "coordinator"), demo_email(tenant.slug, "admin")]
    async with db.tenant(tid) as session:
        staff = {
            m.email: m
            for m in (
                await session.execute(select(Member).where(Member.email.in_(emails)))
            ).scalars()
        }
        scheme = await current_scheme(session)
        cohort = (
            await session.execute(select(Cohort).where(Cohort.name == COHORT_NAME))
        ).scalar_one_or_none()
        paired = 0
        if cohort is not None:
            paired = int(
                (
                    await session.execute(
                        select(func.count()).select_from(Pair).where(Pair.cohort_id == cohort.id)
                    )
                ).scalar_one()
            )
    coordinator = staff.get(emails[0])
    if coordinator is None or emails[1] not in staff or scheme is None or paired:
        return 0
    steps = 0
    starts = date(today.year - 1, today.month, 1) - timedelta(days=240)
    ends = starts + timedelta(days=183)
    if cohort is None:
        # made by the coordinator: the demo's other steps find *their* cohorts as the ones
        # the demo tenant admin made (pairs.demo.demo_past_cohorts)
        cohort = await applications.create_cohort(
            db, tid, coordinator.id, name=COHORT_NAME, starts_on=starts, ends_on=ends
        )
        steps += 1
    async with db.tenant(tid) as session:
        steps += await _fill(session, tenant, scheme, cohort, coordinator)
    log.info("the evaluated demo cohort %r was made: %d pairs", COHORT_NAME, PAIRS)
    return steps


def _member(tenant: Tenant, key: str, name: str, role: str) -> Member:
    return Member(
        tenant_id=tenant.id,
        id=uuid.uuid4(),
        email=demo_email(tenant.slug, key),
        display_name=name,
        roles=[role],
        membership_status="active",
        membership_source="roster",
    )


async def _fill(
    session: Any, tenant: Tenant, scheme: Scheme, cohort: Cohort, coordinator: Member
) -> int:
    tid = tenant.id
    starts, ends = cohort.starts_on, cohort.ends_on
    people: dict[str, Member] = {}
    wanted = [
        *((f"report-mentor-{i + 1}", n, "mentor") for i, n in enumerate(MENTORS)),
        *((f"report-mentee-{i + 1}", n, "mentee") for i, n in enumerate(MENTEES)),
        *(
            (f"report-applicant-{i + 1}", f"Applicant {i + 1}", "mentee")
            for i in range(UNSUCCESSFUL)
        ),
    ]
    found = {
        m.email: m
        for m in (
            await session.execute(
                select(Member).where(
                    Member.email.in_([demo_email(tenant.slug, k) for k, _, _ in wanted])
                )
            )
        ).scalars()
    }
    for key, name, role in wanted:
        member = found.get(demo_email(tenant.slug, key))
        if member is None:
            member = _member(tenant, key, name, role)
            session.add(member)
        people[key] = member
    await session.flush()
    decided = _at(starts - timedelta(days=21))
    apps: dict[str, Application] = {}
    for key, _, role in wanted:
        form = scheme.forms.mentor if role == "mentor" else scheme.forms.mentee
        accepted = not key.startswith("report-applicant")
        apps[key] = Application(
            tenant_id=tid,
            id=uuid.uuid4(),
            cohort_id=cohort.id,
            member_id=people[key].id,
            role=role,
            state="accepted" if accepted else "unsuccessful",
            answers=_application_answers(form, key),
            submitted_at=decided - timedelta(days=30),
            decided_at=decided,
            search_text=people[key].display_name.lower(),
        )
        session.add(apps[key])
    await session.flush()
    pairs = await create_pairs(
        session,
        [
            NewPair(
                cohort.id,
                people[f"report-mentor-{i + 1}"].id,
                people[f"report-mentee-{i + 1}"].id,
                "coordinator",
                mentor_application_id=apps[f"report-mentor-{i + 1}"].id,
                mentee_application_id=apps[f"report-mentee-{i + 1}"].id,
            )
            for i in range(PAIRS)
        ],
        actor_id=coordinator.id,
        now=_at(starts),
    )
    order = {people[f"report-mentor-{i + 1}"].id: i for i in range(PAIRS)}
    pairs.sort(key=lambda p: order[p.mentor_id])
    ids = [p.id for p in pairs]
    await session.execute(
        update(Pair)
        .where(Pair.id.in_(ids[:-1]))
        .values(matched_on=starts, state="ended", end_kind="completed", ended_at=_at(ends),
                items_stale=False, quiet_next_at=None)
    )  # fmt: skip
    await session.execute(
        update(Pair)
        .where(Pair.id == ids[-1])
        .values(matched_on=starts, state="ended", end_kind="ended_early",
                ended_at=_at(starts + timedelta(days=70)), end_reason="Moved abroad for work",
                items_stale=False, quiet_next_at=None)
    )  # fmt: skip
    steps = len(wanted) + PAIRS
    for i, pair in enumerate(pairs):
        mentee = people[f"report-mentee-{i + 1}"]
        mentor = people[f"report-mentor-{i + 1}"]
        for k in range(HELD[i]):
            minutes = (90, 120, 150)[_pick(f"{i}:{k}", 3)]
            session.add(
                Meeting(
                    tenant_id=tid,
                    id=uuid.uuid4(),
                    pair_id=pair.id,
                    starts_at=_at(starts + timedelta(days=14 + 36 * k), 14),
                    minutes=minutes,
                    mode=("in_person", "video", "phone")[k % 3],
                    state="held",
                    proposed_by=mentee.id,
                    answered_by=mentor.id,
                    held_minutes=minutes,
                    recorded_by=mentee.id,
                    recorded_at=_at(starts + timedelta(days=15 + 36 * k)),
                )
            )
            steps += 1
        for g in range(2 + i % 3):
            session.add(
                Goal(
                    tenant_id=tid,
                    id=uuid.uuid4(),
                    pair_id=pair.id,
                    title=GOALS[g],
                    status=STATUSES[(i * 3 + g) % len(STATUSES)],
                    position=g,
                    created_by=mentee.id,
                )
            )
            steps += 1
        steps += _items(
            session, tenant, scheme, pair, (mentor, mentee, coordinator), i == PAIRS - 1
        )
    return steps


def _items(
    session: Any,
    tenant: Tenant,
    scheme: Scheme,
    pair: Pair,
    people: tuple[Member, Member, Member],
    ended_early: bool,
) -> int:
    """The pair's checkpoint forms sent in and reviewed (after an early end, nothing due
    at the midpoint or the end)."""
    mentor, mentee, coordinator = people
    starts = pair.matched_on
    made = 0
    for checkpoint in scheme.checkpoints:
        form = scheme.checkpoint_form(checkpoint.id)
        if form is None or checkpoint.done_in or checkpoint.audience == "coordinator":
            continue
        when = checkpoint.when.kind if hasattr(checkpoint.when, "kind") else ""
        if ended_early and when in ("end", "midpoint"):
            continue
        due = {"end": starts + timedelta(days=183), "midpoint": starts + timedelta(days=91)}.get(
            when, starts + timedelta(days=14)
        )
        who = {
            "mentor": [mentor],
            "mentee": [mentee],
            "each": [mentor, mentee],
            "pair": [mentee],
        }.get(checkpoint.audience, [])
        for person in who:
            role = "mentor" if person.id == mentor.id else "mentee"
            seed = f"report:{checkpoint.id}:{person.email}"
            share = _pick(seed, 3) == 0
            answers = answers_for(scheme, form, seed=seed, role=role, share=share)
            sent = _at(due - timedelta(days=2), 18)
            session.add(
                CheckpointItem(
                    tenant_id=tenant.id,
                    id=uuid.uuid4(),
                    pair_id=pair.id,
                    member_id=None if checkpoint.audience == "pair" else person.id,
                    checkpoint=checkpoint.id,
                    slot="",
                    scheme_version=pair.scheme_version,
                    kind=checkpoint.kind,
                    title=checkpoint.title,
                    audience=checkpoint.audience,
                    readers=list(checkpoint.readers),
                    due_on=due,
                    opens_on=due - timedelta(days=checkpoint.window_days_before or 0),
                    closes_on=due + timedelta(days=checkpoint.window_days_after or 0),
                    state="reviewed",
                    step=9,
                    opened_at=_at(due - timedelta(days=14), 9),
                    submitted_at=sent,
                    submitted_by=person.id,
                    answers=answers,
                    # as the submission action sets it: the form's permission question
                    share_permission=any(
                        q.permission and answers.get(q.id) is True for q in form.questions
                    ),
                    reviewed_at=sent + timedelta(days=3),
                    reviewed_by=coordinator.id,
                )
            )
            made += 1
    return made
