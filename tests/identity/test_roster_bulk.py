"""A roster of 20,000 rows, applied in bulk: all or nothing, counts and lapses right, members
matched by e-mail in any case, and only within the uploading tenant."""

from __future__ import annotations

from datetime import date

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select, text

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member, MembershipLapse
from mentorhub.identity.roster import RosterRow, apply_roster, parse_roster
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import SLUG_A, SLUG_B, csrf_from, sign_in

ROWS = 20_000
LISTED = 3_000  # already members of tenant A: bulk0 … bulk2999


def bulk_email(i: int, slug: str = SLUG_A) -> str:
    return f"bulk{i}@{slug}.example.org"


async def list_members(db: Database, tenant: Tenant, count: int, *, slug: str = SLUG_A) -> None:
    """`count` members, every other one active; every third with its e-mail in capitals
    (members signed in before e-mails were lowercased)."""
    async with db.tenant(tenant.id) as session:
        await session.execute(
            text(
                "INSERT INTO members (tenant_id, id, email, display_name, roles,"
                " membership_status)"
                " SELECT :tenant, gen_random_uuid(),"
                "  CASE WHEN i % 3 = 0 THEN upper('bulk' || i || '@' || :slug || '.example.org')"
                "       ELSE 'bulk' || i || '@' || :slug || '.example.org' END,"
                "  'Bulk ' || i, '{mentee}',"
                "  CASE WHEN i % 2 = 0 THEN 'active' ELSE 'pending' END"
                " FROM generate_series(0, :last) AS i"
            ),
            {"tenant": tenant.id, "slug": slug, "last": count - 1},
        )


def roster_csv(rows: int, *, bad_line_at: int | None = None) -> str:
    """Rows 0 … rows-1: of the listed members, i % 10 == 0 become lapsed and i % 10 == 2
    pending; everyone else active."""
    lines = ["member_number,email,status,ratified_on"]
    for i in range(rows):
        if i % 10 == 0:
            lines.append(f"N-{i},{bulk_email(i).upper() if i % 7 == 0 else bulk_email(i)},lapsed,")
        elif i % 10 == 2:
            lines.append(f"N-{i},{bulk_email(i)},pending,")
        else:
            lines.append(f"N-{i},{bulk_email(i)},active,2026-09-30")
        if bad_line_at is not None and i == bad_line_at:
            lines.append(f"N-x{i},not-an-address,active,2026-09-30")
    return "\n".join(lines) + "\n"


def expected_lapses() -> int:
    """Listed members that were active (even i) and the roster makes lapsed or pending."""
    return sum(1 for i in range(LISTED) if i % 2 == 0 and i % 10 in (0, 2))


async def upload(client: httpx.AsyncClient, content: str) -> httpx.Response:
    page = await client.get(f"/t/{SLUG_A}/admin/roster")
    return await client.post(
        f"/t/{SLUG_A}/admin/roster",
        data={"_csrf_token": csrf_from(page.text)},
        files={"roster": ("roster.csv", content.encode(), "text/csv")},
    )


async def snapshot(db: Database, tenant: Tenant) -> list[tuple[str, str | None, str | None]]:
    async with db.tenant(tenant.id) as session:
        rows = await session.execute(
            select(Member.email, Member.membership_status, Member.member_number).order_by(
                Member.email
            )
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_twenty_thousand_rows_apply_with_counts_and_lapses(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    await list_members(db, tenant_a, LISTED)
    # Tenant B lists the same local parts under its own e-mails, and one under A's address:
    # A's roster must neither match nor change it.
    await list_members(db, tenant_b, 10, slug=SLUG_B)
    async with db.tenant(tenant_b.id) as session:
        session.add(
            Member(
                tenant_id=tenant_b.id,
                email=bulk_email(5),
                display_name="B's own",
                roles=[],
                membership_status="active",
            )
        )
    before_b = await snapshot(db, tenant_b)
    await sign_in(client, SLUG_A, "admin")

    response = await upload(client, roster_csv(ROWS))

    assert response.status_code == 200, response.text[:500]
    lapsed = expected_lapses()
    assert f"{LISTED:,} members updated, {ROWS - LISTED:,} added, {lapsed:,} lapsed" in (
        response.text
    )
    async with db.tenant(tenant_a.id) as session:
        members = {m.email.lower(): m for m in (await session.execute(select(Member))).scalars()}
        assert len(members) == ROWS + 4  # the roster's and the four provisioned accounts
        assert members[bulk_email(3)].email == bulk_email(3).upper()  # matched, kept as it was
        assert (members[bulk_email(3)].membership_status, members[bulk_email(3)].member_number) == (
            "active",
            "N-3",
        )
        assert members[bulk_email(3)].ratified_on == date(2026, 9, 30)
        assert members[bulk_email(3)].roles == ["mentee"]  # the roster changes no roles
        new = members[bulk_email(ROWS - 1)]
        assert (new.display_name, new.membership_status, new.issuer) == (
            bulk_email(ROWS - 1),
            "active",
            None,
        )
        assert members[bulk_email(10)].membership_status == "lapsed"
        lapses = list((await session.execute(select(MembershipLapse))).scalars())
        assert len(lapses) == lapsed
        assert {(x.previous_status, x.source) for x in lapses} == {("active", "roster")}
        assert {x.new_status for x in lapses} == {"lapsed", "pending"}
        by_id = {m.id: m for m in members.values()}
        assert all(by_id[x.member_id].membership_status == x.new_status for x in lapses)
        uploads = list(
            (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.action == "roster_upload")
                )
            ).scalars()
        )
        assert [u.details for u in uploads] == [
            {"rows": ROWS, "updated": LISTED, "added": ROWS - LISTED, "lapsed": lapsed}
        ]
    assert await snapshot(db, tenant_b) == before_b

    # The same roster again: everyone is matched, nobody added, nobody lapses again.
    again = await upload(client, roster_csv(ROWS))
    assert f"{ROWS:,} members updated, 0 added, 0 lapsed" in again.text
    async with db.tenant(tenant_a.id) as session:
        count = select(func.count()).select_from(MembershipLapse)
        assert (await session.execute(count)).scalar_one() == lapsed


async def test_one_bad_row_in_twenty_thousand_changes_nothing(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    await list_members(db, tenant_a, LISTED)
    await sign_in(client, SLUG_A, "admin")
    before = await snapshot(db, tenant_a)

    response = await upload(client, roster_csv(ROWS, bad_line_at=ROWS - 2))

    assert response.status_code == 400
    assert "Nothing was changed: 1 problem" in response.text
    assert f"line {ROWS + 1}:" in response.text  # the header is line 1
    assert await snapshot(db, tenant_a) == before
    async with db.tenant(tenant_a.id) as session:
        assert (
            await session.execute(select(func.count()).select_from(MembershipLapse))
        ).scalar_one() == 0


async def test_a_row_the_database_refuses_rolls_back_every_row(
    db: Database, tenant_a: Tenant
) -> None:
    """All or nothing holds in the database too: one statement, so a row that breaks a
    constraint after the checks (here a status the checks would refuse) undoes the rest."""
    await list_members(db, tenant_a, LISTED)
    before = await snapshot(db, tenant_a)
    rows = parse_roster(roster_csv(ROWS).encode()).rows
    rows[-1] = RosterRow(rows[-1].line, "N-last", "last@example.org", "retired", None)
    with pytest.raises(asyncpg.CheckViolationError):
        async with db.tenant(tenant_a.id) as session:
            await apply_roster(session, rows, "admin@example.org")
    assert await snapshot(db, tenant_a) == before
    async with db.tenant(tenant_a.id) as session:
        assert (
            await session.execute(select(func.count()).select_from(MembershipLapse))
        ).scalar_one() == 0
        uploads = select(AuditEntry).where(AuditEntry.action == "roster_upload")
        assert list((await session.execute(uploads)).scalars()) == []


def test_parsing_large_files_reports_every_line() -> None:
    report = parse_roster(roster_csv(ROWS).encode())
    assert report.problems == []
    assert len(report.rows) == ROWS
    assert report.rows[0] == RosterRow(2, "N-0", bulk_email(0), "lapsed", None)
