"""Application actions: each is one function, one tenant transaction, its audit row and its
messages through the one writer (`messages.services.send`, business idempotency key
`application:<id>:v<lock version>:<event>`, so an action replayed after it committed mails
nothing twice).

Who may act is checked here as well as by the pages' guards: the applicant acts on their own
applications only; coordinators and tenant admins (staff) on any of the tenant's. An id of
another tenant's, or of someone else's application, is "No such application." (NotFound),
the same answer as for an id that does not exist. Refusals raise before anything is
written: :class:`Refused` (the state, the window, a stale form), :class:`Problems` (bad
input, each problem at its field: a question's id, or the action's own field name).

Eligibility is evaluated by the pure :mod:`mentorhub.applications.eligibility` on facts read
here (`_facts`); everything that can change a fact re-evaluates the applications it touches:
a line manager's decision (`approval_decided`, wired to identity's approval link through
`identity.approvals.on_decided`, see below), a training record, a board ratification, the
partner organisation list, a roster import (`reevaluate_members`, wired through
`identity.roster.on_applied`).

Wiring without identity importing applications: identity keeps two small registries of
hooks (`approvals.on_decided`, `roster.on_applied`) that it calls inside its own
transaction; this module registers itself on import. The applications pages import this
module, and the app mounts the pages, so any process that serves the approval link or the
roster upload has the hooks (tests/applications/test_wiring.py checks it on `create_app`).
The hook runs in identity's transaction: the decision and the application's new state
commit together or not at all.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.eligibility import (
    Facts,
    LineManager,
    Outcome,
    Verdict,
    Waiting,
    evaluate,
)
from mentorhub.applications.eligibility import waiting_words as _waiting_words
from mentorhub.applications.models import (
    Application,
    BoardRatification,
    Cohort,
    Interview,
    PartnerOrganisation,
    RecruitmentWindow,
    TrainingRecord,
)
from mentorhub.applications.states import (
    TERMINAL,
    Action,
    Refused,
    State,
    next_state,
)
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import LINE, TEXT, BadText, clean_text
from mentorhub.db import Database
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.db.session import current_tenant
from mentorhub.identity import approvals, roster
from mentorhub.identity.models import ApprovalRequest, Member, Role
from mentorhub.messages.delivery import base_url
from mentorhub.messages.services import Outgoing, send, send_many
from mentorhub.schemes import forms
from mentorhub.schemes.models import SchemeVersion
from mentorhub.schemes.rules import Scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

__all__ = [
    "ROLES",
    "STAFF",
    "BulkRefused",
    "BulkStale",
    "Refused",
    "StaleForm",
    "WindowClosed",
    "accept",
    "approval_decided",
    "bulk",
    "close_window",
    "create_cohort",
    "decline",
    "feedback_templates",
    "offer_priority_next_intake",
    "open_scheme_windows",
    "open_window",
    "record_interview",
    "record_ratification",
    "record_training",
    "reevaluate_member",
    "reevaluate_members",
    "save_draft",
    "schedule_interview",
    "set_partner_organisations",
    "shortlist",
    "submit",
    "waitlist",
    "window_order_problem",
    "withdraw",
]

log = logging.getLogger(__name__)

ROLES = ("mentor", "mentee")
STAFF = frozenset({Role.COORDINATOR, Role.TENANT_ADMIN})
#: How long a line manager's link works.
APPROVAL_VALID_DAYS = 14
FEEDBACK_MAX = 4000
NOTES_MAX = 8000

#: States an evaluation may move (the others keep their state; see `_reevaluate`).
EVALUABLE = frozenset({State.SUBMITTED, State.AWAITING_APPROVAL, State.ELIGIBLE, State.INELIGIBLE})
#: States past eligibility in which a failed membership flags the application instead.
FLAGGABLE = frozenset(
    {
        State.SHORTLISTED,
        State.INTERVIEW_SCHEDULED,
        State.INTERVIEWED,
        State.WAITLISTED,
        State.ACCEPTED,
    }
)
_VERDICT_STATE = {
    Verdict.ELIGIBLE: State.ELIGIBLE,
    Verdict.INELIGIBLE: State.INELIGIBLE,
    Verdict.WAITING: State.AWAITING_APPROVAL,
}


class WindowClosed(Refused):
    """Applications for the role are not open now; the text says when they open."""


class StaleForm(Refused):
    """The application changed since the form was shown (another tab, a replayed post)."""


# --- small helpers -------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _day(d: date | datetime) -> str:
    return f"{d.day} {d:%B %Y}"


def _when(d: datetime) -> str:
    d = d.astimezone(UTC)
    return f"{d:%A} {d.day} {d:%B %Y} at {d:%H:%M} (UTC)"


async def _tenant(session: AsyncSession) -> Tenant:
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()


async def _member(session: AsyncSession, member_id: uuid.UUID | str) -> Member:
    return await get_in_tenant(session, Member, member_id, what="member")


async def _staff(session: AsyncSession, actor_id: uuid.UUID | str) -> Member:
    """The acting coordinator or tenant admin; anyone else is refused as not found."""
    actor = await _member(session, actor_id)
    if not STAFF & set(actor.roles):
        raise NotFound("application")
    return actor


#: Parsed stored versions by (tenant, number). A stored version never changes (the scheme
#: engine refuses a different document under a number already stored), so it is read from
#: the database once per process.
_SCHEMES: dict[tuple[uuid.UUID, int], Scheme] = {}
_SCHEMES_MAX = 2048


async def scheme_of(session: AsyncSession, version: int) -> Scheme:
    """A stored scheme version (a cohort's), read and parsed once per process. Stored
    versions were validated when the tenant file was loaded: decoding is enough."""
    key = (current_tenant(session), version)
    found = _SCHEMES.get(key)
    if found is None:
        document = (
            await session.execute(
                select(SchemeVersion.document).where(SchemeVersion.version == version)
            )
        ).scalar_one()
        found = msgspec.convert(document, Scheme)
        if len(_SCHEMES) >= _SCHEMES_MAX:
            _SCHEMES.clear()
        _SCHEMES[key] = found
    return found


async def _current_version(session: AsyncSession) -> int | None:
    return (await session.execute(select(func.max(SchemeVersion.version)))).scalar_one_or_none()


async def _locked(session: AsyncSession, application_id: uuid.UUID | str) -> Application:
    """The application, locked for the rest of the transaction (a concurrent action on it
    waits, then sees what this one did)."""
    try:
        key = uuid.UUID(str(application_id))
    except ValueError:
        raise NotFound("application") from None
    row = (
        await session.execute(select(Application).where(Application.id == key).with_for_update())
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("application")
    return row


async def _own(
    session: AsyncSession, member_id: uuid.UUID | str, application_id: uuid.UUID | str
) -> Application:
    """The member's own application, locked; anyone else's is not found."""
    app = await _locked(session, application_id)
    if str(app.member_id) != str(member_id):
        raise NotFound("application")
    return app


def _check_version(app: Application, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != app.lock_version:
        raise StaleForm(
            "This application changed since the page was shown (in another window, or the "
            "form was sent twice). Nothing was changed: look at it again and repeat."
        )


def _touch(app: Application, now: datetime) -> None:
    app.lock_version += 1
    app.updated_at = now


@dataclass(frozen=True)
class _Context:
    session: AsyncSession
    tenant: Tenant
    cohort: Cohort
    scheme: Scheme
    member: Member


async def _context(session: AsyncSession, app: Application) -> _Context:
    cohort = await get_in_tenant(session, Cohort, app.cohort_id, what="cohort")
    return _Context(
        session,
        await _tenant(session),
        cohort,
        await scheme_of(session, cohort.scheme_version),
        await _member(session, app.member_id),
    )


def _link(tenant: Tenant, app: Application) -> str:
    return f"{base_url(get_settings(), tenant)}/applications/{app.id}"


def _mail(
    tenant: Tenant, cohort: Cohort, member: Member, app: Application, event: str, **extra: Any
) -> Outgoing:
    """The applicant's message about their application: its context and its idempotency
    key (`application:<id>:v<lock version>:<event>`)."""
    return Outgoing(
        {"role": app.role, "cohort": cohort.name, "link": _link(tenant, app), **extra},
        f"application:{app.id}:v{app.lock_version}:{event}",
        to_member=member,
    )


async def _tell(ctx: _Context, app: Application, kind: str, event: str, **extra: Any) -> None:
    """Mail the applicant about their application (and it is their notification too)."""
    mail = _mail(ctx.tenant, ctx.cohort, ctx.member, app, event, **extra)
    await send(ctx.session, ctx.tenant, kind, mail.context, mail.key, to_member=ctx.member)


def _audit(
    session: AsyncSession, action: str, actor: str | None, app: Application, **details: Any
) -> None:
    audit.record(
        session,
        action,
        actor=actor,
        subject=str(app.id),
        details={"role": app.role, "state": app.state, **details},
    )


def _search_text(member: Member) -> str:
    return " ".join(
        part.lower() for part in (member.display_name, member.email, member.member_number) if part
    )


def _problems(field: str, message: str) -> Problems:
    return Problems([Problem(path=field, message=message)])


def _clean(value: str, field: str, label: str, *, kind: Any = LINE, max_length: int) -> str:
    try:
        return clean_text(value, label=label, kind=kind, max_length=max_length)
    except BadText as exc:
        raise _problems(field, exc.message) from None


# --- cohorts and windows -------------------------------------------------------------------


async def create_cohort(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    *,
    name: str,
    starts_on: date,
    ends_on: date,
) -> Cohort:
    """A cohort under the tenant's current scheme version (the one new pairs start under)."""
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        problems: list[Problem] = []
        try:
            name = clean_text(name, label="Name", kind=LINE, max_length=200, required=True)
        except BadText as exc:
            problems.append(Problem(path="name", message=exc.message))
        if ends_on <= starts_on:
            problems.append(Problem(path="ends_on", message="The end must be after the start"))
        version = await _current_version(session)
        if version is None:
            problems.append(Problem(message="The association has no scheme loaded yet"))
        if not problems:
            taken = await session.execute(select(Cohort.id).where(Cohort.name == name))
            if taken.first() is not None:
                problems.append(Problem(path="name", message="A cohort with this name exists"))
        if problems:
            raise Problems(problems)
        assert version is not None
        cohort = Cohort(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            scheme_version=version,
        )
        session.add(cohort)
        audit.record(
            session,
            "cohort_created",
            actor=actor.email,
            subject=str(cohort.id),
            details={"name": name, "starts_on": starts_on.isoformat(), "version": version},
        )
        await session.flush()
        return cohort


async def open_window(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    role: str,
    *,
    opens_at: datetime,
    closes_at: datetime | None = None,
) -> RecruitmentWindow:
    """Set (or move, or reopen) `role`'s application window in a cohort. Without
    `closes_at`, the window lasts the weeks the scheme gives the role
    (`application.recruitment_windows`). The scheme's order of windows is kept (mentors
    before mentees: `window_order_problem`), checked on the cohort's windows locked in this
    transaction; a refusal is a problem at `opens_at`, nothing written."""
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
        if role not in ROLES:
            raise _problems("role", "Choose mentor or mentee")
        scheme = await scheme_of(session, cohort.scheme_version)
        if closes_at is None:
            weeks = {str(w.role): w.weeks for w in scheme.application.recruitment_windows}.get(role)
            if weeks is None:
                raise _problems("closes_at", "Give the date the window closes")
            closes_at = opens_at + timedelta(weeks=weeks)
        if closes_at <= opens_at:
            raise _problems("closes_at", "The window must close after it opens")
        # The cohort's windows, locked: two coordinators moving the mentors' and the
        # mentees' windows at once cannot both pass the order check below.
        existing = {
            w.role: w
            for w in (
                await session.execute(
                    select(RecruitmentWindow)
                    .where(RecruitmentWindow.cohort_id == cohort.id)
                    .with_for_update()
                )
            ).scalars()
        }
        wrong = window_order_problem(scheme, role, opens_at, existing)
        if wrong:
            raise _problems("opens_at", wrong)
        window = existing.get(role)
        if window is None:
            window = RecruitmentWindow(
                tenant_id=tenant_id, id=uuid.uuid4(), cohort_id=cohort.id, role=role
            )
            session.add(window)
        window.opens_at, window.closes_at = opens_at, closes_at
        window.closed_at = window.closed_by = None
        audit.record(
            session,
            "window_opened",
            actor=actor.email,
            subject=str(window.id),
            details={
                "cohort": cohort.name,
                "role": role,
                "opens_at": opens_at.isoformat(),
                "closes_at": closes_at.isoformat(),
            },
        )
        await session.flush()
        return window


def window_order_problem(
    scheme: Scheme, role: str, opens_at: datetime, windows: Mapping[str, Any]
) -> str | None:
    """Why `role`'s window may not open at `opens_at` under the scheme's order of windows
    (`application.recruitment_windows`, e.g. mentors before mentees): a role's window
    opens no earlier than the window of each role before it, which must be set first, and
    no later than the window of a role after it already set. None: it may."""
    listed = [str(w.role) for w in scheme.application.recruitment_windows]
    if role not in listed:
        return None
    at = listed.index(role)
    for earlier in listed[:at]:
        window = windows.get(earlier)
        if window is None:
            return f"Open the {earlier}s' window first: this scheme recruits {earlier}s first"
        if opens_at < window.opens_at:
            return (
                f"The {role}s' window cannot open before the {earlier}s' window "
                f"(this scheme recruits {earlier}s first)"
            )
    for later in listed[at + 1 :]:
        window = windows.get(later)
        if window is not None and opens_at > window.opens_at:
            return (
                f"The {role}s' window cannot open after the {later}s' window "
                f"(this scheme recruits {role}s first)"
            )
    return None


async def open_scheme_windows(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    *,
    opens_at: datetime,
) -> list[RecruitmentWindow]:
    """Open a cohort's windows as its scheme lists them (`application.recruitment_windows`,
    e.g. the Museums Association's six weeks for mentors, then six for mentees): the first
    from `opens_at`, each next one when the one before closes. One transaction."""
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
        planned = (await scheme_of(session, cohort.scheme_version)).application.recruitment_windows
        if not planned:
            raise Refused("This scheme sets no recruitment windows; open each role's by hand.")
        existing = {
            w.role: w
            for w in (
                await session.execute(
                    select(RecruitmentWindow).where(RecruitmentWindow.cohort_id == cohort.id)
                )
            ).scalars()
        }
        windows, start = [], opens_at
        for plan in planned:
            window = existing.get(plan.role)
            if window is None:
                window = RecruitmentWindow(
                    tenant_id=tenant_id, id=uuid.uuid4(), cohort_id=cohort.id, role=plan.role
                )
                session.add(window)
            window.opens_at, window.closes_at = start, start + timedelta(weeks=plan.weeks)
            window.closed_at = window.closed_by = None
            windows.append(window)
            start = window.closes_at
        audit.record(
            session,
            "windows_opened",
            actor=actor.email,
            subject=str(cohort.id),
            details={
                "cohort": cohort.name,
                "windows": [
                    [w.role, w.opens_at.isoformat(), w.closes_at.isoformat()] for w in windows
                ],
            },
        )
        await session.flush()
        return windows


async def close_window(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    window_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> RecruitmentWindow:
    """The coordinator closes a window now (before its planned end)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        window = await get_in_tenant(session, RecruitmentWindow, window_id, what="window")
        if window.closed_at is not None or window.closes_at <= now:
            raise Refused("This application window is already closed.")
        window.closed_at, window.closed_by = now, actor.id
        audit.record(
            session,
            "window_closed",
            actor=actor.email,
            subject=str(window.id),
            details={"role": window.role, "at": now.isoformat()},
        )
        await session.flush()
        return window


def window_words(window: RecruitmentWindow | None, role: str, now: datetime) -> str | None:
    """Why `role` cannot apply now, in plain words; None while the window is open."""
    if window is None:
        return f"Applications from {role}s are not open for this cohort."
    if window.is_open(now):
        return None
    if now < window.opens_at:
        return f"Applications from {role}s open on {_day(window.opens_at)}."
    return f"Applications from {role}s closed on {_day(window.closed_at or window.closes_at)}."


async def _check_window(
    session: AsyncSession, cohort_id: uuid.UUID, role: str, now: datetime
) -> None:
    window = (
        await session.execute(
            select(RecruitmentWindow).where(
                RecruitmentWindow.cohort_id == cohort_id, RecruitmentWindow.role == role
            )
        )
    ).scalar_one_or_none()
    words = window_words(window, role, now)
    if words is not None:
        raise WindowClosed(words)


# --- facts and evaluation ------------------------------------------------------------------


async def _active_organisations(session: AsyncSession) -> list[str]:
    rows = await session.execute(
        select(PartnerOrganisation.name)
        .where(PartnerOrganisation.active.is_(True))
        .order_by(PartnerOrganisation.name)
    )
    return list(rows.scalars())


async def _ratified_on(session: AsyncSession, member: Member) -> date | None:
    recorded = (
        await session.execute(
            select(func.min(BoardRatification.ratified_on)).where(
                BoardRatification.member_id == member.id
            )
        )
    ).scalar_one_or_none()
    dates = [d for d in (member.ratified_on, recorded) if d is not None]
    return min(dates) if dates else None


async def _line_manager(session: AsyncSession, app: Application) -> LineManager:
    if app.approval_request_id is None:
        return LineManager.NOT_ASKED
    status = (
        await session.execute(
            select(ApprovalRequest.status).where(ApprovalRequest.id == app.approval_request_id)
        )
    ).scalar_one()
    return LineManager(status if status in ("approved", "declined") else "pending")


@lru_cache(maxsize=1024)
def _fact_questions(scheme: Scheme, role: str) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """The questions of `role`'s form eligibility reads: (question id, exclusion) pairs and
    the organisation question's id."""
    form = forms.form_for(scheme, role)
    if form is None:
        return (), None
    excludes = tuple((q.id, q.excludes) for q in form.questions if q.excludes)
    organisation = next((q.id for q in form.questions if q.kind == "organisation"), None)
    return excludes, organisation


def _answer_facts(
    scheme: Scheme, role: str, answers: Mapping[str, Any]
) -> tuple[frozenset[str], str | None]:
    """The exclusions declared and the organisation answered (as forms.declared_exclusions
    and forms.organisation_answer read them)."""
    excludes, organisation = _fact_questions(scheme, role)
    declared = frozenset(x for qid, x in excludes if answers.get(qid) is True)
    chosen = answers.get(organisation) if organisation else None
    return declared, chosen if isinstance(chosen, str) else None


async def _facts(ctx: _Context, app: Application) -> Facts:
    session, member = ctx.session, ctx.member
    exclusions, organisation = _answer_facts(ctx.scheme, app.role, app.answers)
    trained = await session.execute(
        select(TrainingRecord.kind).where(TrainingRecord.member_id == member.id).distinct()
    )
    return Facts(
        membership_status=member.membership_status,
        declared_exclusions=exclusions,
        organisation=organisation,
        partner_organisations=frozenset(await _active_organisations(session)),
        trained=frozenset(trained.scalars()),
        ratified_on=await _ratified_on(session, member),
        line_manager=await _line_manager(session, app),
    )


def _formatted(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("label") or value.get("text") or "")
    return str(value)


async def _ask_line_manager(
    ctx: _Context, app: Application, now: datetime, *, required: bool = True
) -> None:
    """Create the approval request and mail its signed link (identity's approvals). With no
    approver's address in the answers: a problem at that question, or (`required=False`, a
    re-evaluation) nothing: the application waits, and the coordinator sees what for."""
    form = forms.form_for(ctx.scheme, app.role)
    address = forms.approver_address(form, app.answers) if form is not None else None
    if form is None or address is None:
        if not required:
            return
        field = next((q.id for q in form.questions if q.approver), "") if form else ""
        raise _problems(
            field, "Give your line manager's e-mail address: they approve your application"
        )
    details = [("Applicant", ctx.member.display_name), ("Applying to be", f"a {app.role}")]
    details += [
        (q.label, _formatted(v)) for q, v in forms.visible_answers(form, app.answers, "approver")
    ]
    request, _token = await approvals.create_request(
        ctx.session,
        get_settings().secret_key or "",
        summary=f"{ctx.member.display_name}'s application to be a {app.role} in {ctx.cohort.name}"[
            :300
        ],
        details=details,
        approver_email=address,
        valid_days=APPROVAL_VALID_DAYS,
        now=now,
    )
    app.approval_request_id = request.id


def _apply(app: Application, scheme: Scheme, outcome: Outcome) -> bool:
    """Put an evaluation's outcome on the application; True when anything changed.
    Refuses (TransitionRefused) where the state does not allow evaluating."""
    target = next_state(
        scheme.application, app.role, app.state, Action.EVALUATE, _VERDICT_STATE[outcome.verdict]
    )
    before = (app.state, list(app.waiting_for), app.ineligible_rule, app.ineligible_reason)
    app.state = target
    app.waiting_for = [str(w) for w in outcome.waiting_for]
    app.ineligible_rule = outcome.rule
    app.ineligible_reason = outcome.reason
    return before != (app.state, list(app.waiting_for), app.ineligible_rule, app.ineligible_reason)


async def _reevaluate(
    ctx: _Context, app: Application, *, actor: str, now: datetime, notify: bool = True
) -> bool:
    """Evaluate one application again; move, flag or leave it; tell the applicant when its
    state changed. True when the application changed."""
    state = State(app.state)
    if state in TERMINAL or state == State.DRAFT:
        return False
    outcome = evaluate(ctx.scheme, app.role, await _facts(ctx, app))
    if (
        state not in FLAGGABLE
        and Waiting.LINE_MANAGER in outcome.waiting_for
        and app.approval_request_id is None
    ):
        await _ask_line_manager(ctx, app, now, required=False)
    if state in FLAGGABLE:
        if outcome.verdict is Verdict.INELIGIBLE and app.flagged_at is None:
            app.flagged_at, app.flag_reason = now, outcome.reason
            _touch(app, now)
            _audit(ctx.session, "application_flagged", actor, app, rule=outcome.rule)
            return True
        return False
    previous = app.state
    if not _apply(app, ctx.scheme, outcome):
        return False
    _touch(app, now)
    _audit(ctx.session, "application_evaluated", actor, app, previous=previous, rule=outcome.rule)
    if notify and previous != app.state:
        await _tell_outcome(ctx, app)
    return True


def _outcome_mail(
    tenant: Tenant, cohort: Cohort, member: Member, app: Application
) -> tuple[str, Outgoing] | None:
    """The message kind and message telling the applicant their evaluation's outcome
    (eligible, or ineligible and why); None for any other state."""
    if app.state == State.ELIGIBLE:
        return "application_eligible", _mail(tenant, cohort, member, app, "eligible")
    if app.state == State.INELIGIBLE:
        mail = _mail(tenant, cohort, member, app, "ineligible", why=app.ineligible_reason)
        return "application_ineligible", mail
    return None


async def _tell_outcome(ctx: _Context, app: Application) -> None:
    told = _outcome_mail(ctx.tenant, ctx.cohort, ctx.member, app)
    if told is not None:
        kind, mail = told
        await send(ctx.session, ctx.tenant, kind, mail.context, mail.key, to_member=ctx.member)


# --- the applicant's actions ---------------------------------------------------------------


def _answers_or_problems(
    scheme: Scheme,
    role: str,
    data: Mapping[str, Sequence[str]],
    *,
    final: bool,
    organisations: Sequence[str],
) -> dict[str, Any]:
    form = forms.form_for(scheme, role)
    if form is None:
        raise Refused(f"This scheme has no application form for {role}s.")
    answers, errors = forms.parse_answers(form, data, final=final, organisations=organisations)
    if errors:
        raise Problems(Problem(path=e.field, message=e.message) for e in errors)
    return answers


async def save_draft(
    db: Database,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID | str,
    *,
    cohort_id: uuid.UUID | str,
    role: str,
    data: Mapping[str, Sequence[str]],
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Application:
    """Start or update the member's draft for `role` in a cohort, while its window is open.
    Answers are checked for types, limits and choices (not yet for completeness)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        member = await _member(session, member_id)
        cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
        if role not in ROLES:
            raise NotFound("form")
        scheme = await scheme_of(session, cohort.scheme_version)
        await _check_window(session, cohort.id, role, now)
        answers = _answers_or_problems(
            scheme, role, data, final=False, organisations=await _active_organisations(session)
        )
        app = (
            await session.execute(
                select(Application)
                .where(
                    Application.cohort_id == cohort.id,
                    Application.member_id == member.id,
                    Application.role == role,
                    Application.state != State.WITHDRAWN,
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        if app is None:
            app = Application(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                cohort_id=cohort.id,
                member_id=member.id,
                role=role,
                state=State.DRAFT,
                answers={},
                waiting_for=[],
                lock_version=0,
                created_at=now,
            )
            session.add(app)
        else:
            next_state(scheme.application, role, app.state, Action.SAVE_DRAFT)
            _check_version(app, lock_version)
        app.answers = answers
        app.search_text = _search_text(member)
        _touch(app, now)
        _audit(session, "application_draft_saved", member.email, app)
        await session.flush()
        return app


async def submit(
    db: Database,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
    *,
    data: Mapping[str, Sequence[str]] | None = None,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Application:
    """Submit a draft (with the form's final answers, if given): every required question
    answered, inside the window. Eligibility is evaluated at once; a line-manager scheme
    mails the approval link. A submit replayed after it went through (double click,
    re-posted form) changes nothing and returns the application as it is."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        app = await _own(session, member_id, application_id)
        if app.state != State.DRAFT and app.submitted_at is not None:
            return app  # already submitted: a replay changes nothing
        ctx = await _context(session, app)
        next_state(ctx.scheme.application, app.role, app.state, Action.SUBMIT)
        _check_version(app, lock_version)
        await _check_window(session, app.cohort_id, app.role, now)
        organisations = await _active_organisations(session)
        if data is not None:
            app.answers = _answers_or_problems(
                ctx.scheme, app.role, data, final=True, organisations=organisations
            )
        else:  # the saved draft must be complete
            form = forms.form_for(ctx.scheme, app.role)
            _answers_or_problems(
                ctx.scheme,
                app.role,
                forms.form_values(form, app.answers) if form is not None else {},
                final=True,
                organisations=organisations,
            )
        app.state = next_state(ctx.scheme.application, app.role, app.state, Action.SUBMIT)
        app.submitted_at = now
        app.search_text = _search_text(ctx.member)
        outcome = evaluate(ctx.scheme, app.role, await _facts(ctx, app))
        if "line_manager" in outcome.waiting_for and app.approval_request_id is None:
            await _ask_line_manager(ctx, app, now)
        _apply(app, ctx.scheme, outcome)
        _touch(app, now)
        _audit(session, "application_submitted", ctx.member.email, app, rule=outcome.rule)
        if app.state == State.INELIGIBLE:
            await _tell_outcome(ctx, app)
        else:
            extra = (
                {"waiting_for": [_waiting_words(w) for w in app.waiting_for]}
                if app.waiting_for
                else {}
            )
            await _tell(ctx, app, "application_received", "received", **extra)
        await session.flush()
        return app


async def withdraw(
    db: Database,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> Application:
    """The applicant withdraws their application (from any state that is not final). A
    withdrawal replayed after it went through changes nothing."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        app = await _own(session, member_id, application_id)
        if app.state == State.WITHDRAWN:
            return app
        ctx = await _context(session, app)
        app.state = next_state(ctx.scheme.application, app.role, app.state, Action.WITHDRAW)
        app.withdrawn_at = now
        app.waitlist_rank = None
        _touch(app, now)
        _audit(session, "application_withdrawn", ctx.member.email, app)
        if app.submitted_at is not None:  # a draft was never acknowledged either
            await _tell(ctx, app, "application_withdrawn", "withdrawn")
        await session.flush()
        return app


# --- approvals, training, ratification, partner organisations -----------------------------


async def approval_decided(session: AsyncSession, request: ApprovalRequest) -> None:
    """A line manager decided through their link (identity's `approvals.decide`, in its
    transaction): the application that asked is evaluated again and its applicant told."""
    app = (
        await session.execute(
            select(Application)
            .where(Application.approval_request_id == request.id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if app is None:  # a request that is not an application's
        return
    ctx = await _context(session, app)
    now = request.decided_at or datetime.now(UTC)
    await _reevaluate(ctx, app, actor=request.approver_email, now=now)


approvals.on_decided(approval_decided)


async def reevaluate_member(
    session: AsyncSession,
    member_id: uuid.UUID | str,
    *,
    actor: str,
    now: datetime | None = None,
) -> int:
    """Evaluate one member's open applications again, in the caller's transaction (after a
    fact about that member changed: a training record added or removed, a ratification
    recorded or revoked): each moved, flagged or left as `_reevaluate` decides, audited on
    the application, its applicant told. Returns how many changed. For many members at
    once, `reevaluate_members(member_ids=...)` (set-based)."""
    await session.flush()
    return await _reevaluate_member(session, uuid.UUID(str(member_id)), actor, _now(now))


async def _reevaluate_member(
    session: AsyncSession, member_id: uuid.UUID, actor: str, now: datetime
) -> int:
    rows = await session.execute(
        select(Application)
        .where(
            Application.member_id == member_id,
            Application.state.in_([*EVALUABLE, *FLAGGABLE]),
        )
        .with_for_update()
    )
    changed = 0
    for app in rows.scalars():
        changed += await _reevaluate(await _context(session, app), app, actor=actor, now=now)
    return changed


async def record_training(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    member_id: uuid.UUID | str,
    *,
    kind: str,
    completed_on: date,
    now: datetime | None = None,
) -> TrainingRecord:
    """The coordinator records that a member completed a training (mentor, mentee or joint);
    the member's waiting applications are evaluated again."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        member = await _member(session, member_id)
        if kind not in ("mentor", "mentee", "joint"):
            raise _problems("kind", "Choose mentor, mentee or joint training")
        if completed_on > now.date():
            raise _problems("completed_on", "The training cannot be completed in the future")
        record = TrainingRecord(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            member_id=member.id,
            kind=kind,
            completed_on=completed_on,
            source="coordinator",
            recorded_by=actor.id,
        )
        session.add(record)
        audit.record(
            session,
            "training_recorded",
            actor=actor.email,
            subject=str(member.id),
            details={"kind": kind, "completed_on": completed_on.isoformat()},
        )
        await session.flush()
        await _reevaluate_member(session, member.id, actor.email, now)
        await session.flush()
        return record


async def record_ratification(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    member_id: uuid.UUID | str,
    *,
    ratified_on: date,
    note: str = "",
    now: datetime | None = None,
) -> BoardRatification:
    """The tenant admin records the board's ratification of a member, with its date; the
    member's waiting applications are evaluated again."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _member(session, actor_id)
        if Role.TENANT_ADMIN not in actor.roles:
            raise NotFound("member")
        member = await _member(session, member_id)
        if ratified_on > now.date():
            raise _problems("ratified_on", "The ratification cannot be in the future")
        note = _clean(note, "note", "Note", kind=TEXT, max_length=2000)
        record = BoardRatification(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            member_id=member.id,
            ratified_on=ratified_on,
            recorded_by=actor.id,
            note=note or None,
        )
        session.add(record)
        audit.record(
            session,
            "ratification_recorded",
            actor=actor.email,
            subject=str(member.id),
            details={"ratified_on": ratified_on.isoformat()},
        )
        await session.flush()
        await _reevaluate_member(session, member.id, actor.email, now)
        await session.flush()
        return record


async def set_partner_organisations(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    names: Sequence[str],
    *,
    now: datetime | None = None,
) -> list[str]:
    """The tenant admin's list of partner organisations becomes exactly `names` (others are
    kept, inactive, so past answers still read); applications waiting or refused for their
    organisation are evaluated again. Returns the active list."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _member(session, actor_id)
        if Role.TENANT_ADMIN not in actor.roles:
            raise NotFound("member")
        wanted: dict[str, str] = {}
        problems: list[Problem] = []
        for i, raw in enumerate(names):
            if not raw.strip():
                continue
            try:
                name = clean_text(raw, label="Organisation", kind=LINE, max_length=200)
            except BadText as exc:
                problems.append(Problem(path=f"names[{i}]", message=exc.message))
                continue
            wanted.setdefault(name.casefold(), name)
        if problems:
            raise Problems(problems)
        existing = {
            row.name.casefold(): row
            for row in (await session.execute(select(PartnerOrganisation))).scalars()
        }
        added: list[str] = []
        removed: list[str] = []
        for key, row in existing.items():
            active = key in wanted
            if row.active != active:
                (added if active else removed).append(row.name)
            row.active = active
            if active:
                row.name = wanted[key]
        for key, name in wanted.items():
            if key not in existing:
                session.add(PartnerOrganisation(tenant_id=tenant_id, id=uuid.uuid4(), name=name))
                added.append(name)
        audit.record(
            session,
            "partner_organisations_changed",
            actor=actor.email,
            details={"added": added, "removed": removed},
        )
        await session.flush()
        if added or removed:
            members = await session.execute(
                select(Application.member_id)
                .where(Application.state.in_([*EVALUABLE, *FLAGGABLE]))
                .distinct()
            )
            for member_id in members.scalars().all():
                await _reevaluate_member(session, member_id, actor.email, now)
        await session.flush()
        return sorted(wanted.values(), key=str.casefold)


# --- the coordinator's actions -------------------------------------------------------------


async def _step(
    session: AsyncSession,
    actor: Member,
    application_id: uuid.UUID | str,
    action: Action,
    now: datetime,
    lock_version: int | None = None,
) -> tuple[_Context, Application]:
    """Lock the application, check the action is allowed, move it to its next state."""
    app = await _locked(session, application_id)
    ctx = await _context(session, app)
    target = next_state(ctx.scheme.application, app.role, app.state, action)
    _check_version(app, lock_version)
    app.state = target
    _touch(app, now)
    return ctx, app


async def _shortlist(
    session: AsyncSession,
    actor: Member,
    application_id: uuid.UUID | str,
    now: datetime,
    lock_version: int | None = None,
) -> Application:
    ctx, app = await _step(session, actor, application_id, Action.SHORTLIST, now, lock_version)
    _audit(session, "application_shortlisted", actor.email, app)
    await _tell(ctx, app, "application_shortlisted", "shortlisted")
    return app


async def _accept(
    session: AsyncSession,
    actor: Member,
    application_id: uuid.UUID | str,
    now: datetime,
    lock_version: int | None = None,
) -> Application:
    ctx, app = await _step(session, actor, application_id, Action.ACCEPT, now, lock_version)
    app.decided_at, app.waitlist_rank = now, None
    _audit(session, "application_accepted", actor.email, app)
    await _tell(ctx, app, "application_accepted", "accepted")
    await _renumber_waitlist(session, app.cohort_id, app.role)
    return app


async def _decline(
    session: AsyncSession,
    actor: Member,
    application_id: uuid.UUID | str,
    now: datetime,
    lock_version: int | None = None,
    *,
    feedback: str = "",
    priority_next_intake: bool = False,
) -> Application:
    ctx, app = await _step(session, actor, application_id, Action.DECLINE, now, lock_version)
    feedback = _clean(feedback, "feedback", "Feedback", kind=TEXT, max_length=FEEDBACK_MAX)
    was_waitlisted = app.waitlist_rank is not None
    app.decided_at, app.waitlist_rank = now, None
    app.feedback = feedback or None
    app.feedback_sent_at = now if feedback else None
    app.priority_next_intake = priority_next_intake
    _audit(
        session,
        "application_declined",
        actor.email,
        app,
        feedback=bool(feedback),
        priority_next_intake=priority_next_intake,
    )
    extra: dict[str, Any] = {
        "feedback_offered": ctx.scheme.application.feedback_to_unsuccessful and not feedback,
        "priority_next_intake": priority_next_intake,
    }
    if feedback:
        extra["feedback"] = feedback
    await _tell(ctx, app, "application_unsuccessful", "unsuccessful", **extra)
    if was_waitlisted:
        await _renumber_waitlist(session, app.cohort_id, app.role)
    return app


async def _waitlisted(session: AsyncSession, cohort_id: uuid.UUID, role: str) -> list[Application]:
    rows = await session.execute(
        select(Application)
        .where(
            Application.cohort_id == cohort_id,
            Application.role == role,
            Application.state == State.WAITLISTED,
        )
        .order_by(Application.waitlist_rank.nulls_last(), Application.decided_at, Application.id)
        .with_for_update()
    )
    return list(rows.scalars())


async def _renumber_waitlist(
    session: AsyncSession,
    cohort_id: uuid.UUID,
    role: str,
    first: Application | None = None,
    rank: int | None = None,
) -> None:
    """Ranks 1..n with no gaps; `first` goes to `rank` (the end when None)."""
    await session.flush()
    line = [a for a in await _waitlisted(session, cohort_id, role) if a is not first]
    if first is not None:
        position = len(line) if rank is None else max(0, min(rank - 1, len(line)))
        line.insert(position, first)
    for i, a in enumerate(line, start=1):
        a.waitlist_rank = i


async def _waitlist(
    session: AsyncSession,
    actor: Member,
    application_id: uuid.UUID | str,
    now: datetime,
    lock_version: int | None = None,
    *,
    rank: int | None = None,
) -> Application:
    if rank is not None and rank < 1:
        raise _problems("rank", "The place on the waiting list is 1 or more")
    app = await _locked(session, application_id)
    again = app.state == State.WAITLISTED
    ctx, app = await _step(session, actor, application_id, Action.WAITLIST, now, lock_version)
    app.decided_at = now
    await _renumber_waitlist(session, app.cohort_id, app.role, app, rank)
    _audit(session, "application_waitlisted", actor.email, app, rank=app.waitlist_rank)
    if not again:
        await _tell(ctx, app, "application_waitlisted", "waitlisted")
    return app


async def _coordinator(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    step: Any,
    application_id: uuid.UUID | str,
    now: datetime | None,
    lock_version: int | None,
    **params: Any,
) -> Application:
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        app: Application = await step(
            session, actor, application_id, _now(now), lock_version, **params
        )
        await session.flush()
        return app


async def shortlist(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Application:
    return await _coordinator(
        db, tenant_id, actor_id, _shortlist, application_id, now, lock_version
    )


async def accept(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Application:
    """Accept into the cohort (an interviewed role only after its interview was held)."""
    return await _coordinator(db, tenant_id, actor_id, _accept, application_id, now, lock_version)


async def decline(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
    *,
    feedback: str = "",
    priority_next_intake: bool = False,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Application:
    """Unsuccessful: the applicant is told, with the coordinator's feedback (a template from
    `feedback_templates`, edited) where given, the offer of feedback where the scheme makes
    it and none was written, and priority in the next intake if offered."""
    return await _coordinator(
        db,
        tenant_id,
        actor_id,
        _decline,
        application_id,
        now,
        lock_version,
        feedback=feedback,
        priority_next_intake=priority_next_intake,
    )


async def waitlist(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
    *,
    rank: int | None = None,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Application:
    """On the cohort's ranked waiting list for the role, at `rank` (the end when None);
    a waitlisted application is moved to `rank`. The others keep their order."""
    return await _coordinator(
        db, tenant_id, actor_id, _waitlist, application_id, now, lock_version, rank=rank
    )


async def schedule_interview(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
    *,
    scheduled_at: datetime,
    format: str | None = None,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Interview:
    """Give (or move) the applicant's interview; the applicant is told when and how."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        if scheduled_at.tzinfo is None:
            raise _problems("scheduled_at", "Give the interview's time with its time zone")
        if scheduled_at <= now:
            raise _problems("scheduled_at", "The interview must be in the future")
        ctx, app = await _step(
            session, actor, application_id, Action.SCHEDULE_INTERVIEW, now, lock_version
        )
        rule = ctx.scheme.application.interview
        chosen = format or (rule.format if rule else "phone")
        if chosen not in ("phone", "video", "in_person"):
            raise _problems("format", "Choose phone, video or in person")
        interview = (
            await session.execute(select(Interview).where(Interview.application_id == app.id))
        ).scalar_one_or_none()
        if interview is None:
            interview = Interview(tenant_id=tenant_id, id=uuid.uuid4(), application_id=app.id)
            session.add(interview)
        interview.scheduled_at, interview.format, interview.recorded_by = (
            scheduled_at,
            chosen,
            actor.id,
        )
        _audit(session, "interview_scheduled", actor.email, app, at=scheduled_at.isoformat())
        await _tell(
            ctx,
            app,
            "application_interview_scheduled",
            "interview",
            when=_when(scheduled_at),
            format={"phone": "by phone", "video": "by video call", "in_person": "in person"}[
                chosen
            ],
        )
        await session.flush()
        return interview


async def record_interview(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
    *,
    held_at: datetime,
    notes: str = "",
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Interview:
    """The interview was held; its notes are for coordinators and tenant admins only (the
    applicant is not mailed: the decision that follows tells them)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        if held_at > now:
            raise _problems("held_at", "The interview cannot be held in the future")
        notes = _clean(notes, "notes", "Notes", kind=TEXT, max_length=NOTES_MAX)
        _ctx, app = await _step(
            session, actor, application_id, Action.RECORD_INTERVIEW, now, lock_version
        )
        interview = (
            await session.execute(select(Interview).where(Interview.application_id == app.id))
        ).scalar_one()
        interview.held_at, interview.notes, interview.recorded_by = held_at, notes or None, actor.id
        _audit(session, "interview_recorded", actor.email, app, at=held_at.isoformat())
        await session.flush()
        return interview


async def offer_priority_next_intake(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    application_id: uuid.UUID | str,
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Application:
    """Tell an applicant the scheme could not place (unsuccessful, or still on the waiting
    list when the cohort is full) that they are invited to apply again, with priority in the
    next intake (Alberta's "reapply next year"). Offered once (an offer replayed after it
    went through changes nothing); a form showing an older `lock_version` is StaleForm."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        app = await _locked(session, application_id)
        if app.state not in (State.UNSUCCESSFUL, State.WAITLISTED):
            raise Refused(
                "Priority in the next intake is offered to applicants who could not be placed "
                "(unsuccessful or on the waiting list)."
            )
        if app.priority_next_intake:
            return app
        _check_version(app, lock_version)
        ctx = await _context(session, app)
        app.priority_next_intake = True
        _touch(app, now)
        _audit(session, "priority_next_intake_offered", actor.email, app)
        await _tell(ctx, app, "application_next_intake", "next_intake")
        await session.flush()
        return app


#: Bulk actions: one transaction for all, all or nothing.
_BULK = {"shortlist": _shortlist, "accept": _accept, "decline": _decline}


class BulkRefused(Refused):
    """One of the applications refused the action; nothing was changed."""

    def __init__(self, application_id: str, reason: str) -> None:
        super().__init__(reason)
        self.application_id = application_id


class BulkStale(StaleForm):
    """Some of the applications changed since the confirmation page was shown (their
    versions differ from the page's); nothing was changed. `application_ids`: which."""

    def __init__(self, application_ids: list[str]) -> None:
        listed = ", ".join(application_ids)
        super().__init__(
            f"{len(application_ids)} of these applications changed since this page was shown "
            f"(application {listed}). Nothing was changed: look at them again and confirm."
            if len(application_ids) > 1
            else f"Application {listed} changed since this page was shown. Nothing was "
            "changed: look at it again and confirm."
        )
        self.application_ids = application_ids


async def _check_versions(
    session: AsyncSession, ids: list[str], versions: Mapping[str, int]
) -> None:
    """Lock the applications (in id order, so two bulk actions cannot deadlock) and refuse
    them all when any one's version is not the page's (BulkStale, naming each); an id
    that is not the tenant's is NotFound."""
    try:
        keys = sorted({uuid.UUID(i) for i in ids})
    except ValueError:
        raise NotFound("application") from None
    found = {
        str(key): version
        for key, version in (
            await session.execute(
                select(Application.id, Application.lock_version)
                .where(Application.id.in_(keys))
                .order_by(Application.id)
                .with_for_update()
            )
        ).all()
    }
    if len(found) != len(keys):
        raise NotFound("application")
    stale = [i for i in ids if versions.get(i) != found[str(uuid.UUID(i))]]
    if stale:
        raise BulkStale(stale)


async def bulk(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    action: str,
    application_ids: Sequence[uuid.UUID | str],
    *,
    feedback: str = "",
    versions: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> list[Application]:
    """Shortlist, accept or decline many applications in one transaction: all of them, or
    none: one refusing (its state) raises BulkRefused naming it; an id that is not the
    tenant's raises NotFound. `versions` (application id → the lock version the
    confirmation page showed): checked for every application first, each locked; any one
    missing or changed and the whole bulk is BulkStale naming them, nothing written."""
    step = _BULK.get(action)
    if step is None:
        raise _problems("action", "Choose shortlist, accept or decline")
    ids = list(dict.fromkeys(str(i) for i in application_ids))
    if not ids:
        raise _problems("ids", "Choose at least one application")
    now = _now(now)
    params: dict[str, Any] = {"feedback": feedback} if action == "decline" else {}
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        if versions is not None:
            await _check_versions(session, ids, {str(k): v for k, v in versions.items()})
        done = []
        for application_id in ids:
            try:
                done.append(await step(session, actor, application_id, now, None, **params))
            except Refused as exc:  # (a forged id stays NotFound: the same 404)
                raise BulkRefused(
                    application_id, f"{exc} (application {application_id}); nothing was changed."
                ) from exc
        await session.flush()
        return done


def feedback_templates(scheme: Scheme, role: str) -> dict[str, str]:
    """Reasons a coordinator starts an unsuccessful applicant's feedback from, to edit
    before sending (name → text)."""
    texts = {
        "oversubscribed": (
            f"We had many more applications from {role}s than places this time, and we could "
            "not offer everyone a place."
        ),
        "fit": (
            f"We looked for {role}s whose experience and goals fit the scheme's focus this "
            "time, and your application fitted less closely than others."
        ),
        "no_match": (
            f"We could not find a suitable {'mentee' if role == 'mentor' else 'mentor'} for "
            "you in this cohort."
        ),
    }
    if scheme.matching.unmatched == "inform_and_invite_next_cohort":
        texts["no_match"] += " We would welcome an application from you for the next intake."
    return texts


# --- after a roster import: set-based re-evaluation ---------------------------------------

#: Every application an import could change, with the facts eligibility reads, in one
#: statement: trainings and ratifications are aggregated per member once (hash joins), not
#: looked up per row; of the answers, only those eligibility reads ({answers}: the
#: questions' values as one JSON array, e.g. `jsonb_build_array(a.answers -> $3)`). It runs
#: on the session's own asyncpg connection (in its transaction, under its tenant), whose
#: records cost a fraction of ORM rows at 100,000.
_FACTS = """
    SELECT a.id, a.role, a.state, a.waiting_for, a.ineligible_rule, a.ineligible_reason,
           a.flagged_at, c.scheme_version, {answers} AS answers,
           m.membership_status, m.ratified_on, b.ratified_on AS recorded_ratification,
           t.kinds, r.status AS approval_status
    FROM applications a
    JOIN cohorts c ON c.tenant_id = a.tenant_id AND c.id = a.cohort_id
    JOIN members m ON m.tenant_id = a.tenant_id AND m.id = a.member_id
    LEFT JOIN (SELECT member_id, min(ratified_on) AS ratified_on FROM board_ratifications
               WHERE tenant_id = $1 GROUP BY member_id) b ON b.member_id = a.member_id
    LEFT JOIN (SELECT member_id, array_agg(DISTINCT kind) AS kinds FROM training_records
               WHERE tenant_id = $1 GROUP BY member_id) t ON t.member_id = a.member_id
    LEFT JOIN approval_requests r
           ON r.tenant_id = a.tenant_id AND r.id = a.approval_request_id
    WHERE a.tenant_id = $1 AND a.state = ANY($2::text[]){members}
"""

#: The changes, written in one statement from arrays.
_WRITE = text(
    """
    UPDATE applications AS a
    SET state = x.state, waiting_for = x.waiting_for::text[], ineligible_rule = x.rule,
        ineligible_reason = x.reason, flagged_at = x.flagged_at, flag_reason = x.flag_reason,
        lock_version = a.lock_version + 1, updated_at = :now
    FROM (SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:states AS text[]),
                               CAST(:waiting AS text[]), CAST(:rules AS text[]),
                               CAST(:reasons AS text[]), CAST(:flagged AS timestamptz[]),
                               CAST(:flag_reasons AS text[]))
          AS u (id, state, waiting_for, rule, reason, flagged_at, flag_reason)) AS x
    WHERE a.tenant_id = :tenant AND a.id = x.id
    """
)


@dataclass(frozen=True)
class Reevaluated:
    checked: int
    changed: int
    flagged: int


@dataclass(frozen=True)
class _Plan:
    """How one (scheme version, role)'s rows are read: the scheme, and where its
    exclusion and organisation answers are in the row's answer array."""

    scheme: Scheme
    excludes: tuple[tuple[int, str], ...]
    organisation: int | None


def _line_manager_of(status: str | None) -> LineManager:
    if status is None:
        return LineManager.NOT_ASKED
    return LineManager(status if status in ("approved", "declined") else "pending")


async def reevaluate_members(
    session: AsyncSession,
    *,
    actor: str = "roster",
    now: datetime | None = None,
    member_ids: Collection[uuid.UUID] | None = None,
) -> Reevaluated:
    """Evaluate every open application of the tenant again (or only `member_ids`'
    applications: a fact about those members changed), in the caller's transaction
    (after a roster import: `identity.roster.on_applied`). One statement reads the facts,
    the pure engine decides (once per distinct set of facts), one statement writes what
    changed; applicants whose application changed state are told, a line manager whose
    signature is now needed is asked, and an accepted (or shortlisted, interviewed,
    waitlisted) member whose membership no longer qualifies is flagged for the coordinator.
    Audited once."""
    now = _now(now)
    tenant_id = current_tenant(session)
    await session.flush()
    organisations = frozenset(await _active_organisations(session))
    versions = (await session.execute(select(Cohort.scheme_version).distinct())).scalars().all()
    questions: list[str] = []
    plans: dict[tuple[int, str], _Plan] = {}
    for version in versions:
        scheme = await scheme_of(session, version)
        for role in ROLES:
            excludes, organisation = _fact_questions(scheme, role)
            for qid in [q for q, _x in excludes] + ([organisation] if organisation else []):
                if qid not in questions:
                    questions.append(qid)
            plans[(version, role)] = _Plan(
                scheme,
                tuple((questions.index(q), x) for q, x in excludes),
                questions.index(organisation) if organisation else None,
            )
    answers_sql = (
        "jsonb_build_array("
        + ", ".join(f"a.answers -> ${i + 3}::text" for i in range(len(questions)))
        + ")::text"
        if questions
        else "'[]'"
    )
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    started = time.perf_counter()
    only: list[Any] = []
    members_sql = ""
    if member_ids is not None:
        only = [sorted({uuid.UUID(str(m)) for m in member_ids})]
        members_sql = f" AND a.member_id = ANY(${len(questions) + 3}::uuid[])"
    rows = await raw.fetch(
        _FACTS.format(answers=answers_sql, members=members_sql),
        tenant_id,
        [str(s) for s in (*EVALUABLE, *FLAGGABLE)],
        *questions,
        *only,
    )
    read = time.perf_counter()
    # Outcomes by what they depend on (the board's ratification only by whether it was
    # given): 100,000 applications usually have a handful of distinct sets of facts.
    decided: dict[tuple[Any, ...], Outcome] = {}
    changes: dict[str, list[Any]] = {
        k: [] for k in ("ids", "states", "waiting", "rules", "reasons", "flagged", "flag_reasons")
    }
    moved: list[uuid.UUID] = []
    ask: list[uuid.UUID] = []
    flagged = 0
    for row in rows:
        version, role = row["scheme_version"], row["role"]
        ratified = row["ratified_on"] or row["recorded_ratification"]
        key = (
            version,
            role,
            row["membership_status"],
            row["answers"],
            tuple(row["kinds"] or ()),
            ratified is None,
            row["approval_status"],
        )
        outcome = decided.get(key)
        if outcome is None:
            plan = plans[(version, role)]
            values = msgspec.json.decode(row["answers"])
            chosen = values[plan.organisation] if plan.organisation is not None else None
            outcome = decided[key] = evaluate(
                plan.scheme,
                role,
                Facts(
                    membership_status=row["membership_status"],
                    declared_exclusions=frozenset(x for i, x in plan.excludes if values[i] is True),
                    organisation=chosen if isinstance(chosen, str) else None,
                    partner_organisations=organisations,
                    trained=frozenset(row["kinds"] or ()),
                    ratified_on=ratified,
                    line_manager=_line_manager_of(row["approval_status"]),
                ),
            )
        state, waiting = row["state"], list(row["waiting_for"])
        rule, reason = row["ineligible_rule"], row["ineligible_reason"]
        flagged_at, flag_reason = row["flagged_at"], None
        if State(state) in FLAGGABLE:
            if outcome.verdict is not Verdict.INELIGIBLE or flagged_at is not None:
                continue
            flagged_at, flag_reason = now, outcome.reason
            flagged += 1
        else:
            state = str(_VERDICT_STATE[outcome.verdict])
            waiting = [str(w) for w in outcome.waiting_for]
            rule, reason = outcome.rule, outcome.reason
            if (state, waiting, rule, reason) == (
                row["state"],
                list(row["waiting_for"]),
                row["ineligible_rule"],
                row["ineligible_reason"],
            ):
                continue
            if state != row["state"]:
                moved.append(row["id"])
            if Waiting.LINE_MANAGER in outcome.waiting_for and row["approval_status"] is None:
                ask.append(row["id"])
        changes["ids"].append(row["id"])
        changes["states"].append(state)
        changes["waiting"].append("{" + ",".join(waiting) + "}")
        changes["rules"].append(rule)
        changes["reasons"].append(reason)
        changes["flagged"].append(flagged_at)
        changes["flag_reasons"].append(flag_reason)
    decided_at = time.perf_counter()
    if changes["ids"]:
        await session.execute(_WRITE, {**changes, "tenant": tenant_id, "now": now})
        session.expire_all()
    written = time.perf_counter()
    if moved or ask:  # tell each applicant whose application moved; ask line managers
        await _follow_up(session, set(moved), set(ask), now)
    log.debug(
        "re-evaluated %d applications: read %.2fs, decided %.2fs (%d distinct), written "
        "%.2fs, %d told %.2fs",
        len(rows),
        read - started,
        decided_at - read,
        len(decided),
        written - decided_at,
        len(moved) + len(ask),
        time.perf_counter() - written,
    )
    audit.record(
        session,
        "applications_reevaluated",
        actor=actor,
        details={
            "checked": len(rows),
            "changed": len(changes["ids"]),
            "flagged": flagged,
            **({"members": len(only[0])} if only else {}),
        },
    )
    await session.flush()
    return Reevaluated(len(rows), len(changes["ids"]), flagged)


async def _follow_up(
    session: AsyncSession, moved: set[uuid.UUID], ask: set[uuid.UUID], now: datetime
) -> None:
    """The messages of a set-based re-evaluation: the applications, their members and
    cohorts read in three statements, then the messages written a kind at a time through
    the one writer's batch (`messages.services.send_many`: the same rows, keys and checks
    as `send` for each, one multi-row INSERT for all), and an approval request where a
    line manager must now sign."""
    ids = sorted(moved | ask)
    apps = list(
        (
            await session.execute(
                select(Application)
                .where(Application.id.in_(ids))
                .order_by(Application.id)
                .with_for_update()
            )
        ).scalars()
    )
    members = {
        m.id: m
        for m in (
            await session.execute(select(Member).where(Member.id.in_({a.member_id for a in apps})))
        ).scalars()
    }
    cohorts = {
        c.id: c
        for c in (
            await session.execute(select(Cohort).where(Cohort.id.in_({a.cohort_id for a in apps})))
        ).scalars()
    }
    tenant = await _tenant(session)
    by_kind: dict[str, list[Outgoing]] = {}
    for app in apps:
        cohort, member = cohorts[app.cohort_id], members[app.member_id]
        if app.id in moved:
            told = _outcome_mail(tenant, cohort, member, app)
            if told is not None:
                by_kind.setdefault(told[0], []).append(told[1])
        if app.id in ask:
            ctx = _Context(
                session, tenant, cohort, await scheme_of(session, cohort.scheme_version), member
            )
            await _ask_line_manager(ctx, app, now, required=False)
    for kind, outgoing in by_kind.items():
        await send_many(session, tenant, kind, outgoing)


async def _after_roster(session: AsyncSession, actor: str) -> None:
    await reevaluate_members(session, actor=actor)


roster.on_applied(_after_roster)
