"""The tenant admin's console on one router mounted on `/t/{tenant_slug}` (`app.py` adds
`ROUTES`): `scheme` (the scheme's versions, the form, TOML upload, diff and storing a new
version), `settings` (name, colours, logo, contact addresses), `coordinators` (who
coordinates which cohorts)."""

from __future__ import annotations

from litestar import Router

from mentorhub.admin.views import coordinators, scheme, settings
from mentorhub.identity.views._common import DEPENDENCIES

tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[*scheme.ROUTES, *settings.ROUTES, *coordinators.ROUTES],
    dependencies=DEPENDENCIES,
)
ROUTES = [tenant_router]

__all__ = ["ROUTES", "tenant_router"]
