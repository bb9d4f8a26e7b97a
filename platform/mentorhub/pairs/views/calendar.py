"""A member's meetings calendar (issue 15): `GET/POST /calendar` [my_calendar /
my_calendar_change] — make the secret subscription address (shown once, on the page the
POST answers with: only its hash is kept), make a new one (the old stops working) or turn
it off — and the feed itself, `GET /calendar/{secret}.ics` [calendar_feed], public by rule
(calendar programs carry no session): the secret is the permission. An unknown, revoked or
malformed secret answers 404, the same for each. The feed answers `Cache-Control: private`
(a shared cache must not keep one person's meetings) with a short max-age, and an ETag: a
calendar program asking again with `If-None-Match` gets 304 while nothing changed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Response, Template

from mentorhub.applications.views.coordinator_common import page_context
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import MEMBER, PUBLIC, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, base, origin
from mentorhub.pairs.services import calendar as feeds
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, choice, read_form, rerender

PAGE = "pairs/calendar.html"


class FeedForm(msgspec.Struct, kw_only=True):
    action: Annotated[
        Literal["create", "revoke"],
        choice("Choose to make a link or to turn the calendar off", label="Action"),
    ]


def _member(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


async def _context(db: Any, tenant: Tenant, identity: Identity, **extra: Any) -> dict[str, Any]:
    async with db.tenant(tenant.id) as session:
        state = await feeds.feed_state(session, _member(identity))
    return page_context(tenant, identity, feed=state, **extra)


@get("/calendar", name="my_calendar", opt=rule(MEMBER))
async def my_calendar(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity
) -> Template:
    """Whether the member has a live feed; the buttons to make one or turn it off."""
    return Template(PAGE, context=await _context(reads, tenant, identity, new_url=None))


@post("/calendar", name="my_calendar_change", opt=rule(MEMBER))
async def my_calendar_change(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, request: AnyRequest
) -> Template:
    """Make a new secret address (shown on this answer only) or turn the feed off."""
    try:
        form = await read_form(request, FeedForm)
    except FormErrors as errors:
        context = await _context(db, tenant, identity, new_url=None)
        return rerender(PAGE, context, errors)
    new_url = None
    notice = None
    if form.action == "create":
        token = await feeds.create_feed(db, tenant.id, _member(identity))
        new_url = f"{origin(request)}{base(request)}/calendar/{token}.ics"
    else:
        revoked = await feeds.revoke_feed(db, tenant.id, _member(identity))
        notice = (
            "Your calendar link is turned off: calendars subscribed to it no longer get "
            "your meetings."
            if revoked
            else "You had no calendar link."
        )
    context = await _context(db, tenant, identity, new_url=new_url, notice=notice)
    return Template(PAGE, context=context, headers={"Cache-Control": "no-store"})


@get("/calendar/{token:str}", name="calendar_feed", opt=rule(PUBLIC))
async def calendar_feed(
    tenant: CurrentTenant, reads: TenantReads, token: FromPath[str], request: AnyRequest
) -> Response[str]:
    """The feed for a live secret (`<secret>.ics`); 404 for anything else; 304 when the
    calendar program already has this version (`If-None-Match`)."""
    if not token.endswith(".ics"):
        raise NotFound("calendar")
    async with reads.tenant(tenant.id) as session:
        body = await feeds.feed_for_token(session, tenant, token.removesuffix(".ics"))
    if body is None:
        raise NotFound("calendar")
    headers = {
        "Cache-Control": "private, max-age=300",
        "ETag": body.etag,
        "X-Robots-Tag": "noindex",
    }
    if _matches(request.headers.get("if-none-match", ""), body.etag):
        return Response("", status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="meetings.ics"'
    # The media type without a charset: Litestar adds "; charset=utf-8" to text/* itself.
    return Response(body.text, media_type="text/calendar", headers=headers)


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match header names this tag (weak comparison, RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(t.strip().removeprefix("W/") == etag for t in if_none_match.split(","))


ROUTES: list[HTTPRouteHandler] = [my_calendar, my_calendar_change, calendar_feed]
