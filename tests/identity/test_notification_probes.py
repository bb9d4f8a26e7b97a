"""Who reads what on the notification routes, through the real app and a real sign-in: a
member sees, opens and marks read only their own notifications — not another member's of
the same association, not anything of another association — and an unsubscribe link of one
association turns nothing off in another. The embedded mail catcher (`/mail`, every tenant's
mail in one box) is not mounted outside the embedded default.

(Here rather than in tests/messages: the signed-in client and the two provisioned tenants
are this folder's fixtures.)"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages import services
from mentorhub.messages.models import Message, MessagePreference
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import SLUG_A, SLUG_B, csrf_from, email, sign_in


async def remind(db: Database, tenant: Tenant, slug: str, who: str, title: str) -> int:
    """One reminder to `who` of `tenant`, its title in the subject; returns its id."""
    async with db.tenant(tenant.id) as session:
        member = (
            await session.execute(select(Member).where(Member.email == email(slug, who)))
        ).scalar_one()
        message_id = await services.send(
            session,
            tenant,
            "reminder",
            {"title": title, "due_on": "1 May", "link": "https://example.org/x"},
            f"probe:{uuid.uuid4()}",
            to_member=member,
        )
    assert message_id is not None
    return message_id


async def read_at(db: Database, tenant: Tenant, message_id: int) -> object:
    async with db.tenant(tenant.id) as session:
        return (
            await session.execute(select(Message.read_at).where(Message.id == message_id))
        ).scalar_one()


async def test_a_member_reads_and_marks_only_their_own_notifications(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    own = await remind(db, tenant_a, SLUG_A, "mentee", "OWN-NOTE")
    colleague = await remind(db, tenant_a, SLUG_A, "mentor", "COLLEAGUE-NOTE")
    elsewhere = await remind(db, tenant_b, SLUG_B, "mentee", "OTHER-TENANT-NOTE")
    await sign_in(client, SLUG_A, "mentee")

    listed = await client.get(f"/t/{SLUG_A}/notifications")
    assert listed.status_code == 200 and "OWN-NOTE" in listed.text
    assert "COLLEAGUE-NOTE" not in listed.text and "OTHER-TENANT-NOTE" not in listed.text

    # Another member's notification, and another tenant's id, are "no such page" here.
    for message_id in (colleague, elsewhere):
        opened = await client.get(f"/t/{SLUG_A}/notifications/{message_id}")
        assert opened.status_code == 404
        assert "NOTE" not in opened.text
    # Signed in to A only: B's notification pages give nothing.
    for path in ("/notifications", f"/notifications/{elsewhere}"):
        response = await client.get(f"/t/{SLUG_B}{path}")
        assert response.status_code != 200 and "OTHER-TENANT-NOTE" not in response.text

    mine = await client.get(f"/t/{SLUG_A}/notifications/{own}")
    assert mine.status_code == 200 and "OWN-NOTE" in mine.text
    marked = await client.post(
        f"/t/{SLUG_A}/notifications/read", data={"_csrf_token": csrf_from(listed.text)}
    )
    assert marked.status_code == 303
    assert await read_at(db, tenant_a, own) is not None
    # Opening someone else's and "mark all read" changed nothing of theirs.
    assert await read_at(db, tenant_a, colleague) is None
    assert await read_at(db, tenant_b, elsewhere) is None


async def test_an_unsubscribe_link_works_in_its_own_tenant_only(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant, tenant_b: Tenant, settings: Settings
) -> None:
    async with db.tenant(tenant_a.id) as session:
        member = (
            await session.execute(select(Member).where(Member.email == email(SLUG_A, "mentee")))
        ).scalar_one()
    token = services.unsubscribe_token(settings.secret_key or "", tenant_a.id, member.id)

    assert (await client.get(f"/t/{SLUG_B}/messages/unsubscribe/{token}")).status_code == 404
    assert (await client.post(f"/t/{SLUG_B}/messages/unsubscribe/{token}")).status_code == 404
    async with db.tenant(tenant_b.id) as session:
        assert (await session.execute(select(MessagePreference))).first() is None

    done = await client.post(f"/t/{SLUG_A}/messages/unsubscribe/{token}")
    assert done.status_code == 200
    async with db.tenant(tenant_a.id) as session:
        assert await services.reminders_off(session, member.id)


async def test_the_mail_catcher_is_not_mounted_outside_the_embedded_default(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    for path in ("/mail", "/mail/0000000000000000001-0123456789abcdef", f"/t/{SLUG_A}/mail"):
        assert (await client.get(path)).status_code == 404, path
