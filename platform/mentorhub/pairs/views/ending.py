"""Ending and extending a pair (issue 15): confirmation pages and their POSTs.

* `GET/POST /pairs/{pair_id}/end` [pair_end]: one of the pair ends the relationship (where
  the scheme lets either party; an optional reason), or the coordinator ends it (completed
  or ended early). Always a confirmation page first.
* `GET/POST /pairs/{pair_id}/extension` [pair_extension]: one of the pair proposes an
  extension (months); `POST .../extension/agree`, `.../decline` (the other person) and
  `.../withdraw` (the proposer) answer it from the home page.
* `GET/POST /pairs/{pair_id}/remove` [pair_remove]: the coordinator removes the pair for an
  ethics breach (where the scheme says so), with a reason.

Each POST carries the pair's `lock_version` from the page; a refusal (a stale page, the
scheme's rule, an ended pair) shows the page again with the reason (409) and changes
nothing; a field problem shows it at the field (400). Success: a notice on the pair's home.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from mentorhub.applications.queue import tenant_zone
from mentorhub.applications.views.coordinator_common import page_context
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AsyncRedis, base
from mentorhub.pairs.access import Space, require_party, space_for
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import ending
from mentorhub.pairs.services.lifecycle import REASON_MAX
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, choice, field, read_form, rerender

AnyRequest = Request[Any, Any, Any]
VERSION = field("Version", minimum=0, maximum=10**9)


class EndForm(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, VERSION]
    reason: Annotated[str, field("Reason", kind=TEXT, max_length=REASON_MAX)] = ""
    #: The coordinator's choice (a party's ending is always "ended_early").
    kind: (
        Annotated[
            Literal["completed", "ended_early"],
            choice("Choose how the relationship ends", label="How it ends"),
        ]
        | None
    ) = None


class RemoveForm(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, VERSION]
    reason: Annotated[str, field("Reason", kind=TEXT, max_length=REASON_MAX, required=True)]


class ExtensionForm(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, VERSION]
    months: Annotated[int, field("Months", minimum=1, maximum=ending.MONTHS_MAX)] | None = None


class Versioned(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, VERSION]


def _member(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


async def _space(reads: TenantReads, tenant: Tenant, pair_id: uuid.UUID, me: uuid.UUID) -> Space:
    async with reads.tenant(tenant.id) as session:
        return await space_for(session, pair_id, me)


def _home(request: AnyRequest, pair_id: uuid.UUID) -> str:
    return f"{base(request)}/pairs/{pair_id}"


def _page(
    template: str,
    tenant: Tenant,
    identity: Identity,
    space: Space,
    *,
    errors: Problems | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    context = page_context(tenant, identity, space=space, current="home", **extra)
    if errors is not None:
        return rerender(template, context, errors, values=values or {}, status_code=status_code)
    return Template(
        template, context={**context, "errors": None, "values": values or {}}, status_code=200
    )


def _refused(exc: Refused) -> Problems:
    return Problems([Problem(message=str(exc))])


async def _act(
    call: Callable[[], Awaitable[object]],
    again: Callable[..., Template],
    kind: str,
    space: Space,
    reads: TenantReads,
    tenant: Tenant,
    identity: Identity,
    pair_id: uuid.UUID,
    request: AnyRequest,
    aredis: Any,
) -> Template | Response[Any]:
    """Read the form and act (`call`); on to the pair's home with the notice `kind`; or the
    page again (`again`): a refusal with the space read again (409), a problem at its
    field (400). Nothing changed then."""
    try:
        await call()
    except Refused as exc:
        space = await _space(reads, tenant, pair_id, _member(identity))
        return again(tenant, identity, space, errors=_refused(exc), status_code=409)
    except Problems as exc:
        return again(tenant, identity, space, errors=exc, status_code=400)
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": kind})
    return Redirect(_home(request, pair_id), status_code=303)


# --- ending -----------------------------------------------------------------------------------


@get("/pairs/{pair_id:uuid}/end", name="pair_end", opt=rule(MEMBER))
async def end_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
) -> Template:
    """Are you sure? (with the optional reason; the coordinator also says how it ended)."""
    space = await _space(reads, tenant, pair_id, _member(identity))
    return _page("pairs/end.html", tenant, identity, space)


@post("/pairs/{pair_id:uuid}/end", name="pair_end_post", opt=rule(MEMBER), status_code=303)
async def end_post(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    me = _member(identity)
    space = await _space(reads, tenant, pair_id, me)

    async def call() -> None:
        form = await read_form(request, EndForm)
        if space.is_party:
            await ending.end_by_party(
                db, tenant.id, me, pair_id, reason=form.reason, lock_version=form.lock_version
            )
        else:
            if form.kind is None:
                raise Problems([Problem(path="kind", message="Choose how the relationship ends")])
            await ending.coordinator_end(
                db,
                tenant.id,
                me,
                pair_id,
                kind=form.kind,
                reason=form.reason,
                lock_version=form.lock_version,
            )

    again = partial(_page, "pairs/end.html")
    return await _act(
        call, again, "ended", space, reads, tenant, identity, pair_id, request, aredis
    )


@get("/pairs/{pair_id:uuid}/remove", name="pair_remove", opt=rule(MEMBER))
async def remove_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
) -> Template:
    space = await _space(reads, tenant, pair_id, _member(identity))
    return _page("pairs/remove.html", tenant, identity, space)


@post("/pairs/{pair_id:uuid}/remove", name="pair_remove_post", opt=rule(MEMBER), status_code=303)
async def remove_post(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    me = _member(identity)
    space = await _space(reads, tenant, pair_id, me)

    async def call() -> None:
        form = await read_form(request, RemoveForm)
        await ending.remove(
            db, tenant.id, me, pair_id, reason=form.reason, lock_version=form.lock_version
        )

    again = partial(_page, "pairs/remove.html")
    return await _act(
        call, again, "removed", space, reads, tenant, identity, pair_id, request, aredis
    )


# --- extending --------------------------------------------------------------------------------


def _extension_page(
    tenant: Tenant,
    identity: Identity,
    space: Space,
    *,
    errors: Problems | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    zone = tenant_zone(tenant.jurisdiction)
    today = datetime.now(UTC).astimezone(zone).date()
    return _page(
        "pairs/extension.html",
        tenant,
        identity,
        space,
        errors=errors,
        values=values,
        status_code=status_code,
        examples=_examples(space, today),
    )


def _examples(space: Space, today: Any) -> list[tuple[int, Any]]:
    """The new end for a few lengths (the ones the scheme allows)."""
    out = []
    for months in (1, 2, 3, 6):
        try:
            out.append((months, ending.extension_until(space, months, today)))
        except Problems:
            continue
    return out


@get("/pairs/{pair_id:uuid}/extension", name="pair_extension", opt=rule(MEMBER))
async def extension_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
) -> Template:
    space = require_party(await _space(reads, tenant, pair_id, _member(identity)))
    return _extension_page(tenant, identity, space)


@post(
    "/pairs/{pair_id:uuid}/extension",
    name="pair_extension_post",
    opt=rule(MEMBER),
    status_code=303,
)
async def extension_post(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    me = _member(identity)
    space = require_party(await _space(reads, tenant, pair_id, me))

    async def call() -> None:
        form = await read_form(request, ExtensionForm)
        if form.months is None:
            raise Problems([Problem(path="months", message="Say by how many months to extend")])
        await ending.propose_extension(
            db, tenant.id, me, pair_id, months=form.months, lock_version=form.lock_version
        )

    return await _act(
        call, _extension_page, "proposed", space, reads, tenant, identity, pair_id, request, aredis
    )


async def _answer(
    action: Literal["agree", "decline", "withdraw"],
    tenant: Tenant,
    db: Any,
    reads: TenantReads,
    identity: Identity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: Any,
) -> Template | Response[Any]:
    me = _member(identity)
    require_party(await _space(reads, tenant, pair_id, me))
    do = {
        "agree": ending.agree_extension,
        "decline": ending.decline_extension,
        "withdraw": ending.withdraw_extension,
    }[action]
    try:
        form = await read_form(request, Versioned)
        await do(db, tenant.id, me, pair_id, lock_version=form.lock_version)
    except Refused as exc:
        space = await _space(reads, tenant, pair_id, me)
        return _extension_page(tenant, identity, space, errors=_refused(exc), status_code=409)
    except Problems as exc:
        space = await _space(reads, tenant, pair_id, me)
        problems = Problems([Problem(message=p.message) for p in exc.problems])
        return _extension_page(tenant, identity, space, errors=problems, status_code=409)
    kinds = {"agree": "agreed", "decline": "declined", "withdraw": "withdrawn"}
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": kinds[action]})
    return Redirect(_home(request, pair_id), status_code=303)


def _answer_route(action: Literal["agree", "decline", "withdraw"]) -> HTTPRouteHandler:
    """`POST /pairs/{pair_id}/extension/<action>` [pair_extension_<action>] (`_answer`)."""

    async def handler(
        tenant: CurrentTenant,
        db: DB,
        reads: TenantReads,
        identity: CurrentIdentity,
        pair_id: FromPath[uuid.UUID],
        request: AnyRequest,
        aredis: AsyncRedis,
    ) -> Template | Response[Any]:
        return await _answer(action, tenant, db, reads, identity, pair_id, request, aredis)

    handler.__name__ = handler.__qualname__ = "extension_" + action
    return post(
        "/pairs/{pair_id:uuid}/extension/" + action,
        name="pair_extension_" + action,
        opt=rule(MEMBER),
        status_code=303,
    )(handler)


extension_agree = _answer_route("agree")
extension_decline = _answer_route("decline")
extension_withdraw = _answer_route("withdraw")


ROUTES: list[HTTPRouteHandler] = [
    end_page,
    end_post,
    remove_page,
    remove_post,
    extension_page,
    extension_post,
    extension_agree,
    extension_decline,
    extension_withdraw,
]
