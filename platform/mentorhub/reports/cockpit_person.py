"""A person as the coordinator sees them from the cockpit: name, e-mail, roles, membership,
their applications (state, cohort), their pairs, their checkpoint items' states and the open
tasks of their pairs — within the coordinator's scope only.

Confidentiality (DESIGN.md): states, dates and titles only. No statement here selects an
application's answers, a checkpoint item's answers, a log, a meeting's record or chat; an
item's answers are one click away (`/coordinator/checkpoints/{id}`) only where the item's
readers name the coordinator and it was sent in, and that page checks again.

Decisions where the issue is silent:

* In scope means an application or a pair in a cohort the coordinator runs; a member with
  neither (or only a draft application, which is not the coordinator's yet) is "not found",
  whether they exist or not. Only the in-scope applications, pairs, items and tasks are
  listed.
* Their checkpoint items are those they answer themselves and their pairs' shared items
  (audience "pair"); the other person's own items and the coordinator's checkpoints are not
  theirs.
* An erased member (Art. 17) is shown as "Erased member", without an e-mail address.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, any_, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from mentorhub.admin.scope import Scope
from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.states import state_label
from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.db.access import NotFound
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair

__all__ = ["PersonApplication", "PersonItem", "PersonPair", "PersonTask", "PersonView", "person"]

ERASED = "Erased member"
_Other = aliased(Member, name="other")


@dataclass(frozen=True)
class PersonApplication:
    id: uuid.UUID
    cohort_id: uuid.UUID
    cohort_name: str
    role: str
    state: str
    submitted_at: datetime | None

    @property
    def state_words(self) -> str:
        return state_label(self.state)


@dataclass(frozen=True)
class PersonPair:
    id: uuid.UUID
    cohort_id: uuid.UUID
    cohort_name: str
    #: Their role in the pair: mentor or mentee.
    role: str
    other_id: uuid.UUID
    other_name: str
    state: str
    end_kind: str | None
    matched_on: date

    @property
    def shown_state(self) -> str:
        return (self.end_kind or self.state) if self.state == "ended" else self.state


@dataclass(frozen=True)
class PersonItem:
    id: uuid.UUID
    pair_id: uuid.UUID
    title: str
    audience: str
    #: As the checkpoints list names it: an open item past its due date is "overdue".
    state: str
    due_on: date
    submitted_at: datetime | None
    #: Its answers are the coordinator's to read (`/coordinator/checkpoints/{id}`).
    readable: bool


@dataclass(frozen=True)
class PersonTask:
    id: uuid.UUID
    pair_id: uuid.UUID
    title: str
    due_on: date


@dataclass(frozen=True)
class PersonView:
    id: uuid.UUID
    name: str
    email: str
    roles: tuple[str, ...]
    membership_status: str | None
    erased: bool
    applications: list[PersonApplication]
    pairs: list[PersonPair]
    items: list[PersonItem]
    tasks: list[PersonTask]


def _in(scope: Scope, column: InstrumentedAttribute[uuid.UUID]) -> list[ColumnElement[bool]]:
    return [] if scope is None else [column.in_(list(scope))]


async def person(
    session: AsyncSession, member_id: uuid.UUID, *, scope: Scope, today: date
) -> PersonView:
    """The member `member_id` as the coordinator sees them; NotFound for anyone with nothing
    in the coordinator's cohorts (and for an id of no member of this tenant)."""
    tenant_id = current_tenant(session)
    member = (
        await session.execute(
            select(
                Member.id,
                Member.display_name,
                Member.email,
                Member.roles,
                Member.membership_status,
                Member.erased_at,
            ).where(Member.tenant_id == tenant_id, Member.id == member_id)
        )
    ).one_or_none()
    if member is None:
        raise NotFound("member")
    applications = [
        PersonApplication(*r)
        for r in (
            await session.execute(
                select(
                    Application.id,
                    Application.cohort_id,
                    Cohort.name,
                    Application.role,
                    Application.state,
                    Application.submitted_at,
                )
                .join(
                    Cohort,
                    and_(
                        Cohort.tenant_id == Application.tenant_id,
                        Cohort.id == Application.cohort_id,
                    ),
                )
                .where(
                    Application.tenant_id == tenant_id,
                    Application.member_id == member_id,
                    Application.state != "draft",
                    *_in(scope, Application.cohort_id),
                )
                .order_by(Cohort.starts_on.desc(), Application.role, Application.id)
            )
        ).all()
    ]
    is_mentor = Pair.mentor_id == member_id
    pair_rows = (
        await session.execute(
            select(
                Pair.id,
                Pair.cohort_id,
                Cohort.name,
                Pair.mentor_id,
                _Other.id,
                _Other.display_name,
                _Other.erased_at,
                Pair.state,
                Pair.end_kind,
                Pair.matched_on,
            )
            .join(Cohort, and_(Cohort.tenant_id == Pair.tenant_id, Cohort.id == Pair.cohort_id))
            .join(
                _Other,
                and_(
                    _Other.tenant_id == Pair.tenant_id,
                    or_(
                        and_(is_mentor, _Other.id == Pair.mentee_id),
                        and_(Pair.mentee_id == member_id, _Other.id == Pair.mentor_id),
                    ),
                ),
            )
            .where(
                Pair.tenant_id == tenant_id,
                or_(is_mentor, Pair.mentee_id == member_id),
                *_in(scope, Pair.cohort_id),
            )
            .order_by(Pair.matched_on.desc(), Pair.id)
        )
    ).all()
    pairs = [
        PersonPair(
            id=r[0],
            cohort_id=r[1],
            cohort_name=r[2],
            role="mentor" if r[3] == member_id else "mentee",
            other_id=r[4],
            other_name=ERASED if r[6] is not None else r[5],
            state=r[7],
            end_kind=r[8],
            matched_on=r[9],
        )
        for r in pair_rows
    ]
    if not applications and not pairs:
        raise NotFound("member")
    items: list[PersonItem] = []
    tasks: list[PersonTask] = []
    if pairs:
        pair_ids = [p.id for p in pairs]
        found = await session.execute(
            select(
                CheckpointItem.id,
                CheckpointItem.pair_id,
                CheckpointItem.title,
                CheckpointItem.audience,
                CheckpointItem.state,
                CheckpointItem.due_on,
                CheckpointItem.submitted_at,
                (literal("coordinator") == any_(CheckpointItem.readers)),
            )
            .where(
                CheckpointItem.tenant_id == tenant_id,
                CheckpointItem.pair_id.in_(pair_ids),
                CheckpointItem.audience != "coordinator",
                CheckpointItem.state != "cancelled",
                or_(
                    CheckpointItem.member_id == member_id,
                    and_(CheckpointItem.member_id.is_(None), CheckpointItem.audience == "pair"),
                ),
            )
            .order_by(CheckpointItem.due_on, CheckpointItem.title, CheckpointItem.id)
        )
        for i in found.all():
            state = "overdue" if i.state == "open" and i.due_on < today else i.state
            items.append(
                PersonItem(
                    id=i[0],
                    pair_id=i[1],
                    title=i[2],
                    audience=i[3],
                    state=state,
                    due_on=i[5],
                    submitted_at=i[6],
                    readable=bool(i[7]),
                )
            )
        tasks = [
            PersonTask(*t)
            for t in (
                await session.execute(
                    select(
                        CoordinatorTask.id,
                        CoordinatorTask.pair_id,
                        CoordinatorTask.title,
                        CoordinatorTask.due_on,
                    )
                    .where(
                        CoordinatorTask.tenant_id == tenant_id,
                        CoordinatorTask.pair_id.in_(pair_ids),
                        CoordinatorTask.state == "open",
                    )
                    .order_by(CoordinatorTask.due_on, CoordinatorTask.id)
                )
            ).all()
        ]
    erased = member.erased_at is not None
    return PersonView(
        id=member.id,
        name=ERASED if erased else member.display_name,
        email="" if erased else member.email,
        roles=tuple(member.roles or ()),
        membership_status=member.membership_status,
        erased=erased,
        applications=applications,
        pairs=pairs,
        items=items,
        tasks=tasks,
    )
