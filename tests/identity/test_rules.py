"""Every route of the real application declares its access rule."""

from __future__ import annotations

from typing import Any, ClassVar

from mentorhub.app import create_app
from mentorhub.identity.guards import CHECKS, PUBLIC, litestar_options
from mentorhub.settings import get_settings
from mentorhub.web.security import CSRFProtection
from tests.conftest import Servers


def _routes() -> list[tuple[str, str, Any]]:
    litestar = create_app(get_settings()).app
    found = []
    for route in litestar.routes:  # type: ignore[attr-defined]
        for handler in route.route_handlers:
            if litestar_options(handler):
                continue
            found.append((route.path, handler.handler_name, handler.opt.get("rule")))
    return found


def test_every_route_declares_a_known_rule(servers: Servers) -> None:
    routes = _routes()
    assert len(routes) > 10  # the enumeration sees the application's routes
    missing = [(path, name) for path, name, rule in routes if rule not in CHECKS]
    assert missing == []


def test_the_public_pages_are_declared_public(servers: Servers) -> None:
    rules = {path: rule for path, _, rule in _routes()}
    for path in ("/", "/t/{tenant_slug:str}", "/t/{tenant_slug:str}/scheme", "/healthz"):
        assert rules[path] == PUBLIC, path
    assert rules["/static/{file_path:path}"] == PUBLIC
    assert rules["/t/{tenant_slug:str}/admin/audit"] == "tenant_admin"
    assert rules["/platform/activity"] == "platform_admin"


def test_a_route_without_a_rule_is_refused() -> None:
    """Fail closed: the guard refuses a handler that declares nothing."""
    import asyncio

    import pytest

    from mentorhub.identity.guards import RuleMissing, enforce_rule

    class Handler:
        opt: ClassVar[dict[str, Any]] = {}
        handler_name = "undeclared"

    with pytest.raises(RuleMissing):
        asyncio.run(enforce_rule(None, Handler()))  # type: ignore[arg-type]


def test_every_state_changing_route_is_under_csrf(servers: Servers) -> None:
    """Our CSRF middleware (web/security.py) checks every unsafe method unless a handler opts
    out; only these do, each for its reason (the demo provider's token endpoint, a
    server-to-server call, is not mounted outside the embedded default)."""
    may_opt_out = {
        "unavailable",  # changes nothing: answers the 503 page while the database is away
        "unsubscribe",  # RFC 8058 one-click: the mail provider posts with no cookie or token
    }
    litestar = create_app(get_settings()).app
    unsafe = []
    for route in litestar.routes:  # type: ignore[attr-defined]
        for handler in route.route_handlers:
            methods = set(getattr(handler, "http_methods", ())) - {"GET", "HEAD", "OPTIONS"}
            if methods:
                unsafe.append(handler)
                if handler.opt.get("exclude_from_csrf"):
                    assert handler.handler_name in may_opt_out, handler.handler_name
    assert len(unsafe) >= 6
    assert any(  # on the application, so on every route
        getattr(m, "middleware", None) is CSRFProtection
        for m in litestar.middleware  # type: ignore[attr-defined]
    )
