"""Relay: move committed outbox rows to Dramatiq.

The outbox, not the broker, is the source of truth. A row is claimed with
`FOR UPDATE SKIP LOCKED` (so several relays never send the same row at once), sent, and
marked `enqueued_at` only after Redis accepted it. A row that the actor has not marked done
within `redeliver_after` seconds is sent again: Dramatiq's Redis broker would bring back a
message whose worker was killed only after its heartbeat timeout *and* a random maintenance
pass, so without this the recovery time is unbounded in practice. Actors are idempotent on
the outbox id, so a second delivery changes nothing.

One Dramatiq message carries up to `per_message` outbox ids of one tenant: the worker's fixed
cost per Dramatiq message (consume, acknowledge, the hop onto its event loop, a pooled
connection) is paid once per batch instead of once per row. The row stays the unit of
exactly-once: the worker carries out and marks each row done in a transaction of its own, so
a worker killed mid-batch leaves only the rows it had not finished, and those come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

import redis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import Table, func, or_, select, update

from mentorhub.db import Database
from mentorhub.db.errors import database_unavailable
from mentorhub.outbox.broker import OutboxBroker
from mentorhub.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

QUEUE = "outbox"
ACTOR = "process_outbox"

#: The relay crosses tenants, so it uses Core statements on the table: the session refuses
#: tenant-owned ORM queries outside a tenant transaction, the relay's scope included.
OUTBOX = cast(Table, OutboxMessage.__table__)


def make_message(tenant_id: str, outbox_ids: list[int]) -> Message[None]:
    """One Dramatiq message for some of one tenant's outbox rows."""
    return Message(
        queue_name=QUEUE,
        actor_name=ACTOR,
        args=(tenant_id, outbox_ids),
        kwargs={},
        options={},
    )


def batches(due: list[tuple[str, int]], per_message: int) -> list[tuple[str, list[int]]]:
    """`due` (tenant, id) rows grouped by tenant, in id order, at most `per_message` each."""
    by_tenant: dict[str, list[int]] = {}
    for tenant_id, outbox_id in due:
        by_tenant.setdefault(tenant_id, []).append(outbox_id)
    return [
        (tenant_id, ids[start : start + per_message])
        for tenant_id, ids in by_tenant.items()
        for start in range(0, len(ids), per_message)
    ]


@dataclass
class Relay:
    db: Database
    broker: RedisBroker
    batch: int = 500
    redeliver_after: float = 60.0
    max_attempts: int = 10
    #: Outbox ids per Dramatiq message (see the module docstring).
    per_message: int = 50

    def __post_init__(self) -> None:
        self.broker.declare_queue(QUEUE)

    async def relay_once(self) -> int:
        """Send one batch; return how many rows were sent."""
        stale = func.now() - timedelta(seconds=self.redeliver_after)
        async with self.db.platform("relay") as session:
            rows = (
                await session.execute(
                    select(OUTBOX.c.tenant_id, OUTBOX.c.id, OUTBOX.c.attempts)
                    .where(
                        OUTBOX.c.done_at.is_(None),
                        OUTBOX.c.failed_at.is_(None),
                        or_(OUTBOX.c.enqueued_at.is_(None), OUTBOX.c.enqueued_at < stale),
                    )
                    .order_by(OUTBOX.c.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            due = [(str(t), i) for t, i, attempts in rows if attempts < self.max_attempts]
            given_up = [i for _, i, attempts in rows if attempts >= self.max_attempts]
            sent = await asyncio.to_thread(self._send, due)
            # Only what the broker accepted is marked; the rest stays pending for next time.
            if sent:
                await session.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id.in_(sent))
                    .values(enqueued_at=func.now(), attempts=OUTBOX.c.attempts + 1)
                )
            if given_up:
                await session.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id.in_(given_up))
                    .values(failed_at=func.now(), last_error="gave up after max attempts")
                )
            return len(sent)

    def _send(self, due: list[tuple[str, int]]) -> list[int]:
        """Enqueue a batch (one thread hop; one Redis round trip where the broker can
        pipeline). Returns the ids Redis accepted: on a broker error, those of the messages
        sent before it one by one, or none of a failed pipeline."""
        grouped = batches(due, self.per_message)
        if isinstance(self.broker, OutboxBroker):
            try:
                self.broker.enqueue_many([make_message(t, ids) for t, ids in grouped])
            except redis.RedisError as exc:
                log.warning("broker unavailable; %d messages wait: %s", len(due), exc)
                return []
            return [i for _, i in due]
        sent: list[int] = []
        try:
            for tenant_id, ids in grouped:
                self.broker.enqueue(make_message(tenant_id, ids))
                sent.extend(ids)
        except redis.RedisError as exc:
            log.warning("broker unavailable after %d of %d messages: %s", len(sent), len(due), exc)
        return sent

    async def drain(self) -> int:
        total = 0
        while (n := await self.relay_once()) > 0:
            total += n
        return total

    async def run_forever(self, poll_seconds: float, stop: asyncio.Event) -> None:
        away: str | None = None  # why the database is unavailable, while it is
        while not stop.is_set():
            try:
                await self.drain()
                if away is not None:
                    log.warning("outbox relay: the database is back")
                    away = None
            except Exception as exc:  # the loop must outlive a database or broker blip
                reason = database_unavailable(exc)
                if reason is None:
                    log.exception("outbox relay pass failed; retrying")
                elif away is None:  # one line per outage, not one traceback per pass
                    log.warning("outbox relay waits: %s", reason)
                    away = reason
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
