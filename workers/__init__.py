"""Dramatiq actors and the clock. `dramatiq workers` starts a worker process.

Importing this package sets up the Redis broker from REDIS_URL (the same settings module as
the web), so the worker and the relay agree on where messages go."""

from __future__ import annotations

import dramatiq
from dramatiq.middleware import AsyncIO

from mentorhub.outbox.broker import OutboxBroker
from mentorhub.settings import get_settings


def make_broker(url: str, **options: int) -> OutboxBroker:
    broker = OutboxBroker(url=url, **options)  # type: ignore[no-untyped-call]
    broker.add_middleware(AsyncIO())
    return broker


_settings = get_settings()
if _settings.redis_url is None:
    raise SystemExit("REDIS_URL is not set: the workers need the Redis broker's address")
broker = make_broker(_settings.redis_url)
dramatiq.set_broker(broker)

from workers import actors  # noqa: E402  (actors bind to the broker set above)

__all__ = ["actors", "broker", "make_broker"]
