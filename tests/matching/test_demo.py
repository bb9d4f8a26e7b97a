"""The embedded default's demo matching: in every tenant, the demo's matching cohort is
matched by the tenant's own flow through the actions — Alberta, the Museums Association and
the Advice Skills Academy a published run (pairs, the unmatched applicant told) beside the run
it was re-run from; AHEP a pair made by pick and accept, a request declined and passed on
that now waits with a demo mentor, and a demo mentee's request waiting; the Arts Marketing
Association a started pair and a proposal waiting for the mentee — the demo members the
demo identity provider signs in as have pairs ("My mentoring"), and a second run adds
nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.demo import seed_demo_members
from mentorhub.identity.models import Member
from mentorhub.matching import suggest_flow
from mentorhub.matching.demo import demo_cohorts, seed_demo_matching
from mentorhub.matching.models import MatchingRun, MatchProposal, MatchRequest
from mentorhub.messages.models import Message
from mentorhub.pairs.models import Pair
from mentorhub.pairs.queries_mine import my_pairs
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from tests.support import SLUGS, as_owner

COUNTED = (
    Application,
    AuditEntry,
    Cohort,
    MatchingRun,
    MatchProposal,
    MatchRequest,
    Member,
    Message,
    Pair,
)


async def snapshot(db: Database, tenants: list[Tenant]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for tenant in tenants:
        async with db.tenant(tenant.id) as session:
            for model in COUNTED:
                n = (await session.execute(select(func.count()).select_from(model))).scalar_one()
                counts[f"{tenant.slug}:{model.__name__}"] = int(n)
    return counts


async def test_each_flow_per_tenant_then_a_second_run_adds_nothing(db: Database) -> None:
    async with as_owner(db) as owner:
        tenants = await load_tenants(owner, get_settings().tenants_dir)
        await seed_demo_members(owner, tenants)
    assert sorted(t.slug for t in tenants) == sorted(SLUGS)
    assert await seed_demo_matching(db, tenants) > 0
    by_slug = {t.slug: t for t in tenants}
    for tenant in tenants:
        people = await _people(db, tenant)
        cohort = await _demo_cohort(db, tenant)
        # "My mentoring" is alive for the demo mentee and mentor the provider signs in as.
        async with db.tenant(tenant.id, read_only=True) as session:
            scheme = await scheme_of(session, cohort.scheme_version)
            for key in ("mentee1", "mentor1"):
                mine = await my_pairs(session, people[key])
                assert [p.other_name for p in mine if p.row.cohort_id == cohort.id], (
                    tenant.slug,
                    key,
                )
        flow = scheme.matching.flow
        if flow == "coordinator":
            await _coordinator(db, tenant, cohort, people)
        elif flow == "suggest_and_accept":
            await _ahep(db, tenant, cohort, people)
        else:
            await _arts(db, tenant, cohort, people)
    assert {"alberta-museums", "museums-association", "ahep", "arts-marketing"} <= set(by_slug)

    before = await snapshot(db, tenants)
    assert await seed_demo_matching(db, tenants) == 0
    assert await snapshot(db, tenants) == before


async def _people(db: Database, tenant: Tenant) -> dict[str, uuid.UUID]:
    async with db.tenant(tenant.id, read_only=True) as session:
        rows = (await session.execute(select(Member.email, Member.id))).all()
    suffix = f"@{tenant.slug}.localhost"
    return {email.removesuffix(suffix): i for email, i in rows if email.endswith(suffix)}


async def _demo_cohort(db: Database, tenant: Tenant) -> Cohort:
    """The second cohort the demo coordinator created (the first recruits)."""
    made = await demo_cohorts(db, tenant)
    assert len(made) == 2, tenant.slug
    async with db.tenant(tenant.id, read_only=True) as session:
        cohort = await session.get(Cohort, {"tenant_id": tenant.id, "id": made[1]})
        assert cohort is not None
        return cohort


async def _pairs(db: Database, tenant: Tenant, cohort: Cohort) -> set[tuple[uuid.UUID, uuid.UUID]]:
    async with db.tenant(tenant.id, read_only=True) as session:
        rows = await session.execute(
            select(Pair.mentor_id, Pair.mentee_id).where(
                Pair.cohort_id == cohort.id, Pair.state == "active"
            )
        )
        return {(a, b) for a, b in rows}


async def _coordinator(
    db: Database, tenant: Tenant, cohort: Cohort, people: dict[str, uuid.UUID]
) -> None:
    async with db.tenant(tenant.id, read_only=True) as session:
        runs = list(
            (
                await session.execute(
                    select(MatchingRun)
                    .where(MatchingRun.cohort_id == cohort.id)
                    .order_by(MatchingRun.number)
                )
            ).scalars()
        )
        told = list(
            (
                await session.execute(
                    select(Message.member_id).where(Message.kind == "match_unmatched")
                )
            ).scalars()
        )
    assert [r.state for r in runs] == ["superseded", "published"], tenant.slug
    published = runs[1]
    assert published.pins and published.forbids
    assert published.pairs_count == 3 and published.unmatched_count == 1, tenant.slug
    pairs = await _pairs(db, tenant, cohort)
    assert (people["mentor1"], people["mentee1"]) in pairs
    assert (people["mentor2"], people["mentee2"]) in pairs
    assert len(pairs) == 3
    # The applicant the forbid left without a mentor is told.
    assert people["zac.byrne"] in told, tenant.slug


async def _ahep(db: Database, tenant: Tenant, cohort: Cohort, people: dict[str, uuid.UUID]) -> None:
    pairs = await _pairs(db, tenant, cohort)
    assert pairs == {
        (people["mentor1"], people["mentee1"]),
        (people["mentor2"], people["rob.quinn"]),
    }
    async with db.tenant(tenant.id, read_only=True) as session:
        open_requests = {
            r.mentee_id: r
            for r in (
                await session.execute(select(MatchRequest).where(MatchRequest.state == "open"))
            ).scalars()
        }
    passed_on = open_requests[people["wen.li"]]
    assert passed_on.mentor_id == people["mentor2"]
    assert passed_on.declined_by == [people["uma.osei"]]
    assert [o["outcome"] for o in passed_on.outcomes] == ["declined"]
    assert open_requests[people["mentee2"]].mentor_id == people["mentor1"]
    # Signed in as each demo mentor: the request waiting for them.
    for mentor, mentee in (("mentor2", "wen.li"), ("mentor1", "mentee2")):
        waiting = await suggest_flow.incoming_requests(db, tenant.id, people[mentor])
        assert [r.mentee_id for r in waiting] == [people[mentee]]
        assert waiting[0].reasons


async def _arts(db: Database, tenant: Tenant, cohort: Cohort, people: dict[str, uuid.UUID]) -> None:
    assert await _pairs(db, tenant, cohort) == {(people["mentor1"], people["mentee1"])}
    async with db.tenant(tenant.id, read_only=True) as session:
        proposals = {
            p.mentee_id: p
            for p in (
                await session.execute(
                    select(MatchProposal).where(MatchProposal.cohort_id == cohort.id)
                )
            ).scalars()
        }
    waiting = proposals[people["mentee2"]]
    assert waiting.mentor_id == people["mentor2"]
    assert (waiting.mentor_answer, waiting.mentee_answer) == ("accepted", None)
    assert waiting.state == "proposed"
    assert proposals[people["mentee1"]].state != "proposed"
