"""A member's own page and the coordinator's list of members."""

from __future__ import annotations

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template

from mentorhub.identity import queries
from mentorhub.identity.directory import read_members_page
from mentorhub.identity.guards import COORDINATOR, MEMBER, rule
from mentorhub.identity.paging import page_number, search_term
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant


@get("/me", name="me", opt=rule(MEMBER))
async def me(tenant: CurrentTenant, db: DB, identity: CurrentIdentity) -> Template:
    member = await queries.member(db, tenant.id, identity.member_id)
    return Template(
        "identity/me.html", context={"tenant": tenant, "identity": identity, "member": member}
    )


@get("/coordinator/members", name="coordinator_members", opt=rule(COORDINATOR))
async def coordinator_members(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    q: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
) -> Template:
    """Members a page at a time in name order, searchable (`?q=`, `?page=`)."""
    search = search_term(q)
    members = await read_members_page(db, tenant.id, search=search, number=page_number(page))
    return Template(
        "identity/members.html",
        context={"tenant": tenant, "identity": identity, "page": members, "q": search},
    )


ROUTES = [me, coordinator_members]
