"""Precedence between the roster and the ID token's membership claim: where the roster gave a
member's status, the roster is the source of it; a claim only fills what no roster has said.
(Before, the claim always won, so a roster upload was undone at the member's next sign-in.)"""

from __future__ import annotations

import httpx
from sqlalchemy import select

from mentorhub.db import Database
from mentorhub.identity.models import Member, MembershipLapse
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import SLUG_A, csrf_from, email, sign_in


async def upload(client: httpx.AsyncClient, content: str) -> httpx.Response:
    page = await client.get(f"/t/{SLUG_A}/admin/roster")
    return await client.post(
        f"/t/{SLUG_A}/admin/roster",
        data={"_csrf_token": csrf_from(page.text)},
        files={"roster": ("roster.csv", content.encode(), "text/csv")},
    )


async def member(db: Database, tenant: Tenant, key: str) -> Member:
    async with db.tenant(tenant.id) as session:
        found = await session.execute(select(Member).where(Member.email == email(SLUG_A, key)))
        return found.scalar_one()


async def test_a_roster_status_holds_against_the_claim_at_the_next_sign_in(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    # The test provider's accounts all carry membership_status "active", mapped as the claim.
    await sign_in(client, SLUG_A, "mentor")
    mentor = await member(db, tenant_a, "mentor")
    assert (mentor.membership_status, mentor.membership_source) == ("active", "claim")
    client.cookies.clear()
    await sign_in(client, SLUG_A, "admin")
    response = await upload(
        client, f"member_number,email,status,ratified_on\nA-1,{email(SLUG_A, 'mentor')},lapsed,\n"
    )
    assert "1 lapsed" in response.text
    client.cookies.clear()

    signed_in = await sign_in(client, SLUG_A, "mentor")  # the claim still says "active"

    assert signed_in.status_code == 303
    mentor = await member(db, tenant_a, "mentor")
    assert (mentor.membership_status, mentor.membership_source) == ("lapsed", "roster")
    async with db.tenant(tenant_a.id) as session:
        lapses = list((await session.execute(select(MembershipLapse))).scalars())
    assert [(x.previous_status, x.new_status, x.source) for x in lapses] == [
        ("active", "lapsed", "roster")
    ]


async def test_a_claim_fills_what_the_roster_does_not_say(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "admin")
    await upload(
        client,
        f"member_number,email,status,ratified_on\nA-1,{email(SLUG_A, 'mentor')},pending,\n",
    )
    client.cookies.clear()

    await sign_in(client, SLUG_A, "mentee")  # not on the roster
    await sign_in(client, SLUG_A, "mentor")  # on it

    mentee = await member(db, tenant_a, "mentee")
    assert (mentee.membership_status, mentee.membership_source) == ("active", "claim")
    mentor = await member(db, tenant_a, "mentor")
    assert (mentor.membership_status, mentor.membership_source) == ("pending", "roster")
    # A later roster still changes a status a claim gave.
    client.cookies.clear()
    await sign_in(client, SLUG_A, "admin")
    await upload(
        client, f"member_number,email,status,ratified_on\nA-2,{email(SLUG_A, 'mentee')},lapsed,\n"
    )
    mentee = await member(db, tenant_a, "mentee")
    assert (mentee.membership_status, mentee.membership_source) == ("lapsed", "roster")
