"""The embedded default's demo applications: every state each reference scheme uses is in
its tenant's demo cohort, made through the actions (their audit rows and messages exist),
the demo members hold applications of their own, and a second run adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from mentorhub.applications import queries
from mentorhub.applications.demo import seed_demo_applications
from mentorhub.applications.eligibility import members_only, needs_line_manager, needs_training
from mentorhub.applications.models import (
    Application,
    BoardRatification,
    Cohort,
    Interview,
    PartnerOrganisation,
    RecruitmentWindow,
    TrainingRecord,
)
from mentorhub.applications.services import scheme_of
from mentorhub.applications.states import State
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.demo import demo_email, seed_demo_members
from mentorhub.identity.models import ApprovalRequest, Member
from mentorhub.messages.models import Message
from mentorhub.schemes.rules import Scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from tests.support import SLUGS, as_owner


def expected_states(scheme: Scheme) -> set[State]:
    """What the scheme's own rules say its applications go through (resting states:
    `submitted` is passed through inside the submit action)."""
    rules = scheme.application
    states = {
        State.DRAFT,
        State.ELIGIBLE,
        State.INELIGIBLE,
        State.ACCEPTED,
        State.WAITLISTED,
        State.UNSUCCESSFUL,
        State.WITHDRAWN,
    }
    if any(
        needs_line_manager(scheme, r) or needs_training(scheme, r) for r in ("mentor", "mentee")
    ):
        states.add(State.AWAITING_APPROVAL)
    if rules.board_ratification:
        states.add(State.AWAITING_APPROVAL)
    if rules.shortlist:
        states.add(State.SHORTLISTED)
    if rules.interview is not None:
        states |= {State.INTERVIEW_SCHEDULED, State.INTERVIEWED}
    return states


async def snapshot(db: Database, tenants: list[Tenant]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for tenant in tenants:
        async with db.tenant(tenant.id) as session:
            for model in (
                Application,
                AuditEntry,
                BoardRatification,
                Cohort,
                Interview,
                Member,
                Message,
                PartnerOrganisation,
                RecruitmentWindow,
                TrainingRecord,
                ApprovalRequest,
            ):
                n = (await session.execute(select(func.count()).select_from(model))).scalar_one()
                counts[f"{tenant.slug}:{model.__name__}"] = int(n)
    return counts


async def demo(db: Database) -> list[Tenant]:
    async with as_owner(db) as owner:
        tenants = await load_tenants(owner, get_settings().tenants_dir)
        await seed_demo_members(owner, tenants)
    return tenants


async def test_every_state_each_scheme_uses_then_a_second_run_adds_nothing(db: Database) -> None:
    tenants = await demo(db)
    assert sorted(t.slug for t in tenants) == sorted(SLUGS)
    made = await seed_demo_applications(db, tenants)
    assert made >= 5 * 12
    now = datetime.now(UTC)
    for tenant in tenants:
        async with db.tenant(tenant.id) as session:
            cohort = (await session.execute(select(Cohort))).scalar_one()
            scheme = await scheme_of(session, cohort.scheme_version)
            apps = list((await session.execute(select(Application))).scalars())
            states = {State(a.state) for a in apps}
            assert states == expected_states(scheme), tenant.slug
            windows = list((await session.execute(select(RecruitmentWindow))).scalars())
            assert {w.role for w in windows} == {"mentor", "mentee"}
            assert any(w.is_open(now) for w in windows), tenant.slug
            # Every application was made by an action: its audit row is there.
            audited = set(
                (
                    await session.execute(
                        select(AuditEntry.subject).where(
                            AuditEntry.action == "application_draft_saved"
                        )
                    )
                ).scalars()
            )
            assert {str(a.id) for a in apps} <= audited
            assert all(a.ineligible_rule for a in apps if a.state == State.INELIGIBLE)
            assert all(a.feedback for a in apps if a.state == State.UNSUCCESSFUL)
            waitlisted = [a for a in apps if a.state == State.WAITLISTED]
            for role in ("mentor", "mentee"):
                ranks = sorted(a.waitlist_rank or 0 for a in waitlisted if a.role == role)
                assert ranks == list(range(1, len(ranks) + 1))
            # The demo members the demo identity provider signs in as hold their own.
            own = await _by_member(session, tenant)
            assert own["mentor1"] == [State.ACCEPTED]
            assert own["mentee2"] == [State.DRAFT]
            assert len(own["mentee1"]) == 1
            if members_only(scheme):
                assert any(a.ineligible_rule == "membership" for a in apps), tenant.slug
            messages = (
                await session.execute(select(func.count()).select_from(Message))
            ).scalar_one()
            assert messages > len(apps)  # received, decisions, …: the one writer's
    for tenant in tenants:
        await _what_the_demo_members_see(db, tenant)
    by_slug = {t.slug: t for t in tenants}
    await _museums(db, by_slug["museums-association"], now)
    await _advice(db, by_slug["advice-skills-academy"], now)
    await _alberta(db, by_slug["alberta-museums"])
    await _arts(db, by_slug["arts-marketing"])

    before = await snapshot(db, tenants)
    assert await seed_demo_applications(db, tenants) == 0
    assert await snapshot(db, tenants) == before


async def _by_member(session: Any, tenant: Tenant) -> dict[str, list[State]]:
    rows = await session.execute(
        select(Member.email, Application.state).join(
            Application, Application.member_id == Member.id
        )
    )
    out: dict[str, list[State]] = {k: [] for k in ("mentor1", "mentor2", "mentee1", "mentee2")}
    for email, state in rows:
        for key in out:
            if email == demo_email(tenant.slug, key):
                out[key].append(State(state))
    return out


async def _what_the_demo_members_see(db: Database, tenant: Tenant) -> None:
    """Signed in as the coordinator: a live queue (everything but drafts); as a member:
    their own applications; mentor2 has not applied."""
    async with db.tenant(tenant.id) as session:
        people = {
            m.email: m.id
            for m in (await session.execute(select(Member))).scalars()
            if m.email.endswith(f"@{tenant.slug}.localhost")
        }
        cohort = (await session.execute(select(Cohort.id))).scalar_one()
        submitted = (
            await session.execute(
                select(func.count())
                .select_from(Application)
                .where(Application.state != State.DRAFT)
            )
        ).scalar_one()
    coordinator = people[demo_email(tenant.slug, "coordinator")]
    page = await queries.queue(db, tenant.id, coordinator, cohort)
    assert page.total == submitted >= 10
    assert {r.state for r in page.rows} - {State.DRAFT} == {r.state for r in page.rows}
    mine = await queries.my_applications(db, tenant.id, people[demo_email(tenant.slug, "mentor1")])
    assert [a.state for a in mine] == [State.ACCEPTED]
    drafts = await queries.my_applications(
        db, tenant.id, people[demo_email(tenant.slug, "mentee2")]
    )
    assert [a.state for a in drafts] == [State.DRAFT]
    assert (
        await queries.my_applications(db, tenant.id, people[demo_email(tenant.slug, "mentor2")])
        == []
    )


async def _museums(db: Database, tenant: Tenant, now: datetime) -> None:
    """Mentors recruited first (their window has closed), mentees now; a student and
    someone already mentored are refused with the rule; mentees are interviewed."""
    async with db.tenant(tenant.id) as session:
        windows = {w.role: w for w in (await session.execute(select(RecruitmentWindow))).scalars()}
        assert windows["mentor"].opens_at < windows["mentee"].opens_at
        assert not windows["mentor"].is_open(now) and windows["mentee"].is_open(now)
        rules = set((await session.execute(select(Application.ineligible_rule))).scalars())
        assert {"exclusion:students", "exclusion:already_in_mentoring_relationship"} <= rules
        interviews = list((await session.execute(select(Interview))).scalars())
        assert any(i.held_at is None and i.scheduled_at > now for i in interviews)
        assert any(i.held_at is not None and i.notes for i in interviews)
        interviewed = (
            await session.execute(
                select(Application.role).where(Application.state == State.INTERVIEWED)
            )
        ).scalars()
        assert set(interviewed) == {"mentee"}


async def _advice(db: Database, tenant: Tenant, now: datetime) -> None:
    """Partner organisations listed; line managers asked by mail (one still to decide, its
    link valid), one declined; a mentor waits for the one-day training."""
    async with db.tenant(tenant.id) as session:
        assert (
            await session.execute(select(func.count()).select_from(PartnerOrganisation))
        ).scalar_one() >= 3
        waiting = list(
            (
                await session.execute(
                    select(Application).where(Application.state == State.AWAITING_APPROVAL)
                )
            ).scalars()
        )
        assert any("line_manager" in a.waiting_for for a in waiting)
        assert any(a.waiting_for == ["training"] and a.role == "mentor" for a in waiting)
        pending = list(
            (
                await session.execute(
                    select(ApprovalRequest).where(
                        ApprovalRequest.status == "pending",
                        ApprovalRequest.id.in_([a.approval_request_id for a in waiting]),
                    )
                )
            ).scalars()
        )
        assert pending and all(r.expires_at > now for r in pending)
        mailed = (
            await session.execute(
                select(Message.to_address).where(Message.kind == "approval_request")
            )
        ).scalars()
        assert {r.approver_email for r in pending} <= set(mailed)
        rules = set((await session.execute(select(Application.ineligible_rule))).scalars())
        assert "line_manager_declined" in rules


async def _alberta(db: Database, tenant: Tenant) -> None:
    """Ratified by the Board (recorded by the tenant admin) or waiting for it; an applicant
    who could not be placed is offered priority in the next intake."""
    async with db.tenant(tenant.id) as session:
        waiting = (
            await session.execute(
                select(Application.waiting_for).where(Application.state == State.AWAITING_APPROVAL)
            )
        ).scalars()
        assert ["board_ratification"] in list(waiting)
        assert (
            await session.execute(select(func.count()).select_from(BoardRatification))
        ).scalar_one() > 5
        priority = (
            await session.execute(
                select(Application.state).where(Application.priority_next_intake.is_(True))
            )
        ).scalars()
        assert list(priority) == [State.UNSUCCESSFUL]


async def _arts(db: Database, tenant: Tenant) -> None:
    """The joint training comes first: recorded for the applicants, and one waits for it."""
    async with db.tenant(tenant.id) as session:
        kinds = set((await session.execute(select(TrainingRecord.kind))).scalars())
        assert kinds == {"joint"}
        waiting = (
            await session.execute(
                select(Application.waiting_for).where(Application.state == State.AWAITING_APPROVAL)
            )
        ).scalars()
        assert ["training"] in list(waiting)
