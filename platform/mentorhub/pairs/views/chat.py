"""The pair's chat, `GET/POST /pairs/{pair_id}/chat` [pair_chat] (issue 15).

Only the pair's two people, and only where the scheme's `relationship.shared_space` lists
chat (`queries_chat.open_chat`: anyone else, and every other scheme, get the 404 page).

GET shows the newest 50 messages, oldest first, with "Older messages" (`?before=<id>`,
keyset paging) and the other person's messages the viewer had not seen marked "New".
Opening the newest page marks the chat read up to its newest message: after its reads the
page calls the small action `services.chat.mark_chat_read` (its own transaction; only
when something was unread) — the pragmatic choice written down in that module.

POST sends a message (a plain form post; no script needed): 303 back to the chat, or the
page again with the problem at the message box (400), or the read-only refusal after the
end (409). The page works without JavaScript; it has no polling — "Check for new messages"
reloads it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.applications.views.coordinator_common import page_context
from mentorhub.core.problems import Problem, Problems
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, base
from mentorhub.pairs.access import ReadOnly
from mentorhub.pairs.queries_chat import chat_page, open_chat
from mentorhub.pairs.services.chat import MESSAGE_MAX, mark_chat_read, post_message
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, field, read_form, read_query, rerender
from mentorhub.web.reads import RequestReads

PAGE = "pairs/chat.html"
CONFLICT = 409


class ChatForm(msgspec.Struct, kw_only=True):
    body: Annotated[str, field("Message", kind=TEXT, max_length=MESSAGE_MAX)] = ""


class ChatQuery(msgspec.Struct, kw_only=True):
    before: Annotated[str, field("Older than", max_length=36)] = ""


def _me(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


async def _context(
    reads: RequestReads,
    tenant: Tenant,
    identity: Identity,
    pair_id: FromPath[uuid.UUID],
    before: uuid.UUID | None = None,
    **extra: Any,
) -> dict[str, Any]:
    async with reads.tenant(tenant.id) as session:
        space = await open_chat(session, pair_id, _me(identity))
        page = await chat_page(session, space, before=before)
    return page_context(
        tenant,
        identity,
        space=space,
        current="chat",
        page=page,
        MESSAGE_MAX=MESSAGE_MAX,
        **extra,
    )


@get("/pairs/{pair_id:uuid}/chat", name="pair_chat", opt=rule(MEMBER))
async def chat(
    tenant: CurrentTenant,
    reads: TenantReads,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
) -> Template:
    try:
        query = read_query(request, ChatQuery)
        before = uuid.UUID(query.before) if query.before else None
    except (FormErrors, ValueError):
        raise NotFound("message") from None
    ctx = await _context(reads, tenant, identity, pair_id, before)
    page = ctx["page"]
    if page.latest and page.newest_at is not None and any(line.new for line in page.lines):
        await mark_chat_read(db, tenant.id, _me(identity), pair_id, up_to=page.newest_at)
    return Template(PAGE, context=ctx)


@post("/pairs/{pair_id:uuid}/chat", name="pair_chat_post", opt=rule(MEMBER))
async def send_message(
    tenant: CurrentTenant,
    reads: TenantReads,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
) -> Template | Redirect:
    form: ChatForm | None = None
    try:
        form = await read_form(request, ChatForm)
        await post_message(db, tenant.id, _me(identity), pair_id, form.body)
    except FormErrors as form_errors:
        return rerender(PAGE, await _context(reads, tenant, identity, pair_id), form_errors)
    except Problems as problems:
        shown = FormErrors(problems.problems, {"body": form.body if form else ""})
        return rerender(PAGE, await _context(reads, tenant, identity, pair_id), shown)
    except ReadOnly as exc:
        refusal = Problems([Problem(message=f"{exc} Your message was not sent.")])
        return rerender(
            PAGE, await _context(reads, tenant, identity, pair_id), refusal, status_code=CONFLICT
        )
    return Redirect(f"{base(request)}/pairs/{pair_id}/chat#latest", status_code=303)


ROUTES: list[HTTPRouteHandler] = [chat, send_message]
