"""The membership roster: every bad row reported with its line, nothing changed if any is
bad; lapses recorded; the audit log visible to the tenant admin, counts to the platform."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry, action_counts
from mentorhub.db import Database
from mentorhub.identity.models import Member, MembershipLapse
from mentorhub.identity.roster import parse_roster
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import SLUG_A, csrf_from, email, sign_in

GOOD = (
    "member_number,email,status,ratified_on\n"
    f"A-1,{email(SLUG_A, 'mentor')},active,2026-09-30\n"
    "A-2,someone.new@example.org,pending,\n"
)


async def upload(client: httpx.AsyncClient, content: str) -> httpx.Response:
    page = await client.get(f"/t/{SLUG_A}/admin/roster")
    assert page.status_code == 200
    assert '<label for="roster">' in page.text
    return await client.post(
        f"/t/{SLUG_A}/admin/roster",
        data={"_csrf_token": csrf_from(page.text)},
        files={"roster": ("roster.csv", content.encode(), "text/csv")},
    )


async def members_by_email(db: Database, tenant: Tenant) -> dict[str, Member]:
    async with db.tenant(tenant.id) as session:
        return {m.email: m for m in (await session.execute(select(Member))).scalars()}


def test_every_bad_row_is_reported_with_its_line() -> None:
    report = parse_roster(
        b"member_number,email,status,ratified_on\n"
        b"A-1,ok@example.org,active,2026-01-31\n"
        b"A-2,not-an-email,active,2026-01-31\n"
        b"A-3,x@example.org,retired,\n"
        b"A-4,y@example.org,active,31/01/2026\n"
        b"A-5,ok@example.org,pending,\n"
        b"A-6,z@example.org\n"
    )
    assert [p.path for p in report.problems] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 7",
    ]
    assert "already on line 2" in report.problems[3].message
    assert [str(p) for p in parse_roster(b"email,status\n").problems] == [
        "line 1: the header must be member_number,email,status,ratified_on"
    ]


async def test_roster_with_bad_rows_changes_nothing(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "admin")
    before = await members_by_email(db, tenant_a)
    response = await upload(client, GOOD + "A-3,broken,active,2026-13-01\n")
    assert response.status_code == 400
    assert "Nothing was changed" in response.text
    assert "line 4:" in response.text
    after = await members_by_email(db, tenant_a)
    assert after.keys() == before.keys()
    assert after[email(SLUG_A, "mentor")].member_number is None


async def test_roster_applies_and_records_lapses(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "admin")
    first = await upload(client, GOOD)
    assert first.status_code == 200, first.text[:500]
    assert "Roster applied" in first.text
    members = await members_by_email(db, tenant_a)
    mentor = members[email(SLUG_A, "mentor")]
    assert (mentor.member_number, mentor.membership_status) == ("A-1", "active")
    assert str(mentor.ratified_on) == "2026-09-30"
    assert members["someone.new@example.org"].membership_status == "pending"
    lapsed = await upload(
        client, f"member_number,email,status,ratified_on\nA-1,{email(SLUG_A, 'mentor')},lapsed,\n"
    )
    assert "1 lapsed" in lapsed.text
    async with db.tenant(tenant_a.id) as session:
        lapse = (await session.execute(select(MembershipLapse))).scalar_one()
        assert (lapse.member_id, lapse.previous_status, lapse.new_status) == (
            mentor.id,
            "active",
            "lapsed",
        )
        uploads = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "roster_upload"))
        ).scalars()
        assert len(list(uploads)) == 2


async def test_audit_log_page_for_the_tenant_admin_and_counts_for_the_platform(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "mentor")
    await sign_in(client, SLUG_A, "admin")
    page = await client.get(f"/t/{SLUG_A}/admin/audit")
    assert page.status_code == 200
    assert email(SLUG_A, "mentor") in page.text
    counts = await action_counts(db, [tenant_a.id])
    assert counts[tenant_a.id]["login"] == 2
    assert all(isinstance(n, int) for n in counts[tenant_a.id].values())


async def test_platform_page_needs_a_platform_admin(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "admin")  # a tenant admin is not a platform admin
    response = await client.get("/platform/activity")
    assert response.status_code == 303
    assert response.headers["location"] == "/platform/login"


def test_membership_requirement_from_status_and_ratification() -> None:
    from datetime import date

    from mentorhub.identity.membership import membership_problem
    from mentorhub.schemes import load_tenant
    from mentorhub.settings import get_settings

    tenants = get_settings().tenants_dir
    alberta = load_tenant("alberta-museums", tenants).scheme
    museums = load_tenant("museums-association", tenants).scheme
    start = date(2026, 10, 1)
    assert membership_problem(alberta, "active", date(2026, 9, 30), start) is None
    assert "ratified" in (membership_problem(alberta, "active", date(2026, 10, 2), start) or "")
    assert "ratified" in (membership_problem(alberta, "active", None, start) or "")
    assert "not active" in (membership_problem(alberta, "lapsed", date(2026, 1, 1), start) or "")
    assert membership_problem(museums, None, None, start) is None  # open to all
