"""The embedded default's demo pairs (issue 15): after the demo matching and the demo pairs,
every tenant has pairs at every stage — new (the demo matching's, nothing done), mid-way
(meetings held and ahead, goals with statuses, both people's logs, the agreement agreed
where the scheme has one, Alberta's plan submitted, the Advice Skills Academy's shared log
entry, AHEP's chat and document), overdue (behind the scheme's cadence) and ended (completed
and ended early) — made through the actions (their mails: the meeting invitations with
their .ics), and a second run changes nothing, even weeks later."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from mentorhub.applications.models import Cohort
from mentorhub.applications.queue import tenant_zone
from mentorhub.applications.services import scheme_of
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.demo import demo_email, seed_demo_members
from mentorhub.identity.models import Member
from mentorhub.matching.demo import seed_demo_matching
from mentorhub.messages.models import Message
from mentorhub.pairs import cadence
from mentorhub.pairs.demo import seed_demo_pairs
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import facts_of
from mentorhub.pairs.space_models import (
    Agreement,
    ChatMessage,
    Document,
    Goal,
    LogEntry,
    Meeting,
    Plan,
)
from mentorhub.pairs.storage import DirectoryStorage
from mentorhub.schemes.rules import AgreedByPairCadence, Scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from tests.support import SLUGS, as_owner

COUNTED = (
    Agreement,
    AuditEntry,
    ChatMessage,
    Cohort,
    Document,
    Goal,
    LogEntry,
    Meeting,
    Member,
    Message,
    Pair,
    Plan,
)


async def snapshot(db: Database, tenants: list[Tenant]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for tenant in tenants:
        async with db.tenant(tenant.id) as session:
            for model in COUNTED:
                n = (await session.execute(select(func.count()).select_from(model))).scalar_one()
                counts[f"{tenant.slug}:{model.__name__}"] = int(n)
    return counts


async def test_every_stage_in_every_tenant_then_a_second_run_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    async with as_owner(db) as owner:
        tenants = await load_tenants(owner, get_settings().tenants_dir)
        await seed_demo_members(owner, tenants)
    assert sorted(t.slug for t in tenants) == sorted(SLUGS)
    storage = DirectoryStorage(tmp_path)
    now = datetime.now(UTC).replace(microsecond=0)
    assert await seed_demo_matching(db, tenants, now=now) > 0
    assert await seed_demo_pairs(db, tenants, now=now, storage=storage) > 0
    for tenant in tenants:
        await _stages(db, tenant, now)
    # The meeting invitations are in the mail (with their .ics attached).
    async with db.tenant(tenants[0].id) as session:
        kinds = set((await session.execute(select(Message.kind))).scalars())
    assert {"meeting_proposed", "meeting_scheduled", "match_ended"} <= kinds

    before = await snapshot(db, tenants)
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert await seed_demo_pairs(db, tenants, now=now, storage=storage) == 0
    assert await snapshot(db, tenants) == before
    # A start weeks later computes the same stories (dated from the day each pair was made).
    later = now + timedelta(days=40)
    assert await seed_demo_pairs(db, tenants, now=later, storage=storage) == 0
    assert await snapshot(db, tenants) == before
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()) == files


async def _stages(db: Database, tenant: Tenant, now: datetime) -> None:
    today = now.astimezone(tenant_zone(tenant.jurisdiction)).date()
    async with db.tenant(tenant.id, read_only=True) as session:
        people = {
            m.email.removesuffix(f"@{tenant.slug}.localhost"): m.id
            for m in (await session.execute(select(Member))).scalars()
        }
        pairs = list((await session.execute(select(Pair))).scalars())
        by_people = {(p.mentor_id, p.mentee_id): p for p in pairs}
        held: dict[uuid.UUID, list[tuple[datetime, int]]] = {}
        for pid, at, minutes in await session.execute(
            select(Meeting.pair_id, Meeting.starts_at, Meeting.held_minutes).where(
                Meeting.state == "held"
            )
        ):
            held.setdefault(pid, []).append((at, minutes or 0))
        ahead = set(
            (
                await session.execute(
                    select(Meeting.pair_id).where(
                        Meeting.state == "scheduled", Meeting.starts_at > now
                    )
                )
            ).scalars()
        )
        scheme = await scheme_of(session, pairs[0].scheme_version)

        # new: the demo matching's pair, just matched, nothing done.
        new = by_people[(people["mentor1"], people["mentee1"])]
        assert new.live and (today - new.matched_on).days <= 1, tenant.slug
        assert new.id not in held

        # mid-way
        mid = by_people[(people["mentor1"], people["priya.shah"])]
        assert mid.live and (today - mid.matched_on).days > 40, tenant.slug
        assert len(held.get(mid.id, [])) >= 2 and mid.id in ahead, tenant.slug
        proposed = (
            await session.execute(
                select(Meeting.proposed_by).where(
                    Meeting.pair_id == mid.id, Meeting.state == "proposed"
                )
            )
        ).scalar_one()
        assert proposed == people["priya.shah"]  # waiting for Morgan
        statuses = set(
            (await session.execute(select(Goal.status).where(Goal.pair_id == mid.id))).scalars()
        )
        assert len(statuses) >= 3, (tenant.slug, statuses)
        authors = set(
            (
                await session.execute(select(LogEntry.author_id).where(LogEntry.pair_id == mid.id))
            ).scalars()
        )
        assert authors == {people["mentor1"], people["priya.shah"]}
        shared = (
            await session.execute(
                select(func.count())
                .select_from(LogEntry)
                .where(LogEntry.pair_id == mid.id, LogEntry.shared_at.is_not(None))
            )
        ).scalar_one()
        assert shared == (1 if tenant.slug == "advice-skills-academy" else 0), tenant.slug
        agreement = (
            await session.execute(select(Agreement).where(Agreement.pair_id == mid.id))
        ).scalar_one_or_none()
        if scheme.space.agreement:
            assert agreement is not None and agreement.agreed, tenant.slug
        else:
            assert agreement is None
        plan = (
            await session.execute(select(Plan).where(Plan.pair_id == mid.id))
        ).scalar_one_or_none()
        if scheme.space.plan:
            assert plan is not None and plan.submitted_revision == plan.revision
        else:
            assert plan is None
        chats = (
            await session.execute(
                select(func.count()).select_from(ChatMessage).where(ChatMessage.pair_id == mid.id)
            )
        ).scalar_one()
        docs = (
            await session.execute(
                select(func.count()).select_from(Document).where(Document.pair_id == mid.id)
            )
        ).scalar_one()
        shared_space = scheme.relationship.shared_space
        assert (chats > 0) == ("chat" in shared_space), tenant.slug
        assert (docs == 1) == ("documents" in shared_space), tenant.slug

        # ... and on track with the scheme's cadence.
        cohort = await session.get(Cohort, {"tenant_id": tenant.id, "id": mid.cohort_id})
        assert cohort is not None

        def summary(pair: Pair) -> cadence.CadenceSummary:
            assert cohort is not None
            zone = tenant_zone(tenant.jurisdiction)
            return cadence.summarise(
                scheme,
                facts_of(pair, cohort, scheme),
                [cadence.Held(at.astimezone(zone).date(), m) for at, m in held.get(pair.id, [])],
                today,
                jurisdiction=tenant.jurisdiction,
            )

        assert not summary(mid).behind, (tenant.slug, summary(mid).lines)

        # overdue: matched months ago, behind the scheme's cadence (AHEP, whose pairs agree
        # their own, expects no number: no agreement and one meeting months ago)
        late = by_people[(people["mentor2"], people["tom.walsh"])]
        assert late.live and late.cohort_id == mid.cohort_id, tenant.slug
        assert len(held.get(late.id, [])) <= 1
        assert summary(late).behind or _agreed_by_pair(scheme), (tenant.slug, summary(late).lines)

        # ended: one ended early (by the mentee where the scheme lets either person end),
        # one completed on its official end
        early = by_people[(people["leo.marchetti"], people["ines.duarte"])]
        assert early.state == "ended" and early.end_kind == "ended_early", tenant.slug
        assert early.end_reason
        who = people["ines.duarte"] if scheme.relationship.either_party_may_end else None
        assert early.ended_by == (who or people["coordinator"])
        done = by_people[(people["mentor2"], people["alex.moreau"])]
        assert done.state == "ended" and done.end_kind == "completed", tenant.slug
        assert len(held.get(done.id, [])) >= 3
        assert done.ended_at is not None and done.ended_at < now - timedelta(days=14)

        # Every demo person the stages name can sign in: a member of the tenant.
        for key in ("priya.shah", "tom.walsh", "leo.marchetti", "ines.duarte", "alex.moreau"):
            assert demo_email(tenant.slug, key).removesuffix(f"@{tenant.slug}.localhost") in people


def _agreed_by_pair(scheme: Scheme) -> bool:
    return isinstance(scheme.meetings.cadence, AgreedByPairCadence)
