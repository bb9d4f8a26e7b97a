"""The reports area's pages on one router mounted on `/t/{tenant_slug}` (`app.py` adds
`ROUTES`): `cockpit` (the coordinator's cockpit per cohort, a person's page) and
`evaluation` (the cohort's evaluation report and its downloads)."""

from __future__ import annotations

from litestar import Router

from mentorhub.identity.views._common import DEPENDENCIES
from mentorhub.reports.views import cockpit, evaluation

tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[*cockpit.ROUTES, *evaluation.ROUTES],
    dependencies=DEPENDENCIES,
)
ROUTES = [tenant_router]

__all__ = ["ROUTES", "tenant_router"]
