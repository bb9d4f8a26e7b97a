"""The "briefly unavailable" answer: PostgreSQL or Redis cannot serve right now.

A request that meets a frozen or stopped database, or a Redis that is down, gets the branded
503 page (the association's layout where its tenant was already found) with `Retry-After`,
and the log gets one line naming the request and the reason, not a traceback: the request
was fine and nothing in the code is wrong. When the service comes back, the next request
works (the pool replaces dead connections at checkout; Redis clients reconnect).

Which errors mean an outage is the core's verdict (`mentorhub.core.outage`), shared with
tenant routing: it runs before Litestar, so when its own lookup fails it hands the request to
`UNAVAILABLE_PATH`, whose handler here answers the same page.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import redis.exceptions
from litestar import Request, Response, route
from litestar.exceptions import NotFoundException
from litestar.response import Template
from sqlalchemy.exc import SQLAlchemyError

from mentorhub.core.outage import (
    STATE_KEY,
    UNAVAILABLE_PATH,
    ServiceUnavailable,
    unavailable_reason,
)
from mentorhub.identity.guards import PUBLIC, rule
from mentorhub.tenancy.models import Tenant

__all__ = [
    "RETRY_AFTER",
    "STATE_KEY",
    "UNAVAILABLE_PATH",
    "ServiceUnavailable",
    "exception_handlers",
    "log_exception",
    "unavailable",
    "unavailable_page",
    "unavailable_reason",
]

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER = 5

log = logging.getLogger("mentorhub.unavailable")


def _tenant(request: Request[Any, Any, Any]) -> Tenant | None:
    tenant: Tenant | None = request.scope["state"].get("tenant")
    return tenant if tenant is not None and tenant.is_active else None


def unavailable_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return Template(  # type: ignore[return-value]
        "errors/unavailable.html",
        context={"tenant": _tenant(request)},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER)},
    )


def exception_handlers(
    fallback: Callable[[Request[Any, Any, Any], Exception], Response[Any]],
) -> dict[int | type[Exception], Callable[[Request[Any, Any, Any], Any], Response[Any]]]:
    """Handlers for the exception families an outage raises: the 503 page when
    `unavailable_reason` says so, `fallback` (the 500 page) otherwise."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if unavailable_reason(exc) is None:
            return fallback(request, exc)
        return unavailable_page(request)

    return {
        ServiceUnavailable: handle,
        SQLAlchemyError: handle,
        redis.exceptions.RedisError: handle,
        OSError: handle,  # TimeoutError and ConnectionError too
    }


def log_exception(logger: Any, scope: Any, tb: list[str]) -> None:
    """Litestar's exception logging hook: one line for an outage, the traceback otherwise."""
    exc = sys.exc_info()[1]
    reason = unavailable_reason(exc) if exc is not None else None
    state = scope.get("state") or {}
    path = state.get("unavailable_path") or scope.get("path")
    if reason is not None:
        logger.warning("%s %s answered 503: %s", scope.get("method", "-"), path, reason)
        return
    logger.exception("Uncaught exception (connection_type=%s, path=%r):", scope["type"], path)


@route(
    UNAVAILABLE_PATH,
    http_method=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    name="unavailable",
    # Nothing is done here but refusing, so a form posted during an outage gets the 503 page
    # rather than a CSRF refusal.
    opt={**rule(PUBLIC), "exclude_from_csrf": True},
)
async def unavailable(request: Request[Any, Any, Any]) -> None:
    """Only tenant routing sends requests here; asked for directly, there is no such page."""
    reason = request.scope["state"].get(STATE_KEY)
    if reason is None:
        raise NotFoundException()
    raise ServiceUnavailable(str(reason))
