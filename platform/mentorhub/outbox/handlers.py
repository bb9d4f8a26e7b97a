"""What each kind of outbox message does. A handler runs inside the tenant transaction that
also marks the message done, so its database effects happen exactly once; anything it does
outside the database must use the message id as its idempotency key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.outbox.models import OutboxMessage

Handler = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]

_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        _HANDLERS[kind] = fn
        return fn

    return register


def known_kind(kind: str) -> bool:
    return kind in _HANDLERS


def get_handler(kind: str) -> Handler:
    return _HANDLERS[kind]


@handler("audit.record")
async def record_audit(session: AsyncSession, message: OutboxMessage) -> None:
    """Write an audit entry later (e.g. for actions taken outside a request)."""
    from mentorhub.identity.models import AuditEntry

    session.add(
        AuditEntry(
            tenant_id=message.tenant_id,
            action=str(message.payload.get("action", "unknown")),
            actor=message.payload.get("actor"),
            subject=f"outbox:{message.id}",
            details=dict(message.payload.get("details", {})),
        )
    )
