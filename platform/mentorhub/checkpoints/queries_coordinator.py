"""What the coordinator's checkpoint pages read: the items readable by the coordinator (a
list filtered, searched, sorted by due date and paged, with counts per state), one item
with its answers in words, and the coordinator's tasks.

Who reads what is decided in the WHERE clause: an item's answers reach the coordinator
only when its readers name the coordinator (`'coordinator' = ANY(readers)`), and never the
items of a pair the coordinator is in (they read their own pair as the party they are, as in
`pairs.access`). Every read runs in a tenant session (the ORM adds the tenant to each
table; row-level security holds too).

One item's answers are put in words by the member pages' `checkpoints.queries.shown_answers`
(a rating "4 out of 5 (1: …; 5: …)", a Likert grid statement by statement), so the
coordinator reads them exactly as the pair does.

The list is built for a 3,000-pair cohort (some 30,000 items): a page is one statement (the
items joined to their pair and to the three people's names, each a primary-key lookup),
read in due-date order along `checkpoint_items_by_state` (tenant, state, due_on) and cut at
50 rows; the counts per state are one grouped statement over the same conditions (the
names joined only when searching), which also gives the page's total.

Decisions where the issue is silent:

* The states offered: waiting for review (`submitted`, the default), open (its window
  started, not yet past due), overdue (open and past its due date — so open and overdue
  never overlap), missed, reviewed. Upcoming and cancelled items are not on the list.
* Coordinator checkpoints (audience "coordinator": the Museums Association's calls, the
  Advice Skills Academy's pilot reviews) are not on the list: they are done from the
  tasks page (`/coordinator/tasks`).
* The search looks in the mentor's and the mentee's names: each word must be in one.
* "Overdue" and "late" use the association's today (its time zone).
* A coordinator given a scope by the tenant admin (`admin.scope`: the cohorts they run)
  reads only the items and tasks of pairs in those cohorts (`ItemFilter.scope`, the
  `scope` arguments; None: every cohort, as before scopes existed), and chooses only among
  those cohorts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, any_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mentorhub.admin.scope import Scope
from mentorhub.applications.models import Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.checkpoints.queries import ShownAnswer, shown_answers
from mentorhub.checkpoints.services.review import is_coordinator
from mentorhub.core.paging import PAGE_SIZE, Page
from mentorhub.db.access import NotFound
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair
from mentorhub.schemes.forms import Form

__all__ = [
    "LIST_STATES",
    "STATE_WORDS",
    "CohortChoice",
    "ItemFilter",
    "ItemRow",
    "ItemView",
    "TaskRow",
    "checkpoint_choices",
    "cohort_choices",
    "counts_query",
    "item_for_coordinator",
    "items_page",
    "page_query",
    "require_task_in_scope",
    "tasks_of",
    "viewer",
]

#: The list's states, in the order the page offers them.
LIST_STATES = ("submitted", "open", "overdue", "missed", "reviewed")
STATE_WORDS = {
    "upcoming": "Coming up",
    "open": "Open",
    "overdue": "Overdue",
    "submitted": "Waiting for review",
    "reviewed": "Reviewed",
    "missed": "Missed",
    "cancelled": "Cancelled",
}
COORDINATOR = "coordinator"
#: `'coordinator' = ANY(readers)`: the item's readers name the coordinator.
_READABLE = literal(COORDINATOR) == any_(CheckpointItem.readers)

_Mentor = aliased(Member, name="mentor")
_Mentee = aliased(Member, name="mentee")
_Person = aliased(Member, name="person")
_Submitter = aliased(Member, name="submitter")
_Reviewer = aliased(Member, name="reviewer")


async def viewer(session: AsyncSession, member_id: uuid.UUID | str) -> Member:
    """The signed-in coordinator's member row; NotFound for anyone without the coordinator
    role (a tenant admin who is not also a coordinator: "not found", as a pair's page)."""
    try:
        key = uuid.UUID(str(member_id))
    except ValueError:
        raise NotFound("page") from None
    found = (await session.execute(select(Member).where(Member.id == key))).scalar_one_or_none()
    if found is None or not is_coordinator(found):
        raise NotFound("page")
    return found


# --- the filters' choices -------------------------------------------------------------------


@dataclass(frozen=True)
class CohortChoice:
    id: uuid.UUID
    name: str
    scheme_version: int


async def cohort_choices(session: AsyncSession, scope: Scope = None) -> list[CohortChoice]:
    """The tenant's cohorts (those in `scope`), newest first."""
    query = select(Cohort.id, Cohort.name, Cohort.scheme_version).order_by(
        Cohort.starts_on.desc(), Cohort.id
    )
    if scope is not None:
        query = query.where(Cohort.id.in_(scope))
    rows = await session.execute(query)
    return [CohortChoice(*r) for r in rows.all()]


async def checkpoint_choices(
    session: AsyncSession, cohorts: list[CohortChoice]
) -> list[tuple[str, str]]:
    """(id, title) of each checkpoint the coordinator reads in the cohorts' schemes (their
    versions, cached per process), members' checkpoints only, in the schemes' order."""
    found: dict[str, str] = {}
    for version in dict.fromkeys(c.scheme_version for c in cohorts):
        scheme = await scheme_of(session, version)
        for checkpoint in scheme.checkpoints:
            if COORDINATOR in checkpoint.readers and checkpoint.audience != COORDINATOR:
                found.setdefault(checkpoint.id, checkpoint.title)
    return list(found.items())


# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFilter:
    state: str = "submitted"
    checkpoint: str = ""
    cohort_id: uuid.UUID | None = None
    search: str = ""
    newest_first: bool = False
    #: The cohorts the coordinator runs (None: every cohort).
    scope: Scope = None


@dataclass(frozen=True)
class ItemRow:
    id: uuid.UUID
    pair_id: uuid.UUID
    title: str
    audience: str
    state: str  # as listed: "overdue" for an open item past due
    due_on: date
    closes_on: date
    submitted_at: datetime | None
    mentor_name: str
    mentee_name: str
    person_name: str | None


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _readable(viewer_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [
        _READABLE,
        CheckpointItem.audience != COORDINATOR,
        Pair.mentor_id != viewer_id,
        Pair.mentee_id != viewer_id,
    ]


def _state_condition(state: str, today: date) -> ColumnElement[bool]:
    if state == "overdue":
        return and_(CheckpointItem.state == "open", CheckpointItem.due_on < today)
    if state == "open":
        return and_(CheckpointItem.state == "open", CheckpointItem.due_on >= today)
    return CheckpointItem.state == state


def _filtered(
    query: Select[*tuple[Any, ...]], viewer_id: uuid.UUID, f: ItemFilter, *, names: bool
) -> Select[*tuple[Any, ...]]:
    query = query.join(Pair, Pair.id == CheckpointItem.pair_id).where(*_readable(viewer_id))
    if f.checkpoint:
        query = query.where(CheckpointItem.checkpoint == f.checkpoint)
    if f.cohort_id is not None:
        query = query.where(Pair.cohort_id == f.cohort_id)
    if f.scope is not None:
        query = query.where(Pair.cohort_id.in_(f.scope))
    if names or f.search:
        query = query.join(_Mentor, _Mentor.id == Pair.mentor_id).join(
            _Mentee, _Mentee.id == Pair.mentee_id
        )
    for word in f.search.split():
        pattern = f"%{_escaped(word)}%"
        query = query.where(
            or_(
                _Mentor.display_name.ilike(pattern, escape="\\"),
                _Mentee.display_name.ilike(pattern, escape="\\"),
            )
        )
    return query


def listed_state(today: date) -> ColumnElement[str]:
    """The state as the list names it (an open item past due is "overdue")."""
    return case(
        (and_(CheckpointItem.state == "open", CheckpointItem.due_on < today), literal("overdue")),
        else_=CheckpointItem.state,
    )


def counts_query(viewer_id: uuid.UUID, f: ItemFilter, today: date) -> Select[*tuple[Any, ...]]:
    """The statement of the counts per listed state (the filters but the state)."""
    shown = listed_state(today)
    query = _filtered(
        select(shown, func.count()).select_from(CheckpointItem), viewer_id, f, names=False
    ).where(CheckpointItem.state.in_(("submitted", "open", "missed", "reviewed")))
    return query.group_by(shown)


async def state_counts(
    session: AsyncSession, viewer_id: uuid.UUID, f: ItemFilter, today: date
) -> dict[str, int]:
    """How many items of each listed state match the filters (the state aside)."""
    rows = await session.execute(counts_query(viewer_id, f, today))
    counts = dict.fromkeys(LIST_STATES, 0)
    counts.update({str(state): int(n) for state, n in rows.all()})
    return counts


def page_query(viewer_id: uuid.UUID, f: ItemFilter, today: date) -> Select[*tuple[Any, ...]]:
    """The statement of one page's rows (without offset and limit), for `items_page` and
    for EXPLAIN in the tests."""
    order = (
        (CheckpointItem.due_on.desc(), CheckpointItem.id.desc())
        if f.newest_first
        else (CheckpointItem.due_on, CheckpointItem.id)
    )
    query = _filtered(
        select(
            CheckpointItem.id,
            CheckpointItem.pair_id,
            CheckpointItem.title,
            CheckpointItem.audience,
            listed_state(today),
            CheckpointItem.due_on,
            CheckpointItem.closes_on,
            CheckpointItem.submitted_at,
            _Mentor.display_name,
            _Mentee.display_name,
            _Person.display_name,
        ).select_from(CheckpointItem),
        viewer_id,
        f,
        names=True,
    ).outerjoin(_Person, _Person.id == CheckpointItem.member_id)
    return query.where(_state_condition(f.state, today)).order_by(*order)


async def items_page(
    session: AsyncSession,
    viewer_id: uuid.UUID,
    f: ItemFilter,
    *,
    today: date,
    number: int = 1,
    size: int = PAGE_SIZE,
) -> tuple[Page[ItemRow], dict[str, int]]:
    """One page of the filtered items and the counts per state (two statements)."""
    counts = await state_counts(session, viewer_id, f, today)
    total = counts.get(f.state, 0)
    number = min(max(1, number), max(1, -(-total // size)))
    rows = await session.execute(
        page_query(viewer_id, f, today).offset((number - 1) * size).limit(size)
    )
    found = [ItemRow(*r) for r in rows.all()]
    return Page(rows=found, number=number, size=size, total=total), counts


# --- one item -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    item: CheckpointItem
    pair: Pair
    cohort_name: str
    mentor: Member
    mentee: Member
    person: Member | None
    submitter_name: str | None
    reviewer_name: str | None
    form: Form | None
    #: The answers in words (`checkpoints.queries.shown_answers`, as the pair reads them).
    lines: tuple[ShownAnswer, ...]
    #: The scheme's form has a permission-to-share question (Alberta's Quarterly Update).
    asks_permission: bool
    #: Sent in after its window closed (None: not sent in).
    late: bool | None


async def item_for_coordinator(
    session: AsyncSession,
    item_id: uuid.UUID | str,
    viewer_id: uuid.UUID,
    *,
    zone: Any,
    scope: Scope = None,
) -> ItemView:
    """One item the coordinator may read, with its pair, people and answers in words;
    NotFound for any other id (missing, another tenant's, not readable by the coordinator,
    an item of the coordinator's own pair, an item of a pair outside `scope`). One
    statement, then the cached scheme."""
    try:
        key = uuid.UUID(str(item_id))
    except ValueError:
        raise NotFound("checkpoint item") from None
    query = (
        select(CheckpointItem, Pair, Cohort.name, _Mentor, _Mentee, _Person)
        .add_columns(_Submitter.display_name, _Reviewer.display_name)
        .join(Pair, Pair.id == CheckpointItem.pair_id)
        .join(Cohort, Cohort.id == Pair.cohort_id)
        .join(_Mentor, _Mentor.id == Pair.mentor_id)
        .join(_Mentee, _Mentee.id == Pair.mentee_id)
        .outerjoin(_Person, _Person.id == CheckpointItem.member_id)
        .outerjoin(_Submitter, _Submitter.id == CheckpointItem.submitted_by)
        .outerjoin(_Reviewer, _Reviewer.id == CheckpointItem.reviewed_by)
        .where(
            CheckpointItem.id == key,
            _READABLE,
            Pair.mentor_id != viewer_id,
            Pair.mentee_id != viewer_id,
        )
    )
    if scope is not None:
        query = query.where(Pair.cohort_id.in_(scope))
    found = (await session.execute(query)).one_or_none()
    if found is None:
        raise NotFound("checkpoint item")
    item, pair, cohort_name, mentor, mentee, person, submitter, reviewer = found
    scheme = await scheme_of(session, item.scheme_version)
    form = scheme.checkpoint_form(item.checkpoint)
    late = None
    if item.submitted_at is not None:
        late = item.submitted_at.astimezone(zone).date() > item.closes_on
    return ItemView(
        item=item,
        pair=pair,
        cohort_name=cohort_name,
        mentor=mentor,
        mentee=mentee,
        person=person,
        submitter_name=submitter,
        reviewer_name=reviewer,
        form=form,
        lines=shown_answers(form, item.answers or {}),
        asks_permission=form is not None and any(q.permission for q in form.questions),
        late=late,
    )


# --- the tasks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    id: uuid.UUID
    kind: str
    key: str
    title: str
    detail: str
    due_on: date
    state: str
    done_at: datetime | None
    note: str
    lock_version: int
    pair_id: uuid.UUID
    mentor_name: str
    mentor_email: str
    mentee_name: str
    item_kind: str | None
    done_by_name: str | None

    @property
    def is_call(self) -> bool:
        return self.item_kind == "coordinator_call"

    def last_contact(self) -> date | None:
        """A quiet-pair task's last recorded activity (its key: task:quiet:<pair>:<day>)."""
        if self.kind != "quiet_pair":
            return None
        try:
            return date.fromisoformat(self.key.rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return None


_TASK_COLUMNS = (
    CoordinatorTask.id,
    CoordinatorTask.kind,
    CoordinatorTask.key,
    CoordinatorTask.title,
    CoordinatorTask.detail,
    CoordinatorTask.due_on,
    CoordinatorTask.state,
    CoordinatorTask.done_at,
    CoordinatorTask.note,
    CoordinatorTask.lock_version,
    CoordinatorTask.pair_id,
    _Mentor.display_name,
    _Mentor.email,
    _Mentee.display_name,
    CheckpointItem.kind,
    _Person.display_name,
)


def _task_pairs(viewer_id: uuid.UUID, scope: Scope) -> list[ColumnElement[bool]]:
    """The tasks the coordinator reads: not of their own pair, and of a pair in scope."""
    found = [Pair.mentor_id != viewer_id, Pair.mentee_id != viewer_id]
    if scope is not None:
        found.append(Pair.cohort_id.in_(scope))
    return found


def _tasks(viewer_id: uuid.UUID, scope: Scope = None) -> Select[*tuple[Any, ...]]:
    return (
        select(*_TASK_COLUMNS)
        .join(Pair, Pair.id == CoordinatorTask.pair_id)
        .join(_Mentor, _Mentor.id == Pair.mentor_id)
        .join(_Mentee, _Mentee.id == Pair.mentee_id)
        .outerjoin(CheckpointItem, CheckpointItem.id == CoordinatorTask.item_id)
        .outerjoin(_Person, _Person.id == CoordinatorTask.done_by)
        .where(*_task_pairs(viewer_id, scope))
    )


async def tasks_of(
    session: AsyncSession,
    viewer_id: uuid.UUID,
    *,
    open_limit: int = 200,
    done_limit: int = 20,
    scope: Scope = None,
) -> tuple[list[TaskRow], int, list[TaskRow]]:
    """The open tasks by due date (the first `open_limit`), how many are open, and the
    latest done ones (newest first). Three statements along `coordinator_tasks_by_state`."""
    open_rows = await session.execute(
        _tasks(viewer_id, scope)
        .where(CoordinatorTask.state == "open")
        .order_by(CoordinatorTask.due_on, CoordinatorTask.id)
        .limit(open_limit)
    )
    open_tasks = [TaskRow(*r) for r in open_rows.all()]
    total = len(open_tasks)
    if total >= open_limit:
        total = int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(CoordinatorTask)
                    .join(Pair, Pair.id == CoordinatorTask.pair_id)
                    .where(CoordinatorTask.state == "open", *_task_pairs(viewer_id, scope))
                )
            ).scalar_one()
        )
    done_rows = await session.execute(
        _tasks(viewer_id, scope)
        .where(CoordinatorTask.state == "done")
        .order_by(CoordinatorTask.done_at.desc().nulls_last(), CoordinatorTask.id)
        .limit(done_limit)
    )
    return open_tasks, total, [TaskRow(*r) for r in done_rows.all()]


async def require_task_in_scope(
    session: AsyncSession, task_id: uuid.UUID, viewer_id: uuid.UUID, scope: Scope
) -> None:
    """NotFound unless the task is one the coordinator reads (`tasks_of`'s rule): marking a
    task of another cohort's pair done is refused as an unknown task."""
    if scope is None:
        return
    found = (
        await session.execute(
            select(CoordinatorTask.id)
            .join(Pair, Pair.id == CoordinatorTask.pair_id)
            .where(CoordinatorTask.id == task_id, *_task_pairs(viewer_id, scope))
        )
    ).first()
    if found is None:
        raise NotFound("task")
