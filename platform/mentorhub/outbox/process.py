"""Carry out one outbox message, at most once in effect however often it is delivered."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.outbox.handlers import Handlers
from mentorhub.outbox.models import OutboxMessage

log = logging.getLogger(__name__)


async def process_message(
    db: Database, tenant_id: uuid.UUID, outbox_id: int, handlers: Handlers
) -> bool:
    """Run the message's handler from `handlers` (the workers' one mapping) and mark the row
    done in one tenant transaction. The row lock makes a concurrent duplicate wait, then see
    `done_at` and do nothing. Returns True if this call did the work."""
    async with db.tenant(tenant_id) as session:
        message = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.id == outbox_id).with_for_update()
            )
        ).scalar_one_or_none()
        if message is None or message.done_at is not None or message.failed_at is not None:
            return False
        handler = handlers.get(message.kind)
        if handler is None:
            # Only a row written by another release can get here: add_outbox refuses unknown
            # kinds and the workers refuse to start with a kind unhandled.
            message.failed_at = func.now()
            message.last_error = f"no handler for kind {message.kind!r}"
            log.error("outbox %s: %s", outbox_id, message.last_error)
            return False
        await handler(session, message)
        message.done_at = func.now()
        return True
