"""A suspended tenant sends nothing on the next clock pass (issue 17): two tenants with the
same checkpoint work due, one suspended in the console's way; the pass (the clock's own
discovery, no tenant named) writes the other's messages and outbox rows and the worker's
delivery mails them to the real SMTP sink, while the suspended one gets no message row, no
outbox row and no mail. Resumed, the next pass does its work."""

from __future__ import annotations

from sqlalchemy import func, select

from mentorhub.checkpoints.clock import run_pass
from mentorhub.db import Database
from mentorhub.messages.models import Message
from mentorhub.outbox.models import OutboxMessage
from mentorhub.tenancy import lifecycle
from tests.checkpoints.clock_helpers import OPEN, ClockWorld, at, clock_world
from tests.messages.sink import Sink
from tests.messages.test_messages import deliver_all
from tests.tenancy.conftest import ADMIN


async def written(db: Database, world: ClockWorld) -> tuple[int, int]:
    """The tenant's checkpoint messages and its outbox rows."""
    async with db.tenant(world.id) as session:
        messages = (
            await session.execute(
                select(func.count()).select_from(Message).where(Message.key.like("checkpoint:%"))
            )
        ).scalar_one()
        outbox = (
            await session.execute(select(func.count()).select_from(OutboxMessage))
        ).scalar_one()
    return int(messages), int(outbox)


def mails_to(inbox: Sink, world: ClockWorld) -> int:
    return len(inbox.to(world.mentor.email)) + len(inbox.to(world.mentee.email))


async def test_a_suspended_tenant_sends_nothing_on_the_next_clock_pass(
    db: Database, inbox: Sink
) -> None:
    quiet = await clock_world(db)
    busy = await clock_world(db)
    await deliver_all(db, quiet.tenant)  # whatever making the pairs wrote is out of the way
    await deliver_all(db, busy.tenant)
    inbox.clear()
    await lifecycle.suspend(db, quiet.slug, reason="Renewal pending", actor=ADMIN)
    before = await written(db, quiet)

    result = await run_pass(db, now=at(OPEN))
    assert quiet.id not in {t.tenant_id for t in result.tenants}
    assert busy.id in {t.tenant_id for t in result.tenants}
    assert await written(db, quiet) == before
    assert (await written(db, busy))[0] > 0
    await deliver_all(db, quiet.tenant)
    await deliver_all(db, busy.tenant)
    assert mails_to(inbox, quiet) == 0
    assert mails_to(inbox, busy) > 0

    await lifecycle.resume(db, quiet.slug, actor=ADMIN)
    again = await run_pass(db, now=at(OPEN))
    assert quiet.id in {t.tenant_id for t in again.tenants}
    assert (await written(db, quiet))[0] > before[0]
    await deliver_all(db, quiet.tenant)
    assert mails_to(inbox, quiet) == mails_to(inbox, busy)  # the same work, now sent
