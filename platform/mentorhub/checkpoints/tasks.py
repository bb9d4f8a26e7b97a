"""The checkpoints' scheduled work, started by the clock (`workers.clock`): every
`CLOCK_EVERY` seconds one pass of `checkpoints.clock.run_pass` at the present moment.

It runs on the clock's process, tenant by tenant (one transaction each; one tenant's
failure does not stop the others), not through outbox messages: the pass's own writes are
its mails' outbox rows, written with the items' changes, and a pass that finds nothing
costs one statement. Two clocks (a restart overlapping, two deployments) are safe: each
tenant is worked on by one of them at a time, and every mail has its idempotency key.
"""

from __future__ import annotations

from mentorhub.checkpoints.clock import PassResult, run_pass
from mentorhub.db import Database

__all__ = ["CLOCK_EVERY", "tick"]

#: Seconds between the clock's passes over the checkpoints.
CLOCK_EVERY = 60.0


async def tick(db: Database) -> PassResult:
    """One pass now over every tenant with due work."""
    return await run_pass(db)
