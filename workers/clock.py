"""The clock: relays the outbox to the broker, and starts scheduled work — the matching
flows' sweep (`mentorhub.matching.tasks`: lapsed requests passed on, reminders), written as
outbox messages that the workers carry out, the pair's space retention purge
(`mentorhub.pairs.tasks`, run here tenant by tenant), and the checkpoints' pass
(`mentorhub.checkpoints.tasks`: items opened, reminders, missed items, coordinator tasks,
quiet-pair nudges; run here tenant by tenant).

Run alone with `python -m workers.clock` in production. In the embedded default the
checkpoints' pass starts only once the demo has been filled in (`checkpoints_after`): the
demo makes its pairs' checkpoint history day by day with the clock's own steps, and a pass
at the present reaching those pairs first would leave them one catch-up mail per item
instead of that history."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Awaitable, Callable

from mentorhub.core.outage import unavailable_reason
from mentorhub.db import Database
from mentorhub.outbox.relay import Relay
from mentorhub.settings import Settings, get_settings

log = logging.getLogger(__name__)


async def every(seconds: float, stop: asyncio.Event, work: Callable[[], Awaitable[object]]) -> None:
    """Run `work` now and then every `seconds` until `stop`; a failure is logged and the
    next round tries again (a database away for a while must not stop the clock)."""
    while not stop.is_set():
        try:
            await work()
        except Exception as exc:
            away = unavailable_reason(exc)
            if away is not None:  # PostgreSQL or Redis away: one line, not a traceback
                log.warning("scheduled work waits (%s); trying again in %s s", away, seconds)
            else:
                log.exception("scheduled work failed; trying again in %s s", seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


async def after(ready: threading.Event, stop: asyncio.Event, *, poll: float = 0.2) -> bool:
    """Wait until `ready` is set (by another thread: True) or `stop` (False)."""
    while not ready.is_set():
        if stop.is_set():
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll)
    return True


async def every_after(
    ready: threading.Event | None,
    seconds: float,
    stop: asyncio.Event,
    work: Callable[[], Awaitable[object]],
) -> None:
    """`every`, started once `ready` is set (at once when it is None)."""
    if ready is None or await after(ready, stop):
        await every(seconds, stop, work)


async def run(
    settings: Settings,
    db: Database,
    stop: asyncio.Event,
    *,
    checkpoints_after: threading.Event | None = None,
) -> None:
    """The relay and the scheduled work until `stop`. `checkpoints_after`: the checkpoints'
    pass starts once it is set (the embedded default: when the demo has been filled in)."""
    from workers import broker

    relay = Relay(
        db,
        broker,
        batch=settings.outbox_batch,
        redeliver_after=settings.outbox_redeliver_after,
        max_attempts=settings.outbox_max_attempts,
    )
    from mentorhub.checkpoints import tasks as checkpoint_tasks
    from mentorhub.matching import tasks as matching_tasks
    from mentorhub.pairs import tasks as pairs_tasks

    await asyncio.gather(
        relay.run_forever(settings.outbox_poll_seconds, stop),
        every(matching_tasks.SWEEP_EVERY, stop, lambda: matching_tasks.schedule_sweeps(db)),
        every(pairs_tasks.PURGE_EVERY, stop, lambda: pairs_tasks.purge_all(db)),
        every_after(
            checkpoints_after,
            checkpoint_tasks.CLOCK_EVERY,
            stop,
            lambda: checkpoint_tasks.tick(db),
        ),
    )


async def _main() -> None:
    settings = get_settings()
    if settings.app_database_url is None:
        raise SystemExit("DATABASE_URL is not set: the clock needs the database")
    # Four steady connections: the checkpoints' pass works on up to four tenants at once
    # (checkpoints.clock.PARALLEL, bounded by this size); the overflow serves the relay and
    # the other scheduled work meanwhile.
    db = Database.connect(settings.app_database_url, pool_size=4, timeouts=settings.db_timeouts())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run(settings, db, stop)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(_main())
