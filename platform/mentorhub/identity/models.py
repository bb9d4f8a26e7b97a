"""Members of a tenant, how they sign in, their membership, and approval requests (the
audit log is the core's: `mentorhub.core.audit`).

Roles are per tenant: one person may be mentor and mentee. A member who signed in is known
by (tenant, issuer, subject); the e-mail is only a contact and a roster key.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKeyConstraint, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from mentorhub.db.base import TenantOwned


class Role(enum.StrEnum):
    TENANT_ADMIN = "tenant_admin"
    COORDINATOR = "coordinator"
    MENTOR = "mentor"
    MENTEE = "mentee"


class MembershipStatus(enum.StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"
    PENDING = "pending"


class MembershipSource(enum.StrEnum):
    ROSTER = "roster"  # the tenant's roster; outranks a claim
    CLAIM = "claim"  # the member's ID token, where no roster gave the status


class Member(TenantOwned):
    __tablename__ = "members"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    issuer: Mapped[str | None] = mapped_column(String(500), default=None)
    subject: Mapped[str | None] = mapped_column(String(255), default=None)
    membership_status: Mapped[str | None] = mapped_column(String(16), default=None)
    #: "roster" or "claim": who last gave the status (a roster's status outranks a claim).
    membership_source: Mapped[str | None] = mapped_column(String(16), default=None)
    member_number: Mapped[str | None] = mapped_column(String(64), default=None)
    ratified_on: Mapped[date | None] = mapped_column(Date, default=None)
    #: Erased at a tenant admin's request (Art. 17): the row stays, anonymised (migration 0018).
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class ProviderStatus(enum.StrEnum):
    ACTIVE = "active"  # members sign in through it
    PENDING = "pending"  # saved, waiting for one successful test sign-in


class IdentityProvider(TenantOwned):
    """A tenant's OpenID Connect provider. The client secret is stored encrypted. At most one
    active and one pending per tenant (partial unique indexes, migration 0005)."""

    __tablename__ = "identity_providers"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_enc: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(500), default="openid email profile")
    claim_mapping: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ProviderStatus.ACTIVE)
    test_error: Mapped[str | None] = mapped_column(String(300), default=None)
    tested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class MembershipLapse(TenantOwned):
    """A member's membership stopped being active; schemes that require membership for the
    whole relationship read these."""

    __tablename__ = "membership_lapses"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    member_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    previous_status: Mapped[str | None] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))


class ApprovalRequest(TenantOwned):
    """Something an approver without an account approves or declines through a signed link."""

    __tablename__ = "approval_requests"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    summary: Mapped[str] = mapped_column(String(300))
    #: [label, value] pairs, shown to the approver in this order.
    details: Mapped[list[list[str]]] = mapped_column(JSONB, default=list)
    approver_email: Mapped[str] = mapped_column(String(320))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
