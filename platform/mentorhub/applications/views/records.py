"""The applications area's records pages: the facts eligibility reads that people keep.
Partner organisations (`records_partners`, tenant admin), training records
(`records_training`, coordinator) and board ratifications (`records_ratifications`, tenant
admin); each shown where the tenant's scheme uses it, with a plain explanation elsewhere.
`/coordinator/records` (the navigation's "Eligibility records") lists the ones the scheme
uses for the viewer. The actions are `applications.records` (and `services.record_training`).
"""

from __future__ import annotations

from litestar import get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Template

from mentorhub.applications import records
from mentorhub.applications.views import (
    records_partners,
    records_ratifications,
    records_training,
)
from mentorhub.applications.views.records_common import context
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.views._common import AnyRequest
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant


@get("/coordinator/records", name="records_home", opt=rule(COORDINATOR))
async def records_home(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, request: AnyRequest
) -> Template:
    """Which records the scheme keeps, and links to those the viewer may keep."""
    features = await records.features(db, tenant.id)
    ctx = await context(request, tenant, identity, features)
    return Template("applications/records_home.html", context=ctx)


ROUTES: list[HTTPRouteHandler] = [
    records_home,
    *records_partners.ROUTES,
    *records_training.ROUTES,
    *records_ratifications.ROUTES,
]
