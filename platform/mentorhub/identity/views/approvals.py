"""Approvers without an account act through signed one-time links: opening one shows what
is asked and never consumes it (mail scanners open links); only the POST decides."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Template

from mentorhub.identity import queries, services
from mentorhub.identity.approvals import LinkProblem
from mentorhub.identity.forms import Decision
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
from mentorhub.web.forms import FormErrors, read_form, rerender

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
) -> Template:
    """The decision, once. A form with problems (no decision chosen, a comment too long or
    with control characters) is shown again with them (400); the link is not used up."""
    await limit(aredis, link_buckets(request, settings, str(tenant.id)))
    try:
        try:
            form = await read_form(request, Decision)
        except FormErrors as errors:
            approval = await queries.approval(db, tenant.id, secret_key(settings), token)
            context = {"tenant": tenant, "approval": approval}
            return rerender("identity/approval.html", context, errors)
        approval = await services.decide_approval(
            db,
            tenant.id,
            secret_key(settings),
            token,
            decision=form.decision,
            comment=form.comment,
        )
    except LinkProblem as exc:
        return _link_problem(tenant, exc.reason)
    return Template("identity/approval_done.html", context={"tenant": tenant, "approval": approval})


ROUTES = [approval_page, approval_decide]
