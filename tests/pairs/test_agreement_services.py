"""The agreement, goals and plan actions at the same moment, over separate connections
(committing transactions): two first saves of the agreement or the plan make one row and
refuse the other as stale; adds at the scheme's maximum cannot pass it together; two
people agreeing at once both count."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import agreement as service
from mentorhub.pairs.space_models import Agreement, Goal, Plan
from tests.pairs.space_helpers import pair_world
from tests.schemes.conftest import tenant

MONTHS = (10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8)


async def _count(db: Database, tenant_id: object, model: type) -> int:
    async with db.tenant(tenant_id) as s:  # type: ignore[arg-type]
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


async def test_two_first_saves_of_the_agreement_make_one(live_db: Database) -> None:
    pw = await pair_world(live_db, "ahep")
    keys = [s.key for s in tenant("ahep").scheme.space.agreement]

    async def first_save(member_id: object, words: str) -> object:
        try:
            return await service.save_agreement(
                live_db,
                pw.id,
                member_id,
                pw.pair.id,  # type: ignore[arg-type]
                texts={k: words for k in keys},
                lock_version=0,
            )
        except service.Stale as exc:
            return exc

    results = await asyncio.gather(
        first_save(pw.mentor.id, "Mentor's words"), first_save(pw.mentee.id, "Mentee's words")
    )
    assert sum(isinstance(r, service.Stale) for r in results) == 1
    assert await _count(live_db, pw.id, Agreement) == 1
    # Both agree at once: both count.
    await asyncio.gather(
        service.agree(live_db, pw.id, pw.mentor.id, pw.pair.id, revision=1),
        service.agree(live_db, pw.id, pw.mentee.id, pw.pair.id, revision=1),
    )
    async with live_db.tenant(pw.id) as s:
        row = (await s.execute(select(Agreement))).scalar_one()
        assert row.agreed and row.revision == 1


async def test_adds_at_the_maximum_cannot_pass_it_together(live_db: Database) -> None:
    pw = await pair_world(live_db, "museums-association")  # at most 4 goals
    await service.add_goal(live_db, pw.id, pw.mentor.id, pw.pair.id, title="One")
    await service.add_goal(live_db, pw.id, pw.mentor.id, pw.pair.id, title="Two")

    async def add(i: int) -> object:
        member = pw.mentor.id if i % 2 else pw.mentee.id
        try:
            return await service.add_goal(live_db, pw.id, member, pw.pair.id, title=f"Goal {i}")
        except Refused as exc:
            return exc

    results = await asyncio.gather(*(add(i) for i in range(6)))
    assert sum(isinstance(r, Refused) for r in results) == 4
    assert await _count(live_db, pw.id, Goal) == 4
    async with live_db.tenant(pw.id) as s:
        positions = (await s.execute(select(Goal.position).order_by(Goal.position))).scalars()
        assert list(positions) == [0, 1, 2, 3]


async def test_two_first_saves_of_the_plan_make_one(live_db: Database) -> None:
    pw = await pair_world(live_db, "alberta-museums")

    async def first_save(member_id: object, words: str) -> object:
        try:
            return await service.save_plan(
                live_db,
                pw.id,
                member_id,
                pw.pair.id,  # type: ignore[arg-type]
                texts={m: words for m in MONTHS},
                first_meeting_on=None,
                last_meeting_on=None,
                lock_version=0,
            )
        except service.Stale as exc:
            return exc

    results = await asyncio.gather(first_save(pw.mentor.id, "A"), first_save(pw.mentee.id, "B"))
    assert sum(isinstance(r, service.Stale) for r in results) == 1
    assert await _count(live_db, pw.id, Plan) == 1


async def test_a_coordinator_in_the_pair_is_a_party_and_not_told_of_their_own_plan(
    db: Database,
) -> None:
    pw = await pair_world(db, "alberta-museums")
    async with db.tenant(pw.id) as s:
        mentor = (await s.execute(select(Member).where(Member.id == pw.mentor.id))).scalar_one()
        mentor.roles = [*mentor.roles, "coordinator"]
    first = pw.pair.matched_on
    view, _ = await service.save_plan(
        db,
        pw.id,
        pw.mentor.id,
        pw.pair.id,
        texts={m: "x" for m in MONTHS},
        first_meeting_on=first,
        last_meeting_on=first,
        lock_version=0,
    )
    assert view is not None
    await service.submit_plan(db, pw.id, pw.mentor.id, pw.pair.id, lock_version=view.lock_version)
    async with db.tenant(pw.id) as s:
        told = (
            await s.execute(select(Message.member_id).where(Message.kind == "plan_submitted"))
        ).scalars()
        assert list(told) == [pw.world.coordinator.id]
