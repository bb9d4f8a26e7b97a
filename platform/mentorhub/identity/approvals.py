"""One-time approval links for approvers who have no account.

A link is `<request id>.<expiry>.<HMAC>`, signed with a key derived for one tenant, so it
names exactly one request and is worthless on any other tenant's host. Opening it (GET)
only reads; the approver's POST decides, once: the update only matches a pending request.

Creating a request mails its link to the approver in the same transaction (`mail_link`,
through the one writer `messages.services.send`, key `approval:<request id>`): the request
and its message exist together or not at all, and mailing the same request again writes
nothing. An approver address that is not an address is refused before anything is written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core import audit
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import ApprovalRequest
from mentorhub.identity.secrets import derive_key
from mentorhub.messages.delivery import base_url
from mentorhub.messages.services import send
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

DECISIONS = {"approve": "approved", "decline": "declined"}

#: What else happens when an approver decides, in the decision's own transaction (the
#: applications area moves the application that asked). Areas above identity register here,
#: so identity imports none of them.
DecisionHook = Callable[[AsyncSession, ApprovalRequest], Awaitable[None]]
_decision_hooks: list[DecisionHook] = []


def on_decided(hook: DecisionHook) -> DecisionHook:
    """Call `hook(session, request)` after every decision, in its transaction (once per
    hook, however often registered)."""
    if hook not in _decision_hooks:
        _decision_hooks.append(hook)
    return hook


class LinkProblem(Exception):
    """The link cannot be used; `reason` is one of invalid, expired, used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _sign(secret_key: str, tenant_id: uuid.UUID, request_id: uuid.UUID, expires: int) -> str:
    key = derive_key(secret_key, "approval-link", tenant_id)
    mac = hmac.new(key, f"{request_id.hex}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def link_token(secret_key: str, request: ApprovalRequest) -> str:
    expires = int(request.expires_at.timestamp())
    signature = _sign(secret_key, request.tenant_id, request.id, expires)
    return f"{request.id.hex}.{expires}.{signature}"


async def create_request(
    session: AsyncSession,
    secret_key: str,
    *,
    summary: str,
    details: Mapping[str, str] | Sequence[tuple[str, str]],
    approver_email: str,
    valid_days: int,
    now: datetime | None = None,
) -> tuple[ApprovalRequest, str]:
    """A pending request and its signed link, mailed to the approver in the caller's
    transaction (`mail_link`). MessageError (nothing written) if the approver's address is
    not an address."""
    now = now or datetime.now(UTC)
    request = ApprovalRequest(
        tenant_id=current_tenant(session),
        id=uuid.uuid4(),
        summary=summary,
        details=[
            [str(k), str(v)]
            for k, v in (details.items() if isinstance(details, Mapping) else details)
        ],
        approver_email=approver_email.lower(),
        expires_at=(now + timedelta(days=valid_days)).replace(microsecond=0),
        status="pending",
    )
    session.add(request)
    await session.flush()
    token = link_token(secret_key, request)
    await mail_link(session, request, token)
    return request, token


def approval_key(request: ApprovalRequest) -> str:
    """The message's idempotency key: one mail per request."""
    return f"approval:{request.id}"


async def mail_link(session: AsyncSession, request: ApprovalRequest, token: str) -> int | None:
    """Mail `request`'s link to its approver (kind approval_request), in the caller's
    transaction; the message's id, or None when this request was already mailed."""
    tenant = (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()
    expires = request.expires_at.astimezone(UTC)
    return await send(
        session,
        tenant,
        "approval_request",
        {
            "summary": request.summary,
            "details": [[str(k), str(v)] for k, v in request.details],
            "link": f"{base_url(get_settings(), tenant)}/approvals/{token}",
            "expires_on": f"{expires.day} {expires:%B %Y} (UTC)",
        },
        approval_key(request),
        to_address=request.approver_email,
    )


async def open_link(
    session: AsyncSession, secret_key: str, token: str, *, now: datetime | None = None
) -> ApprovalRequest:
    """The request a link names, if the link is genuine, for this tenant, and unexpired.
    A decided request is returned as well (the page says it was already decided)."""
    now = now or datetime.now(UTC)
    parts = token.split(".")
    # A genuine link is ASCII (hmac.compare_digest refuses other text with a TypeError).
    if len(parts) != 3 or not token.isascii() or not parts[1].isdigit():
        raise LinkProblem("invalid")
    try:
        request_id = uuid.UUID(hex=parts[0])
    except ValueError:
        raise LinkProblem("invalid") from None
    expires = int(parts[1])
    expected = _sign(secret_key, current_tenant(session), request_id, expires)
    if not hmac.compare_digest(expected, parts[2]):
        raise LinkProblem("invalid")
    try:
        request = await get_in_tenant(session, ApprovalRequest, request_id)
    except NotFound:
        raise LinkProblem("invalid") from None
    if int(request.expires_at.timestamp()) != expires:
        raise LinkProblem("invalid")
    if now >= request.expires_at:
        raise LinkProblem("expired")
    return request


async def decide(
    session: AsyncSession,
    secret_key: str,
    token: str,
    *,
    decision: str,
    comment: str,
    now: datetime | None = None,
) -> ApprovalRequest:
    if decision not in DECISIONS:
        raise ValueError("decision must be approve or decline")
    now = now or datetime.now(UTC)
    request = await open_link(session, secret_key, token, now=now)
    status = DECISIONS[decision]
    result = await session.execute(
        update(ApprovalRequest)
        .where(
            ApprovalRequest.id == request.id,
            ApprovalRequest.status == "pending",
        )
        .values(status=status, decided_at=now, comment=comment.strip()[:4000] or None)
        .returning(ApprovalRequest.id)
        .execution_options(synchronize_session=False)
    )
    if result.first() is None:
        raise LinkProblem("used")
    audit.record(
        session,
        "approval_decision",
        actor=request.approver_email,
        subject=str(request.id),
        details={"decision": status, "at": now.isoformat()},
    )
    await session.refresh(request)
    for hook in _decision_hooks:
        await hook(session, request)
    return request
