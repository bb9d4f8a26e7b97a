"""The pairs area's pages: `mine` (a member's pairs, shown to both people). The pair's space
(agreement, goals, meetings, logs, chat, documents) adds its page groups here. One router
mounted on `/t/{tenant_slug}`; `app.py` adds `ROUTES`."""

from __future__ import annotations

from litestar import Router

from mentorhub.identity.views._common import DEPENDENCIES
from mentorhub.pairs.views import mine

tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[*mine.ROUTES],
    dependencies=DEPENDENCIES,
)
ROUTES = [tenant_router]

__all__ = ["ROUTES", "tenant_router"]
