"""What an outbox handler is. A handler runs inside the tenant transaction that also marks the
message done, so its database effects happen exactly once; anything it does outside the
database must use the message id as its idempotency key.

The kinds are named in :mod:`mentorhub.outbox.kinds`; the handlers are assembled in one
mapping in `workers.handlers` and handed to :func:`mentorhub.outbox.process.process_message`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.outbox.models import OutboxMessage

__all__ = ["Handler", "Handlers"]

Handler = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]
Handlers = Mapping[str, Handler]
