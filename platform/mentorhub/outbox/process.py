"""Carry out one outbox message, at most once in effect however often it is delivered."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.outbox.handlers import get_handler, known_kind
from mentorhub.outbox.models import OutboxMessage

log = logging.getLogger(__name__)


async def process_message(db: Database, tenant_id: uuid.UUID, outbox_id: int) -> bool:
    """Run the handler and mark the row done in one tenant transaction. The row lock makes
    a concurrent duplicate wait, then see `done_at` and do nothing. Returns True if this
    call did the work."""
    async with db.tenant(tenant_id) as session:
        message = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.id == outbox_id).with_for_update()
            )
        ).scalar_one_or_none()
        if message is None or message.done_at is not None or message.failed_at is not None:
            return False
        if not known_kind(message.kind):
            message.failed_at = func.now()
            message.last_error = f"no handler for kind {message.kind!r}"
            log.error("outbox %s: %s", outbox_id, message.last_error)
            return False
        await get_handler(message.kind)(session, message)
        message.done_at = func.now()
        return True
