"""One-time approval links: GET shows, POST decides once; replay, tampering, expiry and
another tenant get a clear page and change nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.approvals import create_request, link_token
from mentorhub.identity.models import ApprovalRequest
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import SLUG_A, SLUG_B


async def new_request(
    db: Database, settings: Settings, tenant: Tenant, *, days: int = 14, now: datetime | None = None
) -> tuple[ApprovalRequest, str]:
    assert settings.secret_key is not None
    async with db.tenant(tenant.id) as session:
        return await create_request(
            session,
            settings.secret_key,
            summary="Application of Eli Mentee to the 2027 cohort",
            details={"Applicant": "Eli Mentee", "Organisation": "Citizens Advice Leeds"},
            approver_email="Line.Manager@example.org",
            valid_days=days,
            now=now,
        )


async def status_of(db: Database, tenant: Tenant, request: ApprovalRequest) -> str:
    async with db.tenant(tenant.id) as session:
        row = await session.get(ApprovalRequest, {"tenant_id": tenant.id, "id": request.id})
        assert row is not None
        await session.refresh(row)
        return row.status


def csrf(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def test_get_shows_the_request_and_never_consumes_it(
    client: httpx.AsyncClient, db: Database, settings: Settings, tenant_a: Tenant
) -> None:
    request, token = await new_request(db, settings, tenant_a)
    for _ in range(3):  # a mail scanner, a preview, then the person
        page = await client.get(f"/t/{SLUG_A}/approvals/{token}")
        assert page.status_code == 200
        assert "Application of Eli Mentee to the 2027 cohort" in page.text
        assert "Citizens Advice Leeds" in page.text
        assert '<label for="approve">Approve</label>' in page.text
    assert await status_of(db, tenant_a, request) == "pending"


async def test_the_approver_reads_the_details_in_the_order_given(
    client: httpx.AsyncClient, db: Database, settings: Settings, tenant_a: Tenant
) -> None:
    """jsonb reorders an object's keys (shortest first); the details are stored as pairs."""
    assert settings.secret_key is not None
    labels = ["Organisation", "Applicant", "Role", "Hours a month released for mentoring"]
    async with db.tenant(tenant_a.id) as session:
        _, token = await create_request(
            session,
            settings.secret_key,
            summary="Application of Eli Mentee",
            details={label: f"value {i}" for i, label in enumerate(labels)},
            approver_email="manager@example.org",
            valid_days=14,
        )
    page = await client.get(f"/t/{SLUG_A}/approvals/{token}")
    assert re.findall(r"<dt>([^<]+)</dt>", page.text)[: len(labels)] == labels


async def test_post_decides_once_and_records_who_and_when(
    client: httpx.AsyncClient, db: Database, settings: Settings, tenant_a: Tenant
) -> None:
    request, token = await new_request(db, settings, tenant_a)
    page = await client.get(f"/t/{SLUG_A}/approvals/{token}")
    form = {"_csrf_token": csrf(page.text), "decision": "approve", "comment": "Good fit."}
    done = await client.post(f"/t/{SLUG_A}/approvals/{token}", data=form)
    assert done.status_code == 200, done.text[:400]
    assert "your decision is recorded" in done.text
    async with db.tenant(tenant_a.id) as session:
        row = await session.get(ApprovalRequest, {"tenant_id": tenant_a.id, "id": request.id})
        assert row is not None
        await session.refresh(row)
        assert row.status == "approved"
        assert row.comment == "Good fit."
        assert row.decided_at is not None
        entry = (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "approval_decision")
            )
        ).scalar_one()
        assert entry.actor == "line.manager@example.org"
        assert entry.subject == str(request.id)
    # Replayed: a clear page, and the first decision stands.
    form["decision"] = "decline"
    replay = await client.post(f"/t/{SLUG_A}/approvals/{token}", data=form)
    assert replay.status_code == 410
    assert "already been recorded" in replay.text
    assert await status_of(db, tenant_a, request) == "approved"


async def test_tampered_link_changes_nothing(
    client: httpx.AsyncClient, db: Database, settings: Settings, tenant_a: Tenant
) -> None:
    request, token = await new_request(db, settings, tenant_a)
    other, _ = await new_request(db, settings, tenant_a)
    request_id, expires, signature = token.split(".")
    tampered = [
        f"{request_id}.{int(expires) + 86400}.{signature}",  # a later expiry
        f"{other.id.hex}.{expires}.{signature}",  # another request
        f"{request_id}.{expires}.{signature[:-2]}AA",  # a forged signature
        "nonsense",
    ]
    page = await client.get(f"/t/{SLUG_A}/approvals/{token}")
    token_field = csrf(page.text)
    for bad in tampered:
        shown = await client.get(f"/t/{SLUG_A}/approvals/{bad}")
        assert shown.status_code == 404
        assert "This link cannot be used" in shown.text
        posted = await client.post(
            f"/t/{SLUG_A}/approvals/{bad}",
            data={"_csrf_token": token_field, "decision": "approve"},
        )
        assert posted.status_code == 404
    assert await status_of(db, tenant_a, request) == "pending"
    assert await status_of(db, tenant_a, other) == "pending"


async def test_expired_link_changes_nothing(
    client: httpx.AsyncClient, db: Database, settings: Settings, tenant_a: Tenant
) -> None:
    request, token = await new_request(
        db, settings, tenant_a, days=14, now=datetime.now(UTC) - timedelta(days=15)
    )
    shown = await client.get(f"/t/{SLUG_A}/approvals/{token}")
    assert shown.status_code == 410
    assert "expired" in shown.text
    _, valid = await new_request(db, settings, tenant_a)
    page = await client.get(f"/t/{SLUG_A}/approvals/{valid}")
    posted = await client.post(
        f"/t/{SLUG_A}/approvals/{token}",
        data={"_csrf_token": csrf(page.text), "decision": "approve"},
    )
    assert posted.status_code == 410
    assert await status_of(db, tenant_a, request) == "pending"


async def test_link_on_another_tenant_changes_nothing(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    tenant_a: Tenant,
    tenant_b: Tenant,
) -> None:
    request, token = await new_request(db, settings, tenant_a)
    # A form token valid on B (tokens are bound to their tenant: A's is refused on B).
    _, b_token = await new_request(db, settings, tenant_b)
    page = await client.get(f"/t/{SLUG_B}/approvals/{b_token}")
    for where, headers in ((f"/t/{SLUG_B}", {}), ("", {"host": f"{SLUG_B}.example.org"})):
        shown = await client.get(f"{where}/approvals/{token}", headers=headers)
        assert shown.status_code == 404
        assert "not valid here" in shown.text
        posted = await client.post(
            f"{where}/approvals/{token}",
            headers=headers,
            data={"_csrf_token": csrf(page.text), "decision": "approve"},
        )
        assert posted.status_code == 404
    assert await status_of(db, tenant_a, request) == "pending"


async def test_decision_without_csrf_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings, tenant_a: Tenant
) -> None:
    request, token = await new_request(db, settings, tenant_a)
    refused = await client.post(f"/t/{SLUG_A}/approvals/{token}", data={"decision": "approve"})
    assert refused.status_code == 403
    assert await status_of(db, tenant_a, request) == "pending"


async def test_link_token_names_one_request_of_one_tenant(
    db: Database, settings: Settings, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    request, token = await new_request(db, settings, tenant_a)
    assert token == link_token(settings.secret_key or "", request)
    moved = ApprovalRequest(tenant_id=tenant_b.id, id=request.id, expires_at=request.expires_at)
    assert link_token(settings.secret_key or "", moved) != token
