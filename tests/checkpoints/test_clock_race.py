"""Two clocks at once (a restart overlapping, two deployments): over separate connections
that really commit, each message is written once and each task made once. A tenant another
clock holds is skipped; an item a person holds right now waits for the next pass."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from mentorhub.checkpoints import clock
from mentorhub.checkpoints.clock import run_pass
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db import Database
from tests.checkpoints.clock_helpers import (
    AFTER,
    MATCHED,
    OPEN,
    clock_world,
    items,
    mail_counts,
    messages,
    tasks,
)


async def test_two_clocks_racing_write_each_message_once(live_db: Database) -> None:
    w = await clock_world(live_db)
    await run_pass(live_db, as_of=MATCHED, tenant_slug=w.slug)
    first, second = await asyncio.gather(
        run_pass(live_db, as_of=OPEN, tenant_slug=w.slug),
        run_pass(live_db, as_of=OPEN, tenant_slug=w.slug),
    )
    assert first.failures == second.failures == []
    keys = [m.key for m in await messages(live_db, w)]
    assert len(keys) == len(set(keys)) == 6
    assert len(await tasks(live_db, w)) == 1
    passes = first.tenants + second.tenants
    assert sum(t.opened for t in passes) == 5
    assert sum(t.mails for t in passes) == 6


async def test_two_clocks_racing_from_stale_pairs_over_several_tenants(live_db: Database) -> None:
    """Sync, opening and the catch-up's one mail per item, all racing, in three tenants."""
    worlds = [await clock_world(live_db) for _ in range(3)]
    results = await asyncio.gather(*(run_pass(live_db, as_of=AFTER) for _ in range(2)))
    mine = {w.slug for w in worlds}
    for result in results:
        assert not [f for f in result.failures if f.slug in mine]
    for w in worlds:
        keys = [m.key for m in await messages(live_db, w)]
        assert len(keys) == len(set(keys)) == 6
        assert {k: v for k, v in (await mail_counts(live_db, w)).items()} == {
            ("checkpoint_overdue", "mentor"): 3,
            ("checkpoint_overdue", "mentee"): 3,
        }
        assert len(await tasks(live_db, w)) == 1
        assert len(await items(live_db, w)) == 5


async def test_a_tenant_another_clock_holds_is_skipped(live_db: Database) -> None:
    w = await clock_world(live_db)
    async with live_db.tenant(w.id) as session:
        assert (await session.execute(clock._LOCK, {"tenant": str(w.id)})).scalar_one()
        held = await run_pass(live_db, as_of=OPEN, tenant_slug=w.slug)
    [t] = held.tenants
    assert t.skipped and not t.changed
    assert await items(live_db, w) == {}
    freed = await run_pass(live_db, as_of=OPEN, tenant_slug=w.slug)
    assert not freed.tenants[0].skipped and freed.tenants[0].opened == 5


async def test_an_item_a_person_holds_waits_for_the_next_pass(live_db: Database) -> None:
    w = await clock_world(live_db)
    await run_pass(live_db, as_of=MATCHED, tenant_slug=w.slug)
    together = (await items(live_db, w))["together", "pair"]
    async with live_db.tenant(w.id) as session:
        # A person sending the item in holds its row (as save_answers does).
        await session.execute(
            select(CheckpointItem.id).where(CheckpointItem.id == together.id).with_for_update()
        )
        held = await run_pass(live_db, as_of=OPEN, tenant_slug=w.slug)
        assert held.tenants[0].opened == 4
    assert (await items(live_db, w))["together", "pair"].state == "upcoming"
    later = await run_pass(live_db, as_of=OPEN, tenant_slug=w.slug)
    assert later.tenants[0].opened == 1
    keys = [m.key for m in await messages(live_db, w)]
    assert len(keys) == len(set(keys)) == 6
