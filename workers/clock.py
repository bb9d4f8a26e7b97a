"""The clock: relays the outbox to the broker, and (later) starts scheduled work.

Run alone with `python -m workers.clock` in production."""

from __future__ import annotations

import asyncio
import signal

from mentorhub.db import Database
from mentorhub.outbox.relay import Relay
from mentorhub.settings import Settings, get_settings


async def run(settings: Settings, db: Database, stop: asyncio.Event) -> None:
    from workers import broker

    relay = Relay(
        db,
        broker,
        batch=settings.outbox_batch,
        redeliver_after=settings.outbox_redeliver_after,
        max_attempts=settings.outbox_max_attempts,
    )
    await relay.run_forever(settings.outbox_poll_seconds, stop)


async def _main() -> None:
    settings = get_settings()
    if settings.app_database_url is None:
        raise SystemExit("DATABASE_URL is not set: the clock needs the database")
    db = Database.connect(settings.app_database_url, pool_size=2, timeouts=settings.db_timeouts())
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
