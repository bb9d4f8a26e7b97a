"""Demo mail for the embedded default: at start-up, once per tenant (the idempotency keys
make a restart send nothing twice), an approver's signed link and a role-change notice, so
the mail catcher at `/mail` shows real messages before anyone has done anything."""

from __future__ import annotations

from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.demo import demo_email
from mentorhub.identity.approvals import create_request
from mentorhub.identity.labels import role_label
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.messages.services import send
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant


async def send_demo_mail(db: Database, settings: Settings, tenants: list[Tenant], root: str) -> int:
    """Returns how many messages were written (0 on every start after the first)."""
    written = 0
    for tenant in tenants:
        base = f"{root.rstrip('/')}/t/{tenant.slug}"
        async with db.tenant(tenant.id) as session:
            done = (
                await session.execute(
                    select(func.count()).select_from(Message).where(Message.key.like("demo:%"))
                )
            ).scalar_one()
            if done:
                continue
            mentee = (
                await session.execute(
                    select(Member).where(Member.email == demo_email(tenant.slug, "mentee1"))
                )
            ).scalar_one_or_none()
            scheme = str(tenant.branding.get("scheme_name") or tenant.name)
            details = [
                ("Applicant", mentee.display_name if mentee else "Eli Mentee"),
                ("Scheme", scheme),
                ("Asked of you", "Confirm that the applicant may take part, as their line manager"),
            ]
            request, token = await create_request(
                session,
                settings.secret_key or "",
                summary=f"An application to {scheme}",
                details=details,
                approver_email=f"line.manager@{tenant.slug}.example.org",
                valid_days=settings.approval_link_days,
            )
            if await send(
                session,
                tenant,
                "approval_request",
                {
                    "summary": request.summary,
                    "details": details,
                    "link": f"{base}/approvals/{token}",
                    "expires_on": request.expires_at.strftime("%d %B %Y"),
                },
                f"demo:approval:{request.id}",
                to_address=request.approver_email,
            ):
                written += 1
            if mentee is not None and await send(
                session,
                tenant,
                "role_change",
                {
                    "roles": [role_label(r) for r in mentee.roles],
                    "added": [role_label(r) for r in mentee.roles],
                    "removed": [],
                    "link": f"{base}/login",
                },
                "demo:role_change",
                to_member=mentee,
            ):
                written += 1
    return written
