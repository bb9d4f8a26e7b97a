"""Run the relay and SIGKILL it right after the broker accepted its first batch of N messages,
before the outbox rows are marked sent (used by test_outbox.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from dramatiq import Message

from mentorhub.db import Database
from mentorhub.outbox.broker import OutboxBroker
from mentorhub.outbox.relay import Relay
from mentorhub.settings import get_settings


class DyingBroker(OutboxBroker):
    def enqueue_many(self, messages: list[Message[Any]]) -> None:
        super().enqueue_many(messages)  # Redis has accepted the batch...
        os.kill(os.getpid(), signal.SIGKILL)  # ...and the relay dies before marking it


async def main(batch: int) -> None:
    settings = get_settings()
    db = Database.connect(
        settings.app_database_url or "", pool_size=1, timeouts=settings.db_timeouts()
    )
    broker = DyingBroker(url=settings.redis_url)  # type: ignore[no-untyped-call]
    await Relay(db, broker, batch=batch).drain()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
