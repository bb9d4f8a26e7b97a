"""Pair actions against real PostgreSQL: create_pair (capacity from the application, audit,
both mailed), capacity refused and raced, ending/removing/extending, re-matching after a
failed pair (Arts Marketing Association), and the readers."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from mentorhub.applications.models import Application
from mentorhub.core.audit import AuditEntry
from mentorhub.core.problems import Problems
from mentorhub.db import Database, NotFound
from mentorhub.matching.models import MentorCapacity
from mentorhub.pairs import queries
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import (
    AlreadyPaired,
    CapacityFull,
    NewPair,
    Refused,
    create_pair,
    create_pairs,
    end_pair,
    extend_pair,
    remove_pair,
    reopen_for_rematch,
    span_of,
)
from tests.applications.conftest import World, make_world
from tests.pairs.helpers import accepted, kinds_of


def new(world: World, mentor: Application, mentee: Application, **extra: object) -> NewPair:
    return NewPair(
        cohort_id=world.cohort.id,
        mentor_id=mentor.member_id,
        mentee_id=mentee.member_id,
        mentor_application_id=mentor.id,
        mentee_application_id=mentee.id,
        flow="suggest_and_accept",
        **extra,  # type: ignore[arg-type]
    )


async def pair_count(db: Database, world: World, *where: object) -> int:
    async with db.tenant(world.id) as s:
        query = select(func.count()).select_from(Pair)
        for w in where:
            query = query.where(w)  # type: ignore[arg-type]
        return int((await s.execute(query)).scalar_one())


async def make(db: Database, world: World, mentor: Application, mentee: Application) -> Pair:
    async with db.tenant(world.id) as s:
        return await create_pair(s, new(world, mentor, mentee), actor_id=None)


async def test_create_pair_takes_capacity_from_the_application_audits_and_mails_both(
    db: Database,
) -> None:
    world = await make_world(db, "ahep")
    mentor = await accepted(db, world, "mentor", "Maria Mentor", capacity=2)
    mentee = await accepted(db, world, "mentee", "Eddie Mentee")
    async with db.tenant(world.id) as s:
        pair = await create_pair(
            s,
            new(world, mentor, mentee, score=2.0, explanation=[{"criterion": "x", "points": 2}]),
            actor_id=mentor.member_id,
            actor="maria@example.org",
        )
    assert pair.state == "active" and pair.scheme_version == world.cohort.scheme_version
    async with db.tenant(world.id) as s:
        cap = (await s.execute(select(MentorCapacity))).scalar_one()
        assert (cap.capacity, cap.source, cap.mentor_id) == (2, "declared", mentor.member_id)
        actions = list((await s.execute(select(AuditEntry.action))).scalars())
        assert actions.count("pair_created") == 1
        span = await span_of(s, pair)
        assert span.start >= pair.matched_on  # recomputed from the stored version and dates
    assert await kinds_of(db, world, mentor.member_id) == ["match_made"]
    assert await kinds_of(db, world, mentee.member_id) == ["match_made"]
    rows = await _rows(db, world, mentee.member_id)
    assert [(r.mentor_name, r.viewer_role) for r in rows] == [("Maria Mentor", "mentee")]


async def _rows(db: Database, world: World, member_id: uuid.UUID) -> list[queries.PairRow]:
    async with db.tenant(world.id) as s:
        return await queries.pairs_of_member(s, member_id)


async def test_a_full_mentor_and_a_second_mentor_for_a_mentee_are_refused_and_nothing_written(
    db: Database,
) -> None:
    world = await make_world(db, "ahep")
    mentor = await accepted(db, world, "mentor", "Maria Mentor", capacity=1)
    other = await accepted(db, world, "mentor", "Otto Mentor", capacity=3)
    first = await accepted(db, world, "mentee")
    second = await accepted(db, world, "mentee")
    await make(db, world, mentor, first)
    with pytest.raises(CapacityFull, match="Maria Mentor has no free place left"):
        await make(db, world, mentor, second)
    with pytest.raises(AlreadyPaired, match="already has a mentor"):
        await make(db, world, other, first)
    assert await pair_count(db, world) == 1
    assert await kinds_of(db, world, second.member_id) == []


async def test_capacity_holds_when_many_mentees_are_accepted_at_once(live_db: Database) -> None:
    """Eight transactions on eight connections race for a capacity-3 mentor: exactly three
    pairs, and every other one is refused as full (the capacity row is locked)."""
    world = await make_world(live_db, "ahep")
    mentor = await accepted(live_db, world, "mentor", "Busy Mentor", capacity=3)
    mentees = [await accepted(live_db, world, "mentee") for _ in range(8)]
    start = asyncio.Event()

    async def accept(mentee: Application) -> Pair:
        await start.wait()
        async with live_db.tenant(world.id) as s:
            return await create_pair(s, new(world, mentor, mentee), actor_id=None)

    tasks = [asyncio.create_task(accept(m)) for m in mentees]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    made = [r for r in results if isinstance(r, Pair)]
    refused = [r for r in results if isinstance(r, CapacityFull)]
    assert (len(made), len(refused)) == (3, 5), results
    assert await pair_count(live_db, world, Pair.mentor_id == mentor.member_id) == 3
    async with live_db.tenant(world.id) as s:
        caps = (await s.execute(select(func.count()).select_from(MentorCapacity))).scalar_one()
    assert caps == 1  # created once, even though eight created it at the same moment


async def test_ending_follows_the_scheme_and_frees_the_place(db: Database) -> None:
    ahep = await make_world(db, "ahep")  # either party may end
    mentor = await accepted(db, ahep, "mentor", capacity=1)
    mentee = await accepted(db, ahep, "mentee")
    pair = await make(db, ahep, mentor, mentee)
    stranger = await accepted(db, ahep, "mentee")
    with pytest.raises(NotFound):
        await end_pair(db, ahep.id, stranger.member_id, pair.id)
    ended = await end_pair(db, ahep.id, mentee.member_id, pair.id, reason="Moved abroad")
    assert (ended.state, ended.end_kind, ended.ended_by) == (
        "ended",
        "ended_early",
        mentee.member_id,
    )
    assert await kinds_of(db, ahep, mentor.member_id) == ["match_made", "match_ended"]
    with pytest.raises(Refused, match="already ended"):
        await end_pair(db, ahep.id, mentee.member_id, pair.id)
    await make(db, ahep, mentor, stranger)  # the place is free again

    museums = await make_world(db, "museums-association")  # parties may not end it
    mentor = await accepted(db, museums, "mentor")
    mentee = await accepted(db, museums, "mentee")
    pair = await make(db, museums, mentor, mentee)
    with pytest.raises(Refused, match="does not let a mentor or mentee end"):
        await end_pair(db, museums.id, mentee.member_id, pair.id)
    with pytest.raises(Refused, match="Say why"):
        await remove_pair(db, museums.id, museums.coordinator.id, pair.id, reason="  ")
    removed = await remove_pair(
        db, museums.id, museums.coordinator.id, pair.id, reason="Breach of the code of ethics"
    )
    assert (removed.end_kind, removed.end_reason) == ("removed", "Breach of the code of ethics")


async def test_extension_within_the_schemes_limits(db: Database) -> None:
    museums = await make_world(db, "museums-association")  # 6 months, extendable
    mentor = await accepted(db, museums, "mentor")
    mentee = await accepted(db, museums, "mentee")
    pair = await make(db, museums, mentor, mentee)
    with pytest.raises(Refused):
        await extend_pair(db, museums.id, mentee.member_id, pair.id, months=3)
    with pytest.raises(Problems) as bad:
        await extend_pair(db, museums.id, museums.coordinator.id, pair.id, months=0)
    assert bad.value.at("months")
    extended = await extend_pair(db, museums.id, museums.coordinator.id, pair.id, months=3)
    assert extended.state == "extended" and extended.extended_until is not None
    async with db.tenant(museums.id) as s:
        assert (await span_of(s, extended)).end == extended.extended_until
    assert "match_extended" in await kinds_of(db, museums, mentee.member_id)


async def test_a_failed_pair_reopens_the_mentee_for_a_new_match(db: Database) -> None:
    ama = await make_world(db, "arts-marketing")
    first = await accepted(db, ama, "mentor")
    second = await accepted(db, ama, "mentor")
    mentee = await accepted(db, ama, "mentee")
    pair = await make(db, ama, first, mentee)
    with pytest.raises(Problems):
        await reopen_for_rematch(db, ama.id, ama.coordinator.id, pair.id, reason="")
    with pytest.raises(NotFound):
        await reopen_for_rematch(db, ama.id, mentee.member_id, pair.id, reason="No")
    done = await reopen_for_rematch(
        db, ama.id, ama.coordinator.id, pair.id, reason="They never managed to meet"
    )
    assert (done.state, done.end_kind) == ("ended", "ended_early")
    assert await kinds_of(db, ama, mentee.member_id) == [
        "match_made",
        "match_ended",
        "match_reopened",
    ]
    await make(db, ama, second, mentee)  # the same application, a new mentor
    async with db.tenant(ama.id) as s:
        rows = await queries.pairs_of_cohort(s, ama.coordinator.id, ama.cohort.id)
        assert sorted(r.state for r in rows) == ["active", "ended"]
        with pytest.raises(NotFound):
            await queries.pairs_of_cohort(s, mentee.member_id, ama.cohort.id)

    museums = await make_world(db, "museums-association")  # no re-matching there
    mentor = await accepted(db, museums, "mentor")
    other = await accepted(db, museums, "mentee")
    pair = await make(db, museums, mentor, other)
    with pytest.raises(Refused, match="does not re-match"):
        await reopen_for_rematch(db, museums.id, museums.coordinator.id, pair.id, reason="x")


async def test_a_batch_is_all_or_nothing_and_bad_input_changes_nothing(db: Database) -> None:
    world = await make_world(db, "alberta-museums")  # no extensions in this scheme
    roomy = await accepted(db, world, "mentor", career_stage="Senior professional")
    full = await accepted(db, world, "mentor", career_stage="Senior professional")
    a, b, c = [await accepted(db, world, "mentee", career_stage="Early career") for _ in "abc"]
    await make(db, world, full, a)
    with pytest.raises(CapacityFull):
        async with db.tenant(world.id) as s:
            await create_pairs(s, [new(world, roomy, b), new(world, full, c)], actor_id=None)
    assert await pair_count(db, world) == 1
    assert await kinds_of(db, world, b.member_id) == []
    [pair] = await _rows(db, world, a.member_id)
    with pytest.raises(Problems) as no_extension:
        await extend_pair(db, world.id, world.coordinator.id, pair.id, months=2)
    assert "does not allow extensions" in no_extension.value.at("months")[0].message
    with pytest.raises(Problems):
        await end_pair(db, world.id, world.coordinator.id, pair.id, kind="vanished")  # type: ignore[arg-type]
    with pytest.raises(Refused, match="changed since"):
        await end_pair(db, world.id, world.coordinator.id, pair.id, lock_version=7)
    assert [r.state for r in await _rows(db, world, a.member_id)] == ["active"]
