"""The one way to send a message, and what members do with theirs.

`send` writes the message and the outbox row that delivers it in the caller's tenant
transaction: both exist if and only if the caller's change commits. Its `key` is the
business idempotency key (`checkpoint:<pair>:<checkpoint>:<audience>:<member>`,
`approval:<request>`…); a second call with a key the tenant already used writes nothing
(`INSERT … ON CONFLICT DO NOTHING` on a unique index), so a retried action or a clock run
twice never mails twice. Everything is checked before anything is written: an unknown kind,
a missing or unknown variable, an address that is not an address, a subject that does not
render — each raises `MessageError` and nothing is half-sent.

Attachments (`Attachment(filename, content_type, content)`, text such as a meeting's
`invite.ics`) are stored with their message in the same INSERT, under the reserved key
`_attachments` of the message's stored `context` (a list of {filename, content_type,
content}). No migration, no second table or round trip, and templates never see them:
delivery takes the key out of the context before it renders (`delivery.compose`), and
an override only ever gets the kind's declared variables. The key cannot collide with a
variable: a kind's variables are declared names, and a context with any other name is
refused. A message without attachments stores its context exactly as before.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from jinja2 import TemplateError
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core import audit
from mentorhub.core.smtp import is_plain_address
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member
from mentorhub.messages.kinds import KINDS, UnknownKind, get_kind
from mentorhub.messages.models import Message, MessagePreference, TemplateOverride
from mentorhub.messages.render import Attachment, Branding, Override, Renderer
from mentorhub.outbox.kinds import MESSAGE_SEND
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

OUTBOX_KIND = MESSAGE_SEND


class MessageError(ValueError):
    """A message cannot be sent as asked; the text says why in plain words."""


def check_address(value: str) -> str:
    """A deliverable address `user@domain.tld` (or `@localhost`), without a display name."""
    value = value.strip()
    if (
        not is_plain_address(value)
        or any(c.isspace() or ord(c) < 32 for c in value)
        or len(value) > 320
    ):
        raise MessageError(f"{value[:80]!r} is not an e-mail address")
    return value


_renderers: dict[str, Renderer] = {}


def renderer() -> Renderer:
    directory = get_settings().templates_dir
    found = _renderers.get(str(directory))
    if found is None:
        found = _renderers[str(directory)] = Renderer(directory)
    return found


def _json(context: dict[str, Any]) -> dict[str, Any]:
    try:
        value: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(context))
    except (TypeError, msgspec.EncodeError) as exc:
        raise MessageError(f"the message's context cannot be stored: {exc}") from None
    return value


#: Where a message's attachments are kept in its stored context (see the module docstring).
ATTACHMENTS_KEY = "_attachments"
#: An attachment is small text (a calendar invitation); a message's together at most this.
ATTACHMENTS_MAX = 256 * 1024
_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$")
_TOKEN = r"[A-Za-z0-9!#$&^_.+-]+"
_CONTENT_TYPE = re.compile(
    rf"^{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}\s*=\s*({_TOKEN}|\"[A-Za-z0-9._ /+-]*\"))*$"
)


def check_attachments(attachments: Sequence[Attachment]) -> list[dict[str, str]]:
    """The attachments as stored, or `MessageError`: a plain file name (letters, digits,
    dot, dash, underscore, space: it goes into a header as is), a media type with simple
    parameters, text content, all of them together within `ATTACHMENTS_MAX`."""
    stored: list[dict[str, str]] = []
    size = 0
    for item in attachments:
        if not isinstance(item, Attachment):
            raise MessageError(
                "an attachment must be an Attachment(filename, content_type, content)"
            )
        if not _FILENAME.match(item.filename) or ".." in item.filename:
            raise MessageError(f"{item.filename[:80]!r} is not a plain file name for an attachment")
        if not _CONTENT_TYPE.match(item.content_type):
            raise MessageError(f"{item.content_type[:80]!r} is not a media type for an attachment")
        if not isinstance(item.content, str) or not item.content:
            raise MessageError(f"the attachment {item.filename!r} has no text content")
        size += len(item.content.encode("utf-8"))
        stored.append(
            {
                "filename": item.filename,
                "content_type": item.content_type,
                "content": item.content,
            }
        )
    if size > ATTACHMENTS_MAX:
        raise MessageError(f"a message's attachments are at most {ATTACHMENTS_MAX // 1024} KB")
    return stored


def stored_attachments(context: dict[str, Any]) -> tuple[dict[str, Any], tuple[Attachment, ...]]:
    """A stored context without its attachments, and the attachments (delivery's side)."""
    if ATTACHMENTS_KEY not in context:
        return context, ()
    values = dict(context)
    files = values.pop(ATTACHMENTS_KEY) or []
    return values, tuple(
        Attachment(str(f["filename"]), str(f["content_type"]), str(f["content"])) for f in files
    )


#: A tenant's own texts for a kind, read by every `send_many` (the clock: once per tenant
#: and kind each pass): a Core statement built once, the tenant in its WHERE (row-level
#: security filters it again), like `_UNREAD` — as an ORM query it cost ~1.2 ms of CPU, three
#: times a whole empty transaction.
_overrides = TemplateOverride.__table__
_OVERRIDE = select(_overrides.c.subject, _overrides.c.body).where(
    _overrides.c.tenant_id == bindparam("tenant_id"), _overrides.c.kind == bindparam("kind")
)


async def override_for(session: AsyncSession, kind: str) -> Override | None:
    params = {"tenant_id": current_tenant(session), "kind": kind}
    row = (await session.execute(_OVERRIDE, params)).one_or_none()
    return Override(row.subject, row.body) if row is not None else None


async def send(
    session: AsyncSession,
    tenant: Tenant,
    kind: str,
    context: dict[str, Any],
    key: str,
    *,
    to_member: Member | None = None,
    to_address: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> int | None:
    """Write one message (to a member, or to an address with no account, e.g. an approver)
    in the caller's transaction, with its attachments if any. Returns the new message's id,
    or None when this tenant already has a message with `key` (nothing is written then)."""
    [sent] = await send_many(
        session,
        tenant,
        kind,
        [
            Outgoing(
                context, key, to_member=to_member, to_address=to_address, attachments=attachments
            )
        ],
    )
    return sent


@dataclass(frozen=True)
class Outgoing:
    """One message of a batch (:func:`send_many`): its context, idempotency key, recipient
    and attachments."""

    context: dict[str, Any]
    key: str
    to_member: Member | None = None
    to_address: str | None = None
    attachments: Sequence[Attachment] = ()


async def send_many(
    session: AsyncSession, tenant: Tenant, kind: str, outgoing: Sequence[Outgoing]
) -> list[int | None]:
    """`send` for many messages of one kind at once (a published matching run mails
    thousands): the same checks on every message, all made before anything is written, then
    one multi-row INSERT per thousand messages and their outbox rows, instead of three round
    trips each. Returns each message's new id, or None where the tenant already had its key."""
    from mentorhub.outbox.writer import add_outbox_many

    if current_tenant(session) != tenant.id:
        raise MessageError("the message's tenant is not the transaction's tenant")
    try:
        spec = get_kind(kind)
    except UnknownKind as exc:
        raise MessageError(str(exc.args[0])) from None
    if not outgoing:
        return []
    override = await override_for(session, kind)
    branding = Branding.from_tenant(tenant.name, tenant.branding)
    rows: list[dict[str, Any]] = []
    for item in outgoing:
        context, key, to_member = item.context, item.key, item.to_member
        if (to_member is None) == (item.to_address is None):
            raise MessageError("a message goes to a member or to an address, exactly one")
        if not key or len(key) > 300:
            raise MessageError("a message needs an idempotency key of at most 300 characters")
        unknown = set(context) - set(spec.variables)
        missing = {name for name, required in spec.variables.items() if required} - set(context)
        if unknown or missing:
            raise MessageError(
                f"message {kind!r}: "
                + "; ".join(
                    ([f"unknown variables {sorted(unknown)}"] if unknown else [])
                    + ([f"missing variables {sorted(missing)}"] if missing else [])
                )
            )
        values = {name: context.get(name, "") for name in spec.variables}
        files = check_attachments(item.attachments) if item.attachments else None
        address = check_address(to_member.email if to_member is not None else item.to_address or "")
        try:
            subject = renderer().subject(
                spec,
                {
                    **values,
                    "association": branding.association,
                    "scheme_name": branding.scheme_name,
                    "recipient_name": to_member.display_name if to_member else None,
                },
                override,
            )
        except TemplateError as exc:
            raise MessageError(f"message {kind!r}: the subject does not render: {exc}") from None
        rows.append(
            {
                "tenant_id": tenant.id,
                "key": key,
                "kind": kind,
                "member_id": to_member.id if to_member is not None else None,
                "to_address": address,
                "subject": subject,
                "context": _json(values)
                if files is None
                else {**_json(values), ATTACHMENTS_KEY: files},
            }
        )
    table = Message.__table__
    # One executemany: SQLAlchemy sends it as multi-row INSERTs of up to a thousand rows
    # ("insertmanyvalues"), each returning the ids of the rows it wrote.
    inserted = await session.execute(
        insert(table)  # type: ignore[arg-type]
        .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        .returning(table.c.id, table.c.key),
        rows,
    )
    ids = {key: int(message_id) for message_id, key in inserted}
    sent = [ids.pop(row["key"], None) for row in rows]  # a key given twice: sent once
    await add_outbox_many(session, OUTBOX_KIND, [{"message": i} for i in sent if i is not None])
    return sent


# --- a member's notifications --------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    id: int
    kind: str
    subject: str
    created_at: datetime
    read: bool
    status: str


def _listed(member_id: uuid.UUID) -> Select[int, str, str, datetime, datetime | None, str]:
    return select(
        Message.id,
        Message.kind,
        Message.subject,
        Message.created_at,
        Message.read_at,
        Message.status,
    ).where(Message.member_id == member_id)


async def notifications(
    session: AsyncSession, member_id: uuid.UUID, *, limit: int = 50, before: int | None = None
) -> list[Notification]:
    query = _listed(member_id)
    if before is not None:
        query = query.where(Message.id < before)
    rows = await session.execute(query.order_by(Message.id.desc()).limit(limit))
    return [Notification(i, k, s, c, r is not None, st) for i, k, s, c, r, st in rows.all()]


async def notification(
    session: AsyncSession, member_id: uuid.UUID, message_id: int
) -> Notification | None:
    """One of the member's notifications (None for anyone else's)."""
    row = (await session.execute(_listed(member_id).where(Message.id == message_id))).first()
    if row is None:
        return None
    i, k, s, c, r, st = row
    return Notification(i, k, s, c, r is not None, st)


#: The navigation's unread count, on every member page: a Core statement on the table, built
#: once, with the tenant named in its WHERE (row-level security filters it again). Built as an
#: ORM query it was re-compiled around the session's tenant criteria on every request
#: (~1 ms of a page's CPU, more than running it).
_messages = Message.__table__
_UNREAD = (
    select(func.count())
    .select_from(_messages)
    .where(
        _messages.c.tenant_id == bindparam("tenant_id"),
        _messages.c.member_id == bindparam("member_id"),
        _messages.c.read_at.is_(None),
    )
)


async def unread_count(session: AsyncSession, member_id: uuid.UUID) -> int:
    params = {"tenant_id": current_tenant(session), "member_id": member_id}
    return int((await session.execute(_UNREAD, params)).scalar_one())


async def mark_read(
    session: AsyncSession, member_id: uuid.UUID, message_id: int | None = None
) -> int:
    """Mark one notification (or all of them) read; only the member's own."""
    stmt = update(Message).where(Message.member_id == member_id, Message.read_at.is_(None))
    if message_id is not None:
        stmt = stmt.where(Message.id == message_id)
    result = await session.execute(stmt.values(read_at=func.now()))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def message_text(session: AsyncSession, member_id: uuid.UUID, message_id: int) -> str:
    """The plain-text body of one of the member's messages, as it was mailed."""
    from mentorhub.messages.delivery import load, render_stored

    message = await load(session, message_id)
    if message is None or message.member_id != member_id:
        raise LookupError(message_id)
    email = await render_stored(session, message, unsubscribe_url=None)
    body = email.parsed().get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""  # type: ignore[attr-defined]


# --- reminders on and off (RFC 8058 one-click unsubscribe) ---------------------------------


def unsubscribe_token(secret_key: str, tenant_id: uuid.UUID, member_id: uuid.UUID) -> str:
    from mentorhub.identity.secrets import derive_key

    key = derive_key(secret_key, "unsubscribe", tenant_id)
    mac = hmac.new(key, member_id.bytes, hashlib.sha256).hexdigest()[:32]
    return f"{member_id.hex}.{mac}"


def member_from_token(secret_key: str, tenant_id: uuid.UUID, token: str) -> uuid.UUID | None:
    head, _, _mac = token.partition(".")
    try:
        member_id = uuid.UUID(hex=head)
    except ValueError:
        return None
    expected = unsubscribe_token(secret_key, tenant_id, member_id)
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
    return member_id if hmac.compare_digest(expected.encode(), token.encode()) else None


async def set_reminders(
    session: AsyncSession, member_id: uuid.UUID, *, on: bool, actor: str | None = None
) -> None:
    """Turn a member's reminder mail on or off; a change is audited (the same choice made
    again, e.g. a second one-click unsubscribe, changes and records nothing)."""
    if await reminders_off(session, member_id) == (not on):
        return
    audit.record(
        session,
        "reminders_on" if on else "reminders_off",
        actor=actor,
        subject=str(member_id),
    )
    table = MessagePreference.__table__
    await session.execute(
        insert(table)  # type: ignore[arg-type]
        .values(
            tenant_id=current_tenant(session),
            member_id=member_id,
            reminders_off_at=None if on else func.now(),
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "member_id"],
            set_={"reminders_off_at": None if on else func.now()},
        )
    )


async def reminders_off(session: AsyncSession, member_id: uuid.UUID) -> bool:
    off = (
        await session.execute(
            select(MessagePreference.reminders_off_at).where(
                MessagePreference.member_id == member_id
            )
        )
    ).scalar_one_or_none()
    return off is not None


__all__ = [
    "KINDS",
    "OUTBOX_KIND",
    "Attachment",
    "MessageError",
    "Notification",
    "Outgoing",
    "mark_read",
    "notification",
    "notifications",
    "send",
    "send_many",
    "unread_count",
]
