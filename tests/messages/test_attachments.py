"""Attachments through the one writer and the real SMTP sink: a meeting's calendar
invitation arrives as Outlook and Gmail expect it (an inline `text/calendar; method=…`
alternative and an `invite.ics` file, both the exact bytes given), in a worker's batch and
one row at a time; a message without attachments is exactly as before; a retried send
writes nothing; bad attachments are refused with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest
from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.messages import services
from mentorhub.messages.kinds import KINDS
from mentorhub.messages.models import Message
from mentorhub.messages.render import Branding, Renderer, build_email
from mentorhub.messages.services import Attachment, MessageError, Outgoing, send, send_many
from mentorhub.outbox.process import process_batch
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant
from tests.messages.sink import Sink
from tests.messages.test_batch_delivery import outbox_ids
from tests.messages.test_messages import (
    branded_tenant,
    deliver_all,
    handlers,
    member,
    message_row,
    send_one,
)

MEETING: dict[str, Any] = {
    "other_name": "Grace Hopper",
    "when": "Tuesday 12 January 2027, 14:00 (America/Edmonton)",
    "minutes": 60,
    "mode": "Video call",
    "where": "https://meet.example.org/abc",
    "link": "https://alberta.example.org/pairs/1/meetings",
}


def invitation(method: str = "REQUEST", uid: str = "meeting-1@mentorhub", sequence: int = 0) -> str:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//MentorHub//Meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", datetime(2027, 1, 5, 9, 0, tzinfo=UTC))
    event.add("dtstart", datetime(2027, 1, 12, 21, 0, tzinfo=UTC))
    event.add("dtend", datetime(2027, 1, 12, 21, 0, tzinfo=UTC) + timedelta(hours=1))
    event.add("summary", "Mentoring: Ada Lovelace and Grace Hopper — café")
    calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))


def parts_of(email: EmailMessage) -> tuple[list[Any], list[Any]]:
    """(the parts of the multipart/alternative, the attachment parts)."""
    assert email.get_content_type() == "multipart/mixed"
    [alternative, *files] = list(email.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    return list(alternative.iter_parts()), files


def check_invitation(email: EmailMessage, ics: str, method: str = "REQUEST") -> None:
    alternatives, files = parts_of(email)
    assert [p.get_content_type() for p in alternatives] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    inline = alternatives[2]
    assert inline.get_param("method") == method
    assert inline.get_content_charset() == "utf-8"
    assert inline.get_content_disposition() is None
    assert inline.get_payload(decode=True) == ics.encode("utf-8")
    [file] = files
    assert file.get_content_type() == "text/calendar"
    assert file.get_param("method") == method
    assert file.get_content_charset() == "utf-8"
    assert file.get_content_disposition() == "attachment"
    assert file.get_filename() == "invite.ics"
    assert file.get_payload(decode=True) == ics.encode("utf-8")
    parsed = icalendar.Calendar.from_ical(ics)
    assert str(parsed["method"]) == method
    # The text and HTML are the kind's own, link and all.
    assert MEETING["link"] in alternatives[0].get_content()
    assert MEETING["link"] in alternatives[1].get_content()
    assert "_attachments" not in alternatives[0].get_content()


async def batch(db: Database, tenant: Tenant) -> int:
    """A worker's batch of every outbox row of the tenant (`deliver_many`)."""
    return await process_batch(db, tenant.id, await outbox_ids(db, tenant), handlers())


def invite(ics: str, content_type: str = "text/calendar; method=REQUEST") -> tuple[Attachment]:
    return (Attachment("invite.ics", content_type, ics),)


async def test_an_invitation_arrives_inline_and_as_a_file_in_a_batch(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    ada, grace = await member(live_db, tenant), await member(live_db, tenant, "Grace Hopper")
    ics = invitation()
    async with live_db.tenant(tenant.id) as session:
        sent = await send_many(
            session,
            tenant,
            "meeting_scheduled",
            [
                Outgoing(MEETING, f"meeting:1:s0:{m.id}", to_member=m, attachments=invite(ics))
                for m in (ada, grace)
            ],
        )
    assert all(sent)
    assert await batch(live_db, tenant) == 2
    for person in (ada, grace):
        [caught] = inbox.to(person.email)
        email = caught.parsed()
        assert email["X-MentorHub-Kind"] == "meeting_scheduled"
        assert email["Subject"] == f"Meeting with Grace Hopper confirmed: {MEETING['when']}"
        check_invitation(email, ics)
        parsed = icalendar.Calendar.from_ical(ics)
        assert [str(e["uid"]) for e in parsed.walk("VEVENT")] == ["meeting-1@mentorhub"]


async def test_one_row_at_a_time_and_the_method_from_the_calendar(
    live_db: Database, inbox: Sink
) -> None:
    """The single-row handler composes the same mail; a `text/calendar` type without a
    method takes the calendar's own METHOD (a cancellation here)."""
    tenant = await branded_tenant(live_db)
    ada = await member(live_db, tenant)
    ics = invitation("CANCEL", sequence=2)
    context = {k: MEETING[k] for k in ("other_name", "when", "link")} | {"reason": "Ill, sorry"}
    async with live_db.tenant(tenant.id) as session:
        await send(
            session,
            tenant,
            "meeting_cancelled",
            context,
            f"meeting:1:cancel:{ada.id}",
            to_member=ada,
            attachments=invite(ics, "text/calendar"),
        )
    await deliver_all(live_db, tenant)
    [caught] = inbox.to(ada.email)
    email = caught.parsed()
    check_invitation(email, ics, "CANCEL")
    assert "Ill, sorry" in parts_of(email)[0][0].get_content()


async def test_the_attachments_are_stored_with_the_message_and_kept_from_templates(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    ada = await member(live_db, tenant)
    ics = invitation()
    key = f"meeting:2:s0:{ada.id}"
    first = await send_one(
        live_db, tenant, "meeting_scheduled", MEETING, key, to_member=ada, attachments=invite(ics)
    )
    again = await send_one(
        live_db, tenant, "meeting_scheduled", MEETING, key, to_member=ada, attachments=invite(ics)
    )
    assert first is not None and again is None  # idempotency as before
    row = await message_row(live_db, tenant, first)
    assert row.context["_attachments"] == [
        {"filename": "invite.ics", "content_type": "text/calendar; method=REQUEST", "content": ics}
    ]
    assert {k: v for k, v in row.context.items() if k != "_attachments"} == MEETING
    await deliver_all(live_db, tenant)
    assert len(inbox.to(ada.email)) == 1
    async with live_db.tenant(tenant.id) as session:
        text = await services.message_text(session, ada.id, first)
    assert MEETING["where"] in text and "BEGIN:VCALENDAR" not in text


async def test_a_message_without_attachments_is_unchanged(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    ada = await member(live_db, tenant)
    sent = await send_one(
        live_db, tenant, "meeting_proposed", MEETING, f"meeting:3:p:{ada.id}", to_member=ada
    )
    assert sent is not None
    assert (await message_row(live_db, tenant, sent)).context == MEETING
    assert await batch(live_db, tenant) == 1
    [caught] = inbox.to(ada.email)
    email = caught.parsed()
    assert email.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in email.iter_parts()] == ["text/plain", "text/html"]
    assert b"multipart/mixed" not in caught.raw and b"text/calendar" not in caught.raw
    assert b"This is a message in two parts: plain text and HTML." in caught.raw
    assert MEETING["link"] in email.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_file_that_is_not_a_calendar_is_only_attached(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    ada = await member(live_db, tenant)
    csv = "date,minutes\r\n2027-01-12,60\r\n"
    await send_one(
        live_db,
        tenant,
        "log_shared",
        {"author_name": "Ada", "cohort": "2027", "link": "https://x.example.org/l"},
        f"log:1:{ada.id}",
        to_member=ada,
        attachments=(Attachment("log entries.csv", "text/csv", csv),),
    )
    await deliver_all(live_db, tenant)
    [caught] = inbox.to(ada.email)
    alternatives, [file] = parts_of(caught.parsed())
    assert [p.get_content_type() for p in alternatives] == ["text/plain", "text/html"]
    assert file.get_content_type() == "text/csv"
    assert file.get_filename() == "log entries.csv"
    assert file.get_payload(decode=True) == csv.encode()


@pytest.mark.parametrize(
    ("attachment", "words"),
    [
        (Attachment("../invite.ics", "text/calendar", "BEGIN:VCALENDAR"), "plain file name"),
        (Attachment('in"vite.ics', "text/calendar", "BEGIN:VCALENDAR"), "plain file name"),
        (Attachment("invite.ics", "text/calendar\r\nBcc: x@y.org", "x"), "media type"),
        (Attachment("invite.ics", "calendar", "x"), "media type"),
        (Attachment("invite.ics", "text/calendar", ""), "no text content"),
        (Attachment("invite.ics", "text/calendar", "x" * (300 * 1024)), "at most"),
    ],
)
async def test_a_bad_attachment_is_refused_and_nothing_is_written(
    db: Database, attachment: Attachment, words: str
) -> None:
    tenant = await branded_tenant(db)
    ada = await member(db, tenant)
    async with db.tenant(tenant.id) as session:
        with pytest.raises(MessageError, match=words):
            await send(
                session,
                tenant,
                "meeting_scheduled",
                MEETING,
                f"bad:{ada.id}",
                to_member=ada,
                attachments=(attachment,),
            )
        count: Any = await session.scalar(select(func.count()).select_from(Message))
    assert count == 0


# --- the pair's space kinds render (their templates exist, use every variable) -------------

SPACE_KINDS = (
    "meeting_proposed",
    "meeting_scheduled",
    "meeting_changed",
    "meeting_declined",
    "meeting_cancelled",
    "agreement_changed",
    "plan_submitted",
    "log_shared",
    "chat_unread",
    "extension_proposed",
    "extension_declined",
    "pair_ended_coordinator",
)


@pytest.mark.parametrize("name", SPACE_KINDS)
def test_each_space_kind_renders_every_variable_and_its_button(name: str) -> None:
    kind = KINDS[name]
    context: dict[str, Any] = {v: f"[{v} & <value>]" for v in kind.variables}
    context["link"] = "https://tenant.example.org/pairs/9/x?a=1&b=2"
    renderer = Renderer(get_settings().templates_dir)
    subject = renderer.subject(
        kind, {**context, "association": "A", "scheme_name": "S", "recipient_name": "R"}, None
    )
    email = build_email(
        renderer=renderer,
        kind=kind,
        branding=Branding.from_tenant("Assoc", {}),
        context=context,
        subject=subject,
        to_address="r@example.org",
        recipient_name="R",
        mail_from="mentorhub@example.org",
        msg_id="<m1.t@example.org>",
        unsubscribe_url="https://tenant.example.org/messages/unsubscribe/t",
        override=None,
    ).parsed()
    text = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for variable, value in context.items():
        assert value in text, variable  # `reason` too: the footer no longer hides it
    assert 'href="https://tenant.example.org/pairs/9/x?a=1&amp;b=2"' in html  # the button
    assert "[reason &amp; &lt;value&gt;]" in html or "reason" not in context
    assert ("List-Unsubscribe" in email) == (name == "chat_unread")
