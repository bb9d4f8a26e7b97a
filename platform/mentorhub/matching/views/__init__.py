"""The matching area's pages, by flow: `runs` (the coordinator's cohort runs: draft, compare,
pin and forbid, publish; the cohort's pairs), `suggest` (AHEP: a mentee's suggestions and
ranked choices, a mentor's requests and availability) and `mutual` (Arts Marketing: the
coordinator proposes, both people answer). The pairs area's pages (a member's pairs) are in
`mentorhub.pairs.views`. One router mounted on `/t/{tenant_slug}`; `app.py` adds `ROUTES`.
Every handler declares its access rule (`opt=rule(...)`).
"""

from __future__ import annotations

from litestar import Router

from mentorhub.identity.views._common import DEPENDENCIES
from mentorhub.matching.views import mutual, runs, suggest

tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[*runs.ROUTES, *suggest.ROUTES, *mutual.ROUTES],
    dependencies=DEPENDENCIES,
)
ROUTES = [tenant_router]

__all__ = ["ROUTES", "tenant_router"]
