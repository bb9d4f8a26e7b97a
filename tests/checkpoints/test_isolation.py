"""Behavioural isolation of the checkpoints' tables (migration 0017): another tenant neither
reads, changes nor adds to a tenant's checkpoint items and coordinator tasks, through row-level
security (raw SQL as the runtime role) or the application's scoping (ORM); and the clock's
discovery scope (`Database.platform("clock")`) reads items and pairs across tenants but can
change nothing and read nothing else. Every probe has a positive control."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.checkpoints.sync import sync_stale_pairs
from mentorhub.db import Database
from tests.foundation.helpers import make_tenant
from tests.pairs.space_helpers import pair_world


async def _world_with_items(db: Database) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Museums Association's pairs with their items and one coordinator task; returns the
    tenant, one item and the task."""
    w = await pair_world(db, "museums-association", matched_on=date(2027, 1, 11))
    async with db.tenant(w.id) as session:
        await sync_stale_pairs(session, w.world.tenant, now=datetime(2027, 1, 11, 12, tzinfo=UTC))
        item = (
            (
                await session.execute(
                    select(CheckpointItem).where(CheckpointItem.pair_id == w.pair.id)
                )
            )
            .scalars()
            .first()
        )
        assert item is not None
        task = CoordinatorTask(
            tenant_id=w.id,
            key=f"task:item:{item.id}",
            kind="checkpoint",
            pair_id=w.pair.id,
            item_id=item.id,
            title="Call the mentor (month 2)",
            due_on=date(2027, 3, 11),
        )
        session.add(task)
        await session.flush()
        return w.id, item.id, task.id


async def _count(db: Database, tenant_id: uuid.UUID, table: str, row_id: uuid.UUID) -> int:
    async with db.tenant(tenant_id) as s:
        return (
            await s.execute(text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": row_id})
        ).scalar_one()


async def test_another_tenant_reads_and_changes_none_of_the_items_or_tasks(db: Database) -> None:
    a, item_id, task_id = await _world_with_items(db)
    b = (await make_tenant(db)).id
    for table, row_id in (("checkpoint_items", item_id), ("coordinator_tasks", task_id)):
        assert await _count(db, a, table, row_id) == 1  # the control: the row is there
        assert await _count(db, b, table, row_id) == 0
        async with db.tenant(b) as s:
            changed = await s.execute(
                text(f"UPDATE {table} SET updated_at = now() WHERE id = :id"), {"id": row_id}
            )
            assert changed.rowcount == 0
    async with db.tenant(b) as s:  # the application's scoping: the ORM finds nothing either
        assert (await s.execute(select(CheckpointItem))).first() is None
        assert (await s.execute(select(CoordinatorTask))).first() is None


async def test_writing_a_row_into_another_tenant_is_refused(db: Database) -> None:
    a, _, _ = await _world_with_items(db)
    b = (await make_tenant(db)).id
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.tenant(b) as s:
            await s.execute(
                text(
                    "INSERT INTO coordinator_tasks"
                    " (tenant_id, id, key, kind, pair_id, title, due_on)"
                    " SELECT :a, :id, 'x', 'quiet_pair', pair_id, 't', due_on"
                    " FROM (SELECT CAST(:pair AS uuid) AS pair_id, DATE '2027-01-01' AS due_on) p"
                ),
                {"a": a, "id": uuid.uuid4(), "pair": uuid.uuid4()},
            )


async def test_the_clock_scope_reads_across_tenants_and_changes_nothing(db: Database) -> None:
    a, item_id, _ = await _world_with_items(db)
    async with db.platform("clock") as s:
        seen = (
            await s.execute(
                text("SELECT tenant_id FROM checkpoint_items WHERE id = :id"), {"id": item_id}
            )
        ).scalar_one()
        assert seen == a  # discovery sees the item's tenant...
        pairs = (
            await s.execute(text("SELECT count(*) FROM pairs WHERE tenant_id = :a"), {"a": a})
        ).scalar_one()
        assert pairs == 2
        # ...but no other tenant-owned table, and it writes nothing.
        for table in ("coordinator_tasks", "members", "meetings", "messages"):
            rows = (
                await s.execute(
                    text(f"SELECT count(*) FROM {table} WHERE tenant_id = :a"), {"a": a}
                )
            ).scalar_one()
            assert rows == 0, table
        for statement in (
            "UPDATE checkpoint_items SET next_at = NULL WHERE id = :id",
            "UPDATE pairs SET quiet_stage = 2 WHERE tenant_id = (SELECT tenant_id FROM"
            " checkpoint_items WHERE id = :id)",
        ):
            assert (await s.execute(text(statement), {"id": item_id})).rowcount == 0
    async with db.platform() as s:  # the plain platform path reads no items at all
        none = (
            await s.execute(
                text("SELECT count(*) FROM checkpoint_items WHERE id = :id"), {"id": item_id}
            )
        ).scalar_one()
        assert none == 0
