"""The privacy pages, on one router mounted on `/t/{tenant_slug}` (`app.py` adds `ROUTES`):

* `my_data` (GET /me/data, a member): what is held about them, in plain words, and the
  download button; `my_data_export` (POST /me/data/export): the ZIP (`data.json` and the
  documents they shared), written to a temporary file and streamed from it in chunks, so a
  large document is never held in memory;
* `admin_member_erase` (GET /admin/members/{id}/erase, a tenant admin): what erasing does,
  and the member's e-mail address to type as confirmation; `admin_member_erase_post`
  (POST): the erasure (`services.erase_member`), or the page again with why not.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import IO, Annotated, Any

import msgspec
from litestar import Router, get, post
from litestar.params import FromPath
from litestar.response import Stream, Template

from mentorhub.core.problems import Problem
from mentorhub.identity.guards import MEMBER, TENANT_ADMIN, rule
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import DEPENDENCIES, AnyRequest, Sessions
from mentorhub.pairs.storage import CHUNK
from mentorhub.pairs.views.documents import storage_of
from mentorhub.privacy import services
from mentorhub.privacy.export import member_of, overview, write_zip
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import EMAIL, FormErrors, field, read_form, rerender

__all__ = ["ROUTES", "tenant_router"]

ERASE_PAGE = "privacy/erase.html"


def _me(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


@get("/me/data", name="my_data", opt=rule(MEMBER))
async def my_data(tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity) -> Template:
    async with reads.tenant(tenant.id) as session:
        member = await member_of(session, _me(identity))
        sections = await overview(session, member)
    return Template(
        "privacy/my_data.html",
        context={"tenant": tenant, "identity": identity, "member": member, "sections": sections},
    )


async def _chunks(fh: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(fh.read, CHUNK):
            yield chunk
    finally:
        fh.close()


@post("/me/data/export", name="my_data_export", opt=rule(MEMBER), status_code=200)
async def my_data_export(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, request: AnyRequest
) -> Stream:
    gathered = await services.export_member(db, tenant.id, _me(identity))
    fh = tempfile.TemporaryFile()  # noqa: SIM115  (closed by _chunks once streamed)
    try:
        await write_zip(gathered, storage_of(request), fh)
        size = fh.tell()
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    day = datetime.now(UTC).date().isoformat()
    return Stream(
        _chunks(fh),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{tenant.slug}-my-data-{day}.zip"',
            "Content-Length": str(size),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


class EraseForm(msgspec.Struct, kw_only=True):
    """The member's e-mail address, typed as confirmation."""

    confirm_email: Annotated[
        str, field("The member's e-mail address", kind=EMAIL, max_length=320)
    ] = ""


def _erase_page(
    tenant: Any,
    identity: Identity,
    member: Member,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    context = {"tenant": tenant, "identity": identity, "member": member, **extra}
    if errors is not None:
        return rerender(ERASE_PAGE, context, errors, status_code=status_code)
    return Template(ERASE_PAGE, context=context, status_code=status_code)


@get("/admin/members/{member_id:uuid}/erase", name="admin_member_erase", opt=rule(TENANT_ADMIN))
async def admin_member_erase(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    member_id: FromPath[uuid.UUID],
) -> Template:
    async with reads.tenant(tenant.id) as session:
        member = await member_of(session, member_id)
    return _erase_page(tenant, identity, member)


@post(
    "/admin/members/{member_id:uuid}/erase",
    name="admin_member_erase_post",
    opt=rule(TENANT_ADMIN),
    status_code=200,
)
async def admin_member_erase_post(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    member_id: FromPath[uuid.UUID],
    request: AnyRequest,
    sessions: Sessions,
) -> Template:
    """The typed address must be the member's (any case); then the erasure, or the page
    again (400) saying why nothing changed. An erased member: "already erased"."""
    async with reads.tenant(tenant.id) as session:
        member = await member_of(session, member_id)
    if member.erased_at is None:
        try:
            form = await read_form(request, EraseForm)
        except FormErrors as errors:
            return _erase_page(tenant, identity, member, errors=errors, status_code=400)
        if form.confirm_email.strip().lower() != member.email.lower():
            problem = Problem(
                path="confirm_email",
                message=f"Type {member.display_name}'s e-mail address exactly, to confirm",
            )
            mismatch = FormErrors([problem], {"confirm_email": form.confirm_email})
            return _erase_page(tenant, identity, member, errors=mismatch, status_code=400)
    name = member.display_name
    try:
        done = await services.erase_member(
            db,
            tenant.id,
            member.id,
            actor=identity.email,
            actor_id=_me(identity),
            storage=storage_of(request),
            sessions=sessions,
        )
    except services.Refused as refused:
        said = FormErrors([Problem(message=str(refused))])
        return _erase_page(tenant, identity, member, errors=said, status_code=400)
    return Template(
        "privacy/erased.html",
        context={"tenant": tenant, "identity": identity, "done": done, "name": name},
    )


tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[my_data, my_data_export, admin_member_erase, admin_member_erase_post],
    dependencies=DEPENDENCIES,
)
ROUTES = [tenant_router]
