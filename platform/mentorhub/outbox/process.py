"""Carry out outbox messages, each at most once in effect however often it is delivered.

A worker receives a batch of one tenant's outbox ids (see `mentorhub.outbox.relay`) and
carries them out one by one on one pooled connection, each row in a transaction of its own
that claims it (locked and marked done in one statement), then runs its handler: a worker
killed mid-batch has committed the rows it finished and nothing of the one it was in. The
claim is a plain statement on the driver connection (see `driver_connection`): the ORM's load
and flush, then the async session's cost per statement, were a large share of a short
message's cost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db import Database
from mentorhub.db.errors import database_unavailable
from mentorhub.outbox.handlers import Handlers
from mentorhub.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

OUTBOX = cast(Table, OutboxMessage.__table__)


#: `session.info` key of the driver (asyncpg) connection under a batch's transactions.
DRIVER = "driver_connection"

#: Claim and mark done in one statement, on the driver connection (see `driver_connection`).
_CLAIM = (
    "UPDATE outbox SET done_at = now() "
    "WHERE id = $1 AND tenant_id = $2 AND done_at IS NULL AND failed_at IS NULL "
    "RETURNING kind, payload"
)


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under `session`'s transaction, for the few hot statements of a
    batch: a statement through the async ORM session costs a greenlet (and its stack) and the
    statement-cache work, several times the statement's own cost on a short message. Only
    plain statements run on it, inside the session's transaction (the tenant setting and RLS
    apply); transaction control stays with the session."""
    found = session.info.get(DRIVER)
    if found is None:
        conn = await session.connection()
        found = session.info[DRIVER] = (await conn.get_raw_connection()).driver_connection
    return found


class ServiceUnavailable(RuntimeError):
    """Raised by a handler when something every row of the batch needs is away (e.g. the
    SMTP server): the batch stops there instead of trying each remaining row in turn."""


async def process_message(
    db: Database,
    tenant_id: uuid.UUID,
    outbox_id: int,
    handlers: Handlers,
    *,
    driver: Any = None,
) -> bool:
    """Run the message's handler from `handlers` (the workers' one mapping) and mark the row
    done in one tenant transaction. One statement claims the row and marks it done; its row
    lock is held until the commit, and the mark rolls back with the handler's effects if the
    handler fails. A concurrent duplicate waits on that lock, then finds the row done (the
    update re-reads it) and does nothing. Returns True if this call did the work.

    `driver`: the driver connection under `db`'s transactions (`process_batch` holds one)."""
    async with db.tenant(tenant_id) as session:
        if driver is not None:
            session.info[DRIVER] = driver
        row = await (await driver_connection(session)).fetchrow(_CLAIM, outbox_id, tenant_id)
        if row is None:
            return False
        kind, payload = row["kind"], row["payload"]
        handler = handlers.get(kind)
        if handler is None:
            # Only a row written by another release can get here: add_outbox refuses unknown
            # kinds and the workers refuse to start with a kind unhandled.
            error = f"no handler for kind {kind!r}"
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == outbox_id)
                .values(done_at=None, failed_at=func.now(), last_error=error)
            )
            log.error("outbox %s: %s", outbox_id, error)
            return False
        # The handler's view of the row: a plain object, never added to the session.
        message = OutboxMessage(id=outbox_id, tenant_id=tenant_id, kind=kind, payload=payload)
        await handler(session, message)
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
        driver = (await conn.get_raw_connection()).driver_connection
        for outbox_id in outbox_ids:
            try:
                done += await process_message(held, tenant_id, outbox_id, handlers, driver=driver)
            except Exception as exc:
                if isinstance(exc, ServiceUnavailable) or database_unavailable(exc) is not None:
                    raise
                log.warning("outbox %s failed; left for a retry: %s", outbox_id, exc)
                first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return done
