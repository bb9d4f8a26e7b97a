"""Run one clock pass (`checkpoints.clock.run_pass`) as of a day over every tenant with due
work, and SIGKILL the process mid-pass (used by test_clock_kill.py).

Usage: `kill_clock.py YYYY-MM-DD TENANT_ID,TENANT_ID,...` (the watched tenants). The first
watched tenant's transaction commits; the process dies inside the next watched tenant's
transaction, after that tenant's work was done and before its COMMIT — the worst moment:
everything written, nothing committed. No hook in the product: the Database below is the
product's, with its tenant transaction wrapped to die at that point.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.checkpoints.clock import run_pass
from mentorhub.db import Database
from mentorhub.settings import get_settings


class DyingDatabase(Database):
    watched: frozenset[uuid.UUID] = frozenset()
    committed = 0

    @asynccontextmanager
    async def tenant(
        self, tenant_id: uuid.UUID, *, read_only: bool = False
    ) -> AsyncIterator[AsyncSession]:
        async with super().tenant(tenant_id, read_only=read_only) as session:
            yield session
            if tenant_id in self.watched and self.committed >= 1:
                await session.flush()  # every change sent to the server...
                os.kill(os.getpid(), signal.SIGKILL)  # ...and the clock dies before COMMIT
        if tenant_id in self.watched:
            self.committed += 1


async def main(as_of: date, watched: frozenset[uuid.UUID]) -> None:
    settings = get_settings()
    db = DyingDatabase.connect(
        settings.app_database_url or "", pool_size=1, timeouts=settings.db_timeouts()
    )
    db.watched = watched
    await run_pass(db, as_of=as_of)
    raise SystemExit("the pass ended without being killed")


if __name__ == "__main__":
    ids = frozenset(uuid.UUID(t) for t in sys.argv[2].split(","))
    asyncio.run(main(date.fromisoformat(sys.argv[1]), ids))
