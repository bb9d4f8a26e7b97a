"""The tenant admin's settings pages (issue 17, point 3), mounted on `/t/{tenant_slug}`:

* `GET /admin/settings` [admin_settings]: the association's name, scheme name, colours and
  contact addresses in one form, and the logo (shown, replaced, removed).
* `POST /admin/settings` [admin_settings_save]: `settings_services.save_settings`. A problem
  with the input (a colour whose contrast is below WCAG AA, a help page that is not https):
  400, the form again with each message at its field, nothing changed. A form opened before
  someone else saved: 409, the form with what is stored now. Saved: 303 and a notice.
* `POST /admin/settings/logo` [admin_logo_upload] (multipart): a PNG or JPEG by its bytes,
  at most 1 MB, of reasonable dimensions (`admin.logo`); anything else: 400 with the reason,
  nothing changed. `POST /admin/settings/logo/remove` [admin_logo_remove].
* `GET /logo/{sha}` [tenant_logo], public: the stored logo's bytes with its stored type,
  cached for a year (`immutable`: a new logo has a new address), `nosniff`; any other
  address 404.

Every page but the logo's carries `rule(TENANT_ADMIN)`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Response, Template

from mentorhub.admin import settings_queries as q
from mentorhub.admin import settings_services as services
from mentorhub.admin.logo import MAX_BYTES, MAX_SIDE, MIN_SIDE, LogoProblem
from mentorhub.admin.views._common import actor_id, back_with_notice, form_page
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity.guards import PUBLIC, TENANT_ADMIN, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import EMAIL, NAME, URL, FormErrors, field, read_form

PAGE = "/admin/settings"
TEMPLATE = "admin/settings.html"
LOGO_CACHE = "public, max-age=31536000, immutable"
_SHA = re.compile(r"[0-9a-f]{64}")

#: The fields in words, for the notice after a save.
FIELD_WORDS = {
    "name": "association name",
    "scheme_name": "scheme name",
    "primary_color": "primary colour",
    "accent_color": "accent colour",
    "contact_email": "contact e-mail",
    "contact_phone": "contact phone",
    "privacy_email": "data protection e-mail",
    "help_url": "help page",
}


class SettingsForm(msgspec.Struct, kw_only=True):
    name: Annotated[str, field("Association name", kind=NAME, max_length=200, required=True)]
    scheme_name: Annotated[str, field("Scheme name", kind=NAME, max_length=200, required=True)]
    primary_color: Annotated[str, field("Primary colour", max_length=20, required=True)]
    accent_color: Annotated[str, field("Accent colour", max_length=20, required=True)]
    contact_email: Annotated[str, field("Contact e-mail", kind=EMAIL)] = ""
    contact_phone: Annotated[str, field("Contact phone", max_length=40)] = ""
    privacy_email: Annotated[str, field("Data protection e-mail", kind=EMAIL)] = ""
    help_url: Annotated[str, field("Help page", kind=URL, max_length=500)] = ""
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)]


class LogoUpload(msgspec.Struct, kw_only=True):
    logo: Annotated[bytes, field("Logo", max_length=MAX_BYTES, required=True)]


async def _page(
    tenant: Tenant,
    reads: TenantReads,
    identity: Identity,
    *,
    errors: Problems | None = None,
    values: dict[str, Any] | None = None,
    status_code: int | None = None,
    notice: dict[str, Any] | None = None,
    stale: bool = False,
) -> Template:
    async with reads.tenant(tenant.id) as session:
        current = await q.settings_of(session)
    context = {
        "tenant": tenant,
        "identity": identity,
        "current": current,
        "notice": notice,
        "stale": stale,
        "FIELD_WORDS": FIELD_WORDS,
        "max_side": MAX_SIDE,
        "min_side": MIN_SIDE,
    }
    shown = {**current.form_values(), **(values or {})}
    return form_page(TEMPLATE, context, shown, errors, status_code=status_code or 400)


@get(PAGE, name="admin_settings", opt=rule(TENANT_ADMIN))
async def admin_settings(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return await _page(tenant, reads, identity, notice=notice)


@post(PAGE, name="admin_settings_save", opt=rule(TENANT_ADMIN), status_code=303)
async def admin_settings_save(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    """Save the settings (one action); see the module for the answers."""
    try:
        form = await read_form(request, SettingsForm)
    except FormErrors as errors:
        return await _page(tenant, reads, identity, errors=errors, values=errors.values)
    change = services.SettingsChange(**msgspec.structs.asdict(form))
    typed = msgspec.structs.asdict(form)
    try:
        changed = await services.save_settings(
            db, tenant.id, change, actor=identity.email, actor_id=actor_id(identity)
        )
    except Problems as exc:
        return await _page(tenant, reads, identity, errors=exc, values=typed)
    except services.SettingsStale:
        problem = Problem(
            message="Someone else saved these settings after you opened this page, so yours "
            "were not saved. The form now shows what is stored: make your changes again."
        )
        return await _page(
            tenant, reads, identity, errors=Problems([problem]), status_code=409, stale=True
        )
    return await back_with_notice(aredis, request, PAGE, {"kind": "settings", "changed": changed})


@post(f"{PAGE}/logo", name="admin_logo_upload", opt=rule(TENANT_ADMIN), status_code=303)
async def admin_logo_upload(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    """Store the uploaded logo; a file that is not one: 400, the reason at the field."""
    try:
        upload = await read_form(request, LogoUpload)
        stored = await services.upload_logo(
            db, tenant.id, upload.logo, actor=identity.email, actor_id=actor_id(identity)
        )
    except FormErrors as errors:
        return await _page(tenant, reads, identity, errors=errors)
    except LogoProblem as exc:
        return await _page(
            tenant, reads, identity, errors=Problems([Problem(path="logo", message=exc.message)])
        )
    notice = {"kind": "logo", "what": "uploaded" if stored else "same"}
    return await back_with_notice(aredis, request, PAGE, notice)


@post(f"{PAGE}/logo/remove", name="admin_logo_remove", opt=rule(TENANT_ADMIN), status_code=303)
async def admin_logo_remove(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any]:
    removed = await services.remove_logo(
        db, tenant.id, actor=identity.email, actor_id=actor_id(identity)
    )
    notice = {"kind": "logo", "what": "removed" if removed else "none"}
    return await back_with_notice(aredis, request, PAGE, notice)


@get("/logo/{sha:str}", name="tenant_logo", opt=rule(PUBLIC))
async def tenant_logo(
    tenant: CurrentTenant, reads: TenantReads, sha: FromPath[str]
) -> Response[bytes]:
    """The logo by its SHA-256 (the address changes with the logo, so it is cached for a
    year); unknown: 404."""
    if not _SHA.fullmatch(sha):
        raise NotFoundException()
    async with reads.tenant(tenant.id) as session:
        found = await q.logo_of(session, sha)
    if found is None:
        raise NotFoundException()
    data, content_type = found
    return Response(
        content=data,
        media_type=content_type,
        headers={"Cache-Control": LOGO_CACHE, "X-Content-Type-Options": "nosniff"},
    )


ROUTES: list[HTTPRouteHandler] = [
    admin_settings,
    admin_settings_save,
    admin_logo_upload,
    admin_logo_remove,
    tenant_logo,
]
