"""Demo mail for the embedded default: at start-up, once per tenant (a restart finds the demo
approval request and sends nothing twice), an approver's signed link — a real approval
request, created and mailed by the identity code's one action, `create_request` — and a
role-change notice, so the mail catcher at `/mail` shows real messages before anyone has
done anything."""

from __future__ import annotations

from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.demo import demo_email
from mentorhub.identity.approvals import create_request
from mentorhub.identity.labels import role_label
from mentorhub.identity.models import ApprovalRequest, Member
from mentorhub.messages.services import send
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant


async def send_demo_mail(db: Database, settings: Settings, tenants: list[Tenant], root: str) -> int:
    """Returns how many messages were written (0 on every start after the first)."""
    written = 0
    for tenant in tenants:
        base = f"{root.rstrip('/')}/t/{tenant.slug}"
        async with db.tenant(tenant.id) as session:
            approver = f"line.manager@{tenant.slug}.example.org"
            done = (
                await session.execute(
                    select(func.count())
                    .select_from(ApprovalRequest)
                    .where(ApprovalRequest.approver_email == approver)
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
            # The product's one way to ask an approver: the request and its mail together.
            await create_request(
                session,
                settings.secret_key or "",
                summary=f"An application to {scheme}",
                details=details,
                approver_email=approver,
                valid_days=settings.approval_link_days,
            )
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
