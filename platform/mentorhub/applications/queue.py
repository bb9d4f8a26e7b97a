"""The coordinator's reads that `queries.py` does not have: the counts per state of a
filtered queue, the ticked applications a bulk action will touch, the CSV export of the
filtered set (the search included), an application's history (its audit entries), and the
time zone an association's dates and times are typed in.

The filters mean what `queries.queue` makes them mean (no state chosen: every state but
draft), and a search looks in the answers too: each word of it must be in the applicant's
name, e-mail or member number or in the values of their answers (`search_haystack`, kept by
PostgreSQL, migration 0015). The page and its counts are `queries.queue_page` (three
statements in the request's read transaction); the export uses the same conditions, so it
agrees with the page. Every read runs in a
tenant session (the ORM adds the tenant filter; row-level security holds too) and reads at
most one cohort's rows through the `applications_queue` indexes.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications import queries
from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.queries import QueueRow
from mentorhub.applications.states import State, state_label
from mentorhub.core.audit import AuditEntry
from mentorhub.core.paging import Page
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.models import ApprovalRequest, Member, Role
from mentorhub.schemes import forms
from mentorhub.schemes.rules import Scheme

#: Who reads the queue: coordinators and tenant admins (as services.STAFF).
STAFF = frozenset({Role.COORDINATOR, Role.TENANT_ADMIN})

__all__ = [
    "Chosen",
    "QueueFilter",
    "around",
    "csv_cell",
    "export_csv",
    "history_words",
    "page_and_counts",
    "rows_by_ids",
    "search_page",
    "state_counts",
    "tenant_zone",
]

#: The audit actions an application's history shows, in words.
_HISTORY = {
    "application_draft_saved": "Draft saved",
    "application_submitted": "Submitted",
    "application_evaluated": "Eligibility checked again",
    "application_flagged": "Flagged for the coordinator",
    "application_shortlisted": "Shortlisted",
    "interview_scheduled": "Interview scheduled",
    "interview_recorded": "Interview recorded as held",
    "application_accepted": "Accepted into the cohort",
    "application_waitlisted": "Put on the waiting list",
    "application_declined": "Declined (unsuccessful)",
    "application_withdrawn": "Withdrawn by the applicant",
    "priority_next_intake_offered": "Offered priority in the next intake",
}


def history_words(action: str) -> str:
    return _HISTORY.get(action, action.replace("_", " ").capitalize())


def tenant_zone(jurisdiction: str) -> ZoneInfo:
    """The time zone dates and times are typed and shown in for a tenant's jurisdiction."""
    country, _, region = jurisdiction.upper().partition("-")
    if country == "GB":
        return ZoneInfo("Europe/London")
    if country == "CA":
        return ZoneInfo(
            {
                "AB": "America/Edmonton",
                "BC": "America/Vancouver",
                "SK": "America/Regina",
                "MB": "America/Winnipeg",
                "QC": "America/Toronto",
                "NS": "America/Halifax",
                "NB": "America/Moncton",
                "NL": "America/St_Johns",
            }.get(region, "America/Toronto")
        )
    return ZoneInfo("UTC")


# --- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters, as `queries.queue` reads them: no state means every state but
    draft (a draft is the applicant's own business); each word of the search must be in the
    applicant's name, e-mail or member number or in an answer (`search_haystack`)."""

    cohort_id: uuid.UUID
    role: str | None = None
    state: str | None = None
    search: str = ""


def _where(f: QueueFilter, *, with_state: bool = True) -> list[Any]:
    return queries.conditions(f.cohort_id, f.role, f.state, f.search, with_state=with_state)


async def _check_staff(session: AsyncSession, viewer_id: uuid.UUID) -> None:
    viewer = (
        await session.execute(select(Member).where(Member.id == viewer_id))
    ).scalar_one_or_none()
    if viewer is None or not STAFF & set(viewer.roles):
        raise NotFound("application")


async def page_and_counts(
    session: AsyncSession, viewer_id: uuid.UUID, f: QueueFilter, number: int = 1
) -> tuple[Page[QueueRow], dict[str, int]]:
    """The queue page's reads (`queries.queue_page`): one page of the filtered cohort and
    its counts per state, in the caller's session."""
    return await queries.queue_page(
        session,
        viewer_id,
        f.cohort_id,
        role=f.role,
        state=f.state,
        search=f.search,
        number=number,
    )


async def search_page(
    session: AsyncSession, viewer_id: uuid.UUID, f: QueueFilter, number: int = 1
) -> Page[QueueRow]:
    """One page of the filtered cohort (the search in names, e-mails, member numbers and
    answers): `page_and_counts` without the counts."""
    page, _counts = await page_and_counts(session, viewer_id, f, number)
    return page


_ORDER = (Application.created_at, Application.id)


async def state_counts(session: AsyncSession, f: QueueFilter) -> dict[str, int]:
    """How many of the cohort's applications (of the role, matching the search) are in each
    state, whichever state is chosen (one pass over the queue index's cohort range)."""
    rows = await session.execute(
        select(Application.state, func.count())
        .where(*_where(f, with_state=False))
        .group_by(Application.state)
    )
    return {state: int(n) for state, n in rows.all()}


@dataclass(frozen=True)
class Chosen:
    """A ticked application, as the bulk confirmation lists it."""

    id: uuid.UUID
    name: str
    email: str
    role: str
    state: str
    #: The version the confirmation page shows (sent back with the confirmation: the bulk
    #: is refused as stale if any application changed since).
    lock_version: int = 0

    @property
    def state_label(self) -> str:
        return state_label(self.state)


async def rows_by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[Chosen]:
    """These applications (those that are the tenant's), oldest first."""
    wanted = list(ids)
    if not wanted:
        return []
    rows = await session.execute(
        select(Application, Member.display_name, Member.email)
        .join(
            Member,
            (Member.tenant_id == Application.tenant_id) & (Member.id == Application.member_id),
        )
        .where(Application.id.in_(wanted))
        .order_by(*_ORDER)
    )
    return [
        Chosen(a.id, name, email, a.role, a.state, a.lock_version) for a, name, email in rows.all()
    ]


# --- CSV export -----------------------------------------------------------------------------

#: A cell that starts with one of these is read as a formula by spreadsheet programs.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as a CSV cell that no spreadsheet runs as a formula (OWASP's advice: a cell
    starting with =, +, -, @, tab or carriage return is prefixed with a single quote)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = str(value.get("label") or value.get("text") or "")
    elif isinstance(value, datetime):
        text = value.isoformat(timespec="minutes")
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


async def export_csv(
    session: AsyncSession, viewer_id: uuid.UUID, f: QueueFilter, scheme: Scheme | None
) -> str:
    """The whole filtered set as CSV: one row per application, its answers in the columns
    of the forms' questions (the roles' forms of the cohort's scheme). For coordinators
    and tenant admins only: anyone else is "no such application"."""
    await _check_staff(session, viewer_id)
    questions: list[tuple[str, str]] = []
    if scheme is not None:
        for role in (f.role,) if f.role else ("mentor", "mentee"):
            form = forms.form_for(scheme, role)
            for q in form.questions if form else ():
                if q.id not in {k for k, _ in questions}:
                    questions.append((q.id, q.label))
    conditions = _where(f)
    query = (
        # Columns, not entities: 3,000 rows are read without building ORM objects.
        select(
            Application.id,
            Member.display_name,
            Member.email,
            Member.member_number,
            Application.role,
            Application.state,
            Application.submitted_at,
            Application.waitlist_rank,
            Application.ineligible_reason,
            Application.feedback,
            Application.answers,
        )
        .join(
            Member,
            (Member.tenant_id == Application.tenant_id) & (Member.id == Application.member_id),
        )
        .where(*conditions)
        .order_by(*_ORDER)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    head = ["Application", "Name", "E-mail", "Member number", "Role", "State", "Submitted"]
    head += ["Waiting list place", "Not eligible because", "Feedback"]
    writer.writerow([csv_cell(h) for h in head + [label for _, label in questions]])
    labels = {str(s): state_label(s) for s in State}
    for row in (await session.execute(query)).all():
        cells = [str(row[0]), *row[1:5], labels.get(row[5], row[5]), *row[6:10]]
        answers = row[10] or {}
        cells += [answers.get(key) for key, _ in questions]
        writer.writerow([csv_cell(c) for c in cells])
    return out.getvalue()


# --- one application ------------------------------------------------------------------------


@dataclass(frozen=True)
class Around:
    """What the coordinator's page of one application shows besides `queries.application`:
    the cohort's scheme, the line manager's decision (if one was asked) and the history."""

    scheme: Scheme
    approval_status: str | None
    approver_email: str | None
    approval_decided_at: datetime | None
    history: list[AuditEntry]


async def around(
    db: Database,
    tenant_id: uuid.UUID,
    application_id: uuid.UUID,
    cohort_id: uuid.UUID,
    scheme_of: Any,
) -> Around:
    """One short transaction: the scheme (`scheme_of(session, version)`, the services'
    cached reader), the approval request's state and the application's audit entries
    (its id as the subject, oldest first: the `audit_log_by_subject` index (tenant_id,
    subject, created_at, id), read in its order)."""
    async with db.tenant(tenant_id) as session:
        version = (
            await session.execute(select(Cohort.scheme_version).where(Cohort.id == cohort_id))
        ).scalar_one()
        scheme = await scheme_of(session, version)
        approval = (
            await session.execute(
                select(
                    ApprovalRequest.status,
                    ApprovalRequest.approver_email,
                    ApprovalRequest.decided_at,
                )
                .join(
                    Application,
                    (Application.tenant_id == ApprovalRequest.tenant_id)
                    & (Application.approval_request_id == ApprovalRequest.id),
                )
                .where(Application.id == application_id)
            )
        ).first()
        rows = await session.execute(
            select(AuditEntry)
            .where(AuditEntry.subject == str(application_id))
            .order_by(AuditEntry.created_at, AuditEntry.id)
            .limit(500)
        )
        status, approver, decided = approval if approval is not None else (None, None, None)
        return Around(scheme, status, approver, decided, list(rows.scalars()))
