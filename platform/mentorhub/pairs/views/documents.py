"""The pair's documents (issue 15): `GET/POST /pairs/{pair_id}/documents` [pair_documents]
(the list, and sharing a file), `GET .../documents/{document_id}` [pair_document] (the
download) and `POST .../documents/{document_id}/remove` [pair_document_remove].

Only the pair's two people, and only where the scheme's `relationship.shared_space` lists
documents (`queries_chat.open_documents`: anyone else, and every other scheme, get the 404
page).

The upload is read from the multipart form here, not through `web.forms.read_form`: that
convention turns a file into its bytes with a size fixed per form class and drops the
file's name, while the limit here is the tenant's (`space.documents.max_mb`) and the name is
needed. The route's request body limit is the largest any scheme may set (100 MB) plus room
for the form around it (`BODY_LIMIT`); Litestar answers 413 above it. The file's true size
is taken from the spooled upload before anything is read, at most the tenant's limit plus
one byte is read, and the action (`services.documents.upload_document`) checks and sniffs
it before anything is stored.

The download is always an attachment: `Content-Disposition: attachment` with the name as
RFC 6266 `filename*` (UTF-8) and a plain ASCII `filename` fallback, the sniffed content type
(never what the browser said at upload), `X-Content-Type-Options: nosniff` and
`Content-Security-Policy: sandbox` (even opened in a tab it runs nothing and reaches
nothing), streamed from the storage in chunks.
"""

from __future__ import annotations

import os
import unicodedata
import uuid
from typing import Any
from urllib.parse import quote

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from mentorhub.applications.views.coordinator_common import page_context
from mentorhub.core.problems import Problem, Problems
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis, base
from mentorhub.pairs.access import Space
from mentorhub.pairs.queries_chat import document_for_download, documents_of, open_documents
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services.documents import MB, remove_document, upload_document
from mentorhub.pairs.sniff import EXTENSIONS, LABELS
from mentorhub.pairs.storage import Missing, Storage, storage_from
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, rerender
from mentorhub.web.reads import RequestReads

PAGE = "pairs/documents.html"
CONFLICT = 409
#: The largest upload any scheme allows (max_mb ≤ 100) plus room for the form around it.
BODY_LIMIT = 100 * MB + MB
_STATE_KEY = "pair_documents_storage"


def _me(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


def storage_of(request: AnyRequest) -> Storage:
    """The app's document storage, made once from its settings (an S3 client is costly)."""
    state = request.app.state
    found = state.get(_STATE_KEY)
    if found is None:
        found = storage_from(state.settings)
        state[_STATE_KEY] = found
    return found  # type: ignore[no-any-return]


def size_words(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{round(n / 1024)} KB"
    return f"{n} bytes"


def _accept(space: Space) -> str:
    """The file input's `accept`: the extensions of the scheme's types."""
    types = set(space.scheme.space.documents.types)
    return ",".join(f".{ext}" for ext, kind in EXTENSIONS.items() if kind in types)


async def _context(
    reads: RequestReads, tenant: Tenant, identity: Identity, pair_id: uuid.UUID, **extra: Any
) -> dict[str, Any]:
    async with reads.tenant(tenant.id) as session:
        space = await open_documents(session, pair_id, _me(identity))
        documents = await documents_of(session, space)
    settings = space.scheme.space.documents
    return page_context(
        tenant,
        identity,
        space=space,
        current="documents",
        documents=documents,
        max_mb=settings.max_mb,
        type_words=[LABELS[t] for t in settings.types],
        accept=_accept(space),
        size_words=size_words,
        **extra,
    )


@get("/pairs/{pair_id:uuid}/documents", name="pair_documents", opt=rule(MEMBER))
async def documents(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    ctx = await _context(reads, tenant, identity, pair_id, notice=(notice or {}).get("text"))
    return Template(PAGE, context=ctx)


def _file_problem(message: str) -> FormErrors:
    return FormErrors([Problem(path="file", message=message)])


@post(
    "/pairs/{pair_id:uuid}/documents",
    name="pair_documents_upload",
    opt=rule(MEMBER),
    request_max_body_size=BODY_LIMIT,
)
async def upload(
    tenant: CurrentTenant,
    reads: TenantReads,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    ctx = await _context(reads, tenant, identity, pair_id)  # 404 before reading any file
    space: Space = ctx["space"]
    limit = space.scheme.space.documents.max_mb * MB
    form = await request.form()
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not (sent.filename or "").strip():
        return rerender(PAGE, ctx, _file_problem("Choose a file to upload"))
    try:
        size = sent.file.seek(0, os.SEEK_END)
        sent.file.seek(0)
        data = b"" if size > limit else await sent.read(limit + 1)
        filename = sent.filename
    finally:
        await sent.close()
    try:
        document = await upload_document(
            db,
            storage_of(request),
            tenant.id,
            _me(identity),
            pair_id,
            filename=filename,
            data=data,
            size=size,
        )
    except Problems as problems:
        return rerender(PAGE, ctx, FormErrors(problems.problems))
    except Refused as exc:
        refusal = Problems([Problem(message=f"{exc} The file was not shared.")])
        return rerender(PAGE, ctx, refusal, status_code=CONFLICT)
    other = space.other.display_name if space.other else "the other person"
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {"kind": "documents", "text": f"{document.filename} is shared with {other}."},
    )
    return Redirect(f"{base(request)}/pairs/{pair_id}/documents", status_code=303)


def _ascii_name(name: str) -> str:
    """A plain ASCII stand-in for old clients: accents dropped, anything else '_'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = "".join(c if c.isalnum() or c in " ._-()" else "_" for c in plain).strip()
    return cleaned if cleaned.strip("._ ") else "document"


def content_disposition(name: str) -> str:
    """RFC 6266: attachment, with the UTF-8 name (RFC 8187) and an ASCII fallback."""
    return (
        f'attachment; filename="{_ascii_name(name)}"; '
        f"filename*=UTF-8''{quote(name, safe='!#$&+-.^_`|~')}"
    )


@get("/pairs/{pair_id:uuid}/documents/{document_id:uuid}", name="pair_document", opt=rule(MEMBER))
async def download(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    document_id: FromPath[uuid.UUID],
    request: AnyRequest,
) -> Stream:
    async with reads.tenant(tenant.id) as session:
        space = await open_documents(session, pair_id, _me(identity))
        document = await document_for_download(session, space, document_id)
    try:
        chunks = await storage_of(request).open(document.storage_key)
    except Missing:
        raise NotFound("document") from None
    return Stream(
        chunks,
        media_type=document.content_type,
        headers={
            "Content-Disposition": content_disposition(document.filename),
            "Content-Length": str(document.size_bytes),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


@post(
    "/pairs/{pair_id:uuid}/documents/{document_id:uuid}/remove",
    name="pair_document_remove",
    opt=rule(MEMBER),
)
async def remove(
    tenant: CurrentTenant,
    reads: TenantReads,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    document_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    try:
        document = await remove_document(
            db, storage_of(request), tenant.id, _me(identity), pair_id, document_id
        )
    except Refused as exc:
        ctx = await _context(reads, tenant, identity, pair_id)
        refusal = Problems([Problem(message=f"{exc} Nothing was changed.")])
        return rerender(PAGE, ctx, refusal, status_code=CONFLICT)
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {"kind": "documents", "text": f"{document.filename} was removed."},
    )
    return Redirect(f"{base(request)}/pairs/{pair_id}/documents", status_code=303)


ROUTES: list[HTTPRouteHandler] = [documents, upload, download, remove]
