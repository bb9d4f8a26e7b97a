"""The members lists (tenant admin, coordinator) and the audit log, a page at a time: the
right members in name order, search by name, e-mail or member number, never another tenant's,
and a bounded page however many members there are."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from mentorhub.core import audit
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import SLUG_A, sign_in

ADMIN = f"/t/{SLUG_A}/admin/members"
COORDINATOR = f"/t/{SLUG_A}/coordinator/members"


async def add_members(db: Database, tenant: Tenant, count: int, *, prefix: str) -> None:
    """ "<prefix> 0000" … in that order by name; e-mail p<i>@<prefix>.example.org, member
    number <prefix>-<i>. (No digits from the run's random slug, so a search for digits finds
    only what it means to.)"""
    async with db.tenant(tenant.id) as session:
        await session.execute(
            text(
                "INSERT INTO members (tenant_id, id, email, display_name, roles, member_number)"
                " SELECT :tenant, gen_random_uuid(),"
                "  'p' || i || '@' || lower(:prefix) || '.example.org',"
                "  :prefix || ' ' || lpad(i::text, 4, '0'), '{mentee}', :prefix || '-' || i"
                " FROM generate_series(0, :last) AS i"
            ),
            {"tenant": tenant.id, "prefix": prefix, "last": count - 1},
        )


def names(html: str) -> list[str]:
    """The members listed, in page order (the coordinator's table or the admin's forms)."""
    table = re.findall(r"<tr><td>([^<]+)</td>", html)
    return table or re.findall(r"<legend>([^<(]+) \(", html)


async def test_pages_hold_fifty_members_in_name_order(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    await add_members(db, tenant_a, 120, prefix="Zed")
    await add_members(db, tenant_b, 30, prefix="Zed")  # same names, the other tenant
    await sign_in(client, SLUG_A, "admin")

    first = await client.get(ADMIN)
    assert first.status_code == 200
    # The four provisioned accounts sort before "Zed …".
    shown = names(first.text)
    assert len(shown) == 50
    assert shown[4:] == [f"Zed {i:04d}" for i in range(46)]
    assert "124 members." in first.text and "page 1 of 3" in first.text
    assert 'aria-label="Page 2 of 3"' in first.text
    assert 'aria-label="Next page, page 2"' in first.text
    assert 'aria-current="page"' in first.text

    last = await client.get(ADMIN, params={"page": "3"})
    assert names(last.text) == [f"Zed {i:04d}" for i in range(96, 120)]
    assert 'aria-label="Previous page, page 2"' in last.text
    assert "Next page" not in last.text
    beyond = await client.get(ADMIN, params={"page": "99"})  # the last page
    assert names(beyond.text) == names(last.text)
    nonsense = await client.get(ADMIN, params={"page": "two"})  # the first page
    assert names(nonsense.text) == shown


async def test_search_by_name_email_or_member_number_within_the_tenant(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    await add_members(db, tenant_a, 120, prefix="Zed")
    await add_members(db, tenant_b, 120, prefix="Bee")
    await sign_in(client, SLUG_A, "coordinator")

    by_name = await client.get(COORDINATOR, params={"q": "zed 001"})
    assert names(by_name.text) == ["Zed 0001"] + [f"Zed {i:04d}" for i in range(10, 20)]
    assert "11 members match “zed 001”." in by_name.text
    by_email = await client.get(COORDINATOR, params={"q": "P7@zed"})
    assert names(by_email.text) == ["Zed 0007"]
    assert "1 member matches" in by_email.text
    by_number = await client.get(COORDINATOR, params={"q": "Zed-119"})
    assert names(by_number.text) == ["Zed 0119"]
    words = await client.get(COORDINATOR, params={"q": "0100 zed"})  # each word, any order
    assert names(words.text) == ["Zed 0100"]
    paged = await client.get(COORDINATOR, params={"q": "zed", "page": "3"})
    assert names(paged.text) == [f"Zed {i:04d}" for i in range(100, 120)]
    assert f'href="/t/{SLUG_A}/coordinator/members?q=zed&amp;page=2"' in paged.text

    # Another tenant's members are never found, by name, e-mail or number.
    for q in ("bee", "p7@bee", "Bee-1"):
        other = await client.get(COORDINATOR, params={"q": q})
        assert names(other.text) == [], q
        assert f"No member matches “{q}”." in other.text
    # LIKE's wildcards are searched for as themselves.
    assert names((await client.get(COORDINATOR, params={"q": "%"})).text) == []
    assert names((await client.get(COORDINATOR, params={"q": "_"})).text) == []


async def test_twenty_thousand_members_make_a_small_page(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    await add_members(db, tenant_a, 20_000, prefix="Zed")
    await sign_in(client, SLUG_A, "admin")
    for path in (ADMIN, COORDINATOR):
        page = await client.get(path, params={"page": "200"})
        assert page.status_code == 200
        assert len(names(page.text)) == 50
        assert "20,004 members." in page.text
        assert len(page.content) < 120_000, (path, len(page.content))


async def test_audit_log_pages_newest_first(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    start = datetime.now(UTC)
    async with db.tenant(tenant_a.id) as session:
        for i in range(120):
            session.add(
                AuditEntry(
                    tenant_id=tenant_a.id,
                    action="test_entry",
                    actor="tester",
                    subject=f"entry {i:03d}",
                    created_at=start + timedelta(seconds=i),
                )
            )
    async with db.tenant(tenant_b.id) as session:
        audit.record(session, "test_entry", actor="tester", subject="other tenant")
    async with db.tenant(tenant_a.id) as session:
        page = await audit.page(session, 1)
        assert page.total == 120 and page.pages == 3
        assert [e.subject for e in page.rows][:2] == ["entry 119", "entry 118"]
        third = await audit.page(session, 3)
        assert [e.subject for e in third.rows] == [f"entry {i:03d}" for i in range(19, -1, -1)]
    await sign_in(client, SLUG_A, "admin")
    response = await client.get(f"/t/{SLUG_A}/admin/audit", params={"page": "2"})
    assert response.status_code == 200
    assert "page 2 of 3" in response.text
    assert "other tenant" not in response.text
    assert 'aria-label="Audit log: pages"' in response.text
