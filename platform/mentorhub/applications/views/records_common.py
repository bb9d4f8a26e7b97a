"""What the records pages share: the page's context (which records the tenant's scheme
uses), the list query, the notice a redirect leads to, and answering a page the scheme does
not use."""

from __future__ import annotations

from typing import Any

from litestar.response import Redirect, Template

from mentorhub.applications import records
from mentorhub.applications.records_forms import RecordsQuery
from mentorhub.core.paging import page_number, search_term
from mentorhub.db.access import NotFound
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, base
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.forms import FormErrors, read_query

__all__ = ["Listing", "actor", "back_to", "context", "listing", "notify", "taken", "unused"]

#: What each page is about, for the page that says the scheme does not use it.
UNUSED = {
    "training": (
        "Training records",
        "{scheme} does not ask for a training before matching, so there are no training "
        "records to keep. If the scheme's rules change to ask for one, this page will let "
        "you record who completed it.",
    ),
    "ratification": (
        "Board ratifications",
        "{scheme} does not need the Board to ratify members before a mentoring relationship "
        "starts, so there are no ratifications to record.",
    ),
    "partners": (
        "Partner organisations",
        "{scheme} is not limited to staff and volunteers of partner organisations, so "
        "applicants are not asked for their organisation and there is no list to keep.",
    ),
}


async def context(
    request: AnyRequest, tenant: Tenant, identity: Identity, features: records.Features
) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "identity": identity,
        "features": features,
        "scheme_name": features.scheme_name
        or str(tenant.branding.get("scheme_name") or "The scheme"),
    }


def unused(page: str, ctx: dict[str, Any], *, status_code: int = 200) -> Template:
    """The plain explanation, instead of the page, where the scheme does not use it (a form
    sent to it anyway: 400, nothing written)."""
    title, words = UNUSED[page]
    return Template(
        "applications/records_unused.html",
        context={
            **ctx,
            "title": title,
            "explanation": words.format(scheme=ctx["scheme_name"]),
        },
        status_code=status_code,
    )


class Listing:
    """A list's search and page, and the problems if the query could not be used."""

    def __init__(self, q: str, number: int, bad: FormErrors | None) -> None:
        self.q, self.number, self.bad = q, number, bad


def listing(request: AnyRequest) -> Listing:
    try:
        query = read_query(request, RecordsQuery)
        return Listing(search_term(query.q), page_number(query.page), None)
    except FormErrors as errors:
        return Listing("", 1, errors)


async def notify(aredis: Any, request: AnyRequest, **notice: Any) -> None:
    """Keep a one-time notice for the page the redirect leads to."""
    await flash.put(aredis, request, TENANT_COOKIE, notice)


async def taken(aredis: Any, request: AnyRequest) -> dict[str, Any] | None:
    return await flash.take(aredis, request, TENANT_COOKIE)


def actor(identity: Identity) -> str:
    """The signed-in member acting (the guards let only members' sessions in)."""
    if identity.member_id is None:
        raise NotFound("member")
    return identity.member_id


def back_to(request: AnyRequest, path: str) -> Redirect:
    return Redirect(f"{base(request)}{path}", status_code=303)
