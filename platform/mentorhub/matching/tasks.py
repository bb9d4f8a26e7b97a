"""The matching flows' scheduled work, started by the clock (`workers.clock`).

How it is wired (the outbox, as every piece of work after a commit):

1. The clock calls :func:`schedule_sweeps` every `SWEEP_EVERY` seconds. For each active
   tenant with work due — an open suggest-and-accept request whose ask lapsed, or one whose
   reminder is coming due (:func:`mentorhub.matching.suggest_flow.due_work`) — and no sweep
   already waiting, it writes one outbox message of kind `matching.sweep`
   (`mentorhub.outbox.kinds.MATCHING_SWEEP`) carrying the clock's time, in that tenant's
   transaction.
2. The relay hands it to a worker like any outbox row; `workers.handlers` maps the kind to
   :func:`sweep_handler`, which runs :func:`~mentorhub.matching.suggest_flow.sweep_requests`
   in the same tenant transaction that marks the row done: the lapsed asks pass to the next
   choice (or the mentee is told to choose again) and each ask's one reminder is sent,
   exactly once however often the message is delivered (the row is claimed once; the
   request rows are locked, SKIP LOCKED; the mail keys are per ask).

The time travels in the payload, so a sweep acts on the clock's "now" — which is also how
the tests move the clock without sleeping.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db import Database
from mentorhub.matching.suggest_flow import SweepResult, due_work, sweep_requests
from mentorhub.outbox.kinds import MATCHING_SWEEP
from mentorhub.outbox.models import OutboxMessage
from mentorhub.outbox.writer import add_outbox
from mentorhub.tenancy.models import Tenant

__all__ = ["SWEEP_EVERY", "schedule_sweeps", "sweep_handler"]

#: Seconds between the clock's looks for due matching work.
SWEEP_EVERY = 60.0


async def schedule_sweeps(db: Database, now: datetime | None = None) -> list[uuid.UUID]:
    """One `matching.sweep` outbox message per active tenant with work due and none
    pending; returns those tenants."""
    now = now or datetime.now(UTC)
    async with db.platform() as session:
        tenants = list(
            (await session.execute(select(Tenant.id).where(Tenant.status == "active"))).scalars()
        )
    scheduled: list[uuid.UUID] = []
    for tenant_id in tenants:
        async with db.tenant(tenant_id) as session:
            if not await due_work(session, now):
                continue
            pending = await session.execute(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.kind == MATCHING_SWEEP,
                    OutboxMessage.done_at.is_(None),
                    OutboxMessage.failed_at.is_(None),
                )
                .limit(1)
            )
            if pending.first() is not None:
                continue
            await add_outbox(session, MATCHING_SWEEP, {"now": now.isoformat()})
            scheduled.append(tenant_id)
    return scheduled


async def sweep_handler(session: AsyncSession, message: OutboxMessage) -> None:
    """The worker's handler for `matching.sweep` (in the row's tenant transaction). A sweep
    written just before its tenant was suspended does nothing (the row is done): a suspended
    tenant gets no scheduled mail, and the clock schedules a new sweep once it is resumed."""
    status = await session.scalar(select(Tenant.status).where(Tenant.id == message.tenant_id))
    if status != "active":
        return
    await sweep_at(session, message)


async def sweep_at(session: AsyncSession, message: OutboxMessage) -> SweepResult:
    """:func:`sweep_requests` at the time the message carries (the clock's)."""
    raw = message.payload.get("now")
    now = datetime.fromisoformat(str(raw)) if raw else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return await sweep_requests(session, now)
