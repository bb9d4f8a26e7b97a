"""The Redis broker, with a pipelined `enqueue_many` for the relay.

Dramatiq's `enqueue` makes one Redis round trip per message, which caps the relay at a
couple of thousand messages a second on a loaded machine. `enqueue_many` sends a batch in
one pipeline. Each message still goes through Dramatiq's own `dispatch` script with the
arguments `RedisBroker.enqueue` gives it (command, timestamp, queue, broker id, heartbeat
timeout, dead-message TTL, maintenance flag, unpack size, message id, payload), and the
enqueue middleware runs before and after, so workers see exactly what `enqueue` produces;
the outbox tests consume these messages with a real worker.
"""

from __future__ import annotations

import uuid
from typing import Any

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis


class OutboxBroker(RedisBroker):
    def enqueue_many(self, messages: list[Message[Any]]) -> None:
        """Enqueue all of `messages` (no delay) in one round trip. Either returns, and Redis
        accepted every one, or raises, and the caller must treat none as accepted."""
        staged = []
        for message in messages:
            copy = message.copy(options={"redis_message_id": str(uuid.uuid4())})
            self.emit_before("enqueue", copy, None)
            staged.append(copy)
        dispatch = self.scripts["dispatch"]
        pipe = self.client.pipeline(transaction=False)
        for message in staged:
            args = [
                "enqueue",
                current_millis(),
                message.queue_name,
                self.broker_id,
                self.heartbeat_timeout,
                self.dead_message_ttl,
                self._should_do_maintenance("enqueue"),
                self._max_unpack_size(),  # type: ignore[no-untyped-call]
                message.options["redis_message_id"],
                message.encode(),
            ]
            dispatch(keys=[self.namespace], args=args, client=pipe)
        pipe.execute()
        for message in staged:
            self.emit_after("enqueue", message, None)
