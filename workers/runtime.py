"""What the embedded default runs in-process: a Dramatiq worker and the clock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from mentorhub.db import Database
from mentorhub.settings import Settings


def start_worker(settings: Settings) -> Callable[[], None]:
    """Start worker threads on the broker; return the function that stops them."""
    import dramatiq

    import workers

    worker = dramatiq.Worker(workers.broker, worker_threads=4)
    worker.start()

    def stop() -> None:
        worker.stop(timeout=5000)

    return stop


async def run_clock(
    settings: Settings,
    db: Database,
    stop: asyncio.Event,
    *,
    checkpoints_after: threading.Event | None = None,
) -> None:
    """The clock (`workers.clock.run`); its checkpoints' pass waits for `checkpoints_after`
    when given (the embedded default: the demo filled in first)."""
    from workers.clock import run

    await run(settings, db, stop, checkpoints_after=checkpoints_after)
