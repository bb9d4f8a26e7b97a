"""Carry out outbox messages, each at most once in effect however often it is delivered.

A worker receives a batch of one tenant's outbox ids (see `mentorhub.outbox.relay`) and
carries them out one by one on one pooled connection, each row in a transaction of its own
that locks it, runs its handler and marks it done: a worker killed mid-batch has committed
the rows it finished and nothing of the one it was in. Core statements on the outbox table
(the ORM's load and flush were a large share of a short message's cost).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, func, select, update

from mentorhub.db import Database
from mentorhub.db.errors import database_unavailable
from mentorhub.outbox.handlers import Handlers
from mentorhub.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

OUTBOX = cast(Table, OutboxMessage.__table__)


class ServiceUnavailable(RuntimeError):
    """Raised by a handler when something every row of the batch needs is away (e.g. the
    SMTP server): the batch stops there instead of trying each remaining row in turn."""


async def process_message(
    db: Database, tenant_id: uuid.UUID, outbox_id: int, handlers: Handlers
) -> bool:
    """Run the message's handler from `handlers` (the workers' one mapping) and mark the row
    done in one tenant transaction. The row lock makes a concurrent duplicate wait, then see
    `done_at` (the lock re-reads the row) and do nothing. Returns True if this call did the
    work."""
    async with db.tenant(tenant_id) as session:
        row = (
            await session.execute(
                select(OUTBOX.c.kind, OUTBOX.c.payload)
                .where(
                    OUTBOX.c.id == outbox_id,
                    OUTBOX.c.tenant_id == tenant_id,
                    OUTBOX.c.done_at.is_(None),
                    OUTBOX.c.failed_at.is_(None),
                )
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            return False
        kind, payload = row
        handler = handlers.get(kind)
        if handler is None:
            # Only a row written by another release can get here: add_outbox refuses unknown
            # kinds and the workers refuse to start with a kind unhandled.
            error = f"no handler for kind {kind!r}"
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == outbox_id)
                .values(failed_at=func.now(), last_error=error)
            )
            log.error("outbox %s: %s", outbox_id, error)
            return False
        # The handler's view of the row: a plain object, never added to the session.
        message = OutboxMessage(id=outbox_id, tenant_id=tenant_id, kind=kind, payload=payload)
        await handler(session, message)
        await session.execute(
            update(OUTBOX).where(OUTBOX.c.id == outbox_id).values(done_at=func.now())
        )
        return True


async def process_batch(
    db: Database, tenant_id: uuid.UUID, outbox_ids: Sequence[int], handlers: Handlers
) -> int:
    """Carry out each of `outbox_ids` (one tenant's) with `process_message`, in order, on one
    connection. A row whose handler fails is left for a retry and the others still run; the
    first error is raised at the end (so the broker retries the batch, and rows done by then
    are skipped). A database outage or `ServiceUnavailable` stops the batch at once. Returns
    how many rows this call carried out."""
    done = 0
    first_error: Exception | None = None
    async with db.engine.connect() as conn:
        held = Database(db.engine, bind=conn)
        for outbox_id in outbox_ids:
            try:
                done += await process_message(held, tenant_id, outbox_id, handlers)
            except Exception as exc:
                if isinstance(exc, ServiceUnavailable) or database_unavailable(exc) is not None:
                    raise
                log.warning("outbox %s failed; left for a retry: %s", outbox_id, exc)
                first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return done
