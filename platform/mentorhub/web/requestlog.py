"""One log line per refused or failed request (status 400 and up).

    GET /t/ahep/approvals/[token] 404 tenant=ahep client=203.0.113.9 2ms

INFO for a refusal (4xx: not found, forbidden, too many attempts, a sign-in that did not
work), WARNING for a failure (5xx; an unhandled error's traceback is logged separately by
Litestar's exception logging, `app.py`). Successful requests and redirects are not logged.

Only what helps an operator and harms no one goes in: the method, the path as the visitor
wrote it (without the query string, where sign-in codes and states travel; the secret
segment of one-time links such as `/approvals/<token>` replaced by `[token]`; anything
unprintable percent-encoded so a path cannot forge log lines), the status, the tenant, the
client's address (as `ForwardedClient` resolved it) and the time taken. Never cookies,
headers, tokens or bodies.

It sits around everything Litestar answers (its own 404/405 and exception pages too), like
the security headers, so `create_app` still returns the routing wrapper around Litestar.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any
from urllib.parse import quote

from litestar import Litestar

from mentorhub.core.addresses import parse_networks
from mentorhub.settings import Settings
from mentorhub.web.proxies import UNKNOWN, ASGIApp, ForwardedClient, Scope

log = logging.getLogger("mentorhub.requests")

#: Path segments that are secrets: the one after each of these names.
_SECRET_PATHS = re.compile(r"/(approvals|unsubscribe)/[^/]+")
_SAFE = "/:@!$&'()*+,;=-._~[]"
_MAX_PATH = 300


def public_path(scope: Scope) -> str:
    """The path the visitor asked for, with secrets out and controls escaped."""
    state = scope.get("state") or {}
    path: str = state.get("unavailable_path") or scope.get("path", "")
    tenant = state.get("tenant")
    if state.get("tenant_base") == "" and tenant is not None:
        # On the tenant's own hostname, routing put the path under /t/<slug>.
        path = path.removeprefix(f"/t/{tenant.slug}") or "/"
    path = _SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/[token]", path)
    path = quote(path, safe=_SAFE)
    return path if len(path) <= _MAX_PATH else path[:_MAX_PATH] + "…"


def _tenant_slug(scope: Scope) -> str:
    tenant = (scope.get("state") or {}).get("tenant")
    return str(tenant.slug) if tenant is not None else "-"


class RequestLog:
    """ASGI: watch the response's status; log a line when it is 400 or more."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def watch(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except BaseException:
            status = status or 500
            raise
        finally:
            if status >= 400:
                _log_line(scope, status, started)


def _log_line(scope: Scope, status: int, started: float) -> None:
    client = scope.get("client")
    log.log(
        logging.WARNING if status >= 500 else logging.INFO,
        "%s %s %d tenant=%s client=%s %dms",
        str(scope.get("method", "-"))[:10],
        public_path(scope),
        status,
        _tenant_slug(scope),
        str(client[0]) if client else UNKNOWN,
        round((time.perf_counter() - started) * 1000),
    )


def install_request_log(app: Litestar, settings: Settings) -> None:
    """Around everything Litestar answers: first the client's address (forwarded headers
    believed only from `MENTORHUB_TRUSTED_PROXIES`), then the log line."""
    app.asgi_handler = ForwardedClient(  # type: ignore[assignment]
        RequestLog(app.asgi_handler),  # type: ignore[arg-type]
        parse_networks(",".join(settings.trusted_proxies)),
    )
