"""Messages against a real SMTP server on loopback: the one writer and its idempotency key,
rendering and headers, branding, escaping, unsubscribe, permanent and transient failures,
notifications. Delivery runs through the real outbox processing (`process_message`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages import services
from mentorhub.messages.delivery import TransientDeliveryError
from mentorhub.messages.kinds import check_overrides
from mentorhub.messages.models import Message, TemplateOverride
from mentorhub.messages.services import MessageError, send
from mentorhub.outbox.models import OutboxMessage
from mentorhub.outbox.process import process_message
from mentorhub.schemes.rules import Branding, TenantInfo
from mentorhub.tenancy.models import Tenant
from mentorhub.tenancy.services import upsert_tenant
from tests.messages.sink import Sink
from tests.support import as_owner


def handlers() -> Any:
    """The workers' one mapping (imported late: `workers` reads REDIS_URL when imported)."""
    from workers.handlers import HANDLERS

    return HANDLERS


REMINDER = {"title": "First-meeting agenda", "due_on": "3 March 2027", "link": "https://x/y"}


async def branded_tenant(db: Database) -> Tenant:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    info = TenantInfo(
        slug=slug,
        name="Arts & <Marketing> Association",
        jurisdiction="GB-ENG",
        hostnames=(f"{slug}.example.org",),
        branding=Branding(
            scheme_name="Arts Mentoring",
            logo_text="AMA",
            primary_color="#123456",
            accent_color="#abcdef",
            contact_email="office@ama.example.org",
        ),
    )
    async with as_owner(db) as owner, owner.platform() as session:
        return await upsert_tenant(session, info)


async def member(db: Database, tenant: Tenant, name: str = "Ada Lovelace") -> Member:
    async with db.tenant(tenant.id) as session:
        row = Member(
            tenant_id=tenant.id,
            id=uuid.uuid4(),
            email=f"{uuid.uuid4().hex[:8]}@example.org",
            display_name=name,
            roles=["mentee"],
        )
        session.add(row)
    return row


async def send_one(
    db: Database, tenant: Tenant, kind: str, context: dict[str, Any], key: str, **to: Any
) -> int | None:
    async with db.tenant(tenant.id) as session:
        return await send(session, tenant, kind, context, key, **to)


async def deliver_all(db: Database, tenant: Tenant) -> None:
    """Process every open outbox row of the tenant, as the worker would."""
    async with db.tenant(tenant.id) as session:
        ids = (
            await session.execute(
                select(OutboxMessage.id).where(
                    OutboxMessage.done_at.is_(None), OutboxMessage.failed_at.is_(None)
                )
            )
        ).scalars()
        pending = list(ids)
    for outbox_id in pending:
        await process_message(db, tenant.id, outbox_id, handlers())


async def message_row(db: Database, tenant: Tenant, message_id: int) -> Message:
    async with db.tenant(tenant.id) as session:
        return (await session.execute(select(Message).where(Message.id == message_id))).scalar_one()


async def test_the_key_makes_a_second_send_a_no_op(db: Database) -> None:
    tenant = await branded_tenant(db)
    ada = await member(db, tenant)
    key = f"checkpoint:pair-1:first_meeting_agenda:mentee:{ada.id}"
    first = await send_one(db, tenant, "reminder", REMINDER, key, to_member=ada)
    again = await send_one(db, tenant, "reminder", REMINDER, key, to_member=ada)
    assert first is not None and again is None
    async with db.tenant(tenant.id) as session:
        assert (await session.execute(select(func.count()).select_from(Message))).scalar() == 1
        kinds = (await session.execute(select(OutboxMessage.kind))).scalars().all()
        assert kinds == ["message.send"]  # one outbox row, for the first send only
    other = await branded_tenant(db)  # the same key in another tenant is another message
    assert await send_one(db, other, "reminder", REMINDER, key, to_address="b@example.org")


async def test_bad_input_is_refused_and_nothing_is_written(db: Database) -> None:
    tenant = await branded_tenant(db)
    cases = [
        ("nonsense", REMINDER, {"to_address": "a@example.org"}, "unknown message kind"),
        ("reminder", {**REMINDER, "colour": "red"}, {"to_address": "a@example.org"}, "colour"),
        ("reminder", {"title": "x"}, {"to_address": "a@example.org"}, "missing variables"),
        ("reminder", REMINDER, {"to_address": "not an address"}, "not an e-mail address"),
        ("reminder", REMINDER, {"to_address": "a@b\r\nBcc: c@d.org"}, "not an e-mail address"),
        ("reminder", REMINDER, {"to_address": "nobody@nowhere"}, "not an e-mail address"),
    ]
    for kind, context, to, expected in cases:
        with pytest.raises(MessageError, match=expected):
            await send_one(db, tenant, kind, context, f"k:{expected}", **to)
    async with db.tenant(tenant.id) as session:
        assert (await session.execute(select(func.count()).select_from(Message))).scalar() == 0
        assert (
            await session.execute(select(func.count()).select_from(OutboxMessage))
        ).scalar() == 0


async def test_rendering_headers_branding_and_escaping(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    mallory = await member(live_db, tenant, 'Mallory <script>alert("x")</script>')
    note = "Bring <b>notes</b> & questions.\n\nSecond paragraph."
    message_id = await send_one(
        live_db, tenant, "reminder", {**REMINDER, "note": note}, "r:1", to_member=mallory
    )
    assert message_id is not None
    await deliver_all(live_db, tenant)

    [caught] = inbox.to(mallory.email)
    email = caught.parsed()
    assert email["From"].addresses[0].display_name == "Arts Mentoring via MentorHub"
    assert email["Reply-To"].addresses[0].addr_spec == "office@ama.example.org"
    assert email["Subject"] == "Reminder: First-meeting agenda is due on 3 March 2027"
    assert email["Message-ID"] == f"<m{message_id}.{tenant.id.hex}@localhost>"
    assert email["Auto-Submitted"] == "auto-generated"
    unsubscribe = email["List-Unsubscribe"]
    assert unsubscribe.startswith("<http") and "/messages/unsubscribe/" in unsubscribe
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    plain = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "#123456" in html and "#abcdef" in html and ">AMA<" in html  # branding
    assert "Arts &amp; &lt;Marketing&gt; Association" in html
    assert "<script>" not in html and "&lt;script&gt;alert" in html  # member text escaped
    assert "<b>notes</b>" not in html and "&lt;b&gt;notes&lt;/b&gt; &amp; questions" in html
    assert "<p>Second paragraph.</p>" in html
    assert "Dear Mallory <script>" in plain  # the text part is text: nothing to escape
    assert "You get this reminder because you take part in Arts Mentoring" in plain  # why
    assert unsubscribe.strip("<>") in plain

    row = await message_row(live_db, tenant, message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None


async def test_transactional_mail_has_no_unsubscribe_and_always_goes(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    ada = await member(live_db, tenant)
    async with live_db.tenant(tenant.id) as session:
        await services.set_reminders(session, ada.id, on=False)
    await send_one(live_db, tenant, "reminder", REMINDER, "r:off", to_member=ada)
    changed = {"roles": ["mentor"], "added": ["mentor"], "removed": [], "link": "https://x/"}
    await send_one(live_db, tenant, "role_change", changed, "role:1", to_member=ada)
    await deliver_all(live_db, tenant)

    [caught] = inbox.to(ada.email)  # the reminder was suppressed; the role change went
    email = caught.parsed()
    assert email["X-MentorHub-Kind"] == "role_change"
    assert email["List-Unsubscribe"] is None and email["List-Unsubscribe-Post"] is None
    async with live_db.tenant(tenant.id) as session:
        statuses = dict(
            [(k, s) for k, s in (await session.execute(select(Message.kind, Message.status))).all()]
        )
    assert statuses == {"reminder": "suppressed", "role_change": "sent"}


async def test_a_reminder_preference_change_is_audited_once(live_db: Database) -> None:
    tenant = await branded_tenant(live_db)
    ada = await member(live_db, tenant)
    for on in (False, False, True):  # a second unsubscribe click changes nothing
        async with live_db.tenant(tenant.id) as session:
            await services.set_reminders(session, ada.id, on=on, actor="link")
    async with live_db.tenant(tenant.id) as session:
        rows = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.subject)
                .where(AuditEntry.action.like("reminders_%"))
                .order_by(AuditEntry.created_at)
            )
        ).all()
        assert await services.reminders_off(session, ada.id) is False
    assert [tuple(r) for r in rows] == [
        ("reminders_off", str(ada.id)),
        ("reminders_on", str(ada.id)),
    ]


async def test_a_redelivered_message_is_not_sent_again(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    await send_one(live_db, tenant, "reminder", REMINDER, "r:2", to_address="x@example.org")
    async with live_db.tenant(tenant.id) as session:
        [outbox_id] = (await session.execute(select(OutboxMessage.id))).scalars().all()
    assert await process_message(live_db, tenant.id, outbox_id, handlers()) is True
    async with live_db.tenant(tenant.id) as session:  # as if the outbox row were redelivered
        await session.execute(
            text("UPDATE outbox SET done_at = NULL WHERE id = :i"), {"i": outbox_id}
        )
    await process_message(live_db, tenant.id, outbox_id, handlers())
    assert len(inbox.to("x@example.org")) == 1


async def test_a_permanent_failure_is_recorded_and_not_retried(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    inbox.refuse["gone@example.org"] = "550 5.1.1 No such mailbox"
    message_id = await send_one(
        live_db, tenant, "reminder", REMINDER, "r:3", to_address="gone@example.org"
    )
    assert message_id is not None
    await deliver_all(live_db, tenant)
    row = await message_row(live_db, tenant, message_id)
    assert row.status == "failed" and row.failed_at is not None and row.attempts == 1
    assert row.last_error is not None and "550" in row.last_error
    async with live_db.tenant(tenant.id) as session:
        audit = (await session.execute(select(AuditEntry))).scalars().all()
        done = (await session.execute(select(OutboxMessage.done_at))).scalars().all()
    assert [(a.action, a.subject) for a in audit] == [("message.failed", f"message:{message_id}")]
    assert audit[0].details["to"] == "gone@example.org"
    assert all(done)  # the outbox row is finished: nothing retries it
    inbox.refuse.clear()
    await deliver_all(live_db, tenant)
    assert inbox.caught == [] and (await message_row(live_db, tenant, message_id)).attempts == 1


async def test_a_transient_failure_is_retried(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    inbox.refuse["busy@example.org"] = "451 4.3.0 Try again later"
    message_id = await send_one(
        live_db, tenant, "reminder", REMINDER, "r:4", to_address="busy@example.org"
    )
    assert message_id is not None
    async with live_db.tenant(tenant.id) as session:
        [outbox_id] = (await session.execute(select(OutboxMessage.id))).scalars().all()
    with pytest.raises(TransientDeliveryError, match="451"):
        await process_message(live_db, tenant.id, outbox_id, handlers())  # Dramatiq retries on this
    row = await message_row(live_db, tenant, message_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and "451" in row.last_error
    inbox.refuse.clear()
    assert await process_message(live_db, tenant.id, outbox_id, handlers()) is True
    row = await message_row(live_db, tenant, message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(inbox.to("busy@example.org")) == 1


async def test_a_tenant_override_changes_subject_and_body(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    override = {
        "subject": "Nudge: {{ title }}",
        "body": "Hi {{ recipient_name }} & co,\n\nsee {{ link }}",
    }
    assert check_overrides({"reminder": override}) == []
    async with live_db.tenant(tenant.id) as session:
        session.add(TemplateOverride(tenant_id=tenant.id, kind="reminder", **override))
    ada = await member(live_db, tenant, "Ada <A>")
    await send_one(live_db, tenant, "reminder", REMINDER, "r:5", to_member=ada)
    await deliver_all(live_db, tenant)
    [caught] = inbox.to(ada.email)
    email = caught.parsed()
    assert email["Subject"] == "Nudge: First-meeting agenda"
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Hi Ada &lt;A&gt; &amp; co," in html and "see https://x/y" in html
    assert "You get this reminder because" in html  # the footer stays


def test_override_problems_name_their_key_path() -> None:
    problems = check_overrides(
        {
            "reminder": {"subject": "{{ secret_key }}", "body": "{% if %}"},
            "checkin": {"body": "x"},
            "role_change": {"colour": "red"},
        }
    )
    paths = [path for path, _ in problems]
    assert paths == [
        "messages.reminder.subject",
        "messages.reminder.body",
        "messages.checkin",
        "messages.role_change.colour",
    ]
    assert "unknown variable {{ secret_key }}" in problems[0][1]
    assert "unknown message kind" in problems[2][1]


async def test_notifications_list_unread_count_and_mark_read(db: Database) -> None:
    tenant = await branded_tenant(db)
    ada, bob = await member(db, tenant), await member(db, tenant, "Bob")
    for i in range(3):
        await send_one(
            db, tenant, "reminder", {**REMINDER, "title": f"T{i}"}, f"n:{i}", to_member=ada
        )
    await send_one(db, tenant, "reminder", REMINDER, "n:bob", to_member=bob)
    async with db.tenant(tenant.id) as session:
        listed = await services.notifications(session, ada.id)
        assert [n.subject.split(":")[1].split()[0] for n in listed] == ["T2", "T1", "T0"]
        assert await services.unread_count(session, ada.id) == 3
        assert await services.mark_read(session, bob.id, listed[0].id) == 0  # not Bob's
        assert await services.mark_read(session, ada.id, listed[0].id) == 1
        assert await services.unread_count(session, ada.id) == 2
        assert await services.mark_read(session, ada.id) == 2
        assert await services.unread_count(session, ada.id) == 0
        assert await services.unread_count(session, bob.id) == 1


def test_unsubscribe_tokens_are_bound_to_tenant_and_member() -> None:
    key = "k" * 40
    tenant, other, member_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    token = services.unsubscribe_token(key, tenant, member_id)
    assert services.member_from_token(key, tenant, token) == member_id
    assert services.member_from_token(key, other, token) is None
    assert services.member_from_token(key, tenant, token[:-1] + "0") in (None, member_id)
    assert services.member_from_token(key, tenant, "garbage") is None
