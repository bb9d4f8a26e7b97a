"""Security headers on every response, and CSRF tokens bound to a session and a tenant.

`SecurityHeaders` is plain ASGI around Litestar's own handler (`install_security_headers`),
so every answer Litestar gives gets the headers: pages, static files, redirects, and the
error pages of unknown paths, refused requests and crashes alike. Per request it makes one nonce
(`scope["state"]["csp_nonce"]`, `{{ csp_nonce() }}` in templates) and, when the response
starts, adds:

- a Content-Security-Policy that runs no inline script or style without that nonce, loads
  everything from this origin, is framed by nobody (`frame-ancestors 'none'`: one tenant's
  page could otherwise frame another tenant's signed-in admin page on the same origin) and
  lets forms lead only here — plus, where a sign-out form may redirect to the identity
  provider's logout, that provider's origin (Chromium applies `form-action` to the redirects
  after a submission too), and on the embedded demo provider's pages the loopback origins it
  sends back to;
- X-Frame-Options, X-Content-Type-Options, a Referrer-Policy (`no-referrer` where the path
  carries a secret: approval and unsubscribe links, the sign-in steps), a minimal
  Permissions-Policy;
- HSTS, except on local hosts (localhost, 127.0.0.1, ::1, *.localhost), where plain http is
  the embedded default;
- `Cache-Control: no-store` on anything a signed-in browser asks for (a session cookie in the
  request, or a session the guard loaded) and on the signed-in areas, the links that carry
  a secret and the sign-in steps, so a shared computer's back button or a proxy keeps no
  private page.

A response that sets one of these headers itself keeps its own (the embedded mail
catcher's sandboxed e-mail frame does); `Cache-Control` is replaced where no-store applies.

`CSRFProtection` is a Litestar middleware on every route and checks every unsafe method
(anything but GET, HEAD, OPTIONS, TRACE). Litestar's own CSRF check accepts any valid
cookie-and-token pair, so one browser's pair works in another session or on another tenant.
Here the token is an HMAC (key derived from the secret key for this one purpose) over where
the form lives — the tenant (its id), the platform, or the rest of the site — and whom it
belongs to: the SHA-256 of the session cookie (the tenant's `mentorhub_session`, the
platform's `mentorhub_platform`; the same hash the session store keys on), or, with no
session, a random per-browser pre-session cookie (`mentorhub_csrf`). Signing in rotates the
session cookie, so a token from before sign-in, another session or another tenant is refused
with 403 and the plain message of the app's error page, and nothing runs. Templates get the
token as before (`csrf_input`, `csrf_token`); it travels in the `_csrf_token` form field or
the `X-CSRFToken` header. A handler opts out with `opt={"exclude_from_csrf": True}` (only the
demo provider's server-to-server token endpoint does).

Cookies are Secure on every host but the local ones (`secure_host`), the rule the session
cookies follow.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.utils.scope.state import ScopeState

from mentorhub.identity.secrets import derive_key
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "mentorhub_csrf"
CSRF_FIELD = "_csrf_token"
CSRF_HEADER = "x-csrftoken"
EXCLUDE_OPT = "exclude_from_csrf"
#: The refusal's detail; the app's error page shows it in plain words (PLAIN_DETAIL).
CSRF_REFUSED = "CSRF token verification failed"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
NONCE_KEY = "csp_nonce"

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: Where the embedded demo provider sends a browser back to after its sign-in form.
LOOPBACK_SOURCES = "http://localhost:* http://127.0.0.1:*"

#: First path segment (after `/t/<slug>/` on a tenant) of pages that are never cached.
PRIVATE_AREAS = frozenset(
    {"admin", "me", "coordinator", "approvals", "login", "logout", "platform", "demo-idp"}
)


# --- hosts -------------------------------------------------------------------------------


def host_of(scope: Mapping[str, Any]) -> str:
    """The request's host name, lower case, without port or IPv6 brackets."""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = bytes(value).decode("latin-1").strip().lower()
            if host.startswith("["):
                return host[1 : host.find("]")] if "]" in host else host[1:]
            return host.split(":", 1)[0] if host.count(":") == 1 else host
    server = scope.get("server")
    return str(server[0]).lower() if server else ""


def is_local_host(host: str) -> bool:
    host = host.lower()
    return host in LOCAL_HOSTS or host.endswith(".localhost")


def secure_host(scope: Mapping[str, Any]) -> bool:
    """Whether cookies set for this request are Secure (and HSTS is sent): everywhere but the
    local hosts of the embedded default and tests."""
    return not is_local_host(host_of(scope))


# --- headers -----------------------------------------------------------------------------

_ALWAYS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (
        b"permissions-policy",
        b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()",
    ),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000")
_NO_STORE = (b"cache-control", b"no-store")
_REFERRER_DEFAULT = (b"referrer-policy", b"strict-origin-when-cross-origin")
_REFERRER_NONE = (b"referrer-policy", b"no-referrer")
_SESSION_COOKIES = (TENANT_COOKIE.encode() + b"=", PLATFORM_COOKIE.encode() + b"=")


def content_security_policy(nonce: str, form_action: str = "'self'") -> str:
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; object-src 'none'; "
        f"base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    )


@lru_cache(maxsize=256)
def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "'" in parts.netloc:
        return None
    if any(c in parts.netloc for c in " ;,"):
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _area(path: str) -> str:
    parts = path.split("/", 4)
    if len(parts) > 3 and parts[1] == "t":
        return parts[3]
    return parts[1] if len(parts) > 1 else ""


def _carries_session(scope: Mapping[str, Any]) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            raw = bytes(value)
            if any(cookie in raw for cookie in _SESSION_COOKIES):
                return True
    return False


class SecurityHeaders:
    """Pure ASGI: one nonce per request, the headers added when the response starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
        state[NONCE_KEY] = nonce

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.headers(scope, message.get("headers", ()), nonce)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def headers(
        scope: Mapping[str, Any], existing: Iterable[tuple[bytes, bytes]], nonce: str
    ) -> list[tuple[bytes, bytes]]:
        path: str = scope["path"]
        state = scope.get("state", {})
        identity = state.get("identity")
        area = _area(path)
        secret_in_path = area in ("approvals", "login") or "/unsubscribe/" in path
        no_store = (
            secret_in_path
            or area in PRIVATE_AREAS
            # static files and a tenant's logo (public, named by its digest) are the same
            # bytes for everyone: cacheable, signed in or not
            or (
                area not in ("static", "logo") and (identity is not None or _carries_session(scope))
            )
        )
        headers = [
            (name, value)
            for name, value in existing
            if not (no_store and name.lower() == b"cache-control")
        ]
        present = {name.lower() for name, _ in headers}
        form_action = "'self'"
        issuer = getattr(identity, "issuer", None)
        if issuer and (origin := _origin(issuer)) is not None:
            form_action += " " + origin  # the sign-out form may lead to the provider's logout
        if area == "demo-idp":
            form_action += " " + LOOPBACK_SOURCES
        ours = [
            (b"content-security-policy", content_security_policy(nonce, form_action).encode()),
            *_ALWAYS,
            _REFERRER_NONE if secret_in_path else _REFERRER_DEFAULT,
        ]
        if secure_host(scope):
            ours.append(_HSTS)
        if no_store:
            ours.append(_NO_STORE)
        headers.extend(header for header in ours if header[0] not in present)
        return headers


def install_security_headers(app: Litestar) -> None:
    """Put `SecurityHeaders` around everything Litestar answers (routes, static files, its
    404/405 and exception pages): Litestar runs route middleware for routed requests only."""
    app.asgi_handler = SecurityHeaders(app.asgi_handler)


def csp_nonce(context: Mapping[str, Any]) -> str:
    """`{{ csp_nonce() }}`: this request's nonce, for a `<style>` or `<script>` element."""
    request = context.get("request")
    if request is None:
        return ""
    return str(request.scope.get("state", {}).get(NONCE_KEY, ""))


def register_template_callables(engine: Any) -> None:
    engine.register_template_callable("csp_nonce", csp_nonce)


# --- CSRF --------------------------------------------------------------------------------


def _realm(scope: Mapping[str, Any]) -> tuple[str, str | None]:
    """Where a form lives (the HMAC's first part) and the session cookie that counts there."""
    slug = scope.get("path_params", {}).get("tenant_slug")
    if slug is not None:
        tenant = scope.get("state", {}).get("tenant")
        where = f"tenant:{tenant.id}" if tenant is not None else f"tenant-slug:{slug}"
        return where, TENANT_COOKIE
    if _area(scope["path"]) == "platform":
        return "platform", PLATFORM_COOKIE
    return "site", None


def _good_pre_session(value: str | None) -> bool:
    return value is not None and 32 <= len(value) <= 64 and value.isascii()


class CSRFProtection:
    """Litestar middleware: the session- and tenant-bound token for every unsafe method."""

    def __init__(self, app: ASGIApp, secret_key: str) -> None:
        self.app = app
        self.key = derive_key(secret_key, "csrf")

    def token(self, where: str, binding: str) -> str:
        mac = hmac.new(self.key, f"{where}\n{binding}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        safe = scope["method"] in SAFE_METHODS
        if (handler is not None and handler.opt.get(EXCLUDE_OPT)) or (
            safe and scope["path"].startswith("/static/")  # no form there: no token to make
        ):
            await self.app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        where, session_cookie = _realm(scope)
        session = request.cookies.get(session_cookie) if session_cookie else None
        pre_session = request.cookies.get(CSRF_COOKIE)
        new_cookie: str | None = None
        if session:
            binding = "session:" + hashlib.sha256(session.encode()).hexdigest()
        else:
            if not _good_pre_session(pre_session):
                if not safe:
                    raise PermissionDeniedException(CSRF_REFUSED)
                pre_session = new_cookie = secrets.token_urlsafe(32)
            binding = "browser:" + str(pre_session)
        expected = self.token(where, binding)
        if not safe:
            submitted = request.headers.get(CSRF_HEADER)
            form = None
            if not submitted and request.content_type[0] in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.form()
                value = form.get(CSRF_FIELD)
                submitted = value if isinstance(value, str) else None
            if not submitted or not hmac.compare_digest(submitted.encode(), expected.encode()):
                if form is not None:
                    # A refused upload never reaches a handler: close its spooled files here.
                    for _, item in form.multi_items():
                        if isinstance(item, UploadFile):
                            await item.close()
                raise PermissionDeniedException(CSRF_REFUSED)
        ScopeState.from_scope(scope).csrf_token = expected
        if new_cookie is not None:
            send = self._setting_cookie(send, new_cookie, secure_host(scope))
        await self.app(scope, receive, send)

    @staticmethod
    def _setting_cookie(send: Send, value: str, secure: bool) -> Send:
        """Set the new pre-session cookie on a page (HTML), where a form may use it."""
        # What Litestar's `Cookie(...).to_header()` writes, without its per-call dataclass
        # copying (a fifth of a public page's time); the value is URL-safe base64.
        cookie = f"{CSRF_COOKIE}={value}; HttpOnly; Path=/; SameSite=lax" + (
            "; Secure" if secure else ""
        )

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                html = any(
                    name.lower() == b"content-type" and value.startswith(b"text/html")
                    for name, value in headers
                )
                if html:
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                    message["headers"] = headers
            await send(message)

        return wrapped
