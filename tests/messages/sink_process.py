"""The SMTP sink in a process of its own, for measurements: a sink sharing a process with the
load it measures waits for that process's GIL on every SMTP round trip (four per message).
Prints its port, then one line per accepted message (its Message-ID)."""

from __future__ import annotations

import sys
import threading
from typing import Any

from tests.messages.sink import Sink, _Handler


class _Printing(_Handler):
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        with self.lock:
            caught = self.caught.pop()
        sys.stdout.write(caught.message_id + "\n")
        sys.stdout.flush()
        return reply


def main() -> None:
    sink = Sink()
    sink.handler = _Printing()
    sink.controller.handler = sink.handler
    sink.start()
    print(sink.port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
