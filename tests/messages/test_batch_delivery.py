"""A worker's batch of `message.send` rows (`process_batch` holding the rows, `deliver_many`):
the same outcomes as one row at a time — each message sent once, a permanent refusal recorded
and finished, a transient one counted and left for the retry, an unsubscribed member's
reminder suppressed — and a row another connection holds is left to it."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2.exceptions import SecurityError
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.messages import services
from mentorhub.messages.delivery import TransientDeliveryError
from mentorhub.messages.models import Message, TemplateOverride
from mentorhub.outbox.models import OutboxMessage
from mentorhub.outbox.process import LOCK_CLASS, Busy, process_batch
from mentorhub.tenancy.models import Tenant
from tests.messages.sink import Sink
from tests.messages.test_messages import (
    REMINDER,
    branded_tenant,
    handlers,
    member,
    message_row,
    send_one,
)


async def outbox_ids(db: Database, tenant: Tenant) -> list[int]:
    async with db.tenant(tenant.id) as session:
        return list(
            (await session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id))).scalars()
        )


async def done(db: Database, tenant: Tenant) -> list[bool]:
    async with db.tenant(tenant.id) as session:
        rows = await session.execute(select(OutboxMessage.done_at).order_by(OutboxMessage.id))
        return [at is not None for at in rows.scalars()]


async def free(db: Database, ids: list[int]) -> bool:
    """Whether another connection can take every row's lock (none is left held)."""
    async with db.engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        got = [
            await driver.fetchval(f"SELECT pg_try_advisory_lock({LOCK_CLASS}, $1)", i) for i in ids
        ]
        await driver.execute("SELECT pg_advisory_unlock_all()")
    return all(got)


async def test_a_batch_sends_each_message_once(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    for i in range(3):
        await send_one(live_db, tenant, "reminder", REMINDER, f"b:{i}", to_address=f"b{i}@x.org")
    ids = await outbox_ids(live_db, tenant)
    assert await process_batch(live_db, tenant.id, ids, handlers()) == 3
    assert await process_batch(live_db, tenant.id, ids, handlers()) == 0  # a redelivery
    assert sorted(c.recipients[0] for c in inbox.caught) == ["b0@x.org", "b1@x.org", "b2@x.org"]
    assert len(inbox.by_message_id()) == 3
    async with live_db.tenant(tenant.id) as session:
        rows = (await session.execute(select(Message.status, Message.attempts))).all()
    assert sorted(tuple(r) for r in rows) == [("sent", 1)] * 3
    assert await done(live_db, tenant) == [True] * 3
    assert await free(live_db, ids)


async def test_permanent_and_transient_refusals_in_a_batch(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    inbox.refuse["gone@x.org"] = "550 5.1.1 No such mailbox"
    inbox.refuse["busy@x.org"] = "451 4.3.0 Try again later"
    gone, busy, fine = [
        await send_one(live_db, tenant, "reminder", REMINDER, f"r:{to}", to_address=to)
        for to in ("gone@x.org", "busy@x.org", "fine@x.org")
    ]
    assert gone is not None and busy is not None and fine is not None
    ids = await outbox_ids(live_db, tenant)
    with pytest.raises(TransientDeliveryError, match="451"):  # the broker retries the batch
        await process_batch(live_db, tenant.id, ids, handlers())
    row = await message_row(live_db, tenant, gone)
    assert (row.status, row.attempts) == ("failed", 1) and "550" in (row.last_error or "")
    row = await message_row(live_db, tenant, busy)
    assert (row.status, row.attempts) == ("pending", 1) and "451" in (row.last_error or "")
    assert (await message_row(live_db, tenant, fine)).status == "sent"
    assert await done(live_db, tenant) == [True, False, True]
    async with live_db.tenant(tenant.id) as session:
        audit = (await session.execute(select(AuditEntry.action, AuditEntry.subject))).all()
    assert [tuple(a) for a in audit] == [("message.failed", f"message:{gone}")]
    assert await free(live_db, ids)

    inbox.refuse.clear()  # the retry: only the deferred message goes
    assert await process_batch(live_db, tenant.id, ids, handlers()) == 1
    row = await message_row(live_db, tenant, busy)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert [c.recipients[0] for c in inbox.caught] == ["fine@x.org", "busy@x.org"]


async def test_an_unsubscribed_member_s_reminder_is_suppressed(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    ada = await member(live_db, tenant)
    async with live_db.tenant(tenant.id) as session:
        await services.set_reminders(session, ada.id, on=False, actor="link")
    message_id = await send_one(live_db, tenant, "reminder", REMINDER, "s:1", to_member=ada)
    assert message_id is not None
    ids = await outbox_ids(live_db, tenant)
    assert await process_batch(live_db, tenant.id, ids, handlers()) == 1
    assert (await message_row(live_db, tenant, message_id)).status == "suppressed"
    assert inbox.caught == [] and await done(live_db, tenant) == [True]


async def test_a_row_held_by_another_worker_is_left_to_it(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    for i in range(2):
        await send_one(live_db, tenant, "reminder", REMINDER, f"h:{i}", to_address=f"h{i}@x.org")
    ids = await outbox_ids(live_db, tenant)
    async with live_db.engine.connect() as conn:  # another worker holds the second row
        other: Any = (await conn.get_raw_connection()).driver_connection
        assert await other.fetchval(f"SELECT pg_try_advisory_lock({LOCK_CLASS}, $1)", ids[1])
        with pytest.raises(Busy):  # retried later by the broker
            await process_batch(live_db, tenant.id, ids, handlers())
        await other.execute("SELECT pg_advisory_unlock_all()")
    assert [c.recipients[0] for c in inbox.caught] == ["h0@x.org"]
    assert await done(live_db, tenant) == [True, False]
    assert await process_batch(live_db, tenant.id, ids, handlers()) == 1
    assert sorted(c.recipients[0] for c in inbox.caught) == ["h0@x.org", "h1@x.org"]


async def test_one_message_s_error_leaves_the_rest_of_the_batch_going(
    live_db: Database, inbox: Sink
) -> None:
    """A tenant's override row that the renderer refuses (written past the loader) fails its
    kind's message, left open for a retry; the batch's other message still goes."""
    tenant = await branded_tenant(live_db)
    ada = await member(live_db, tenant)
    await send_one(live_db, tenant, "reminder", REMINDER, "e:1", to_address="e1@x.org")
    changed = {"roles": ["mentor"], "added": ["mentor"], "removed": [], "link": "https://x/r"}
    await send_one(live_db, tenant, "role_change", changed, "e:2", to_member=ada)
    async with live_db.tenant(tenant.id) as session:
        session.add(
            TemplateOverride(tenant_id=tenant.id, kind="reminder", body="{{ ''.__class__ }}")
        )
    ids = await outbox_ids(live_db, tenant)
    with pytest.raises(SecurityError, match="the reminder override is refused"):
        await process_batch(live_db, tenant.id, ids, handlers())
    assert [c.recipients[0] for c in inbox.caught] == [ada.email]
    assert await done(live_db, tenant) == [False, True]
    assert await free(live_db, ids)
