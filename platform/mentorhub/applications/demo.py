"""Demo applications for the embedded default: in every tenant, a cohort that is recruiting
now and applications in every state its scheme uses, so a newcomer who signs in as the
coordinator sees a live queue and one who signs in as a member sees their own applications.
Never used in production (`server.run_all` calls it on the embedded default only).

Everything is made through the area's actions (`services`), as people would make it: the
coordinator creates the cohort and opens its windows (mentors before mentees where the
scheme has windows: the Museums Association's mentor window has closed, its mentee window is
open), the tenant admin lists the partner organisations (Advice Skills Academy) and records
the Board's ratifications (Alberta), the coordinator records trainings (Arts Marketing's
joint training comes before the matching survey; Advice Skills Academy's mentor training),
members save drafts, submit and withdraw, line managers decide through their signed link
(`identity.services.decide_approval`, the token the link carries), and the coordinator
shortlists, interviews, accepts, waitlists and declines with feedback. Applicants act at
past times inside their window (the actions take `now`), so the queue reads like a
recruitment that has been running for a while; one line manager's link is mailed at start
and waits, valid, in the mail catcher.

Two things are not applications actions:

* Demo people: the six demo members (`mentorhub.demo`) plus a dozen applicants per tenant,
  created the way `mentorhub.demo` creates members (the demo identity provider lists them
  all to sign in as).
* Membership, where a scheme is for members: the demo identity provider's ID token claims
  an active membership, so each demo person gets what their first sign-in would set
  (`identity.membership.set_membership`, source claim). One applicant's membership then
  lapses through a real roster import (`identity.services.upload_roster`), whose hook
  evaluates the tenant's applications again: theirs becomes ineligible (membership).

Idempotent: the demo cohort is the first one the demo coordinator created (its audit row);
a person who already has an application in it is left alone, and so is a window, a partner
list, a training record or a ratification that exists. A restart adds nothing (one count
per tenant sees every demo applicant has applied); a first start that was stopped makes the
applicants it had not reached on the next (one stopped in the middle of their story stays
where it got to). The embedded default runs it beside serving (`fill_demo_applications`).

`submitted` is not shown resting: the submit action evaluates eligibility at once (see
`states.py`), so no action leaves an application there.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from mentorhub.applications import services
from mentorhub.applications.eligibility import members_only, needs_line_manager, needs_training
from mentorhub.applications.models import (
    Application,
    BoardRatification,
    Cohort,
    PartnerOrganisation,
    RecruitmentWindow,
    TrainingRecord,
)
from mentorhub.applications.states import State, Steps
from mentorhub.core.audit import AuditEntry
from mentorhub.core.outage import unavailable_reason
from mentorhub.db import Database
from mentorhub.demo import demo_email
from mentorhub.identity import services as identity
from mentorhub.identity.approvals import link_token
from mentorhub.identity.membership import set_membership
from mentorhub.identity.models import ApprovalRequest, Member
from mentorhub.identity.roster import parse_roster
from mentorhub.schemes import forms
from mentorhub.schemes.forms import Question
from mentorhub.schemes.models import SchemeVersion
from mentorhub.schemes.rules import CohortDuration, FixedDuration, RangeDuration, Scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

if TYPE_CHECKING:
    from mentorhub.pairs.storage import Storage

__all__ = [
    "PARTNER_ORGANISATIONS",
    "Plan",
    "fill_demo_applications",
    "plans",
    "seed_demo_applications",
]

log = logging.getLogger("mentorhub.demo")

#: Advice Skills Academy: advice services in the Liverpool City Region (made-up names).
PARTNER_ORGANISATIONS = (
    "Citizens Advice Liverpool",
    "Citizens Advice Wirral",
    "Sefton Advice Centre",
    "Knowsley Welfare Rights",
    "Halton Housing Advice",
    "St Helens Debt Advice",
)

#: Extra applicants (beyond the six demo members), in the order plans use them.
_PEOPLE = (
    ("ada.okafor", "Ada Okafor"),
    ("ben.hughes", "Ben Hughes"),
    ("cara.lindqvist", "Cara Lindqvist"),
    ("dev.patel", "Dev Patel"),
    ("fay.morgan", "Fay Morgan"),
    ("gus.kowalski", "Gus Kowalski"),
    ("hana.sato", "Hana Sato"),
    ("ivo.silva", "Ivo Silva"),
    ("jo.brennan", "Jo Brennan"),
    ("kit.adeyemi", "Kit Adeyemi"),
    ("lena.haddad", "Lena Haddad"),
    ("max.fraser", "Max Fraser"),
    ("nia.evans", "Nia Evans"),
    ("omar.rahman", "Omar Rahman"),
    ("pia.keller", "Pia Keller"),
    ("ravi.nair", "Ravi Nair"),
)


@dataclass(frozen=True)
class Plan:
    """One demo applicant's story: who, which role, and where it ends."""

    key: str  # a demo member's key, or one of _PEOPLE
    name: str | None  # None: a demo member (already exists)
    role: str
    target: State
    #: A yes to this exclusion's question (ineligible: the scheme excludes them).
    excluded: str | None = None
    #: The line manager's decision: approve, decline, or None (still waiting: link mailed).
    line_manager: str | None = "approve"
    trained: bool = True
    ratified: bool = True
    #: The membership lapses in a roster import after applying (ineligible: membership).
    lapses: bool = False
    #: Declined (unsuccessful): the feedback template, and priority in the next intake.
    feedback: str | None = None
    priority_next_intake: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def plans(scheme: Scheme) -> list[Plan]:
    """Every state the scheme uses, with the demo members in the middle of it: mentor1
    accepted, mentee1 waiting or in progress, mentee2 with a draft; mentor2 has not applied
    (free to try the form where the mentor window is open)."""
    rules = scheme.application
    people = iter(_PEOPLE)

    def person(role: str, target: State, **kw: Any) -> Plan:
        key, name = next(people)
        return Plan(key, name, role, target, **kw)

    out = [Plan("mentor1", None, "mentor", State.ACCEPTED)]
    # mentee1: what the scheme makes a mentee wait for, else the first step after applying.
    if needs_line_manager(scheme, "mentee"):
        out.append(Plan("mentee1", None, "mentee", State.AWAITING_APPROVAL, line_manager=None))
    elif rules.board_ratification:
        out.append(Plan("mentee1", None, "mentee", State.AWAITING_APPROVAL, ratified=False))
    elif needs_training(scheme, "mentee"):
        out.append(Plan("mentee1", None, "mentee", State.AWAITING_APPROVAL, trained=False))
    elif Steps.of(rules, "mentee").shortlist:
        out.append(Plan("mentee1", None, "mentee", State.SHORTLISTED))
    else:
        out.append(Plan("mentee1", None, "mentee", State.ELIGIBLE))
    out.append(Plan("mentee2", None, "mentee", State.DRAFT))
    # The other waits the scheme has (one applicant each).
    if needs_training(scheme, "mentor") and not needs_training(scheme, "mentee"):
        out.append(person("mentor", State.AWAITING_APPROVAL, trained=False))
    if needs_line_manager(scheme, "mentor"):
        out.append(person("mentor", State.AWAITING_APPROVAL, line_manager=None))
    out += [person("mentee", State.ELIGIBLE), person("mentor", State.ELIGIBLE)]
    # Ineligible: each exclusion the scheme lists, a lapsed membership, a line manager's no.
    for exclusion in scheme.eligibility.exclusions:
        role = "mentee" if exclusion == "students" else "mentor"
        out.append(person(role, State.INELIGIBLE, excluded=exclusion))
    if members_only(scheme):
        out.append(person("mentee", State.INELIGIBLE, lapses=True))
    if needs_line_manager(scheme, "mentee"):
        out.append(person("mentee", State.INELIGIBLE, line_manager="decline"))
    for role in ("mentee", "mentor"):
        steps = Steps.of(rules, role)
        if steps.shortlist and not (role == "mentee" and out[1].target == State.SHORTLISTED):
            out.append(person(role, State.SHORTLISTED))
        if steps.interview:
            out.append(person(role, State.INTERVIEW_SCHEDULED))
            out.append(person(role, State.INTERVIEWED))
    out += [
        person("mentee", State.ACCEPTED),
        person("mentee", State.WAITLISTED),
        person("mentee", State.WAITLISTED),
        person("mentor", State.WAITLISTED),
    ]
    invite = scheme.matching.unmatched == "inform_and_invite_next_cohort"
    out.append(
        person(
            "mentee",
            State.UNSUCCESSFUL,
            feedback="no_match" if invite else "oversubscribed",
            priority_next_intake=invite,
        )
    )
    out.append(person("mentor", State.UNSUCCESSFUL, feedback="fit"))
    out.append(person("mentee", State.WITHDRAWN))
    return out


# --- answers ---------------------------------------------------------------------------------

_JOBS = (
    "Marketing officer",
    "Collections assistant",
    "Learning and engagement manager",
    "Adviser",
    "Digital producer",
    "Head of audiences",
    "Curator",
    "Volunteer coordinator",
)
_PLACES = ("Leeds Museums and Galleries", "Royal Alberta Museum", "Glenbow", "The Whitworth")
_POSTCODES = ("LS1 4DY", "M1 1AE", "B1 1BB", "BS1 4DJ", "NE1 7RU", "G1 1XQ", "CF10 1EP")
_CITIES = ("Edmonton", "Calgary", "Red Deer", "Medicine Hat", "Grande Prairie", "Banff")
_PROSE = {
    "goals": "To grow in confidence leading projects and to plan my next career step.",
    "aspirations": "I want to move from campaigns into a strategic audience development role.",
    "motivation": "I was helped by a mentor early on and want to do the same for someone else.",
    "experience": "Twelve years in the sector, including five leading a small team.",
    "career_summary": "Box office, then marketing, now head of audiences at a mid-scale venue.",
    "career_path": "From front of house to collections to managing a regional museum.",
    "learning_needs": "Casework supervision, and how to manage a growing caseload well.",
    "reasons": "I am new to management and would value someone to think problems through with.",
    "biography": "I lead education programmes and have coached early-career colleagues.",
    "developing_others": "I line-manage three people and ran our graduate placement scheme.",
}


def _answer(q: Question, role: str, i: int, manager: str) -> list[str] | None:
    senior = role == "mentor"
    if q.kind == "text":
        if q.id == "phone":
            return [f"07700 900{100 + i:03d}"]
        if q.id == "institution":
            return [_PLACES[i % len(_PLACES)]]
        return [_JOBS[(i + (4 if senior else 0)) % len(_JOBS)]]
    if q.kind == "long_text":
        return [_PROSE.get(q.id, "I would like to learn from, and share with, a colleague.")]
    if q.kind == "single_choice":
        half = max(1, len(q.options) // 2)
        # Mentors from the later options (career stages run junior to senior), mentees earlier.
        pick = half + i % (len(q.options) - half) if senior else i % half
        return [q.options[pick if q.id.endswith("stage") else i % len(q.options)]]
    if q.kind == "multiple_choice":
        most = min(q.max_choices or 2, 2)
        return [q.options[(i + k) % len(q.options)] for k in range(max(q.min_choices or 1, most))]
    if q.kind == "number":
        low, high = int(q.min or 0), int(q.max if q.max is not None else 99)
        if q.id == "capacity":
            wanted = 2
        elif senior:
            wanted = 12 + i
        else:
            wanted = 1 + i % 5
        return [str(max(low, min(high, wanted)))]
    if q.kind == "yes_no":
        return ["no"]
    if q.kind == "consent":
        return ["yes"]
    if q.kind == "location":
        pool = _POSTCODES if q.location == "GB" else _CITIES
        return [pool[i % len(pool)]]
    if q.kind == "email":
        return [manager] if q.approver else None
    if q.kind == "organisation":
        return [PARTNER_ORGANISATIONS[i % len(PARTNER_ORGANISATIONS)]]
    return None


def answers(scheme: Scheme, plan: Plan, i: int, *, draft: bool = False) -> dict[str, list[str]]:
    """The posted form for one applicant (a draft answers the first few questions only)."""
    form = forms.form_for(scheme, plan.role)
    assert form is not None, f"the scheme has no {plan.role} form"
    manager = f"manager.{plan.key}@{_domain(i)}"
    posted: dict[str, list[str]] = {}
    questions = form.questions[:3] if draft else form.questions
    for q in questions:
        value = _answer(q, plan.role, i, manager)
        if q.excludes is not None and q.excludes == plan.excluded:
            value = ["yes"]
        if value is not None:
            posted[q.id] = value
    return posted


def _domain(i: int) -> str:
    name = PARTNER_ORGANISATIONS[i % len(PARTNER_ORGANISATIONS)]
    return name.lower().replace(" ", "-") + ".example.org"


# --- dates -----------------------------------------------------------------------------------


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def _cohort_dates(scheme: Scheme, today: date) -> tuple[str, date, date]:
    """The recruiting cohort's name, start and end: Alberta's next programme year
    (October to August), otherwise an intake starting the first of the month after next."""
    duration = scheme.duration
    if isinstance(duration, CohortDuration):
        year = today.year if today.month < duration.start_month - 1 else today.year + 1
        starts = date(year, duration.start_month, 1)
        end_year = year if duration.end_month >= duration.start_month else year + 1
        ends = _add_months(date(end_year, duration.end_month, 1), 1) - timedelta(days=1)
        years = f"{year}–{str(end_year)[-2:]}" if end_year != year else str(year)
        return f"{years} programme year", starts, ends
    starts = _add_months(today, 3)
    months = 12
    if isinstance(duration, FixedDuration):
        months = duration.months
    elif isinstance(duration, RangeDuration):
        months = duration.max_months
    ends = _add_months(starts, months) - timedelta(days=1)
    return f"{starts:%B %Y} intake", starts, ends


# --- the seed ------------------------------------------------------------------------------


@dataclass
class _Tenant:
    db: Database
    tenant: Tenant
    now: datetime
    coordinator: Member
    admin: Member
    scheme: Scheme | None = None
    cohort: Cohort | None = None


async def seed_demo_applications(
    db: Database, tenants: Sequence[Tenant], *, now: datetime | None = None
) -> int:
    """Made once per tenant (see the module's docstring); returns how many applications
    were made (0 on every start after the first). `now` must be close to the present: a line
    manager decides on their link at the real time, and the link lasts 14 days."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    made = 0
    for tenant in tenants:
        made += await _seed_tenant(db, tenant, now)
    return made


async def fill_demo_applications(
    db: Database, tenants: Sequence[Tenant], *, storage: Storage | None = None
) -> None:
    """`seed_demo_applications`, then the demo matching, then the demo pairs' spaces
    (`pairs.demo`; `storage`: where the product keeps the pairs' documents), as the embedded
    default runs them:
    beside serving, since a first start makes about seventy applications through the
    actions, which need not hold the product back. Each step is idempotent, so one stopped
    half-way is finished later: while the database or Redis does not answer (an outage is
    one log line, as for a page), the fill waits and tries again; any other failure is
    logged with its traceback and the product runs on without the rest of its demo data."""
    from mentorhub.checkpoints.demo import seed_demo_checkpoints  # stand on the pairs
    from mentorhub.matching.demo import seed_demo_matching  # matching stands on applications
    from mentorhub.pairs.demo import seed_demo_pairs  # pairs stand on both
    from mentorhub.reports.demo import seed_demo_report  # a finished cohort's report

    steps = (
        ("demo applications made: %d", seed_demo_applications),
        ("demo matching steps taken: %d", seed_demo_matching),
        ("demo pairs' steps taken: %d", functools.partial(seed_demo_pairs, storage=storage)),
        ("demo checkpoints' steps taken: %d", seed_demo_checkpoints),
        ("demo evaluated cohort's steps taken: %d", seed_demo_report),
    )
    for done, step in steps:
        for attempt in range(1, DEMO_ATTEMPTS + 1):
            try:
                made = await step(db, tenants)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = unavailable_reason(exc)
                if reason is None:
                    log.exception("the embedded default's demo data was not all made")
                    return
                log.warning(
                    "demo data waits (%s); trying again in %d s (attempt %d of %d)",
                    reason,
                    DEMO_RETRY_SECONDS,
                    attempt,
                    DEMO_ATTEMPTS,
                )
                await asyncio.sleep(DEMO_RETRY_SECONDS)
            else:
                if made:
                    log.info(done, made)
                break
        else:
            log.warning("demo data not made: the services did not come back")
            return


#: How often, and how far apart, the demo fill tries again after an outage.
DEMO_ATTEMPTS = 30
DEMO_RETRY_SECONDS = 5


async def _seed_tenant(db: Database, tenant: Tenant, now: datetime) -> int:
    emails = [demo_email(tenant.slug, "coordinator"), demo_email(tenant.slug, "admin")]
    async with db.tenant(tenant.id) as session:
        found = await session.execute(select(Member).where(Member.email.in_(emails)))
        staff = {m.email: m for m in found.scalars()}
    coordinator = staff.get(demo_email(tenant.slug, "coordinator"))
    admin = staff.get(demo_email(tenant.slug, "admin"))
    if coordinator is None or admin is None:
        return 0  # no demo members here (not the embedded default's seed)
    t = _Tenant(db, tenant, now, coordinator, admin)
    await _cohort(t)
    assert t.cohort is not None and t.scheme is not None
    todo = plans(t.scheme)
    if await _applied(t, todo) == len(todo):
        return 0  # every demo applicant has applied (a restart): nothing to do
    windows = await _windows(t)
    if t.scheme.eligibility.open_to == "partner_organisations":
        await _partner_organisations(t)
    made = 0
    for i, plan in enumerate(todo):
        made += await _play(t, plan, i, windows)
    return made


async def _applied(t: _Tenant, todo: list[Plan]) -> int:
    """How many of the demo applicants have an application in the demo cohort."""
    assert t.cohort is not None
    emails = [demo_email(t.tenant.slug, p.key) for p in todo]
    async with t.db.tenant(t.tenant.id, read_only=True) as session:
        found = await session.execute(
            select(func.count(func.distinct(Application.member_id)))
            .join(Member, Member.id == Application.member_id)
            .where(Application.cohort_id == t.cohort.id, Member.email.in_(emails))
        )
        return int(found.scalar_one())


async def _cohort(t: _Tenant) -> None:
    async with t.db.tenant(t.tenant.id) as session:
        first = (
            await session.execute(
                select(AuditEntry.subject)
                .where(
                    AuditEntry.action == "cohort_created",
                    AuditEntry.actor == t.coordinator.email,
                )
                .order_by(AuditEntry.created_at)
                .limit(1)
            )
        ).scalar_one_or_none()
        cohort = (
            await session.get(Cohort, {"tenant_id": t.tenant.id, "id": uuid.UUID(first)})
            if first
            else None
        )
        version = (
            cohort.scheme_version
            if cohort
            else (await session.execute(select(func.max(SchemeVersion.version)))).scalar_one()
        )
        assert version is not None, f"{t.tenant.slug} has no scheme loaded"
        t.scheme = await services.scheme_of(session, version)
    if cohort is None:
        name, starts, ends = _cohort_dates(t.scheme, t.now.date())
        cohort = await services.create_cohort(
            t.db,
            t.tenant.id,
            t.coordinator.id,
            name=name,
            starts_on=starts,
            ends_on=ends,
        )
    t.cohort = cohort


def _window_times(t: _Tenant, role: str) -> tuple[datetime, datetime | None]:
    """When `role`'s window opens, and closes (None: the weeks the scheme gives it). Where
    the scheme has windows, in its order: the last role's opened two weeks ago and is open,
    each role before it opened its own weeks earlier still (so the mentors' has closed).
    Otherwise both roles' windows opened two weeks ago and close in ten weeks (or when the
    cohort starts, if sooner)."""
    assert t.scheme is not None
    start = t.now.replace(hour=9, minute=0, second=0)
    windows = t.scheme.application.recruitment_windows
    order = [str(w.role) for w in windows]
    if role not in order:
        assert t.cohort is not None
        begins = datetime.combine(t.cohort.starts_on, time(0, 0), tzinfo=UTC)
        return start - timedelta(weeks=2), min(start + timedelta(weeks=10), begins)
    opens = start - timedelta(weeks=2)
    for k in range(len(order) - 2, order.index(role) - 1, -1):
        opens -= timedelta(weeks=windows[k].weeks)
    return opens, None


async def _windows(t: _Tenant) -> dict[str, tuple[datetime, datetime]]:
    """Open the cohort's windows that are not there yet; every role's (opens, closes)."""
    assert t.cohort is not None
    async with t.db.tenant(t.tenant.id) as session:
        rows = (
            await session.execute(
                select(RecruitmentWindow).where(RecruitmentWindow.cohort_id == t.cohort.id)
            )
        ).scalars()
        have = {w.role: (w.opens_at, w.closed_at or w.closes_at) for w in rows}
    for role in ("mentor", "mentee"):
        if role not in have:
            opens, closes = _window_times(t, role)
            window = await services.open_window(
                t.db,
                t.tenant.id,
                t.coordinator.id,
                t.cohort.id,
                role,
                opens_at=opens,
                closes_at=closes,
            )
            have[role] = (window.opens_at, window.closes_at)
    return have


async def _partner_organisations(t: _Tenant) -> None:
    async with t.db.tenant(t.tenant.id) as session:
        listed = (
            await session.execute(select(func.count()).select_from(PartnerOrganisation))
        ).scalar_one()
    if not listed:
        await services.set_partner_organisations(
            t.db, t.tenant.id, t.admin.id, PARTNER_ORGANISATIONS, now=t.now
        )


async def _person(t: _Tenant, plan: Plan) -> tuple[Member, bool]:
    """The applicant (made if new; an active membership from the demo provider's claim
    where the scheme is for members) and whether they already applied in the cohort."""
    assert t.cohort is not None and t.scheme is not None
    email = demo_email(t.tenant.slug, plan.key)
    async with t.db.tenant(t.tenant.id) as session:
        member = (
            await session.execute(select(Member).where(Member.email == email))
        ).scalar_one_or_none()
        if member is None:
            if plan.name is None:
                raise LookupError(f"demo member {email} is missing")
            member = Member(
                tenant_id=t.tenant.id,
                id=uuid.uuid4(),
                email=email,
                display_name=plan.name,
                roles=[plan.role],
            )
            session.add(member)
        if members_only(t.scheme) and member.membership_status is None:
            set_membership(session, member, "active", source="claim")
        await session.flush()
        applied = (
            await session.execute(
                select(Application.id).where(
                    Application.cohort_id == t.cohort.id, Application.member_id == member.id
                )
            )
        ).first()
        return member, applied is not None


async def _prerequisites(t: _Tenant, plan: Plan, member: Member, at: datetime) -> None:
    """The training and the Board's ratification the scheme waits for, recorded before the
    applicant applies (Arts Marketing: the joint training comes first)."""
    assert t.scheme is not None
    training = t.scheme.application.training
    async with t.db.tenant(t.tenant.id) as session:
        trained = (
            await session.execute(
                select(func.count())
                .select_from(TrainingRecord)
                .where(TrainingRecord.member_id == member.id)
            )
        ).scalar_one()
        ratified = (
            await session.execute(
                select(func.count())
                .select_from(BoardRatification)
                .where(BoardRatification.member_id == member.id)
            )
        ).scalar_one()
    if needs_training(t.scheme, plan.role) and plan.trained and not trained:
        assert training is not None
        await services.record_training(
            t.db,
            t.tenant.id,
            t.coordinator.id,
            member.id,
            kind="joint" if training.format == "joint" else plan.role,
            completed_on=(at - timedelta(days=5)).date(),
            now=at,
        )
    if t.scheme.application.board_ratification and plan.ratified and not ratified:
        await services.record_ratification(
            t.db,
            t.tenant.id,
            t.admin.id,
            member.id,
            ratified_on=(at - timedelta(days=3)).date(),
            note="Ratified at the Board's monthly meeting.",
            now=at,
        )


def _route(scheme: Scheme, role: str, target: State) -> list[str]:
    """The coordinator's steps from eligible to `target` under the scheme's rules."""
    steps = Steps.of(scheme.application, role)
    before = (["shortlist"] if steps.shortlist else []) + (
        ["schedule", "record"] if steps.interview else []
    )
    return {
        State.SHORTLISTED: ["shortlist"],
        State.INTERVIEW_SCHEDULED: before[: before.index("schedule") + 1]
        if steps.interview
        else [],
        State.INTERVIEWED: before,
        State.ACCEPTED: [*before, "accept"],
        State.WAITLISTED: [*before, "waitlist"],
        State.UNSUCCESSFUL: [*before, "decline"],
    }.get(target, [])


async def _decide_line_manager(t: _Tenant, request_id: uuid.UUID, decision: str) -> None:
    """The line manager opens the link they were mailed and decides."""
    async with t.db.tenant(t.tenant.id) as session:
        request = await session.get(ApprovalRequest, {"tenant_id": t.tenant.id, "id": request_id})
        assert request is not None
    secret = get_settings().secret_key or ""
    await identity.decide_approval(
        t.db,
        t.tenant.id,
        secret,
        link_token(secret, request),
        decision=decision,
        comment="Happy to support this." if decision == "approve" else "Not this year, sorry.",
    )


async def _lapse(t: _Tenant, member: Member, i: int) -> None:
    """The association's roster import says the membership lapsed."""
    csv = f"member_number,email,status,ratified_on\nDEMO-{i:04d},{member.email},lapsed,\n"
    report = parse_roster(csv.encode())
    assert not report.problems, report.problems
    await identity.upload_roster(t.db, t.tenant.id, report.rows, actor=t.admin.email)


async def _play(
    t: _Tenant, plan: Plan, i: int, windows: dict[str, tuple[datetime, datetime]]
) -> int:
    """One applicant's story, through the actions; 1 when an application was made."""
    assert t.scheme is not None and t.cohort is not None
    member, applied = await _person(t, plan)
    if applied:
        return 0
    opens, closes = windows[plan.role]
    waits = plan.line_manager is None and needs_line_manager(t.scheme, plan.role)
    # In the window, a few hours apart; a line manager still to decide was asked just now
    # (their link is valid for the days it says).
    at = min(opens + timedelta(days=1, hours=3 * i), closes - timedelta(hours=1))
    if waits:
        at = max(at, t.now - timedelta(minutes=30))
    await _prerequisites(t, plan, member, at)
    tid, cohort = t.tenant.id, t.cohort.id
    draft = await services.save_draft(
        t.db,
        tid,
        member.id,
        cohort_id=cohort,
        role=plan.role,
        data=answers(t.scheme, plan, i, draft=plan.target == State.DRAFT),
        now=at,
    )
    if plan.target == State.DRAFT:
        return 1
    app = await services.submit(t.db, tid, member.id, draft.id, now=at + timedelta(minutes=12))
    if needs_line_manager(t.scheme, plan.role) and plan.line_manager is not None:
        assert app.approval_request_id is not None
        await _decide_line_manager(t, app.approval_request_id, plan.line_manager)
    if plan.lapses:
        await _lapse(t, member, i)
    step = at + timedelta(days=1)
    if plan.target == State.WITHDRAWN:
        await services.withdraw(t.db, tid, member.id, app.id, now=step)
        return 1
    staff = t.coordinator.id
    for action in _route(t.scheme, plan.role, plan.target):
        if action == "shortlist":
            await services.shortlist(t.db, tid, staff, app.id, now=step)
        elif action == "schedule":
            if plan.target == State.INTERVIEW_SCHEDULED:  # still to come
                step = t.now
            slot = datetime.combine(
                (step + timedelta(days=2)).date(), time(10, 30 + (i % 2) * 15), tzinfo=UTC
            )
            await services.schedule_interview(t.db, tid, staff, app.id, scheduled_at=slot, now=step)
            step = slot + timedelta(hours=1)
        elif action == "record":
            await services.record_interview(
                t.db,
                tid,
                staff,
                app.id,
                held_at=step - timedelta(minutes=20),
                notes="Clear about what they want from mentoring; good fit for the scheme.",
                now=step,
            )
        elif action == "accept":
            await services.accept(t.db, tid, staff, app.id, now=step)
        elif action == "waitlist":
            await services.waitlist(t.db, tid, staff, app.id, now=step)
        elif action == "decline":
            feedback = services.feedback_templates(t.scheme, plan.role)[plan.feedback or "fit"]
            await services.decline(
                t.db,
                tid,
                staff,
                app.id,
                feedback=feedback,
                priority_next_intake=plan.priority_next_intake,
                now=step,
            )
        step += timedelta(days=1)
    training = t.scheme.application.training
    if (
        plan.target == State.ACCEPTED
        and training is not None
        and training.required
        and plan.role in training.roles
        and not needs_training(t.scheme, plan.role)
    ):
        # Training before the relationship starts (Museums Association): the day was held.
        await services.record_training(
            t.db,
            tid,
            staff,
            member.id,
            kind="joint" if training.format == "joint" else plan.role,
            completed_on=step.date(),
            now=max(step, t.now),
        )
    return 1
