"""The roster page's rejection goes through `services.reject_roster`: a bad upload through the
real view (a tenant admin signed in through the real OpenID Connect provider) leaves one
"roster_rejected" audit row (counts and line numbers, no member data) and one message to the
uploader listing the problems by line, in their notifications."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import SLUG_A, csrf_from, email, sign_in


async def test_a_rejected_upload_is_audited_and_mailed_to_the_uploader(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "admin")
    page = await client.get(f"/t/{SLUG_A}/admin/roster")
    content = (
        "member_number,email,status,ratified_on\n"
        "A-1,secret.person@example.org,active,2026-01-31\n"
        "A-2,secret.person@example.org,pending,\n"
        "A-3,broken,active,2026-13-01\n"
    )
    response = await client.post(
        f"/t/{SLUG_A}/admin/roster",
        data={"_csrf_token": csrf_from(page.text)},
        files={"roster": ("roster.csv", content.encode(), "text/csv")},
    )
    assert response.status_code == 400 and "line 4:" in response.text
    async with db.tenant(tenant_a.id) as session:
        [entry] = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "roster_rejected"))
        ).scalars()
        [message] = (await session.execute(select(Message))).scalars()
        admin = (
            await session.execute(select(Member).where(Member.email == email(SLUG_A, "admin")))
        ).scalar_one()
    assert entry.actor == email(SLUG_A, "admin")
    assert entry.details == {"problems": 2, "lines": [3, 4]}  # no addresses, no numbers
    assert (message.kind, message.member_id) == ("roster_rejected", admin.id)
    assert message.to_address == email(SLUG_A, "admin")
    problems = message.context["problems"]
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4"]
    # The uploader sees it among their notifications too (unread count in the navigation).
    notices = await client.get(f"/t/{SLUG_A}/notifications")
    assert notices.status_code == 200
    assert "Your member roster was not imported" in notices.text
