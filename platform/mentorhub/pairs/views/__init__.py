"""The pairs area's pages, one module per page group, all on one router mounted on
`/t/{tenant_slug}` (`app.py` adds `ROUTES`):

* `mine`: "My mentoring", a member's pairs;
* the pair's space (issue 15): `home` (the pair's overview and timeline), `agreement`,
  `goals`, `plan` (Alberta), `meetings` (and a meeting's .ics), `calendar` (a member's feed:
  its secret URL and the feed itself), `logs` (the private reflective log, and the entries
  shared with the coordinator), `cpd` (a member's CPD record), `chat`, `documents`,
  `ending` (ending and extending by the pair, removal by the coordinator), `coordinator`
  (the coordinator's view of a pair).
"""

from __future__ import annotations

from litestar import Router

from mentorhub.identity.views._common import DEPENDENCIES
from mentorhub.pairs.views import (
    agreement,
    calendar,
    chat,
    coordinator,
    cpd,
    documents,
    ending,
    goals,
    home,
    logs,
    meetings,
    mine,
    plan,
)

tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[
        *mine.ROUTES,
        *home.ROUTES,
        *agreement.ROUTES,
        *goals.ROUTES,
        *plan.ROUTES,
        *meetings.ROUTES,
        *calendar.ROUTES,
        *logs.ROUTES,
        *cpd.ROUTES,
        *chat.ROUTES,
        *documents.ROUTES,
        *ending.ROUTES,
        *coordinator.ROUTES,
    ],
    dependencies=DEPENDENCIES,
)
ROUTES = [tenant_router]

__all__ = ["ROUTES", "tenant_router"]
