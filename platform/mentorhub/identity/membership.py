"""Members from sign-in (just in time) and membership status from the ID token or a roster.

A member is known by (tenant, issuer, subject). On the first sign-in a member the tenant
already listed (demo seed, roster) is linked by e-mail only if the provider says the e-mail
is verified; otherwise a new member is created from the claims.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.session import current_tenant
from mentorhub.identity.models import (
    Member,
    MembershipLapse,
    MembershipSource,
    MembershipStatus,
)
from mentorhub.identity.oidc import OidcError, ProviderConfig
from mentorhub.schemes.rules import Scheme

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def claim_may_set_membership(member: Member) -> bool:
    """Precedence: where the roster gave a member's status, the roster is the source of it
    and an ID-token claim does not change it (until a roster says otherwise); a claim only
    fills what no roster has said. README, "Membership: roster and claim"."""
    return member.membership_source != MembershipSource.ROSTER


def set_membership(session: AsyncSession, member: Member, status: str, *, source: str) -> bool:
    """Set the status and who gave it; a change away from active is recorded as a lapse."""
    previous = member.membership_status
    member.membership_source = source
    if previous == status:
        return False
    member.membership_status = status
    if previous == MembershipStatus.ACTIVE:
        session.add(
            MembershipLapse(
                tenant_id=member.tenant_id,
                id=uuid.uuid4(),
                member_id=member.id,
                previous_status=previous,
                new_status=status,
                source=source,
            )
        )
    return True


async def sign_in_member(
    session: AsyncSession, config: ProviderConfig, claims: dict[str, Any]
) -> Member:
    tenant_id = current_tenant(session)
    mapping = config.claim_mapping
    subject = str(claims["sub"])
    email_claim = claims.get(mapping.get("email", "email"))
    name_claim = claims.get(mapping.get("name", "name"))
    member = (
        await session.execute(
            select(Member).where(Member.issuer == config.issuer, Member.subject == subject)
        )
    ).scalar_one_or_none()
    if member is None:
        if not isinstance(email_claim, str) or not EMAIL.match(email_claim):
            raise OidcError("the identity provider sent no usable e-mail address")
        email = email_claim.lower()
        listed = (
            await session.execute(
                select(Member).where(func.lower(Member.email) == email, Member.issuer.is_(None))
            )
        ).scalar_one_or_none()
        if listed is not None and claims.get("email_verified") is True:
            member = listed
        elif listed is not None:
            raise OidcError("this e-mail address is listed but the provider has not verified it")
        else:
            taken = (
                await session.execute(select(Member.id).where(func.lower(Member.email) == email))
            ).first()
            if taken is not None:
                raise OidcError("another account already uses this e-mail address")
            member = Member(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                email=email,
                display_name=str(name_claim or email)[:200],
                roles=[],
            )
            session.add(member)
        member.issuer = config.issuer
        member.subject = subject
    if isinstance(name_claim, str) and name_claim.strip():
        member.display_name = name_claim.strip()[:200]
    membership_claim = mapping.get("membership")
    if membership_claim and membership_claim in claims:
        value = str(claims[membership_claim]).lower()
        if value in set(MembershipStatus) and claim_may_set_membership(member):
            set_membership(session, member, value, source="claim")
    # A mapped roles claim is applied by `services.sign_in` (the one role-change step).
    await session.flush()
    return member


def membership_problem(
    scheme: Scheme, status: str | None, ratified_on: date | None, starts_on: date
) -> str | None:
    """Why a member does not meet the scheme's membership requirement on `starts_on`, or
    None. Pure: the status comes from the ID-token claim or the roster."""
    requirement = scheme.eligibility.membership
    if not requirement.required:
        return None
    if status != MembershipStatus.ACTIVE:
        return "membership of the association is required and is not active"
    if scheme.application.board_ratification and (ratified_on is None or ratified_on > starts_on):
        return "membership must be ratified before the relationship starts"
    return None
