"""Tell "PostgreSQL or Redis cannot serve right now" apart from a bug.

A request that meets a frozen or stopped database, or a Redis that is down, is answered
with the "briefly unavailable" page (503, `mentorhub.web.unavailable`) and logged as one line,
not a traceback: the request was fine and nothing in the code is wrong. Two layers need
that verdict: the web layer's error handlers, and tenant routing, which runs before the web
framework and hands a request it could not route to `UNAVAILABLE_PATH` with the reason in
the request's state under `STATE_KEY`. Both import it from here, so tenancy needs nothing
from the web layer.
"""

from __future__ import annotations

import redis.exceptions

from mentorhub.db.errors import database_unavailable

__all__ = ["STATE_KEY", "UNAVAILABLE_PATH", "ServiceUnavailable", "unavailable_reason"]

#: Where tenant routing sends a request it could not route because the database is away.
UNAVAILABLE_PATH = "/_unavailable"
#: The key of the request state that carries the reason to that route.
STATE_KEY = "unavailable"


class ServiceUnavailable(Exception):
    """Raised where a request cannot be served now; `reason` is a few words for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def unavailable_reason(exc: BaseException) -> str | None:
    """Why `exc` means "try again shortly", or None when it is a bug like any other."""
    if isinstance(exc, ServiceUnavailable):
        return exc.reason
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return "Redis unreachable"
    return database_unavailable(exc)
