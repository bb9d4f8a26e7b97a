"""A member's own page and the coordinator's list of members."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from mentorhub.identity import queries
from mentorhub.identity.guards import COORDINATOR, MEMBER, rule
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant


@get("/me", name="me", opt=rule(MEMBER))
async def me(tenant: CurrentTenant, db: DB, identity: CurrentIdentity) -> Template:
    member = await queries.member(db, tenant.id, identity.member_id)
    return Template(
        "identity/me.html", context={"tenant": tenant, "identity": identity, "member": member}
    )


@get("/coordinator/members", name="coordinator_members", opt=rule(COORDINATOR))
async def coordinator_members(tenant: CurrentTenant, db: DB, identity: CurrentIdentity) -> Template:
    members = await queries.members(db, tenant.id)
    return Template(
        "identity/members.html",
        context={"tenant": tenant, "identity": identity, "members": members},
    )


ROUTES = [me, coordinator_members]
