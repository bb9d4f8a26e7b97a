"""What the identity code sends, against the real SMTP sink on loopback: an approval request
mails its signed link to the approver (and the link opens the approval page); a role change
— from `change_roles` and from an ID token's roles claim — tells the member; a roster
rejection is audited and mailed to the uploader with its line-numbered problems. Each makes
exactly one mail (and, for a member, one notification); run twice, still one. And a
production worker process without MENTORHUB_SMTP_URL stops as it boots, in one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from mentorhub.app import create_app
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity import services as identity
from mentorhub.identity.approvals import create_request, mail_link
from mentorhub.identity.models import ApprovalRequest, Member
from mentorhub.identity.oidc import ProviderConfig
from mentorhub.identity.roster import parse_roster
from mentorhub.messages import services as messages
from mentorhub.messages.models import Message
from mentorhub.messages.services import MessageError
from mentorhub.outbox.models import OutboxMessage
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant
from tests.conftest import Servers
from tests.messages.sink import Caught, Sink
from tests.messages.test_messages import branded_tenant, deliver_all, member
from tests.support import serving

ROOT = Path(__file__).resolve().parents[2]
EVIL = 'Mallory <script>alert("x")</script> & Co'


def parts(caught: Caught) -> tuple[str, str]:
    email = caught.parsed()
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    plain = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return html, plain


async def count(db: Database, tenant: Tenant, model: Any) -> int:
    async with db.tenant(tenant.id) as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def notifications(db: Database, tenant: Tenant, who: Member) -> list[Any]:
    async with db.tenant(tenant.id) as session:
        return await messages.notifications(session, who.id)


# --- approval requests ---------------------------------------------------------------------


async def test_an_approval_request_mails_its_link_once_and_the_link_opens_the_page(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    secret = get_settings().secret_key or ""
    async with live_db.tenant(tenant.id) as session:
        request, token = await create_request(
            session,
            secret,
            summary=f"Application of {EVIL}",
            details=[("Applicant", EVIL), ("Organisation", "Citizens Advice Leeds")],
            approver_email="Line.Manager@example.org",
            valid_days=14,
        )
    async with live_db.tenant(tenant.id) as session:  # mailing the same request again: no-op
        row = await session.get(ApprovalRequest, {"tenant_id": tenant.id, "id": request.id})
        assert row is not None
        assert await mail_link(session, row, token) is None
    await deliver_all(live_db, tenant)

    [caught] = inbox.caught
    assert caught.recipients == ["line.manager@example.org"]
    email = caught.parsed()
    assert email["X-MentorHub-Kind"] == "approval_request"
    assert email["Subject"].startswith("Please approve: Application of Mallory")
    assert email["Reply-To"].addresses[0].addr_spec == "office@ama.example.org"
    html, plain = parts(caught)
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Citizens Advice Leeds" in html
    assert EVIL in plain  # the text part is text
    link = next(w for w in plain.split() if "/approvals/" in w)
    assert link.endswith(f"/t/{tenant.slug}/approvals/{token}")
    async with live_db.tenant(tenant.id) as session:
        [key] = (await session.execute(select(Message.key))).scalars().all()
    assert key == f"approval:{request.id}"

    # The link in the mail opens the approval page (the path, on the app's own host).
    async with serving(create_app(get_settings(), db=live_db)) as client:
        page = await client.get(urlsplit(link).path)
    assert page.status_code == 200, page.text[:300]
    assert "Citizens Advice Leeds" in page.text and "&lt;script&gt;" in page.text
    assert '<label for="approve">Approve</label>' in page.text


async def test_an_approval_request_and_its_mail_commit_together(
    live_db: Database, inbox: Sink
) -> None:
    """An approver address that is not one: refused, no request written. A transaction that
    fails after the request: neither the request nor its mail exists."""
    tenant = await branded_tenant(live_db)
    secret = get_settings().secret_key or ""
    with pytest.raises(MessageError, match="not an e-mail address"):
        async with live_db.tenant(tenant.id) as session:
            await create_request(
                session,
                secret,
                summary="x",
                details={},
                approver_email="line manager at example",
                valid_days=14,
            )
    with pytest.raises(RuntimeError):
        async with live_db.tenant(tenant.id) as session:
            await create_request(
                session,
                secret,
                summary="x",
                details={},
                approver_email="boss@example.org",
                valid_days=14,
            )
            raise RuntimeError("the caller's action fails later")
    assert await count(live_db, tenant, ApprovalRequest) == 0
    assert await count(live_db, tenant, Message) == 0
    assert await count(live_db, tenant, OutboxMessage) == 0
    await deliver_all(live_db, tenant)
    assert inbox.caught == []


# --- role changes --------------------------------------------------------------------------


async def test_change_roles_tells_the_member_once(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    mallory = await member(live_db, tenant, EVIL)  # a mentee
    for _ in range(2):  # the second time nothing changes, so nothing is sent
        change = await identity.change_roles(
            live_db,
            tenant.id,
            member_id=mallory.id,
            roles=["mentor", "coordinator"],
            actor="admin@example.org",
        )
    assert change.after == ("coordinator", "mentor")
    await deliver_all(live_db, tenant)

    [caught] = inbox.caught
    assert caught.recipients == [mallory.email]
    assert caught.parsed()["X-MentorHub-Kind"] == "role_change"
    html, plain = parts(caught)
    assert "Added: Coordinator, Mentor" in plain  # roles in words, never stored values
    assert "Removed: Mentee" in plain
    assert "Your roles now: Coordinator, Mentor." in plain
    assert "<script>" not in html and "Dear Mallory &lt;script&gt;" in html
    assert f"/t/{tenant.slug}/login" in plain
    [notice] = await notifications(live_db, tenant, mallory)
    assert notice.kind == "role_change" and not notice.read
    async with live_db.tenant(tenant.id) as session:
        [audited] = (
            await session.execute(select(AuditEntry.id).where(AuditEntry.action == "role_change"))
        ).scalars()
        [key] = (await session.execute(select(Message.key))).scalars()
    assert key == f"role_change:{audited}"


async def test_a_member_listed_by_email_is_told_their_roles(live_db: Database, inbox: Sink) -> None:
    tenant = await branded_tenant(live_db)
    change = await identity.change_roles(
        live_db,
        tenant.id,
        email="New.Mentor@example.org",
        name="Nia",
        add=["mentor"],
        actor="admin@example.org",
    )
    assert change.created
    await deliver_all(live_db, tenant)
    [caught] = inbox.caught
    assert caught.recipients == ["new.mentor@example.org"]
    assert "Your roles now: Mentor." in parts(caught)[1]


async def test_a_roles_claim_that_changes_roles_tells_the_member_once(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    config = ProviderConfig(
        "https://idp.example.org", "client", "secret", claim_mapping={"roles": "groups"}
    )
    known = {
        "sub": "s-1",
        "email": "eli@example.org",
        "email_verified": True,
        "name": "Eli",
        "groups": ["mentee"],
    }
    await identity.sign_in(live_db, tenant.id, config, known)  # first sign-in: no notice
    await deliver_all(live_db, tenant)
    assert inbox.caught == []
    for _ in range(2):  # the claim now makes Eli a mentor too; the same claim again: nothing
        await identity.sign_in(
            live_db, tenant.id, config, {**known, "groups": ["mentee", "mentor"]}
        )
    await deliver_all(live_db, tenant)

    [caught] = inbox.caught
    assert caught.recipients == ["eli@example.org"]
    plain = parts(caught)[1]
    assert "Added: Mentor" in plain and "Removed" not in plain
    assert "Your roles now: Mentor, Mentee." in plain
    async with live_db.tenant(tenant.id) as session:
        eli = (await session.execute(select(Member))).scalar_one()
    assert [n.kind for n in await notifications(live_db, tenant, eli)] == ["role_change"]


# --- roster rejections ---------------------------------------------------------------------

BAD_ROSTER = (
    b"member_number,email,status,ratified_on\n"
    b"A-1,ok@example.org,active,2026-01-31\n"
    b"A-2,<b>bold</b>@example,active,2026-01-31\n"
    b"A-3,x@example.org,retired,\n"
)


async def test_a_roster_rejection_is_audited_and_mailed_to_the_uploader_once(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    admin = await member(live_db, tenant, "Tess Admin")
    report = parse_roster(BAD_ROSTER)
    assert [p.path for p in report.problems] == ["line 3", "line 4"]
    for _ in range(2):  # the same file sent twice (a retried form): audited twice, mailed once
        rejected = await identity.reject_roster(
            live_db, tenant.id, BAD_ROSTER, report, actor=admin.email, member_id=admin.id
        )
    assert (rejected.problems, rejected.lines) == (2, (3, 4))
    await deliver_all(live_db, tenant)

    [caught] = inbox.caught
    assert caught.recipients == [admin.email]
    assert caught.parsed()["Subject"] == "Your member roster was not imported"
    html, plain = parts(caught)
    assert "line 3: " in plain and "line 4: " in plain
    assert "status 'retired' is not one of active, lapsed, pending" in plain
    assert "(3 rows)" in plain
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html  # escaped
    assert f"/t/{tenant.slug}/admin/roster" in plain
    assert [n.kind for n in await notifications(live_db, tenant, admin)] == ["roster_rejected"]
    async with live_db.tenant(tenant.id) as session:
        entries = (
            (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.action == "roster_rejected")
                )
            )
            .scalars()
            .all()
        )
    assert [e.details for e in entries] == [{"problems": 2, "lines": [3, 4]}] * 2
    assert {e.actor for e in entries} == {admin.email}
    assert all("example" not in str(e.details) for e in entries)  # no member data


async def test_a_long_rejection_mails_the_first_problems_and_audits_five_lines(
    live_db: Database, inbox: Sink
) -> None:
    tenant = await branded_tenant(live_db)
    rows = "".join(f"A-{i},bad{i},active,2026-01-31\n" for i in range(150))
    data = f"member_number,email,status,ratified_on\n{rows}".encode()
    report = parse_roster(data)
    assert len(report.problems) == 150
    rejected = await identity.reject_roster(
        live_db, tenant.id, data, report, actor="uploader@example.org", member_id=None
    )
    assert rejected.lines == (2, 3, 4, 5, 6)
    await deliver_all(live_db, tenant)
    [caught] = inbox.caught
    assert caught.recipients == ["uploader@example.org"]
    plain = parts(caught)[1]
    assert "line 101: " in plain and "line 102: " not in plain
    assert "… and 50 more problems" in plain


# --- a production worker without SMTP ------------------------------------------------------


def test_a_production_worker_without_smtp_stops_at_boot_in_one_line(servers: Servers) -> None:
    """A real `dramatiq workers` process, production mode (DATABASE_URL and REDIS_URL set),
    no MENTORHUB_SMTP_URL: it exits non-zero as it boots, before taking any message, and its
    stderr names the variable in one line (Dramatiq's own log lines say the worker exited)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("MENTORHUB_SMTP_URL", "MENTORHUB_EMBEDDED")
    }
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "dramatiq", "workers", "--processes", "1", "--threads", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    stderr = done.stderr.decode()
    lines = [line for line in stderr.splitlines() if "MENTORHUB_SMTP_URL" in line]
    assert lines == [
        "mentorhub: MENTORHUB_SMTP_URL is not set (production mode sends e-mail through it, "
        "e.g. smtp+starttls://user:password@mail.example.org)"
    ], stderr
    assert "Traceback" not in stderr
    assert "ready for action" not in stderr  # it never started consuming

    # With it set, the same command boots (and is stopped by the test).
    env["MENTORHUB_SMTP_URL"] = "smtp://127.0.0.1:25"
    worker = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "workers", "--processes", "1", "--threads", "1"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert worker.stderr is not None
        for raw in worker.stderr:
            assert b"MENTORHUB_SMTP_URL" not in raw
            if b"ready for action" in raw:
                break
        else:
            raise AssertionError("the worker never booted")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the process group: the parent and its worker
        worker.wait()
        worker.stderr.close()
