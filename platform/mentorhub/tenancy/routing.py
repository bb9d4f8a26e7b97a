"""Find the tenant of a request before Litestar routes it.

A tenant is reached on one of its hostnames, or (embedded default, or when
MENTORHUB_PATH_PREFIX_TENANTS is on) under `/t/<slug>/` on any other host. Tenant pages are
routed internally at `/t/<slug>/...`; a hostname request is rewritten to that path, so one
set of routes serves both, and a request on tenant A's host can never name tenant B (its
path is always put under A's own prefix). The tenant found is put in `scope["state"]`:
`tenant` (the row) and `tenant_base` (the public URL prefix: "" on a hostname,
"/t/<slug>" on a prefix) for links.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mentorhub.db import Database
from mentorhub.tenancy.services import find_by_hostname, find_by_slug
from mentorhub.web.unavailable import STATE_KEY, UNAVAILABLE_PATH, unavailable_reason

Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]

#: Paths served the same on every host (health checks, assets).
GLOBAL_PREFIXES = ("/healthz", "/static/")


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = bytes(value).decode("latin-1")
            return host.rsplit(":", 1)[0].strip("[]").lower()
    return ""


class TenantRouting:
    def __init__(self, app: ASGIApp, db_getter: Callable[[], Database], *, prefixes: bool) -> None:
        self.app = app
        self.db_getter = db_getter
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        state = scope.setdefault("state", {})
        if path.startswith(GLOBAL_PREFIXES) or path == "/healthz":
            await self.app(scope, receive, send)
            return
        try:
            scope = await self._route(scope, state, path)
        except Exception as exc:
            # Outside Litestar, so its error pages cannot catch this: a database that is
            # away is handed to the "briefly unavailable" route; anything else is a bug.
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            state.update({STATE_KEY: reason, "unavailable_path": path, "tenant_base": None})
            state.pop("tenant", None)
            scope = dict(scope, path=UNAVAILABLE_PATH, raw_path=None, state=state)
        await self.app(scope, receive, send)

    async def _route(self, scope: Scope, state: dict[str, Any], path: str) -> Scope:
        db = self.db_getter()
        tenant = await find_by_hostname(db, _host(scope))
        if tenant is not None:
            state["tenant"] = tenant
            state["tenant_base"] = ""
            scope = dict(scope, path=f"/t/{tenant.slug}{path}", raw_path=None)
            scope["state"] = state
        elif path.startswith("/t/") and not self.prefixes:
            state["tenant_prefix_disabled"] = True
        elif path.startswith("/t/"):
            slug = path[3:].split("/", 1)[0]
            state["tenant_base"] = "/t/" + slug
            state["tenant"] = await find_by_slug(db, slug)
        else:
            state["tenant_base"] = None
        return scope
