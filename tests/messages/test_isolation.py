"""The messages tables keep tenants apart like every other: through raw SQL (row-level
security alone), tenant B can neither read, change nor delete tenant A's messages,
preferences or template overrides, nor write rows into A. Each probe has a positive control."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mentorhub.db import Database
from mentorhub.messages.services import send, set_reminders
from tests.foundation.helpers import make_member, make_tenant

TABLES = {
    "messages": "SELECT count(*) FROM messages",
    "message_preferences": "SELECT count(*) FROM message_preferences",
    "message_templates": "SELECT count(*) FROM message_templates",
}
REMINDER = {"title": "T", "due_on": "D", "link": "https://x/"}


async def test_tenant_b_sees_and_changes_nothing_of_tenant_a(db: Database) -> None:
    a, b = await make_tenant(db), await make_tenant(db)
    ada = await make_member(db, a, "Ada")
    async with db.tenant(a.id) as s:
        await send(s, a, "reminder", REMINDER, "iso:1", to_member=ada)
        await set_reminders(s, ada.id, on=False)
        await s.execute(
            text(
                "INSERT INTO message_templates (tenant_id, kind, subject) "
                "VALUES (:t, 'reminder', 'x')"
            ),
            {"t": a.id},
        )
    async with db.tenant(a.id) as s:  # control: A sees one row in each
        for sql in TABLES.values():
            assert (await s.execute(text(sql))).scalar_one() == 1
    async with db.tenant(b.id) as s:
        for sql in TABLES.values():
            assert (await s.execute(text(sql))).scalar_one() == 0
        for table in TABLES:
            column = "tenant_id"
            changed = await s.execute(text(f"UPDATE {table} SET {column} = {column}"))
            assert changed.rowcount == 0, table
        deleted = await s.execute(text("DELETE FROM message_templates"))
        assert deleted.rowcount == 0
    for table in ("messages", "message_preferences"):  # never deleted by the product at all
        with pytest.raises(DBAPIError, match="permission denied"):
            async with db.tenant(b.id) as s:
                await s.execute(text(f"DELETE FROM {table}"))
    async with db.tenant(a.id) as s:  # control: still there
        for sql in TABLES.values():
            assert (await s.execute(text(sql))).scalar_one() == 1


async def test_tenant_b_cannot_write_a_message_into_tenant_a(db: Database) -> None:
    a, b = await make_tenant(db), await make_tenant(db)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.tenant(b.id) as s:
            await s.execute(
                text(
                    "INSERT INTO messages (tenant_id, key, kind, to_address, subject) "
                    "VALUES (:a, 'k', 'reminder', 'x@example.org', 's')"
                ),
                {"a": a.id},
            )


async def test_send_refuses_a_tenant_other_than_the_transactions(db: Database) -> None:
    from mentorhub.messages.services import MessageError

    a, b = await make_tenant(db), await make_tenant(db)
    with pytest.raises(MessageError, match="not the transaction's tenant"):
        async with db.tenant(b.id) as s:
            await send(s, a, "reminder", REMINDER, "iso:2", to_address="x@example.org")
