"""What the applicant's pages read (queries only; the actions are `services.py`'s).

Every query runs in the member's tenant and reads only the member's own applications: an
application of someone else, of another tenant, or an id that is not one, is
:class:`NotFound` alike. Nothing here reads interview notes, admin notes or flags: the
applicant's pages never hold them (who reads what, DESIGN.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.applicant_words import Decision, Recorded
from mentorhub.applications.eligibility import needs_line_manager, needs_training
from mentorhub.applications.models import (
    Application,
    BoardRatification,
    Cohort,
    Interview,
    PartnerOrganisation,
    RecruitmentWindow,
    TrainingRecord,
)
from mentorhub.applications.services import ROLES, scheme_of, window_words
from mentorhub.applications.states import State
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.models import ApprovalRequest, Member
from mentorhub.schemes import forms
from mentorhub.schemes.models import SchemeVersion
from mentorhub.schemes.rules import Scheme

__all__ = [
    "CohortOffer",
    "MyApplication",
    "RoleOffer",
    "active_organisations",
    "apply_overview",
    "form_target",
    "my_application",
    "my_applications",
]


@dataclass(frozen=True)
class MyApplication:
    """One of the member's applications as they may read it (no coordinator-only content)."""

    id: uuid.UUID
    role: str
    state: str
    answers: dict[str, Any]
    waiting_for: list[str]
    ineligible_rule: str | None
    ineligible_reason: str | None
    waitlist_rank: int | None
    priority_next_intake: bool
    feedback: str | None
    feedback_sent_at: datetime | None
    submitted_at: datetime | None
    decided_at: datetime | None
    withdrawn_at: datetime | None
    updated_at: datetime | None
    created_at: datetime | None
    lock_version: int
    cohort_id: uuid.UUID
    cohort_name: str
    cohort_starts_on: date
    scheme: Scheme
    window: RecruitmentWindow | None
    #: The interview's time and format once one is given (never its notes).
    interview_at: datetime | None = None
    interview_format: str | None = None
    #: Read for one application's page only (`my_application`): the line manager's answer
    #: (never their comment), the Board's ratification and the training record the scheme
    #: waits for, once recorded (never who recorded them or the ratification's note).
    line_manager: Decision | None = None
    ratification: Recorded | None = None
    training: Recorded | None = None

    @property
    def form(self) -> forms.Form | None:
        return forms.form_for(self.scheme, self.role)


@dataclass(frozen=True)
class RoleOffer:
    """One role of one cohort on the Apply page."""

    role: str
    form: forms.Form
    window: RecruitmentWindow | None
    #: None while open; else why not, in plain words ("… open on 5 January 2027.").
    closed_words: str | None
    #: The member's live (not withdrawn) application for it, if any.
    application: MyApplication | None = None

    @property
    def open(self) -> bool:
        return self.closed_words is None


@dataclass(frozen=True)
class CohortOffer:
    cohort: Cohort
    scheme: Scheme
    roles: list[RoleOffer] = field(default_factory=list)


def _key(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound("application") from None


async def _windows(
    session: AsyncSession, cohort_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], RecruitmentWindow]:
    if not cohort_ids:
        return {}
    rows = await session.execute(
        select(RecruitmentWindow).where(RecruitmentWindow.cohort_id.in_(cohort_ids))
    )
    return {(w.cohort_id, w.role): w for w in rows.scalars()}


async def _interviews(
    session: AsyncSession, application_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[datetime, str]]:
    if not application_ids:
        return {}
    rows = await session.execute(  # the time and format only: never the notes
        select(Interview.application_id, Interview.scheduled_at, Interview.format).where(
            Interview.application_id.in_(application_ids)
        )
    )
    return {r.application_id: (r.scheduled_at, r.format) for r in rows}


def _mine(
    app: Application,
    cohort: Cohort,
    scheme: Scheme,
    window: RecruitmentWindow | None,
    interview: tuple[datetime, str] | None,
) -> MyApplication:
    return MyApplication(
        id=app.id,
        role=app.role,
        state=app.state,
        answers=dict(app.answers or {}),
        waiting_for=list(app.waiting_for or []),
        ineligible_rule=app.ineligible_rule,
        ineligible_reason=app.ineligible_reason,
        waitlist_rank=app.waitlist_rank,
        priority_next_intake=app.priority_next_intake,
        feedback=app.feedback if app.feedback_sent_at is not None else None,
        feedback_sent_at=app.feedback_sent_at,
        submitted_at=app.submitted_at,
        decided_at=app.decided_at,
        withdrawn_at=app.withdrawn_at,
        updated_at=app.updated_at,
        created_at=app.created_at,
        lock_version=app.lock_version,
        cohort_id=cohort.id,
        cohort_name=cohort.name,
        cohort_starts_on=cohort.starts_on,
        scheme=scheme,
        window=window,
        interview_at=interview[0] if interview else None,
        interview_format=interview[1] if interview else None,
    )


async def _read_mine(
    session: AsyncSession, member_id: uuid.UUID, *where: Any
) -> list[MyApplication]:
    rows = (
        await session.execute(
            select(Application, Cohort)
            .join(
                Cohort,
                (Cohort.tenant_id == Application.tenant_id) & (Cohort.id == Application.cohort_id),
            )
            .where(Application.member_id == member_id, *where)
            .order_by(Cohort.starts_on.desc(), Application.role, Application.updated_at.desc())
        )
    ).all()
    windows = await _windows(session, list({c.id for _, c in rows}))
    interviews = await _interviews(session, [a.id for a, _ in rows])
    out = []
    for app, cohort in rows:
        scheme = await scheme_of(session, cohort.scheme_version)
        out.append(
            _mine(
                app,
                cohort,
                scheme,
                windows.get((cohort.id, app.role)),
                interviews.get(app.id),
            )
        )
    return out


async def my_applications(
    db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID | str
) -> list[MyApplication]:
    """The member's applications, newest cohort first."""
    async with db.tenant(tenant_id) as session:
        return await _read_mine(session, _key(member_id))


async def my_application(
    db: Database,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
) -> MyApplication:
    """One of the member's applications, with the approvals and records it needed (the line
    manager's answer, the Board's ratification, the training); NotFound for anything else."""
    key, member = _key(application_id), _key(member_id)
    async with db.tenant(tenant_id) as session:
        found = await _read_mine(session, member, Application.id == key)
        if not found:
            raise NotFound("application")
        return await _with_checks(session, member, found[0])


async def _with_checks(
    session: AsyncSession, member_id: uuid.UUID, app: MyApplication
) -> MyApplication:
    scheme, role = app.scheme, app.role
    line_manager = ratification = training = None
    if needs_line_manager(scheme, role):
        request = (
            await session.execute(
                select(ApprovalRequest)
                .join(
                    Application,
                    (Application.tenant_id == ApprovalRequest.tenant_id)
                    & (Application.approval_request_id == ApprovalRequest.id),
                )
                .where(Application.id == app.id)
            )
        ).scalar_one_or_none()
        if request is not None:
            line_manager = Decision(
                status=request.status,
                approver_email=request.approver_email,
                asked_at=request.created_at,
                expires_at=request.expires_at,
                decided_at=request.decided_at,
            )
    if scheme.application.board_ratification:
        ratification = await _ratification(session, member_id)
    if needs_training(scheme, role):
        row = (
            await session.execute(
                select(TrainingRecord.kind, TrainingRecord.completed_on, TrainingRecord.created_at)
                .where(
                    TrainingRecord.member_id == member_id,
                    TrainingRecord.kind.in_([role, "joint"]),
                )
                .order_by(TrainingRecord.created_at, TrainingRecord.completed_on)
                .limit(1)
            )
        ).first()
        if row is not None:
            training = Recorded(on=row.completed_on, recorded_at=row.created_at, kind=row.kind)
    return replace(app, line_manager=line_manager, ratification=ratification, training=training)


async def _ratification(session: AsyncSession, member_id: uuid.UUID) -> Recorded | None:
    """The Board's ratification as eligibility reads it (the earliest date, from the
    membership records or the tenant admin's record) and when it was recorded (None: the
    membership records said so)."""
    from_roster = (
        await session.execute(select(Member.ratified_on).where(Member.id == member_id))
    ).scalar_one_or_none()
    row = (
        await session.execute(
            select(BoardRatification.ratified_on, BoardRatification.created_at)
            .where(BoardRatification.member_id == member_id)
            .order_by(BoardRatification.ratified_on, BoardRatification.created_at)
            .limit(1)
        )
    ).first()
    if row is not None and (from_roster is None or row.ratified_on <= from_roster):
        return Recorded(on=row.ratified_on, recorded_at=row.created_at)
    if from_roster is not None:
        return Recorded(on=from_roster, recorded_at=None)
    return None


async def _current_scheme(session: AsyncSession) -> Scheme | None:
    version = (await session.execute(select(func.max(SchemeVersion.version)))).scalar_one_or_none()
    return None if version is None else await scheme_of(session, version)


async def apply_overview(
    db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID | str, today: date
) -> tuple[Scheme | None, list[CohortOffer]]:
    """The tenant's current scheme (for who may apply when no cohort recruits) and every
    cohort that has not ended, each with the roles its scheme has a form for: the window's
    state and the member's live application for it."""
    member = _key(member_id)
    async with db.tenant(tenant_id) as session:
        current = await _current_scheme(session)
        cohorts = list(
            (
                await session.execute(
                    select(Cohort).where(Cohort.ends_on >= today).order_by(Cohort.starts_on)
                )
            ).scalars()
        )
        windows = await _windows(session, [c.id for c in cohorts])
        mine = {
            (a.cohort_id, a.role): a
            for a in await _read_mine(session, member, Application.state != State.WITHDRAWN)
        }
        offers = []
        for cohort in cohorts:
            scheme = await scheme_of(session, cohort.scheme_version)
            offer = CohortOffer(cohort, scheme)
            for role in ROLES:
                form = forms.form_for(scheme, role)
                if form is None:
                    continue
                window = windows.get((cohort.id, role))
                offer.roles.append(
                    RoleOffer(
                        role=role,
                        form=form,
                        window=window,
                        closed_words=_closed_words(window, role),
                        application=mine.get((cohort.id, role)),
                    )
                )
            if offer.roles:
                offers.append(offer)
    return current, offers


def _closed_words(window: RecruitmentWindow | None, role: str) -> str | None:
    return window_words(window, role, datetime.now(UTC))


@dataclass(frozen=True)
class FormTarget:
    """What the application form page needs: the cohort, its scheme's form for the role, the
    window and the member's live application (draft or further on)."""

    cohort: Cohort
    scheme: Scheme
    role: str
    form: forms.Form
    window: RecruitmentWindow | None
    closed_words: str | None
    application: MyApplication | None
    organisations: list[str]


async def form_target(
    db: Database,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    role: str,
) -> FormTarget:
    """The form of `role` in a cohort of the tenant; NotFound when there is no such cohort
    or the scheme has no form for the role."""
    if role not in ROLES:
        raise NotFound("form")
    key = _key(cohort_id)
    async with db.tenant(tenant_id) as session:
        cohort = (
            await session.execute(select(Cohort).where(Cohort.id == key))
        ).scalar_one_or_none()
        if cohort is None:
            raise NotFound("form")
        scheme = await scheme_of(session, cohort.scheme_version)
        form = forms.form_for(scheme, role)
        if form is None:
            raise NotFound("form")
        window = (await _windows(session, [cohort.id])).get((cohort.id, role))
        live = await _read_mine(
            session,
            _key(member_id),
            Application.cohort_id == cohort.id,
            Application.role == role,
            Application.state != State.WITHDRAWN,
        )
        organisations = await _organisations(session)
    return FormTarget(
        cohort=cohort,
        scheme=scheme,
        role=role,
        form=form,
        window=window,
        closed_words=_closed_words(window, role),
        application=live[0] if live else None,
        organisations=organisations,
    )


async def _organisations(session: AsyncSession) -> list[str]:
    rows = await session.execute(
        select(PartnerOrganisation.name)
        .where(PartnerOrganisation.active.is_(True))
        .order_by(func.lower(PartnerOrganisation.name))
    )
    return list(rows.scalars())


async def active_organisations(db: Database, tenant_id: uuid.UUID) -> list[str]:
    """The tenant's partner organisations an applicant may choose, by name."""
    async with db.tenant(tenant_id) as session:
        return await _organisations(session)
