"""Every kind of outbox message, named in one place.

A kind is known here or it is refused when the message is written (`add_outbox` raises
:class:`UnknownKind` inside the caller's transaction), never written and then dropped by a
worker that has no handler for it. The handlers themselves are assembled in one mapping in
`workers.handlers`, which checks at import that every kind here has exactly one — so a worker
missing a handler fails at start, not message by message.

Names only: the outbox imports no area of the product (areas write messages; the workers,
above them, carry them out).
"""

from __future__ import annotations

__all__ = ["AUDIT_RECORD", "KINDS", "MATCHING_SWEEP", "MESSAGE_SEND", "UnknownKind", "check_kind"]

#: Write an audit entry later (e.g. for actions taken outside a request).
AUDIT_RECORD = "audit.record"

#: Deliver one e-mail written by `mentorhub.messages.services.send` (payload: its message id).
MESSAGE_SEND = "message.send"

#: One tenant's due matching work: lapsed requests passed on, reminders sent (payload: the
#: clock's time; written by `mentorhub.matching.tasks.schedule_sweeps`).
MATCHING_SWEEP = "matching.sweep"

KINDS: frozenset[str] = frozenset({AUDIT_RECORD, MESSAGE_SEND, MATCHING_SWEEP})


class UnknownKind(ValueError):
    """An outbox message of a kind nothing would carry out."""


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise UnknownKind(
            f"unknown outbox kind {kind!r} (known: {', '.join(sorted(KINDS))}); "
            "name it in mentorhub/outbox/kinds.py and give it a handler in workers/handlers.py"
        )
