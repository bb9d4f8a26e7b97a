"""What the identity views share: typed dependencies (instead of reading `app.state.*` in
handlers), the request's tenant base and origin, cookie security and the rate limit."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import TooManyRequestsException
from redis.asyncio import Redis

from mentorhub.identity import ratelimit
from mentorhub.identity.oidc import OidcClient
from mentorhub.identity.ratelimit import Bucket
from mentorhub.identity.sessions import SessionStore
from mentorhub.settings import Settings
from mentorhub.web.security import secure_host

AnyRequest = Request[Any, Any, Any]


async def provide_settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


async def provide_sessions(state: State) -> SessionStore:
    return state.sessions  # type: ignore[no-any-return]


async def provide_oidc(state: State) -> OidcClient:
    return state.oidc  # type: ignore[no-any-return]


async def provide_aredis(state: State) -> Redis:
    return state.aredis  # type: ignore[no-any-return]


#: Mounted on every identity router; handlers declare what they use by these names.
DEPENDENCIES = {
    "settings": Provide(provide_settings),
    "sessions": Provide(provide_sessions),
    "oidc": Provide(provide_oidc),
    "aredis": Provide(provide_aredis),
}
AppSettings = NamedDependency[Settings]
Sessions = NamedDependency[SessionStore]
Oidc = NamedDependency[OidcClient]
AsyncRedis = NamedDependency[Redis]


def secret_key(settings: Settings) -> str:
    assert settings.secret_key is not None, "secret_key is set in every mode"
    return settings.secret_key


def base(request: AnyRequest) -> str:
    """The tenant's public URL prefix: "" on its own hostname, "/t/<slug>" on a prefix."""
    return request.scope["state"].get("tenant_base") or ""


def secure(request: AnyRequest) -> bool:
    """Whether the cookies set here are Secure: the same rule as the security headers'."""
    return secure_host(request.scope)


def origin(request: AnyRequest) -> str:
    host = request.headers.get("host", "localhost")
    return f"{request.url.scheme}://{host}"


def client_address(request: AnyRequest) -> str:
    """The client's address: the socket's peer, or what a trusted proxy forwarded
    (`mentorhub.web.proxies.ForwardedClient` has already put it in the scope)."""
    return request.client.host if request.client else "unknown"


def sign_in_buckets(
    request: AnyRequest,
    settings: Settings,
    realm: str,
    *,
    account: str | None = None,
    attempt: bool = True,
) -> list[Bucket]:
    """What a sign-in counts against. An attempt (a start, or an answer that belongs to no
    started sign-in) counts for the client's address and the realm (a tenant's id or
    "platform"); `account` (a start's `login_hint`, or the e-mail a failed answer was for)
    adds the account's bucket, whatever address it comes from."""
    buckets: list[Bucket] = []
    if attempt:
        buckets.append(
            Bucket("login", "address", client_address(request), settings.login_rate_per_minute)
        )
    if account and account.strip():
        buckets.append(
            Bucket(
                "login",
                "account",
                ratelimit.account_key(realm, account),
                settings.login_account_rate_per_minute,
            )
        )
    if attempt:
        buckets.append(Bucket("login", "tenant", realm, settings.login_tenant_rate_per_minute))
    return buckets


def link_buckets(request: AnyRequest, settings: Settings, tenant_id: str) -> list[Bucket]:
    """An approval-link request counts for the client's address and the tenant."""
    return [
        Bucket("link", "address", client_address(request), settings.link_rate_per_minute),
        Bucket("link", "tenant", tenant_id, settings.link_tenant_rate_per_minute),
    ]


async def limit(redis: Redis, buckets: list[Bucket]) -> None:
    """Count one attempt; 429 with `Retry-After` (the seconds left in the window) when a
    bucket is full. The page is the branded error page (`app.py` passes the header on)."""
    wait = await ratelimit.hit(redis, buckets)
    if wait is not None:
        seconds = "1 second" if wait == 1 else f"{wait} seconds"
        raise TooManyRequestsException(
            f"Too many attempts. Please wait {seconds} and try again.",
            headers={"Retry-After": str(wait)},
        )
