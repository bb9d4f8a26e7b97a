"""The tenant admin's scheme pages (issue 17, point 3), every one `rule(TENANT_ADMIN)`:

* `GET /admin/scheme` [admin_scheme]: the current version (number, when, by whom or which
  file, what it changed), the rules in words (`schemes.describe`), every stored version with
  the pairs running on it, links to download, edit and upload.
* `GET /admin/scheme/v{version}.toml` [admin_scheme_toml]: a stored version as a tenant file
  (`[tenant]`, `[scheme]`, the current `[messages.<kind>]`), the format the upload reads.
  (Litestar's path parameters are whole segments, so the route takes the file name
  `v<n>.toml` as one parameter and refuses any other name with 404.)
* `GET/POST /admin/scheme/edit` [admin_scheme_edit, admin_scheme_edit_post]: the form of the
  common rules (`admin.scheme_edit`), prefilled from the current version. A POST stores
  nothing: the values are checked, then the whole document by the scheme engine; problems →
  the form again (400) with the error summary linking to the fields; else the preview.
* `GET/POST /admin/scheme/upload` [admin_scheme_upload, admin_scheme_upload_post]: a tenant
  file; bad UTF-8 or TOML, another tenant's slug or an invalid scheme → its problems with
  their key paths (400); else the preview. The file's `[tenant]` table is checked but not
  applied (branding is the settings page's); its version number is ignored.
* The preview (the answer of either POST): the changes by key path (old → new, added,
  removed), what it means for existing pairs (nothing: they keep their version), and the
  confirm form carrying the proposal signed (`scheme_edit.seal_proposal`).
* `POST /admin/scheme/confirm` [admin_scheme_confirm]: stores version current + 1
  (`admin.services.store_scheme_version`); a changed proposal → 400, a proposal made against
  an older version → 409 "review again"; nothing stored either way. Success: 303 to the
  scheme page with a notice.
"""

from __future__ import annotations

import re
import tomllib
from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.admin import queries as q
from mentorhub.admin import scheme_edit as se
from mentorhub.admin.services import StaleScheme, store_scheme_version
from mentorhub.admin.views._common import actor_id, back_with_notice, form_page
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity.guards import TENANT_ADMIN, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AppSettings, AsyncRedis, secret_key
from mentorhub.schemes.describe import describe
from mentorhub.schemes.errors import SchemeError
from mentorhub.schemes.loader import parse_tenant_file, scheme_document
from mentorhub.schemes.messages import check_messages
from mentorhub.schemes.rules import Branding
from mentorhub.schemes.validate import parse_scheme
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, field, read_form, rerender

PAGE = "/admin/scheme"
FORM_SOURCE = "the scheme form"
UPLOAD_SOURCE = "an uploaded tenant file"
UPLOAD_MAX = 1024 * 1024
SUMMARY_MAX = 500


class UploadForm(msgspec.Struct, kw_only=True):
    scheme_file: Annotated[bytes, field("Tenant file", max_length=UPLOAD_MAX, required=True)]


class ConfirmForm(msgspec.Struct, kw_only=True):
    proposal: Annotated[str, field("Proposal", max_length=se.MAX_SEALED, required=True)]
    summary: Annotated[str, field("What changed", kind=TEXT, max_length=SUMMARY_MAX)] = ""


def _context(tenant: Tenant, identity: Identity, **extra: Any) -> dict[str, Any]:
    return {"tenant": tenant, "identity": identity, "errors": None, "values": {}, **extra}


async def _current(reads: Any, tenant: Tenant) -> q.Current:
    found = await q.current(reads, tenant.id)
    if found is None:  # every tenant is created with a scheme; none: nothing to show
        raise NotFoundException()
    return found


# --- the scheme page ------------------------------------------------------------------------


@get(PAGE, name="admin_scheme", opt=rule(TENANT_ADMIN))
async def admin_scheme(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    current = await _current(reads, tenant)
    scheme = parse_scheme(current.document, f"stored version {current.version}")
    return Template(
        "admin/scheme.html",
        context=_context(
            tenant,
            identity,
            current=current,
            sections=describe(scheme),
            versions=await q.versions(reads, tenant.id),
            notice=await flash.take(aredis, request, TENANT_COOKIE),
        ),
    )


_FILE = re.compile(r"v([0-9]{1,9})\.toml")


@get(PAGE + "/{filename:str}", name="admin_scheme_toml", opt=rule(TENANT_ADMIN))
async def admin_scheme_toml(
    tenant: CurrentTenant, reads: TenantReads, filename: FromPath[str]
) -> Response[str]:
    """Version `v<n>.toml` as a tenant file, with the tenant's current wording."""
    match = _FILE.fullmatch(filename)
    if match is None:
        raise NotFoundException()
    version = int(match.group(1))
    document = await q.document_of(reads, tenant.id, version)
    current = await q.current(reads, tenant.id)
    if document is None or current is None:
        raise NotFoundException()
    branding = {k: v for k, v in (tenant.branding or {}).items() if k in Branding.__struct_fields__}
    branding.setdefault("scheme_name", tenant.name)
    info = {
        "slug": tenant.slug,
        "name": tenant.name,
        "jurisdiction": tenant.jurisdiction,
        # The routed (verified) names; a tenant with none yet lists those it was given.
        "hostnames": tenant.hostnames or sorted(d.hostname for d in tenant.domains),
        "branding": branding,
    }
    return Response(
        se.tenant_toml(info, document, current.messages),
        media_type="application/toml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{tenant.slug}-v{version}.toml"',
            "Cache-Control": "no-store",
        },
    )


# --- the form -------------------------------------------------------------------------------


def _form_page(
    tenant: Tenant,
    identity: Identity,
    current: q.Current,
    values: dict[str, str],
    errors: Problems | None = None,
    *,
    status_code: int = 400,
    stale: bool = False,
) -> Template:
    context = _context(
        tenant,
        identity,
        current=current,
        groups=se.form_groups(current.document),
        stale=stale,
    )
    return form_page("admin/scheme_edit.html", context, values, errors, status_code=status_code)


@get(PAGE + "/edit", name="admin_scheme_edit", opt=rule(TENANT_ADMIN))
async def admin_scheme_edit(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity
) -> Template:
    current = await _current(reads, tenant)
    values = se.form_values(current.document, current.messages)
    return _form_page(tenant, identity, current, values)


def _labels(document: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for g in se.form_groups(document):
        out[g.key] = g.heading
        for f in g.fields:
            out[f.key] = f.label
    return out


def _in_context(problems: list[Problem], document: dict[str, Any]) -> list[Problem]:
    """Each problem at a field of one checkpoint, question or message named with it too
    ("Checkpoint: Review at 6 months — Opens (days before it is due) must be …"): the
    summary lists problems of many fields with the same label."""
    headings = {
        f.key: g.heading
        for g in se.form_groups(document)
        if g.section not in ("duration", "meetings", "matching")
        for f in g.fields
    }
    return [
        Problem(path=p.path, message=f"{headings[p.path]} — {p.message}")
        if p.path in headings
        else p
        for p in problems
    ]


def _at_fields(
    problems: list[Problem], document: dict[str, Any], posted: dict[str, str]
) -> list[Problem]:
    """The scheme engine's problems, each at the form field (or fieldset) it concerns and
    named by its label, so the summary reads "Longest meeting (minutes): must be …"
    (`posted`: what the form removed and added, for questions that moved)."""
    labels = _labels(document)
    out: list[Problem] = []
    for p in problems:
        key = se.field_for(p.path, document, posted)
        where = labels.get(key) or p.path.removeprefix("scheme.") or "The scheme"
        out.append(Problem(path=key, message=f"{where}: {p.message}"))
    return out


def _messages_found(messages: dict[str, dict[str, str]]) -> list[Problem]:
    return [Problem(path=p, message=m) for p, m in check_messages(se.texts_of(messages))]


@post(PAGE + "/edit", name="admin_scheme_edit_post", opt=rule(TENANT_ADMIN), status_code=200)
async def admin_scheme_edit_post(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    settings: AppSettings,
) -> Template:
    current = await _current(reads, tenant)
    form = await request.form()
    posted: dict[str, str] = {}
    for key, value in form.multi_items():
        # Each field is one value; the first wins (as the house forms read single fields).
        if isinstance(value, str) and key not in posted:
            posted[key] = value
    shown = {k: v[:5000] for k, v in posted.items() if k != "_csrf_token"}
    base_version = posted.get("base_version", "")
    if base_version != str(current.version):
        problem = Problem(
            message=f"The scheme changed since you started (it is now version "
            f"{current.version}): review the form again; nothing was stored."
        )
        values = se.form_values(current.document, current.messages)
        return _form_page(
            tenant, identity, current, values, Problems([problem]), status_code=409, stale=True
        )
    # A value that cannot be read keeps the rule's current value for the engine's check, so
    # one round shows the form's problems and the engine's together.
    document, messages, found = se.apply_form(current.document, current.messages, posted)
    document["version"] = current.version + 1
    unread = {p.path for p in found}
    engine: list[Problem] = []
    try:
        parse_scheme(document, FORM_SOURCE)
    except SchemeError as exc:
        engine += _at_fields(exc.problems, current.document, posted)
    engine += _at_fields(_messages_found(messages), current.document, posted)
    found += [p for p in engine if p.path not in unread]
    found = _in_context(found, current.document)
    if found:
        return _form_page(tenant, identity, current, shown, FormErrors(found))
    changes = se.diff(current.document, document, current.messages, messages)
    if not changes:
        problem = Problem(message="You changed nothing: there is no new version to store.")
        return _form_page(tenant, identity, current, shown, Problems([problem]))
    proposal = se.Proposal(current.version, document, messages, FORM_SOURCE, changes)
    return await _preview(tenant, reads, identity, settings, current, proposal, "edit")


# --- upload ---------------------------------------------------------------------------------


@get(PAGE + "/upload", name="admin_scheme_upload", opt=rule(TENANT_ADMIN))
async def admin_scheme_upload(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity
) -> Template:
    current = await _current(reads, tenant)
    return Template("admin/scheme_upload.html", context=_context(tenant, identity, current=current))


def _read_upload(data: bytes, tenant: Tenant, version: int) -> tuple[Any, list[Problem]]:
    """The uploaded tenant file, checked, or its problems (each linked to the file field,
    its key path in the message)."""

    def at_file(message: str) -> list[Problem]:
        return [Problem(path="scheme_file", message=message)]

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, at_file("The file must be text in UTF-8 (a .toml tenant file)")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, at_file(f"The file is not valid TOML: {exc}")
    found: list[Problem] = []
    slug = raw.get("tenant", {}).get("slug") if isinstance(raw.get("tenant"), dict) else None
    if isinstance(slug, str) and slug != tenant.slug:
        found += at_file(
            f"tenant.slug: the file is for “{slug}”, not for this association (“{tenant.slug}”)"
        )
    if isinstance(raw.get("scheme"), dict):
        raw["scheme"]["version"] = version  # the server numbers versions
    try:
        parsed = parse_tenant_file(raw, UPLOAD_SOURCE)
    except SchemeError as exc:
        found += [
            Problem(path="scheme_file", message=f"{p.path}: {p.message}" if p.path else p.message)
            for p in exc.problems
        ]
        return None, found
    return (parsed if not found else None), found


@post(PAGE + "/upload", name="admin_scheme_upload_post", opt=rule(TENANT_ADMIN), status_code=200)
async def admin_scheme_upload_post(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    settings: AppSettings,
) -> Template:
    current = await _current(reads, tenant)
    context = _context(tenant, identity, current=current)
    try:
        upload = await read_form(request, UploadForm)
    except FormErrors as errors:
        return rerender("admin/scheme_upload.html", context, errors)
    parsed, problems = _read_upload(upload.scheme_file, tenant, current.version + 1)
    if parsed is None:
        return rerender("admin/scheme_upload.html", context, FormErrors(problems))
    document = scheme_document(parsed.scheme)
    messages = se.messages_of(parsed.messages)
    changes = se.diff(current.document, document, current.messages, messages)
    if not changes:
        problem = Problem(
            path="scheme_file",
            message="The file's rules and wording are the current version's: nothing to store.",
        )
        return rerender("admin/scheme_upload.html", context, FormErrors([problem]))
    proposal = se.Proposal(current.version, document, messages, UPLOAD_SOURCE, changes)
    return await _preview(tenant, reads, identity, settings, current, proposal, "upload")


# --- preview and confirm --------------------------------------------------------------------


async def _preview(
    tenant: Tenant,
    reads: Any,
    identity: Identity,
    settings: Any,
    current: q.Current,
    proposal: se.Proposal,
    origin: str,
) -> Template:
    counts = await q.pairs_by_version(reads, tenant.id)
    return Template(
        "admin/scheme_preview.html",
        context=_context(
            tenant,
            identity,
            current=current,
            changes=proposal.changes,
            impact=se.impact(counts, current.version),
            sealed=se.seal_proposal(secret_key(settings), tenant.id, proposal),
            summary=se.summary_of(proposal.changes),
            origin=origin,
            next_version=current.version + 1,
        ),
    )


def _refused(
    tenant: Tenant, identity: Identity, title: str, problems: list[Problem], status: int
) -> Template:
    return Template(
        "admin/scheme_refused.html",
        context=_context(tenant, identity, title=title, problems=problems),
        status_code=status,
    )


@post(PAGE + "/confirm", name="admin_scheme_confirm", opt=rule(TENANT_ADMIN), status_code=200)
async def admin_scheme_confirm(
    tenant: CurrentTenant,
    reads: TenantReads,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    settings: AppSettings,
    aredis: AsyncRedis,
) -> Template | Redirect:
    try:
        form = await read_form(request, ConfirmForm)
    except FormErrors as errors:
        return _refused(tenant, identity, "Nothing was stored", errors.problems, 400)
    proposal = se.open_proposal(secret_key(settings), tenant.id, form.proposal)
    if proposal is None:
        problem = Problem(
            message="The proposed scheme was changed on its way back or is not this "
            "association's. Edit or upload it again."
        )
        return _refused(tenant, identity, "Nothing was stored", [problem], 400)
    current = await _current(reads, tenant)
    changes = se.diff(current.document, proposal.document, current.messages, proposal.messages)
    summary = form.summary or se.summary_of(changes)
    try:
        version = await store_scheme_version(
            db,
            tenant.id,
            actor_id(identity),
            identity.email,
            proposal.document,
            proposal.source,
            summary,
            base_version=proposal.base_version,
            messages=proposal.messages,
            changes=changes,
        )
    except StaleScheme as exc:
        problem = Problem(
            message=f"The scheme changed since you started (it is now version {exc.current}); "
            "review again."
        )
        return _refused(tenant, identity, "Nothing was stored", [problem], 409)
    except SchemeError as exc:
        return _refused(tenant, identity, "Nothing was stored", list(exc.problems), 400)
    return await back_with_notice(
        aredis, request, PAGE, {"kind": "scheme_stored", "version": version}
    )


ROUTES = [
    admin_scheme,
    admin_scheme_toml,
    admin_scheme_edit,
    admin_scheme_edit_post,
    admin_scheme_upload,
    admin_scheme_upload_post,
    admin_scheme_confirm,
]
