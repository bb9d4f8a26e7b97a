"""The matching flows' and pairs' tables (migration 0014): each keeps to its tenant through
row-level security (raw SQL, so only the database stands between tenants) and the ORM's
scoping, with a positive control; and the constraints that make the flows safe hold."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from mentorhub.applications.models import Application
from mentorhub.db import Database
from mentorhub.matching.models import (
    ConflictOfInterest,
    MatchingRun,
    MatchProposal,
    MatchRequest,
    MentorCapacity,
)
from mentorhub.pairs.models import Pair
from tests.applications.conftest import World, add_member, make_world

NEW_TABLES = (
    "mentor_capacities",
    "conflicts_of_interest",
    "match_requests",
    "match_proposals",
    "matching_runs",
    "pairs",
)

#: The runtime role may delete only these (a conflict of interest recorded by mistake).
DELETABLE = ("conflicts_of_interest",)


async def _application(db: Database, world: World, role: str) -> Application:
    member = await add_member(db, world.tenant, f"{role} {uuid.uuid4().hex[:4]}", roles=(role,))
    async with db.tenant(world.id) as s:
        app = Application(
            tenant_id=world.id,
            id=uuid.uuid4(),
            cohort_id=world.cohort.id,
            member_id=member.id,
            role=role,
            state="accepted",
        )
        s.add(app)
    return app


async def one_row_each(db: Database, world: World) -> dict[str, uuid.UUID]:
    """One row in every new table of `world`'s tenant; their ids by table."""
    mentor = await _application(db, world, "mentor")
    mentee = await _application(db, world, "mentee")
    now = datetime.now(UTC)
    t, c = world.id, world.cohort.id
    rows: dict[str, Any] = {
        "mentor_capacities": MentorCapacity(
            tenant_id=t,
            id=uuid.uuid4(),
            cohort_id=c,
            mentor_id=mentor.member_id,
            application_id=mentor.id,
            capacity=2,
            source="declared",
        ),
        "conflicts_of_interest": ConflictOfInterest(
            tenant_id=t,
            id=uuid.uuid4(),
            mentee_id=mentee.member_id,
            mentor_id=mentor.member_id,
            source="coordinator",
            reason="Same team",
        ),
        "match_requests": MatchRequest(
            tenant_id=t,
            id=uuid.uuid4(),
            cohort_id=c,
            mentee_id=mentee.member_id,
            mentee_application_id=mentee.id,
            choices=[mentor.member_id],
            choice_index=0,
            mentor_id=mentor.member_id,
            asked_at=now,
            expires_at=now + timedelta(days=7),
        ),
        "match_proposals": MatchProposal(
            tenant_id=t,
            id=uuid.uuid4(),
            cohort_id=c,
            mentor_id=mentor.member_id,
            mentee_id=mentee.member_id,
        ),
        "matching_runs": MatchingRun(
            tenant_id=t,
            id=uuid.uuid4(),
            cohort_id=c,
            scheme_version=world.cohort.scheme_version,
            number=1,
            fingerprint="0" * 64,
        ),
    }
    rows["pairs"] = Pair(
        tenant_id=t,
        id=uuid.uuid4(),
        cohort_id=c,
        scheme_version=world.cohort.scheme_version,
        mentor_id=mentor.member_id,
        mentee_id=mentee.member_id,
        mentor_application_id=mentor.id,
        mentee_application_id=mentee.id,
        matched_on=date(2027, 1, 5),
        flow="coordinator",
        run_id=rows["matching_runs"].id,
    )
    async with db.tenant(world.id) as s:
        for row in rows.values():
            s.add(row)
            await s.flush()
    return {table: row.id for table, row in rows.items()}


async def test_every_new_table_is_isolated_by_the_database_and_the_orm(db: Database) -> None:
    a = await make_world(db, "museums-association")
    b = await make_world(db, "museums-association")
    ids = await one_row_each(db, a)
    assert set(ids) == set(NEW_TABLES)
    models = {
        m.__tablename__: m
        for m in (
            MentorCapacity,
            ConflictOfInterest,
            MatchRequest,
            MatchProposal,
            MatchingRun,
            Pair,
        )
    }
    for table, row_id in ids.items():
        count = text(f"SELECT count(*) FROM {table} WHERE id = :id")
        async with db.tenant(a.id) as s:  # control: A sees its row, both ways
            assert (await s.execute(count, {"id": row_id})).scalar_one() == 1
            assert (
                await s.execute(select(models[table]).where(models[table].id == row_id))
            ).scalar_one_or_none() is not None
        async with db.tenant(b.id) as s:
            assert (await s.execute(count, {"id": row_id})).scalar_one() == 0
            assert (
                await s.execute(select(models[table]).where(models[table].id == row_id))
            ).scalar_one_or_none() is None
            if table in DELETABLE:
                gone = await s.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row_id})
                assert gone.rowcount == 0
                continue_moving = False
            else:
                changed = await s.execute(
                    text(f"UPDATE {table} SET created_at = now() WHERE id = :id"), {"id": row_id}
                )
                assert changed.rowcount == 0
                continue_moving = True
        if continue_moving:
            with pytest.raises(DBAPIError, match="row-level security"):
                async with db.tenant(a.id) as s:  # moving A's row into B is refused
                    await s.execute(
                        text(f"UPDATE {table} SET tenant_id = :b WHERE id = :id"),
                        {"b": b.id, "id": row_id},
                    )
        async with db.tenant(a.id) as s:  # control: still there
            assert (await s.execute(count, {"id": row_id})).scalar_one() == 1


async def test_a_row_cannot_point_into_another_tenant(db: Database) -> None:
    """tenant_id is in every foreign key: B's pair naming A's cohort and members fails."""
    a = await make_world(db, "museums-association")
    b = await make_world(db, "museums-association")
    ids = await one_row_each(db, a)
    async with db.tenant(a.id) as s:
        pair = (await s.execute(select(Pair).where(Pair.id == ids["pairs"]))).scalar_one()
        mentor, mentee = pair.mentor_id, pair.mentee_id
    with pytest.raises(IntegrityError, match="foreign key"):
        async with db.tenant(b.id) as s:
            s.add(
                Pair(
                    tenant_id=b.id,
                    id=uuid.uuid4(),
                    cohort_id=b.cohort.id,
                    scheme_version=b.cohort.scheme_version,
                    mentor_id=mentor,
                    mentee_id=mentee,
                    matched_on=date(2027, 1, 5),
                    flow="coordinator",
                )
            )


async def test_one_live_pair_per_mentor_and_mentee_and_one_open_request(db: Database) -> None:
    world = await make_world(db, "museums-association")
    ids = await one_row_each(db, world)
    async with db.tenant(world.id) as s:
        pair = (await s.execute(select(Pair).where(Pair.id == ids["pairs"]))).scalar_one()
        request = (
            await s.execute(select(MatchRequest).where(MatchRequest.id == ids["match_requests"]))
        ).scalar_one()
        mentor, mentee, cohort = pair.mentor_id, pair.mentee_id, pair.cohort_id
        mentee_application = request.mentee_application_id

    def twin() -> Pair:
        return Pair(
            tenant_id=world.id,
            id=uuid.uuid4(),
            cohort_id=cohort,
            scheme_version=world.cohort.scheme_version,
            mentor_id=mentor,
            mentee_id=mentee,
            matched_on=date(2027, 1, 6),
            flow="mutual_acceptance",
        )

    with pytest.raises(IntegrityError, match="pairs_one_live"):
        async with db.tenant(world.id) as s:
            s.add(twin())
    with pytest.raises(IntegrityError, match="match_requests_one_open"):
        async with db.tenant(world.id) as s:
            now = datetime.now(UTC)
            s.add(
                MatchRequest(
                    tenant_id=world.id,
                    id=uuid.uuid4(),
                    cohort_id=cohort,
                    mentee_id=mentee,
                    mentee_application_id=mentee_application,
                    choices=[mentor],
                    mentor_id=mentor,
                    asked_at=now,
                    expires_at=now + timedelta(days=7),
                )
            )
    async with db.tenant(world.id) as s:  # once ended, the same two may be paired again
        await s.execute(
            text(
                "UPDATE pairs SET state = 'ended', end_kind = 'completed', ended_at = now() "
                "WHERE id = :id"
            ),
            {"id": ids["pairs"]},
        )
        s.add(twin())
    with pytest.raises(IntegrityError, match="pairs_removed_has_reason"):
        async with db.tenant(world.id) as s:
            await s.execute(
                text(
                    "UPDATE pairs SET state = 'ended', end_kind = 'removed', ended_at = now() "
                    "WHERE state <> 'ended'"
                )
            )


async def test_one_published_run_per_cohort(db: Database) -> None:
    world = await make_world(db, "museums-association")
    now = datetime.now(UTC)

    def run(number: int) -> MatchingRun:
        return MatchingRun(
            tenant_id=world.id,
            id=uuid.uuid4(),
            cohort_id=world.cohort.id,
            scheme_version=world.cohort.scheme_version,
            number=number,
            fingerprint="0" * 64,
            state="published",
            published_at=now,
        )

    async with db.tenant(world.id) as s:
        s.add(run(1))
    with pytest.raises(IntegrityError, match="matching_runs_one_published"):
        async with db.tenant(world.id) as s:
            s.add(run(2))
