"""Turn a stored message into the e-mail that goes out: HTML and plain-text parts in the
association's branding, autoescaped, with a footer saying why the recipient gets it.

Templates live in `templates/email/` (`<kind>.html` and `<kind>.txt`, both extending the
layout). Compiled templates are cached per process: the file templates by Jinja (no reload
check per message), a tenant's overridden texts by their source.

A tenant's own subject or body (`[messages.<kind>]` of its file, stored in
`message_templates`) is plain text with `{{ variable }}` placeholders. It was validated when
the file was loaded (`mentorhub.schemes.messages`), and is checked again here before it is
compiled, then rendered in Jinja's `ImmutableSandboxedEnvironment` with `StrictUndefined`
and only the kind's declared variables in its context: the text part as is, the HTML part
with autoescape — the values escaped by Jinja, the tenant's own words escaped as text (they
are text, not markup) — then laid out as paragraphs in the branded layout.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import Header
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from mentorhub.messages.kinds import Category, Kind
from mentorhub.schemes.messages import placeholder_problems

_COLOR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")


@dataclass(frozen=True)
class Branding:
    association: str
    scheme_name: str
    logo_text: str = ""
    primary_color: str = "#1f4e79"
    accent_color: str = "#c2410c"
    contact_email: str | None = None

    @classmethod
    def from_tenant(cls, name: str, branding: dict[str, Any]) -> Branding:
        def color(key: str, default: str) -> str:
            value = str(branding.get(key) or default)
            return value if _COLOR.match(value) else default

        return cls(
            association=name,
            scheme_name=str(branding.get("scheme_name") or name),
            logo_text=str(branding.get("logo_text") or ""),
            primary_color=color("primary_color", "#1f4e79"),
            accent_color=color("accent_color", "#c2410c"),
            contact_email=str(branding.get("contact_email") or "") or None,
        )


@dataclass(frozen=True)
class Override:
    subject: str | None = None
    body: str | None = None


class Renderer:
    """One per process: two Jinja environments over `templates/email` (HTML autoescaped,
    text not), strict about undefined variables."""

    def __init__(self, templates_dir: Path) -> None:
        loader = FileSystemLoader(templates_dir / "email")
        common: dict[str, Any] = {
            "loader": loader,
            "undefined": StrictUndefined,
            "auto_reload": False,
            "trim_blocks": True,
            "lstrip_blocks": True,
        }
        self.html = Environment(autoescape=True, **common)
        self.text = Environment(autoescape=False, keep_trailing_newline=True, **common)
        self.html.filters["paragraphs"] = _paragraphs

    def subject(self, kind: Kind, context: dict[str, Any], override: Override | None) -> str:
        if override and override.subject:
            line = _override(_SANDBOX_TEXT, override.subject, kind).render(_declared(kind, context))
        else:
            line = _compiled(self.text, kind.subject).render(context)
        return " ".join(line.split())[:300]

    def parts(
        self, kind: Kind, context: dict[str, Any], override: Override | None
    ) -> tuple[str, str]:
        """(html, text). An overridden body replaces the kind's own block in both parts."""
        # The footer's "why you get this" under its own name: `reason` is a kind's variable
        # too (proposal_declined, meeting_declined…), which the footer used to overwrite.
        values = {**context, "footer_reason": _compiled(self.text, kind.reason).render(context)}
        if override and override.body:
            declared = _declared(kind, context)
            html_body = Markup(_override(_SANDBOX_HTML, override.body, kind).render(declared))
            text_body = _override(_SANDBOX_TEXT, override.body, kind).render(declared)
            return (
                self.html.get_template("override.html").render(
                    {**values, "override_text": html_body}
                ),
                self.text.get_template("override.txt").render(
                    {**values, "override_text": text_body}
                ),
            )
        return (
            self.html.get_template(f"{kind.name}.html").render(values),
            self.text.get_template(f"{kind.name}.txt").render(values),
        )


@lru_cache(maxsize=512)
def _compiled(env: Environment, source: str) -> Template:
    return env.from_string(source)


class _LiteralTextIsText(Extension):
    """In an autoescaping environment Jinja writes a template's own words out as they are
    (they are taken for markup); an override's words are plain text, so escape them too."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == "data":
                yield Token(token.lineno, "data", str(escape(token.value)))
            else:
                yield token


_SANDBOX_TEXT = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_SANDBOX_HTML = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, autoescape=True, extensions=[_LiteralTextIsText]
)


def _override(env: Environment, source: str, kind: Kind) -> Template:
    """A tenant's text compiled in a sandbox, once it is plain text with placeholders of the
    kind's variables only (a row written past the loader is refused here, not rendered)."""
    return _sandboxed(env, source, kind.name, kind.allowed)


@lru_cache(maxsize=512)
def _sandboxed(env: Environment, source: str, kind: str, allowed: frozenset[str]) -> Template:
    problems = placeholder_problems(source, allowed)
    if problems:
        raise SecurityError(f"the {kind} override is refused: {'; '.join(problems)}")
    return env.from_string(source)


def _declared(kind: Kind, context: dict[str, Any]) -> dict[str, Any]:
    """Only the kind's declared variables (None shown as nothing), nothing of the branding."""
    return {
        name: "" if context.get(name) is None else context[name]
        for name in kind.allowed
        if name in context
    }


def _paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs, escaped (line breaks kept). Markup (an override's
    HTML rendering, already escaped) is laid out the same way without escaping it again."""
    safe = isinstance(text, Markup)
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(text)) if b.strip()]

    def line(value: str) -> Markup:
        return Markup(value) if safe else escape(value)

    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(line(li) for li in b.splitlines()))
        for b in blocks
    )


def message_id(tenant_id: Any, message_id: int, domain: str) -> str:
    """Stable for a message whatever the delivery attempt: receivers dedupe on it."""
    return f"<m{message_id}.{str(tenant_id).replace('-', '')}@{domain}>"


@dataclass(frozen=True)
class Outgoing:
    """A composed e-mail: its wire form (CRLF lines) and the headers, for the record."""

    raw: bytes
    headers: dict[str, str]

    @property
    def message_id(self) -> str:
        return self.headers["Message-ID"]

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=default)  # type: ignore[return-value]


def _header(value: str) -> str:
    """One header value: as is when plain ASCII, else RFC 2047 encoded; never a line break."""
    value = " ".join(value.split())
    return value if value.isascii() else Header(value, "utf-8").encode()


def _address(name: str | None, address: str) -> str:
    return formataddr((" ".join(name.split()), address) if name else ("", address), "utf-8")


def _typed_part(content_type: str, text: str) -> bytes:
    """A base64 part whose Content-Type is given whole (with its charset)."""
    body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    return (
        f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + body


def _part(content_type: str, text: str) -> bytes:
    body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    return (
        f"Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + body


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a message: a meeting's calendar invitation (`invite.ics`,
    `text/calendar; method=REQUEST`) and the like. Text only (`content` is a str, sent as
    UTF-8); checked by `services.check_attachment` before it is stored."""

    filename: str
    content_type: str
    content: str


_METHOD = re.compile(r"^METHOD:([A-Za-z-]+)\s*$", re.M)
_PARAM = re.compile(r";\s*([A-Za-z-]+)\s*=\s*\"?([^;\"]*)\"?")


def _media(content_type: str) -> tuple[str, dict[str, str]]:
    """`type/subtype` (lower case) and its parameters (names lower case)."""
    head, _, _ = content_type.partition(";")
    params = {k.lower(): v.strip() for k, v in _PARAM.findall(content_type[len(head) :])}
    return head.strip().lower(), params


def _calendar_type(attachment: Attachment) -> str | None:
    """`text/calendar; method=…; charset=utf-8` for a calendar attachment (the method from
    the given type, else from the calendar's own METHOD line, as iMIP wants them equal),
    None for any other type."""
    media, params = _media(attachment.content_type)
    if media != "text/calendar":
        return None
    method = params.get("method")
    if not method:
        found = _METHOD.search(attachment.content)
        method = found.group(1) if found else "PUBLISH"
    return f"text/calendar; method={method.upper()}; charset=utf-8"


def _file_part(attachment: Attachment) -> bytes:
    calendar = _calendar_type(attachment)
    if calendar is not None:
        content_type = calendar
    else:
        media, _ = _media(attachment.content_type)
        content_type = media + "; charset=utf-8" if media.startswith("text/") else media
    name = attachment.filename
    body = base64.encodebytes(attachment.content.encode("utf-8")).replace(b"\n", b"\r\n")
    return (
        f'Content-Type: {content_type}; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + body


def build_email(
    *,
    renderer: Renderer,
    kind: Kind,
    branding: Branding,
    context: dict[str, Any],
    subject: str,
    to_address: str,
    recipient_name: str | None,
    mail_from: str,
    msg_id: str,
    unsubscribe_url: str | None,
    override: Override | None,
    when: datetime | None = None,
    attachments: Sequence[Attachment] = (),
) -> Outgoing:
    """Compose the message by hand: the standard library's `EmailMessage` took 80 % of a
    message's CPU time (header objects, the generator); this writes the same MIME shape
    (multipart/alternative, text then HTML, base64 parts) directly.

    With attachments the message is multipart/mixed: first that multipart/alternative, then
    each file as an attachment part (`Content-Disposition: attachment; filename=…`). A
    calendar file (text/calendar) is also the last alternative of the text and HTML, as
    `text/calendar; method=…; charset=utf-8` without a disposition: that inline part is what
    Outlook and Gmail show as an invitation (Accept/Decline, iMIP, RFC 6047), the attached
    file what other clients import — the shape Google Calendar's own invitations have.
    Without attachments the message is exactly as before."""
    values = {
        **context,
        "association": branding.association,
        "scheme_name": branding.scheme_name,
        "recipient_name": recipient_name,
        "brand": branding,
    }
    if kind.category is Category.REMINDER:
        values["unsubscribe_url"] = unsubscribe_url
    html, text = renderer.parts(kind, values, override)
    headers = {
        "From": _address(f"{branding.scheme_name} via MentorHub", mail_from),
        "To": _address(recipient_name, to_address),
        "Subject": _header(subject),
        "Date": format_datetime(when or datetime.now(UTC)),
        "Message-ID": msg_id,
        "MIME-Version": "1.0",
        "Auto-Submitted": "auto-generated",
        "X-MentorHub-Kind": kind.name,
    }
    if branding.contact_email:
        headers["Reply-To"] = _address(branding.association, branding.contact_email)
    if kind.category is Category.REMINDER and unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    boundary = f"=_mentorhub_{secrets.token_hex(12)}"
    sep = f"\r\n--{boundary}\r\n".encode()
    if not attachments:
        headers["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        raw = b"".join(
            (
                head.encode(),
                b"\r\nThis is a message in two parts: plain text and HTML.\r\n",
                sep,
                _part("text/plain", text),
                sep,
                _part("text/html", html),
                f"\r\n--{boundary}--\r\n".encode(),
            )
        )
        return Outgoing(raw, headers)
    outer = f"=_mentorhub_{secrets.token_hex(12)}"
    outer_sep = f"\r\n--{outer}\r\n".encode()
    headers["Content-Type"] = f'multipart/mixed; boundary="{outer}"'
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    inline = [
        (calendar, a.content) for a in attachments if (calendar := _calendar_type(a)) is not None
    ]
    alternative = [
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'.encode(),
        sep,
        _part("text/plain", text),
        sep,
        _part("text/html", html),
    ]
    for content_type, content in inline:
        alternative += [sep, _typed_part(content_type, content)]
    alternative.append(f"\r\n--{boundary}--".encode())
    parts = [
        head.encode(),
        b"\r\nThis is a message in several parts: the text, and its attachments.\r\n",
        outer_sep,
        *alternative,
    ]
    for attachment in attachments:
        parts += [outer_sep, _file_part(attachment)]
    parts.append(f"\r\n--{outer}--\r\n".encode())
    return Outgoing(b"".join(parts), headers)
