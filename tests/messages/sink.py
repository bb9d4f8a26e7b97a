"""A real SMTP server on loopback (aiosmtpd over TCP) that keeps what it accepts.

It dedupes the way a receiving mail system does, by `Message-ID`, and also counts every
accepted copy, so a test can report duplicate deliveries honestly. `refuse` makes it answer
a recipient with a chosen SMTP reply (e.g. `550 5.1.1 no such user`, `451 4.3.0 try later`).
"""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)\s*$", re.MULTILINE | re.IGNORECASE)


@dataclass
class Caught:
    message_id: str
    sender: str
    recipients: list[str]
    raw: bytes

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=default)  # type: ignore[return-value]


@dataclass
class _Handler:
    refuse: dict[str, str] = field(default_factory=dict)
    caught: list[Caught] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self.refuse.get(address) or self.refuse.get("*")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        found = _MESSAGE_ID.search(raw.split(b"\r\n\r\n", 1)[0])
        with self.lock:
            self.caught.append(
                Caught(
                    found.group(1).decode() if found else "",
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    raw,
                )
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = _Handler()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, decode_data=False
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> Sink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def refuse(self) -> dict[str, str]:
        return self.handler.refuse

    @property
    def caught(self) -> list[Caught]:
        with self.handler.lock:
            return list(self.handler.caught)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.caught.clear()

    def by_message_id(self) -> Counter[str]:
        return Counter(c.message_id for c in self.caught)

    def to(self, address: str) -> list[Caught]:
        return [c for c in self.caught if address in c.recipients]
