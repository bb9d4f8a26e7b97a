"""A worker module for `dramatiq workers`, adding a handler that blocks while a file exists,
so a test can SIGKILL the worker in the middle of a message.

The product's kinds are fixed (mentorhub/outbox/kinds.py, workers/handlers.py); this test
kind joins the workers' mapping only in the worker process the test starts (and, through
`with_slow_kind`, for the length of the test in its own process); its messages are written
as rows directly (add_outbox refuses kinds the product does not know)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession

import workers  # noqa: F401  (sets up the broker and the outbox actor)
from mentorhub.core.audit import AuditEntry
from mentorhub.outbox.handlers import Handler
from mentorhub.outbox.models import OutboxMessage
from workers import handlers

SLOW_KIND = "test.slow_audit"


async def slow_audit(session: AsyncSession, message: OutboxMessage) -> None:
    block = Path(message.payload["block_file"])
    Path(message.payload["started_file"]).touch()
    session.add(
        AuditEntry(tenant_id=message.tenant_id, action="test.slow", subject=f"outbox:{message.id}")
    )
    await session.flush()
    while block.exists():
        await asyncio.sleep(0.05)


def with_slow_kind() -> MappingProxyType[str, Handler]:
    return MappingProxyType({**handlers.HANDLERS, SLOW_KIND: slow_audit})


if os.environ.get("MENTORHUB_TEST_SLOW_WORKER") == "1":  # the worker process the test starts
    handlers.HANDLERS = with_slow_kind()
