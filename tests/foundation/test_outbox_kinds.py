"""The outbox kinds are named in one place and handled from one mapping: an unknown kind is
refused when the message is written, and the workers refuse to start with a kind unhandled."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.outbox.kinds import AUDIT_RECORD, KINDS, UnknownKind
from mentorhub.outbox.models import OutboxMessage
from mentorhub.outbox.process import process_message
from mentorhub.outbox.writer import add_outbox
from tests.foundation.helpers import make_tenant


async def test_an_unknown_kind_is_refused_when_written(db: Database) -> None:
    tenant = await make_tenant(db)
    with pytest.raises(UnknownKind, match=r"unknown outbox kind 'audit\.recrod'"):
        async with db.tenant(tenant.id) as s:
            await add_outbox(s, "audit.recrod", {"action": "typo"})
    async with db.tenant(tenant.id) as s:
        assert (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar() == 0


async def test_every_kind_has_exactly_one_handler(db: Database) -> None:
    from workers.handlers import HANDLERS, checked, record_audit

    assert set(HANDLERS) == KINDS
    assert HANDLERS[AUDIT_RECORD] is record_audit
    with pytest.raises(RuntimeError, match=r"no handler for audit\.record"):
        checked({})
    with pytest.raises(RuntimeError, match="handler for unknown kind extra"):
        checked({AUDIT_RECORD: record_audit, "extra": record_audit})
    with pytest.raises(TypeError):
        HANDLERS["late"] = record_audit  # type: ignore[index]  # no registering by import


async def test_the_mapping_given_carries_the_message_out(db: Database) -> None:
    from workers.handlers import HANDLERS

    tenant = await make_tenant(db)
    async with db.tenant(tenant.id) as s:
        done = await add_outbox(s, AUDIT_RECORD, {"action": "later"})
        # A row of a kind this release no longer handles (written by another release).
        stale = OutboxMessage(tenant_id=tenant.id, kind="retired.kind", payload={})
        s.add(stale)
        await s.flush()
    assert await process_message(db, tenant.id, done.id, HANDLERS) is True
    assert await process_message(db, tenant.id, done.id, HANDLERS) is False  # once only
    assert await process_message(db, tenant.id, stale.id, HANDLERS) is False
    async with db.tenant(tenant.id) as s:
        rows = {m.kind: m for m in (await s.execute(select(OutboxMessage))).scalars()}
        assert rows[AUDIT_RECORD].done_at is not None
        assert rows["retired.kind"].failed_at is not None
        assert rows["retired.kind"].last_error == "no handler for kind 'retired.kind'"
