"""The embedded default's mail catcher: a real SMTP server on loopback (aiosmtpd) that
keeps every message it accepts, and the pages that show them.

`uv run mentorhub` starts it and points delivery at it (`MENTORHUB_SMTP_URL`), so a newcomer
signs in, triggers a message and reads it at `/mail`. Like the demo identity provider it
exists only on the embedded default: `mentorhub serve` never mounts its pages.

Messages are kept as `.eml` files in the data directory (they survive restarts) and
deduplicated by `Message-ID`, as a receiving mail system does: a message delivered twice
(a worker killed between the server's 250 and its "sent" mark) is shown once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Response, Template

from mentorhub.identity.guards import PUBLIC

PATH = "/mail"
OPT = {"rule": PUBLIC}
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)\s*$", re.MULTILINE | re.IGNORECASE)
_NAME = re.compile(r"^[0-9]{19}-[0-9a-f]{16}$")


def mail_dir(data_dir: Path) -> Path:
    return data_dir / "mail"


class _Handler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.lock = threading.Lock()
        self.seen = {p.stem.split("-", 1)[1] for p in directory.glob("*.eml")}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        found = _MESSAGE_ID.search(raw.split(b"\r\n\r\n", 1)[0])
        ident = found.group(1) if found else raw
        digest = hashlib.sha256(ident).hexdigest()[:16]
        with self.lock:
            if digest not in self.seen:
                self.seen.add(digest)
                target = self.directory / f"{time.time_ns():019d}-{digest}.eml"
                tmp = target.with_suffix(".tmp")
                tmp.write_bytes(raw)
                os.replace(tmp, target)
        return "250 Message accepted for delivery"


class MailCatcher:
    """Start on a free loopback port; `url` is what delivery should use."""

    def __init__(self, data_dir: Path, port: int = 0) -> None:
        from aiosmtpd.controller import Controller

        self.directory = mail_dir(data_dir)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or _free_port()
        self.controller = Controller(
            _Handler(self.directory), hostname="127.0.0.1", port=self.port, decode_data=False
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailCatcher:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Caught:
    name: str
    received: float
    email: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.email["Subject"] or "(no subject)")

    @property
    def to(self) -> str:
        return str(self.email["To"] or "")

    @property
    def sender(self) -> str:
        return str(self.email["From"] or "")

    @property
    def received_at(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.received))

    def part(self, subtype: str) -> str | None:
        body = self.email.get_body(preferencelist=(subtype,))
        return body.get_content() if body is not None else None  # type: ignore[attr-defined]


def _directory(request: Request[Any, Any, Any]) -> Path:
    directory: Path = request.app.state.mail_dir
    return directory


def _read(directory: Path, name: str) -> Caught:
    if not _NAME.match(name):
        raise NotFoundException()
    path = directory / f"{name}.eml"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundException() from None
    email = message_from_bytes(raw, policy=default)
    return Caught(name, int(name.split("-")[0]) / 1e9, email)  # type: ignore[arg-type]


@get(PATH, opt=OPT)
async def mail_list(request: Request[Any, Any, Any]) -> Template:
    directory = _directory(request)
    names = sorted((p.stem for p in directory.glob("*.eml")), reverse=True)[:500]
    return Template(
        "messages/catcher_list.html", context={"mails": [_read(directory, n) for n in names]}
    )


@get(f"{PATH}/{{name:str}}", opt=OPT)
async def mail_show(request: Request[Any, Any, Any], name: FromPath[str]) -> Template:
    caught = _read(_directory(request), name)
    return Template("messages/catcher_message.html", context={"mail": caught})


@get(f"{PATH}/{{name:str}}/html", opt=OPT)
async def mail_html(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[str]:
    """The HTML part alone, for the page's sandboxed frame: no script, nothing fetched."""
    html = _read(_directory(request), name).part("html") or ""
    return Response(
        html,
        media_type="text/html",
        headers={
            "content-security-policy": (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; "
                "frame-ancestors 'self'"
            ),
            "x-frame-options": "SAMEORIGIN",
        },
    )


ROUTES = [mail_list, mail_show, mail_html]
