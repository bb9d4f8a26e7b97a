"""Find the tenant of a request before Litestar routes it.

A tenant is reached on one of its hostnames, or (embedded default, or when
MENTORHUB_PATH_PREFIX_TENANTS is on) under `/t/<slug>/` on any other host. Tenant pages are
routed internally at `/t/<slug>/...`; a hostname request is rewritten to that path, so one
set of routes serves both, and a request on tenant A's host can never name tenant B (its
path is always put under A's own prefix). The tenant found is put in `scope["state"]`:
`tenant` (the row) and `tenant_base` (the public URL prefix: "" on a hostname,
"/t/<slug>" on a prefix) for links.

Slugs are lower case (the schema says so), but people type them: `/t/AHEP/scheme?x=1` is
answered with a permanent redirect (308, so a form's POST stays a POST) to
`/t/ahep/scheme?x=1`, the rest of the path and the query kept as sent; an unknown slug
in any case stays a 404. `/favicon.ico` is the site icon (`/static/favicon.svg`) on every
host, tenant hostnames included.

Tenants are looked up in the process's `TenantDirectory` (`tenancy/directory.py`): no
database round trip per request, and a change seen within a second.

`/.well-known/mentorhub-verify/<token>` is answered here, on every Host, before any tenant
is looked for: the platform console's hostname check (`tenancy/verify.py`). The body is the
token when that Host has that token pending, else 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mentorhub.core.outage import STATE_KEY, UNAVAILABLE_PATH, unavailable_reason
from mentorhub.db import Database
from mentorhub.tenancy.directory import TenantDirectory
from mentorhub.tenancy.verify import CHALLENGE_PREFIX, answers

Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]

#: Paths served the same on every host (health checks, assets, the site icon).
GLOBAL_PREFIXES = ("/healthz", "/static/", "/favicon.ico")
#: Paths answered by a file under /static/ on every host.
ALIASES = {"/favicon.ico": "/static/favicon.svg"}
#: Where `_route` leaves the canonical address of a slug typed in another case.
REDIRECT_KEY = "canonical_redirect"


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = bytes(value).decode("latin-1")
            return host.rsplit(":", 1)[0].strip("[]").lower()
    return ""


class TenantRouting:
    def __init__(self, app: ASGIApp, directory: TenantDirectory, *, prefixes: bool) -> None:
        self.app = app
        self.directory = directory
        self.prefixes = prefixes

    @property
    def db_getter(self) -> Callable[[], Database]:
        """The application's database, once it has started (tests and tools reach it here)."""
        return self.directory.db_getter

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        state = scope.setdefault("state", {})
        if path in ALIASES:
            scope = dict(scope, path=ALIASES[path], raw_path=None)
        if path.startswith(GLOBAL_PREFIXES) or path == "/healthz":
            await self.app(scope, receive, send)
            return
        if path.startswith(CHALLENGE_PREFIX):
            await self._challenge(scope, send, path[len(CHALLENGE_PREFIX) :])
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
        location = state.pop(REDIRECT_KEY, None)
        if location is not None:
            await _redirect(scope, send, location)
            return
        await self.app(scope, receive, send)

    async def _challenge(self, scope: Scope, send: Any, token: str) -> None:
        """The hostname check's answer: the token if this Host has it pending, else 404."""
        try:
            tenants = (await self.directory.snapshot()).in_name_order
        except Exception as exc:
            if unavailable_reason(exc) is None:
                raise
            await _plain(send, 503, b"unavailable")
            return
        if scope.get("method", "GET") in ("GET", "HEAD") and answers(tenants, _host(scope), token):
            await _plain(send, 200, token.encode())
        else:
            await _plain(send, 404, b"not found")

    async def _route(self, scope: Scope, state: dict[str, Any], path: str) -> Scope:
        tenants = await self.directory.snapshot()
        tenant = tenants.hostname(_host(scope))
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
            state["tenant"] = tenants.slug(slug)
            if state["tenant"] is None and slug != slug.lower():
                canonical = tenants.slug(slug.lower())
                if canonical is not None:
                    state[REDIRECT_KEY] = _canonical_location(scope, canonical.slug)
        else:
            state["tenant_base"] = None
        return scope


def _canonical_location(scope: Scope, slug: str) -> bytes:
    """`/t/<slug>` and the rest of the path and query exactly as the browser sent them."""
    raw = scope.get("raw_path") or scope["path"].encode()
    parts = bytes(raw).split(b"?", 1)[0].split(b"/", 3)  # ["", "t", typed slug, rest]
    location = b"/t/" + slug.encode()
    if len(parts) > 3:
        location += b"/" + parts[3]
    query = bytes(scope.get("query_string") or b"")
    return location + (b"?" + query if query else b"")


#: The redirect has no body: nothing may load or frame it (the pages' own policy lives in
#: `web.security`, above this middleware's layer).
_REDIRECT_HEADERS = [
    (b"content-length", b"0"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


async def _plain(send: Callable[[Any], Awaitable[None]], status: int, body: bytes) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *_REDIRECT_HEADERS[1:],
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(scope: Scope, send: Callable[[Any], Awaitable[None]], location: bytes) -> None:
    """308 (method and body kept) to `location`."""
    headers = [(b"location", location), *_REDIRECT_HEADERS]
    await send({"type": "http.response.start", "status": 308, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
