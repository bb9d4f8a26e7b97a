"""What the identity views share: typed dependencies (instead of reading `app.state.*` in
handlers), the request's tenant base and origin, cookie security and the rate limit."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import TooManyRequestsException
from redis.asyncio import Redis

from mentorhub.identity.oidc import OidcClient
from mentorhub.identity.sessions import SessionStore, over_limit
from mentorhub.settings import Settings

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
    host = (request.url.hostname or "").lower()
    return not (host in {"localhost", "127.0.0.1", "::1"} or host.endswith(".localhost"))


def origin(request: AnyRequest) -> str:
    host = request.headers.get("host", "localhost")
    return f"{request.url.scheme}://{host}"


def client_address(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


async def limit(request: AnyRequest, redis: Redis, kind: str, per_minute: int) -> None:
    if await over_limit(redis, kind, client_address(request), per_minute):
        raise TooManyRequestsException("Too many attempts. Please wait a minute and try again.")
