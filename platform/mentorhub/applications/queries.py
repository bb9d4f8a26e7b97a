"""What the applications pages read: each reader is one short tenant transaction (read
only) and is scoped to who may read it (DESIGN.md, "Who reads what"):

* the applicant reads their own applications, with their answers;
* coordinators and tenant admins read every application of the tenant, with interview notes;
* anybody else (another member, another tenant's id, a malformed id) gets NotFound, the
  same "No such application." as an id that does not exist.

The coordinator's queue pages through one cohort's applications (optionally one role, one
state, a search) in created order through the `applications_queue` indexes, a page of keys
first and then only that page's rows (core/paging.py), so 3,000 applications in a cohort
cost a page, not the cohort.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Text, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mentorhub.applications.eligibility import requirements, waiting_words
from mentorhub.applications.models import (
    Application,
    BoardRatification,
    Cohort,
    Interview,
    PartnerOrganisation,
    RecruitmentWindow,
    TrainingRecord,
)
from mentorhub.applications.services import STAFF, scheme_of, window_words
from mentorhub.applications.states import State, allowed_actions, state_label, states_used
from mentorhub.core.paging import PAGE_SIZE, Page, search_term, window
from mentorhub.db import Database
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.identity.models import Member
from mentorhub.schemes import forms
from mentorhub.schemes.forms import Form, Question

__all__ = [
    "ApplicationDetail",
    "ApplicationSummary",
    "CohortInfo",
    "QueueRow",
    "WindowInfo",
    "application",
    "cohorts",
    "export_csv",
    "export_rows",
    "my_applications",
    "partner_organisations",
    "queue",
    "windows_for_role",
]


async def _viewer(session: AsyncSession, viewer_id: uuid.UUID | str) -> Member:
    return await get_in_tenant(session, Member, viewer_id, what="member")


def _is_staff(member: Member) -> bool:
    return bool(STAFF & set(member.roles))


async def _staff(session: AsyncSession, viewer_id: uuid.UUID | str) -> Member:
    viewer = await _viewer(session, viewer_id)
    if not _is_staff(viewer):
        raise NotFound("application")
    return viewer


# --- cohorts and windows -------------------------------------------------------------------


@dataclass(frozen=True)
class WindowInfo:
    id: uuid.UUID
    cohort_id: uuid.UUID
    cohort_name: str
    role: str
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    open: bool
    #: None while open; else "Applications from mentees open on 3 March 2027." (or closed on)
    words: str | None


@dataclass(frozen=True)
class CohortInfo:
    id: uuid.UUID
    name: str
    starts_on: date
    ends_on: date
    scheme_version: int
    windows: list[WindowInfo]


def _window_info(w: RecruitmentWindow, cohort: Cohort, now: datetime) -> WindowInfo:
    return WindowInfo(
        w.id,
        cohort.id,
        cohort.name,
        w.role,
        w.opens_at,
        w.closes_at,
        w.closed_at,
        w.is_open(now),
        window_words(w, w.role, now),
    )


async def cohorts(
    db: Database, tenant_id: uuid.UUID, *, now: datetime | None = None
) -> list[CohortInfo]:
    """The tenant's cohorts, newest first, each with its windows."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id, read_only=True) as session:
        # One statement: each cohort with its windows (none: one row with no window).
        rows = await session.execute(
            select(Cohort, RecruitmentWindow)
            .outerjoin(
                RecruitmentWindow,
                and_(
                    RecruitmentWindow.tenant_id == Cohort.tenant_id,
                    RecruitmentWindow.cohort_id == Cohort.id,
                ),
            )
            .order_by(Cohort.starts_on.desc(), Cohort.id, RecruitmentWindow.opens_at)
        )
        found: dict[uuid.UUID, tuple[Cohort, list[RecruitmentWindow]]] = {}
        for c, w in rows.all():
            windows = found.setdefault(c.id, (c, []))[1]
            if w is not None:
                windows.append(w)
        return [
            CohortInfo(
                c.id,
                c.name,
                c.starts_on,
                c.ends_on,
                c.scheme_version,
                [_window_info(w, c, now) for w in windows],
            )
            for c, windows in found.values()
        ]


async def windows_for_role(
    db: Database, tenant_id: uuid.UUID, role: str, *, now: datetime | None = None
) -> list[WindowInfo]:
    """`role`'s windows that are open now or open later, soonest first (for "Apply" and
    "opens on …"); an empty list: no window is planned."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id) as session:
        rows = await session.execute(
            select(RecruitmentWindow, Cohort)
            .join(Cohort, Cohort.id == RecruitmentWindow.cohort_id)
            .where(
                RecruitmentWindow.role == role,
                RecruitmentWindow.closes_at > now,
                RecruitmentWindow.closed_at.is_(None),
            )
            .order_by(RecruitmentWindow.opens_at)
        )
        return [_window_info(w, c, now) for w, c in rows.all()]


# --- the applicant's -----------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationSummary:
    id: uuid.UUID
    cohort_id: uuid.UUID
    cohort_name: str
    role: str
    state: str
    state_label: str
    created_at: datetime
    submitted_at: datetime | None
    lock_version: int


async def my_applications(
    db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID | str
) -> list[ApplicationSummary]:
    """The member's applications, newest first (withdrawn ones too)."""
    member_id = uuid.UUID(str(member_id))
    async with db.tenant(tenant_id) as session:
        rows = await session.execute(
            select(Application, Cohort.name)
            .join(Cohort, Cohort.id == Application.cohort_id)
            .where(Application.member_id == member_id)
            .order_by(Application.created_at.desc(), Application.id)
        )
        return [
            ApplicationSummary(
                a.id,
                a.cohort_id,
                name,
                a.role,
                a.state,
                state_label(a.state),
                a.created_at,
                a.submitted_at,
                a.lock_version,
            )
            for a, name in rows.all()
        ]


@dataclass(frozen=True)
class InterviewInfo:
    scheduled_at: datetime
    format: str
    held_at: datetime | None
    #: None for the applicant: interview notes are for coordinators and tenant admins only.
    notes: str | None


@dataclass(frozen=True)
class ApplicationDetail:
    id: uuid.UUID
    cohort_id: uuid.UUID
    cohort_name: str
    member_id: uuid.UUID
    applicant_name: str
    applicant_email: str
    role: str
    state: str
    state_label: str
    answers: dict[str, Any]
    #: The form's questions with the answers, in form order (label, shown value).
    answered: list[tuple[Question, Any]]
    form: Form | None
    #: Plain words of what is outstanding (awaiting approval).
    waiting_for: list[str]
    ineligible_rule: str | None
    ineligible_reason: str | None
    waitlist_rank: int | None
    priority_next_intake: bool
    feedback: str | None
    feedback_sent_at: datetime | None
    flagged_at: datetime | None
    flag_reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    lock_version: int
    interview: InterviewInfo | None
    #: What the viewer may do next: the applicant's own (save_draft, submit, withdraw) or
    #: the coordinator's; the pages show only these buttons.
    actions: list[str]
    viewer_is_staff: bool
    #: Who may apply, in plain words (shown with a draft).
    requirements: list[str] = field(default_factory=list)


_APPLICANT_ACTIONS = frozenset({"save_draft", "submit", "withdraw"})


async def application(
    db: Database, tenant_id: uuid.UUID, viewer_id: uuid.UUID | str, application_id: uuid.UUID | str
) -> ApplicationDetail:
    """One application as `viewer_id` may read it: its applicant (no interview notes), or a
    coordinator or tenant admin (everything). Anyone else: NotFound."""
    async with db.tenant(tenant_id) as session:
        viewer = await _viewer(session, viewer_id)
        app = await get_in_tenant(session, Application, application_id, what="application")
        staff = _is_staff(viewer)
        if app.member_id != viewer.id and not staff:
            raise NotFound("application")
        cohort = await get_in_tenant(session, Cohort, app.cohort_id, what="cohort")
        applicant = await get_in_tenant(session, Member, app.member_id, what="member")
        scheme = await scheme_of(session, cohort.scheme_version)
        form = forms.form_for(scheme, app.role)
        interview_row = (
            await session.execute(select(Interview).where(Interview.application_id == app.id))
        ).scalar_one_or_none()
        interview = (
            InterviewInfo(
                interview_row.scheduled_at,
                interview_row.format,
                interview_row.held_at,
                interview_row.notes if staff else None,
            )
            if interview_row is not None
            else None
        )
        possible = sorted(str(a) for a in allowed_actions(scheme.application, app.role, app.state))
        own = app.member_id == viewer.id
        actions = [
            a
            for a in possible
            if (own and a in _APPLICANT_ACTIONS) or (staff and a not in _APPLICANT_ACTIONS)
        ]
        if "evaluate" in actions:
            actions.remove("evaluate")  # the product's own step, never a button
        if (
            staff
            and app.state in (State.UNSUCCESSFUL, State.WAITLISTED)
            and not app.priority_next_intake
        ):
            actions.append("offer_priority_next_intake")
        answered = (
            [(q, app.answers[q.id]) for q in form.questions if q.id in app.answers] if form else []
        )
        return ApplicationDetail(
            id=app.id,
            cohort_id=cohort.id,
            cohort_name=cohort.name,
            member_id=applicant.id,
            applicant_name=applicant.display_name,
            applicant_email=applicant.email,
            role=app.role,
            state=app.state,
            state_label=state_label(app.state),
            answers=dict(app.answers),
            answered=answered,
            form=form,
            waiting_for=[waiting_words(w) for w in app.waiting_for],
            ineligible_rule=app.ineligible_rule,
            ineligible_reason=app.ineligible_reason,
            waitlist_rank=app.waitlist_rank,
            priority_next_intake=app.priority_next_intake,
            feedback=app.feedback,
            feedback_sent_at=app.feedback_sent_at,
            flagged_at=app.flagged_at if staff else None,
            flag_reason=app.flag_reason if staff else None,
            created_at=app.created_at,
            submitted_at=app.submitted_at,
            decided_at=app.decided_at,
            lock_version=app.lock_version,
            interview=interview,
            actions=actions,
            viewer_is_staff=staff,
            requirements=requirements(scheme, app.role) if app.state == State.DRAFT else [],
        )


# --- the coordinator's queue ---------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    id: uuid.UUID
    member_id: uuid.UUID
    applicant_name: str
    applicant_email: str
    role: str
    state: str
    state_label: str
    waiting_for: list[str]
    ineligible_rule: str | None
    waitlist_rank: int | None
    flagged: bool
    created_at: datetime
    submitted_at: datetime | None
    lock_version: int


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: What the search looks in (migration 0015): the applicant's name, e-mail and member
#: number and the values of their answers, lower case, kept by PostgreSQL.
HAYSTACK = literal_column("applications.search_haystack", Text)


def conditions(
    cohort_id: uuid.UUID,
    role: str | None,
    state: str | None,
    search: str,
    *,
    with_state: bool = True,
) -> list[Any]:
    """The queue's filters: the cohort, the role, the state (none chosen: every state but
    draft; `with_state=False`: every state, for the counts) and each word of `search` in
    the application's `search_haystack`."""
    where: list[Any] = [Application.cohort_id == cohort_id]
    if role:
        where.append(Application.role == role)
    if with_state and state:
        where.append(Application.state == state)
    elif with_state:
        # Drafts are the applicant's own business until submitted.
        where.append(Application.state != State.DRAFT)
    for word in search.lower().split():
        where.append(HAYSTACK.like(f"%{_escape_like(word)}%", escape="\\"))
    return where


def _clean_filters(role: str | None, state: str | None) -> tuple[str | None, str | None]:
    if role not in ("mentor", "mentee"):
        role = None
    if state not in {str(s) for s in State}:
        state = None
    return role, state


async def queue_page(
    session: AsyncSession,
    viewer_id: uuid.UUID | str,
    cohort_id: uuid.UUID,
    *,
    role: str | None = None,
    state: str | None = None,
    search: str | None = None,
    number: int = 1,
    size: int = PAGE_SIZE,
) -> tuple[Page[QueueRow], dict[str, int]]:
    """The queue page's reads in the caller's session (the request's one read transaction):
    the viewer checked (staff), the counts per state of the filtered cohort (the chosen
    state aside: the total is read from them), then one page of rows.

    Three statements. The page is one statement that picks the page's keys first (a
    MATERIALIZED CTE: the cohort's range of the `applications_queue*` indexes, the page's
    offset and limit) and then joins those keys to applications and members on their
    primary keys (tenant_id, id): a nested loop of at most `size` index lookups whatever
    the planner believes about the cohort (freshly inserted rows have no statistics)."""
    search = search_term(search)
    role, state = _clean_filters(role, state)
    await _staff(session, viewer_id)
    counted = await session.execute(
        select(Application.state, func.count())
        .where(*conditions(cohort_id, role, state, search, with_state=False))
        .group_by(Application.state)
    )
    counts = {s: int(n) for s, n in counted.all()}
    # the chosen state's count, or every state's but draft (none chosen)
    total = counts.get(state, 0) if state else sum(n for s, n in counts.items() if s != "draft")
    number = min(max(1, number), max(1, -(-total // size)))
    if total == 0:
        return Page(rows=[], number=1, size=size, total=0), counts
    at = window(total, number, size)
    order = (Application.created_at, Application.id)
    walk = (Application.created_at.desc(), Application.id.desc()) if at.backwards else order
    keys = (
        select(Application.tenant_id, Application.id)
        .where(*conditions(cohort_id, role, state, search))
        .order_by(*walk)
        .offset(at.offset)
        .limit(at.limit)
        .cte("page_keys")
        .prefix_with("MATERIALIZED")
    )
    a = aliased(Application, name="a")
    rows = await session.execute(
        select(
            a.id,
            a.member_id,
            Member.display_name,
            Member.email,
            a.role,
            a.state,
            a.waiting_for,
            a.ineligible_rule,
            a.waitlist_rank,
            a.flagged_at,
            a.created_at,
            a.submitted_at,
            a.lock_version,
        )
        .select_from(keys)
        .join(a, and_(a.tenant_id == keys.c.tenant_id, a.id == keys.c.id))
        .join(Member, and_(Member.tenant_id == a.tenant_id, Member.id == a.member_id))
        .order_by(a.created_at, a.id)
    )
    page = Page(
        rows=[
            QueueRow(
                r.id,
                r.member_id,
                r.display_name,
                r.email,
                r.role,
                r.state,
                state_label(r.state),
                [waiting_words(w) for w in r.waiting_for],
                r.ineligible_rule,
                r.waitlist_rank,
                r.flagged_at is not None,
                r.created_at,
                r.submitted_at,
                r.lock_version,
            )
            for r in rows.all()
        ],
        number=number,
        size=size,
        total=total,
    )
    return page, counts


async def queue(
    db: Database,
    tenant_id: uuid.UUID,
    viewer_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    *,
    role: str | None = None,
    state: str | None = None,
    search: str | None = None,
    number: int = 1,
    size: int = PAGE_SIZE,
) -> Page[QueueRow]:
    """One page of a cohort's applications for coordinators and tenant admins, oldest
    first, filtered by role and state (no state: every submitted one, drafts left out) and
    by the words of `search` in the applicant's name, e-mail, member number or answers
    (`queue_page` in a transaction of its own; a cohort that is not the tenant's: NotFound)."""
    async with db.tenant(tenant_id, read_only=True) as session:
        cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
        page, _counts = await queue_page(
            session,
            viewer_id,
            cohort.id,
            role=role,
            state=state,
            search=search,
            number=number,
            size=size,
        )
        return page


async def queue_states(db: Database, tenant_id: uuid.UUID, cohort_id: uuid.UUID | str) -> list[str]:
    """The states a cohort's scheme uses, in journey order (the queue's state filter)."""
    async with db.tenant(tenant_id) as session:
        cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
        scheme = await scheme_of(session, cohort.scheme_version)
        return [str(s) for s in states_used(scheme.application) if s != State.DRAFT]


# --- export --------------------------------------------------------------------------------


EXPORT_COLUMNS = (
    "application_id",
    "name",
    "email",
    "member_number",
    "role",
    "state",
    "waiting_for",
    "ineligible_rule",
    "waitlist_rank",
    "priority_next_intake",
    "submitted_at",
    "decided_at",
)


async def export_rows(
    db: Database,
    tenant_id: uuid.UUID,
    viewer_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    *,
    role: str | None = None,
    state: str | None = None,
) -> list[list[str]]:
    """A cohort's applications as rows for a spreadsheet (the header first), then each
    question's answer in form order under its id. Staff only."""
    async with db.tenant(tenant_id) as session:
        await _staff(session, viewer_id)
        cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
        scheme = await scheme_of(session, cohort.scheme_version)
        where = conditions(cohort.id, role or None, state or None, "")
        questions: list[str] = []
        for r in ("mentor", "mentee"):
            form = forms.form_for(scheme, r)
            if form is not None and (not role or role == r):
                questions += [q.id for q in form.questions if q.id not in questions]
        rows = await session.execute(
            select(Application, Member.display_name, Member.email, Member.member_number)
            .join(
                Member,
                and_(Member.tenant_id == Application.tenant_id, Member.id == Application.member_id),
            )
            .where(*where)
            .order_by(Application.created_at, Application.id)
        )
        out = [[*EXPORT_COLUMNS, *questions]]
        for a, name, email, number in rows.all():
            out.append(
                [
                    str(a.id),
                    _cell(name),
                    _cell(email),
                    _cell(number),
                    a.role,
                    a.state,
                    " ".join(a.waiting_for),
                    a.ineligible_rule or "",
                    str(a.waitlist_rank or ""),
                    "yes" if a.priority_next_intake else "",
                    a.submitted_at.isoformat() if a.submitted_at else "",
                    a.decided_at.isoformat() if a.decided_at else "",
                    *(_cell(a.answers.get(q)) for q in questions),
                ]
            )
        return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("text") or value.get("label") or "")
    text = str(value)
    # A spreadsheet must not run an applicant's answer as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(rows: list[list[str]]) -> Iterator[str]:
    """The rows as CSV text, a line at a time (for a streamed download)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


# --- facts the coordinator and admin pages list ------------------------------------------


async def partner_organisations(db: Database, tenant_id: uuid.UUID) -> list[tuple[str, bool]]:
    """The tenant's partner organisations (name, active), by name."""
    async with db.tenant(tenant_id) as session:
        rows = await session.execute(
            select(PartnerOrganisation.name, PartnerOrganisation.active).order_by(
                func.lower(PartnerOrganisation.name)
            )
        )
        return [(n, a) for n, a in rows.all()]


@dataclass(frozen=True)
class MemberRecords:
    trainings: list[tuple[str, date, str]]  # kind, completed_on, source
    ratifications: list[tuple[date, str | None]]  # ratified_on, note
    roster_ratified_on: date | None


async def member_records(
    db: Database, tenant_id: uuid.UUID, viewer_id: uuid.UUID | str, member_id: uuid.UUID | str
) -> MemberRecords:
    """A member's training records and board ratifications (staff only)."""
    async with db.tenant(tenant_id) as session:
        await _staff(session, viewer_id)
        member = await get_in_tenant(session, Member, member_id, what="member")
        trainings = await session.execute(
            select(TrainingRecord.kind, TrainingRecord.completed_on, TrainingRecord.source)
            .where(TrainingRecord.member_id == member.id)
            .order_by(TrainingRecord.completed_on.desc())
        )
        ratifications = await session.execute(
            select(BoardRatification.ratified_on, BoardRatification.note)
            .where(BoardRatification.member_id == member.id)
            .order_by(BoardRatification.ratified_on.desc())
        )
        return MemberRecords(
            [(k, d, s) for k, d, s in trainings.all()],
            [(d, n) for d, n in ratifications.all()],
            member.ratified_on,
        )
