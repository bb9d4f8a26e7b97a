"""Every outbox kind's handler, assembled in one mapping.

`mentorhub.outbox.kinds` names the kinds (and `add_outbox` refuses any other); this module maps
each to the function that carries it out, explicitly, instead of handlers registering
themselves when their module happens to be imported. Importing it checks that the two agree,
so a worker with a kind unhandled (or a handler for a kind nobody may write) fails at start.
"""

from __future__ import annotations

from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core.audit import AuditEntry
from mentorhub.matching.tasks import sweep_handler
from mentorhub.messages.delivery import HANDLER as DELIVER
from mentorhub.outbox.handlers import Handler, Handlers
from mentorhub.outbox.kinds import AUDIT_RECORD, KINDS, MATCHING_SWEEP, MESSAGE_SEND
from mentorhub.outbox.models import OutboxMessage

__all__ = ["HANDLERS", "checked"]


async def record_audit(session: AsyncSession, message: OutboxMessage) -> None:
    """Write an audit entry later (e.g. for actions taken outside a request)."""
    session.add(
        AuditEntry(
            tenant_id=message.tenant_id,
            action=str(message.payload.get("action", "unknown")),
            actor=message.payload.get("actor"),
            subject=f"outbox:{message.id}",
            details=dict(message.payload.get("details", {})),
        )
    )


def checked(handlers: dict[str, Handler]) -> Handlers:
    """`handlers` as a read-only mapping, if it covers exactly the known kinds."""
    missing, unknown = sorted(KINDS - handlers.keys()), sorted(handlers.keys() - KINDS)
    if missing or unknown:
        raise RuntimeError(
            "outbox handlers do not match mentorhub/outbox/kinds.py: "
            + "; ".join(
                part
                for part in (
                    f"no handler for {', '.join(missing)}" if missing else "",
                    f"handler for unknown kind {', '.join(unknown)}" if unknown else "",
                )
                if part
            )
        )
    return MappingProxyType(dict(handlers))


HANDLERS: Handlers = checked(
    {AUDIT_RECORD: record_audit, MESSAGE_SEND: DELIVER, MATCHING_SWEEP: sweep_handler}
)
