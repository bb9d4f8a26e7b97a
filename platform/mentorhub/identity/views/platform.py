"""The platform admins' activity page: counts per tenant, never what or by whom; each
tenant links to its page in the platform console (`tenancy/views/console.py`)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from mentorhub.core import audit
from mentorhub.identity.guards import PLATFORM_ADMIN, rule
from mentorhub.tenancy.services import list_tenants
from mentorhub.web.deps import DB, CurrentIdentity


@get("/platform/activity", name="platform_activity", opt=rule(PLATFORM_ADMIN))
async def platform_activity(db: DB, identity: CurrentIdentity) -> Template:
    """How many of each action happened per tenant; never what or by whom."""
    tenants = await list_tenants(db)
    counts = await audit.action_counts(db, [t.id for t in tenants])
    return Template(
        "platform/activity.html",
        context={"tenants": tenants, "counts": counts, "identity": identity},
    )


ROUTES = [platform_activity]
