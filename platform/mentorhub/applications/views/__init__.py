"""The applications area's pages, by audience: `applicant` (a member applies, reads and
withdraws their applications), `coordinator` (the queue, one application, bulk actions,
CSV export, cohorts and recruitment windows) and `records` (partner organisations, training
records, board ratifications). One router mounted on `/t/{tenant_slug}`; `app.py` adds
`ROUTES`. Every handler declares its access rule (`opt=rule(...)`).
"""

from __future__ import annotations

from litestar import Router

from mentorhub.applications.views import applicant, coordinator, records
from mentorhub.identity.views._common import DEPENDENCIES

tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[*applicant.ROUTES, *coordinator.ROUTES, *records.ROUTES],
    dependencies=DEPENDENCIES,
)
ROUTES = [tenant_router]

__all__ = ["ROUTES", "tenant_router"]
