"""A member's own page and the coordinator's list of members."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from mentorhub.core.paging import page_number, search_term
from mentorhub.identity import queries
from mentorhub.identity.directory import read_members_page
from mentorhub.identity.forms import ListQuery
from mentorhub.identity.guards import COORDINATOR, MEMBER, rule
from mentorhub.identity.views._common import AnyRequest
from mentorhub.web.deps import CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, read_query, rerender


@get("/me", name="me", opt=rule(MEMBER))
async def me(tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity) -> Template:
    member = await queries.member(reads, tenant.id, identity.member_id)
    return Template(
        "identity/me.html", context={"tenant": tenant, "identity": identity, "member": member}
    )


@get("/coordinator/members", name="coordinator_members", opt=rule(COORDINATOR))
async def coordinator_members(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity, request: AnyRequest
) -> Template:
    """Members a page at a time in name order, searchable (`?q=`, `?page=`). A search that
    cannot be used (control characters, too long) answers 400 with all members and the
    search field's message."""
    bad: FormErrors | None = None
    try:
        query = read_query(request, ListQuery)
    except FormErrors as errors:
        query, bad = ListQuery(), errors
    search = search_term(query.q)
    members = await read_members_page(
        reads, tenant.id, search=search, number=page_number(query.page)
    )
    context = {"tenant": tenant, "identity": identity, "page": members, "q": search}
    if bad is not None:
        return rerender("identity/members.html", context, bad)
    return Template("identity/members.html", context=context)


ROUTES = [me, coordinator_members]
