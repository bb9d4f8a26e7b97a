"""Approvers without an account act through signed one-time links: opening one shows what
is asked and never consumes it (mail scanners open links); only the POST decides."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Template

from mentorhub.identity import queries, services
from mentorhub.identity.approvals import LinkProblem
from mentorhub.identity.guards import PUBLIC, rule
from mentorhub.identity.views._common import (
    AnyRequest,
    AppSettings,
    AsyncRedis,
    limit,
    link_buckets,
    secret_key,
)
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentTenant

_LINK_PAGES = {
    "invalid": "This link is not valid here. It may have been copied incompletely.",
    "expired": "This link has expired. Ask the applicant's coordinator for a new one.",
    "used": "A decision has already been recorded through this link. Nothing was changed.",
}


def _link_problem(tenant: Tenant, reason: str) -> Template:
    return Template(
        "identity/link_problem.html",
        context={"tenant": tenant, "message": _LINK_PAGES[reason]},
        status_code=410 if reason in {"expired", "used"} else 404,
    )


@get("/approvals/{token:str}", name="approval_page", opt=rule(PUBLIC))
async def approval_page(
    tenant: CurrentTenant,
    db: DB,
    token: FromPath[str],
    request: AnyRequest,
    settings: AppSettings,
    aredis: AsyncRedis,
) -> Template:
    await limit(aredis, link_buckets(request, settings, str(tenant.id)))
    try:
        approval = await queries.approval(db, tenant.id, secret_key(settings), token)
    except LinkProblem as exc:
        return _link_problem(tenant, exc.reason)
    return Template("identity/approval.html", context={"tenant": tenant, "approval": approval})


@post("/approvals/{token:str}", name="approval_decide", opt=rule(PUBLIC), status_code=200)
async def approval_decide(
    tenant: CurrentTenant,
    db: DB,
    token: FromPath[str],
    request: AnyRequest,
    settings: AppSettings,
    aredis: AsyncRedis,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    await limit(aredis, link_buckets(request, settings, str(tenant.id)))
    choice = data.get("decision", "")
    try:
        if choice not in {"approve", "decline"}:
            approval = await queries.approval(db, tenant.id, secret_key(settings), token)
            return Template(
                "identity/approval.html",
                context={
                    "tenant": tenant,
                    "approval": approval,
                    "error": "Choose approve or decline.",
                },
                status_code=400,
            )
        approval = await services.decide_approval(
            db,
            tenant.id,
            secret_key(settings),
            token,
            decision=choice,
            comment=data.get("comment", ""),
        )
    except LinkProblem as exc:
        return _link_problem(tenant, exc.reason)
    return Template("identity/approval_done.html", context={"tenant": tenant, "approval": approval})


ROUTES = [approval_page, approval_decide]
