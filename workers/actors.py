"""Actors. Each is safe to run twice: it is keyed on the outbox id and passes ids, not objects."""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref

import dramatiq

from mentorhub.core.outage import unavailable_reason
from mentorhub.db import Database
from mentorhub.outbox.process import ServiceUnavailable, process_batch
from mentorhub.outbox.relay import ACTOR, QUEUE
from mentorhub.settings import get_settings
from workers import handlers

_log = logging.getLogger(__name__)

_databases: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Database] = (
    weakref.WeakKeyDictionary()
)


def _database() -> Database:
    """One engine per event loop: asyncpg connections belong to the loop that made them."""
    loop = asyncio.get_running_loop()
    db = _databases.get(loop)
    if db is None:
        settings = get_settings()
        if settings.app_database_url is None:
            raise RuntimeError("MENTORHUB_APP_DATABASE_URL is not set for the worker")
        db = _databases[loop] = Database.connect(
            settings.app_database_url, pool_size=4, timeouts=settings.db_timeouts()
        )
    return db


@dramatiq.actor(actor_name=ACTOR, queue_name=QUEUE, max_retries=5, min_backoff=1000)
async def process_outbox(tenant_id: str, outbox_ids: list[int] | int) -> None:
    """One tenant's batch of outbox rows (a single id: a message from an earlier release)."""
    ids = [outbox_ids] if isinstance(outbox_ids, int) else [int(i) for i in outbox_ids]
    try:
        await process_batch(_database(), uuid.UUID(tenant_id), ids, handlers.HANDLERS)
    except Exception as exc:
        # PostgreSQL, Redis or the SMTP server briefly away is not a bug: one line in the
        # log, and Dramatiq's Retry (retried with back-off like any error, no traceback).
        # The outbox relay sends the rows again in any case if the retries run out.
        reason = unavailable_reason(exc)
        if reason is None and isinstance(exc, ServiceUnavailable):
            reason = str(exc)
        if reason is None:
            raise
        _log.warning("outbox batch for tenant %s put off: %s", tenant_id, reason)
        raise dramatiq.Retry(str(reason)) from None
