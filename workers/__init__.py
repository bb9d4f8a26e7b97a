"""Dramatiq actors and the clock. `dramatiq workers` starts a worker process.

Importing this package sets up the Redis broker from REDIS_URL (the same settings module as
the web), so the worker and the relay agree on where messages go. A worker process started
by `dramatiq workers` in production mode without MENTORHUB_SMTP_URL stops as it boots, with
one line saying so, rather than failing at its first message (`RequireSmtp`)."""

from __future__ import annotations

import dramatiq
from dramatiq.middleware import AsyncIO, Middleware

from mentorhub.outbox.broker import OutboxBroker
from mentorhub.settings import get_settings


class RequireSmtp(Middleware):  # type: ignore[misc]
    """At the boot of a `dramatiq` command's worker process (Dramatiq's `process_boot`, which
    only its command line emits; the embedded default's in-process worker has the mail
    catcher), production mode needs MENTORHUB_SMTP_URL: one line on stderr and exit 1."""

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        from mentorhub.messages.delivery import require_smtp

        require_smtp(get_settings())


def make_broker(url: str, **options: int) -> OutboxBroker:
    broker = OutboxBroker(url=url, **options)  # type: ignore[no-untyped-call]
    broker.add_middleware(AsyncIO())
    broker.add_middleware(RequireSmtp())
    return broker


_settings = get_settings()
if _settings.redis_url is None:
    raise SystemExit("REDIS_URL is not set: the workers need the Redis broker's address")
broker = make_broker(_settings.redis_url)
dramatiq.set_broker(broker)

from workers import actors  # noqa: E402  (actors bind to the broker set above)

__all__ = ["actors", "broker", "make_broker"]
