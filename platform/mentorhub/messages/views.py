"""A member's notifications (every message addressed to them, newest first, unread count in
the navigation, mark read) and turning reminders off (RFC 8058 one-click unsubscribe).

Mounted on `/t/{tenant_slug}`; `app.py` composes `ROUTES` and sets `count_unread` as the
application's `before_request` hook, which puts the signed-in member's unread count in the
request's state for the navigation.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from mentorhub.identity.guards import MEMBER, PUBLIC, rule
from mentorhub.messages import services
from mentorhub.settings import get_settings
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant
from mentorhub.web.reads import request_reads

UNREAD_KEY = "unread_notifications"
#: The largest message id (a bigint); a larger number in an address names nothing.
MAX_ID = 2**63 - 1


def _base(request: Request[Any, Any, Any]) -> str:
    return request.scope["state"].get("tenant_base") or ""


def _member_id(identity: Any) -> uuid.UUID:
    return uuid.UUID(str(identity.member_id))


async def count_unread(request: Request[Any, Any, Any]) -> None:
    """For the navigation: the signed-in member's unread notifications (one indexed count)."""
    state = request.scope["state"]
    identity = state.get("identity")
    tenant = state.get("tenant")
    if identity is None or tenant is None or not getattr(identity, "member_id", None):
        return
    # A page reads it in the request's one read transaction (`web.reads`), which the
    # handler goes on using; a form's POST counts in a short one of its own, so its action's
    # transaction does not run beside an open one.
    reads = request_reads(request) if request.method in ("GET", "HEAD") else request.app.state.db
    async with reads.tenant(tenant.id) as session:
        state[UNREAD_KEY] = await services.unread_count(session, _member_id(identity))


@get("/notifications", name="notifications", opt=rule(MEMBER))
async def notifications_page(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, before: FromQuery[int | None] = None
) -> Template:
    if before is not None and not 0 < before <= MAX_ID:  # the column is a bigint
        raise ValidationException("There is no such place in your notifications.")
    async with db.tenant(tenant.id) as session:
        items = await services.notifications(session, _member_id(identity), before=before)
    return Template(
        "messages/notifications.html",
        context={"tenant": tenant, "identity": identity, "items": items},
    )


@get("/notifications/{message_id:int}", name="notification", opt=rule(MEMBER))
async def notification_page(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, message_id: FromPath[int]
) -> Template:
    if not 0 < message_id <= MAX_ID:
        raise NotFoundException()
    async with db.tenant(tenant.id) as session:
        try:
            text = await services.message_text(session, _member_id(identity), message_id)
        except LookupError:
            raise NotFoundException() from None
        await services.mark_read(session, _member_id(identity), message_id)
        item = await services.notification(session, _member_id(identity), message_id)
    return Template(
        "messages/notification.html",
        context={"tenant": tenant, "identity": identity, "item": item, "text": text},
    )


@post("/notifications/read", name="notifications_read", opt=rule(MEMBER), status_code=303)
async def mark_all_read(
    request: Request[Any, Any, Any], tenant: CurrentTenant, db: DB, identity: CurrentIdentity
) -> Redirect:
    async with db.tenant(tenant.id) as session:
        await services.mark_read(session, _member_id(identity))
    return Redirect(f"{_base(request)}/notifications", status_code=303)


@get("/messages/unsubscribe/{token:str}", name="unsubscribe_page", opt=rule(PUBLIC))
async def unsubscribe_page(tenant: CurrentTenant, token: FromPath[str]) -> Template:
    if services.member_from_token(get_settings().secret_key or "", tenant.id, token) is None:
        raise NotFoundException()
    return Template(
        "messages/unsubscribe.html", context={"tenant": tenant, "token": token, "done": False}
    )


@post(
    "/messages/unsubscribe/{token:str}",
    name="unsubscribe",
    opt={**rule(PUBLIC), "exclude_from_csrf": True},
    status_code=200,
)
async def unsubscribe(tenant: CurrentTenant, db: DB, token: FromPath[str]) -> Template:
    """RFC 8058: a mail provider POSTs `List-Unsubscribe=One-Click` here with no cookie and
    no CSRF token; the signed token in the address (this member, this tenant) is the
    authority, and all it can do is turn this member's reminders off."""
    member_id = services.member_from_token(get_settings().secret_key or "", tenant.id, token)
    if member_id is None:
        raise NotFoundException()
    async with db.tenant(tenant.id) as session:
        await services.set_reminders(
            session, member_id, on=False, actor="one-click unsubscribe link"
        )
    return Template(
        "messages/unsubscribe.html", context={"tenant": tenant, "token": token, "done": True}
    )


tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[
        notifications_page,
        notification_page,
        mark_all_read,
        unsubscribe_page,
        unsubscribe,
    ],
)
ROUTES = [tenant_router]
