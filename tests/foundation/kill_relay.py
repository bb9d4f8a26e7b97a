"""Run the relay and SIGKILL it right after the broker accepted the N-th message, before the
outbox rows are marked sent (used by test_outbox.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from dramatiq.brokers.redis import RedisBroker

from mentorhub.db import Database
from mentorhub.outbox.relay import Relay
from mentorhub.settings import get_settings


class DyingBroker(RedisBroker):
    def __init__(self, *, die_after: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted = 0
        self.die_after = die_after

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        result = super().enqueue(message, delay=delay)
        self.accepted += 1
        if self.accepted == self.die_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result


async def main(die_after: int) -> None:
    settings = get_settings()
    db = Database.connect(settings.app_database_url or "", pool_size=1)
    await Relay(db, DyingBroker(url=settings.redis_url, die_after=die_after)).drain()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
