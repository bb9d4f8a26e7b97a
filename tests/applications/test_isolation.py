"""Behavioural isolation of the applications tables (the structural check in
tests/foundation/test_schema.py reads the catalog and covers them too): another tenant's
transaction reads, changes and deletes none of a tenant's rows, each probe with its
positive control; the runtime role deletes nothing it has no reason to."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mentorhub.applications import services
from mentorhub.applications.states import State
from mentorhub.db import Database
from tests.applications.conftest import add_member, answers, make_world

TABLES = (
    "cohorts",
    "recruitment_windows",
    "applications",
    "interviews",
    "partner_organisations",
    "training_records",
    "board_ratifications",
)

#: Records the runtime role may add and delete (a mistaken one; 0012 for ratifications),
#: never change.
APPEND_ONLY = ("training_records", "board_ratifications")
DELETABLE = ("training_records", "board_ratifications")


async def _one_of_each(db: Database):  # type: ignore[no-untyped-def]
    world = await make_world(db, "museums-association")
    ada = await add_member(db, world.tenant, "Ada")
    draft = await services.save_draft(
        db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data=answers(world)
    )
    app = await services.submit(db, world.id, ada.id, draft.id)
    assert app.state == State.ELIGIBLE
    c = world.coordinator.id
    await services.shortlist(db, world.id, c, app.id)
    await services.schedule_interview(
        db, world.id, c, app.id, scheduled_at=datetime.now(UTC) + timedelta(days=1)
    )
    await services.set_partner_organisations(db, world.id, world.admin.id, ["Shelter"])
    await services.record_training(
        db, world.id, c, ada.id, kind="mentee", completed_on=date(2026, 11, 1)
    )
    await services.record_ratification(
        db, world.id, world.admin.id, ada.id, ratified_on=date(2026, 11, 1)
    )
    return world


async def _ids(db: Database, tenant_id: uuid.UUID, table: str) -> list[uuid.UUID]:
    async with db.tenant(tenant_id) as s:
        return list((await s.execute(text(f"SELECT id FROM {table}"))).scalars())


@pytest.mark.parametrize("table", TABLES)
async def test_another_tenant_reads_changes_or_deletes_nothing(db: Database, table: str) -> None:
    a = await _one_of_each(db)
    b = await make_world(db, "museums-association")
    row_id = (await _ids(db, a.id, table))[0]
    async with db.tenant(b.id) as s:
        found = await s.execute(
            text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": row_id}
        )
        assert found.scalar_one() == 0
        everything = await s.execute(
            text(f"SELECT count(*) FROM {table} WHERE tenant_id = :a"), {"a": a.id}
        )
        assert everything.scalar_one() == 0
        if table not in APPEND_ONLY:
            changed = await s.execute(
                text(f"UPDATE {table} SET created_at = now() WHERE id = :id"), {"id": row_id}
            )
            assert changed.rowcount == 0
    if table in DELETABLE:
        async with db.tenant(b.id) as s:
            deleted = await s.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row_id})
            assert deleted.rowcount == 0
    assert row_id in await _ids(db, a.id, table)  # control: A still sees it


async def test_writing_into_another_tenant_is_refused(db: Database) -> None:
    a = await make_world(db, "museums-association")
    b = await make_world(db, "museums-association")
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.tenant(b.id) as s:
            await s.execute(
                text(
                    "INSERT INTO partner_organisations (tenant_id, id, name) "
                    "VALUES (:a, gen_random_uuid(), 'Sneaky')"
                ),
                {"a": a.id},
            )


@pytest.mark.parametrize("table", ["applications", "cohorts", "interviews"])
async def test_the_runtime_role_cannot_delete_what_is_kept(db: Database, table: str) -> None:
    world = await make_world(db, "museums-association")
    with pytest.raises(DBAPIError, match="permission denied"):
        async with db.tenant(world.id) as s:
            await s.execute(text(f"DELETE FROM {table}"))
