"""Who may open what: one rule per route, checked in one place.

Every route handler declares `opt=rule(...)`. The app-wide guard `enforce_rule` reads it,
loads the session once, and applies the one check for that rule. A route with no rule is
refused (fail closed), and a test enumerates every route to make sure none lacks one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from mentorhub.identity.models import Role
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE, Identity

PUBLIC = "public"
MEMBER = "member"
COORDINATOR = "coordinator"
TENANT_ADMIN = "tenant_admin"
PLATFORM_ADMIN = "platform_admin"


def _member(identity: Identity) -> bool:
    return identity.member_id is not None


def _coordinator(identity: Identity) -> bool:
    return bool({Role.COORDINATOR, Role.TENANT_ADMIN} & set(identity.roles))


def _tenant_admin(identity: Identity) -> bool:
    return Role.TENANT_ADMIN in identity.roles


def _platform_admin(identity: Identity) -> bool:
    return identity.platform_admin


#: The one check per role. `public` needs no session.
CHECKS: dict[str, Callable[[Identity], bool] | None] = {
    PUBLIC: None,
    MEMBER: _member,
    COORDINATOR: _coordinator,
    TENANT_ADMIN: _tenant_admin,
    PLATFORM_ADMIN: _platform_admin,
}


#: What a refused visitor is told: who the page is for, and whom to ask.
REFUSALS = {
    MEMBER: "This page is for the association's members.",
    COORDINATOR: (
        "This page is for the scheme's coordinators. If you need it, ask your association's "
        "administrator to give you the coordinator role."
    ),
    TENANT_ADMIN: "This page is for the association's administrators.",
    PLATFORM_ADMIN: "This page is for the platform's administrators.",
}


def rule(name: str) -> dict[str, Any]:
    if name not in CHECKS:
        raise ValueError(f"unknown access rule {name!r}")
    return {"rule": name}


class SignInRequired(Exception):
    """No valid session for this tenant (or the platform): send the visitor to sign in."""

    def __init__(self, platform: bool) -> None:
        super().__init__("sign-in required")
        self.platform = platform


class RuleMissing(RuntimeError):
    pass


async def current_identity(connection: ASGIConnection[Any, Any, Any, Any]) -> Identity | None:
    """The session's identity if it is valid here: a tenant session only on its own tenant,
    a platform session only on platform routes. Cached on the request."""
    state = connection.scope["state"]
    if "identity" in state:
        return state["identity"]  # type: ignore[no-any-return]
    slug = connection.path_params.get("tenant_slug")
    sessions = connection.app.state.sessions
    identity: Identity | None
    if slug is None:
        identity = await sessions.load(connection.cookies.get(PLATFORM_COOKIE))
        if identity is not None and not identity.platform_admin:
            identity = None
    else:
        identity = await sessions.load(connection.cookies.get(TENANT_COOKIE))
        if identity is not None and (identity.platform_admin or identity.tenant_slug != slug):
            identity = None
    state["identity"] = identity
    return identity


def litestar_options(handler: BaseRouteHandler) -> bool:
    """Litestar adds an OPTIONS handler to every path (it answers `Allow`, no content);
    it is the only handler that needs no rule of ours."""
    fn = getattr(handler, "fn", None)
    return getattr(fn, "__module__", None) == "litestar.routes.http" and handler.handler_name == (
        "options_handler"
    )


async def enforce_rule(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    if litestar_options(handler):
        return
    name = handler.opt.get("rule")
    if name not in CHECKS:
        raise RuleMissing(f"route {handler.handler_name!r} declares no access rule")
    check = CHECKS[name]
    if check is None:
        return
    identity = await current_identity(connection)
    if identity is None:
        raise SignInRequired(platform=name == PLATFORM_ADMIN)
    if not check(identity):
        raise PermissionDeniedException(REFUSALS[name])
