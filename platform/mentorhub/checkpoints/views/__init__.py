"""The checkpoints area's pages, one module per page group, on one router mounted on
`/t/{tenant_slug}` (`app.py` adds `ROUTES`):

* `member`: a pair's checkpoints and one item's form or answers;
* `coordinator`: submissions to review, one submission, the coordinator's tasks.
"""

from __future__ import annotations

from litestar import Router

from mentorhub.checkpoints.views import coordinator, member
from mentorhub.identity.views._common import DEPENDENCIES

tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[*member.ROUTES, *coordinator.ROUTES],
    dependencies=DEPENDENCIES,
)
ROUTES = [tenant_router]

__all__ = ["ROUTES", "tenant_router"]
