"""The feed's one statement finds everything by index (issue 15, performance): the feed by
its secret's hash, the member's pairs by `pairs_by_mentor`/`pairs_by_mentee`, both people
by their key, and the pairs' meetings by `meetings_by_pair` (tenant_id, pair_id,
starts_at). The test database is tiny, so the plan is asked for with the tables' sizes of
a large deployment given to the planner (PostgreSQL 18's `pg_restore_relation_stats`, as
the owner) and cleared again afterwards."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mentorhub.db import Database
from mentorhub.pairs.services.calendar import _feed_statement, create_feed
from tests.pairs.space_helpers import pair_world
from tests.pairs.test_calendar import add_meeting

SIZES = {"pairs": 300_000, "members": 1_000_000, "meetings": 3_000_000, "calendar_feeds": 200_000}


async def _sizes(owner_engine: AsyncEngine, *, clear: bool) -> None:
    async with owner_engine.begin() as conn:
        for table, rows in SIZES.items():
            if clear:
                sql = f"SELECT pg_clear_relation_stats('public', '{table}')"
            else:
                sql = (
                    "SELECT pg_restore_relation_stats('schemaname', 'public', 'relname', "
                    f"'{table}', 'reltuples', {rows}::real, 'relpages', 1)"
                )
            await conn.execute(text(sql))


async def test_the_feeds_statement_uses_the_indexes(
    db: Database, owner_engine: AsyncEngine
) -> None:
    pw = await pair_world(db, "ahep")
    # A row in each table (an empty table has no page: nothing to choose between).
    await create_feed(db, pw.id, pw.mentor.id)
    await add_meeting(db, pw, pw.pair.id, pw.mentor.id, "scheduled", 3)
    await _sizes(owner_engine, clear=False)
    try:
        async with db.tenant(pw.id) as session:
            statement = _feed_statement().params(tenant_id=pw.id, token_hash="0" * 64)
            compiled = statement.compile(
                dialect=(await session.connection()).dialect, compile_kwargs={"literal_binds": True}
            )
            plan = "\n".join((await session.execute(text(f"EXPLAIN {compiled}"))).scalars())
    finally:
        await _sizes(owner_engine, clear=True)
    # The live feed by one of its indexes (by the secret's hash, or the live ones'), …
    assert "Index Scan using calendar_feeds_" in plan, plan
    # … the member's pairs by both people's indexes, with the member in the index condition,
    assert "(mentor_id = feed.member_id)" in plan and "(mentee_id = feed.member_id)" in plan
    assert "pairs_by_mentor" in plan and "pairs_by_mentee" in plan, plan
    # … each pair's meetings by (tenant_id, pair_id, starts_at), and never a whole table.
    assert "Index Scan using meetings_by_pair" in plan and "(pair_id = pairs.id)" in plan, plan
    assert "Seq Scan" not in plan, plan
