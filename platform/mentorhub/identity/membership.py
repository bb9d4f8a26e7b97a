"""Members from sign-in (just in time) and membership status from the ID token or a roster.

A member is known by (tenant, issuer, subject). On the first sign-in a member the tenant
already listed (demo seed, roster) is linked by e-mail only if the provider says the e-mail
is verified; otherwise a new member is created from the claims.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.session import current_tenant
from mentorhub.identity import audit
from mentorhub.identity.models import Member, MembershipLapse, MembershipStatus, Role
from mentorhub.identity.oidc import OidcError, ProviderConfig
from mentorhub.schemes.model import Scheme

ROSTER_COLUMNS = ("member_number", "email", "status", "ratified_on")
ROSTER_MAX_BYTES = 5 * 1024 * 1024
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def set_membership(session: AsyncSession, member: Member, status: str, *, source: str) -> bool:
    """Set the status; a change away from active is recorded as a lapse."""
    previous = member.membership_status
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
        if value in set(MembershipStatus):
            set_membership(session, member, value, source="claim")
    roles_claim = mapping.get("roles")
    if roles_claim and isinstance(claims.get(roles_claim), list):
        roles = sorted({r for r in claims[roles_claim] if r in set(Role)})
        if roles != sorted(member.roles):
            audit.record(
                session,
                "role_change",
                actor=config.issuer,
                subject=member.email,
                details={"from": sorted(member.roles), "to": roles},
            )
            member.roles = roles
    await session.flush()
    return member


@dataclass(frozen=True)
class RosterRow:
    line: int
    member_number: str
    email: str
    status: str
    ratified_on: date | None


@dataclass
class RosterReport:
    problems: list[str] = field(default_factory=list)
    rows: list[RosterRow] = field(default_factory=list)


def parse_roster(data: bytes) -> RosterReport:
    """Check every row; collect every problem with its line number."""
    report = RosterReport()
    if len(data) > ROSTER_MAX_BYTES:
        report.problems.append(f"the file is larger than {ROSTER_MAX_BYTES // 1024 // 1024} MB")
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.problems.append("the file is not UTF-8 text")
        return report
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != ROSTER_COLUMNS:
        report.problems.append("line 1: the header must be " + ",".join(ROSTER_COLUMNS))
        return report
    seen_emails: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(ROSTER_COLUMNS):
            report.problems.append(f"line {line}: expected 4 values, found {len(cells)}")
            continue
        number, email, status, ratified = (c.strip() for c in cells)
        email = email.lower()
        bad: list[str] = []
        if not number or len(number) > 64:
            bad.append("member number is missing or longer than 64 characters")
        if not EMAIL.match(email) or len(email) > 320:
            bad.append(f"{email or 'the e-mail'} is not an e-mail address")
        if status.lower() not in set(MembershipStatus):
            bad.append(f"status {status!r} is not one of active, lapsed, pending")
        ratified_on: date | None = None
        if ratified:
            try:
                ratified_on = date.fromisoformat(ratified)
            except ValueError:
                bad.append(f"ratified-on {ratified!r} is not a date like 2026-09-30")
        elif status.lower() == MembershipStatus.ACTIVE:
            bad.append("an active membership needs its ratified-on date")
        if email in seen_emails:
            bad.append(f"{email} is already on line {seen_emails[email]}")
        if number and number in seen_numbers:
            bad.append(f"member number {number} is already on line {seen_numbers[number]}")
        seen_emails.setdefault(email, line)
        seen_numbers.setdefault(number, line)
        if bad:
            report.problems.append(f"line {line}: " + "; ".join(bad))
        else:
            report.rows.append(RosterRow(line, number, email, status.lower(), ratified_on))
    if not report.rows and not report.problems:
        report.problems.append("the file has no rows")
    return report


async def apply_roster(session: AsyncSession, rows: list[RosterRow], actor: str) -> dict[str, int]:
    """Apply checked rows in the caller's transaction; members not yet known are listed so
    their first sign-in (with a verified e-mail) links to them."""
    tenant_id = current_tenant(session)
    members = {m.email.lower(): m for m in (await session.execute(select(Member))).scalars()}
    counts = {"updated": 0, "added": 0, "lapsed": 0}
    for row in rows:
        member = members.get(row.email)
        if member is None:
            member = Member(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                email=row.email,
                display_name=row.email,
                roles=[],
            )
            session.add(member)
            counts["added"] += 1
        else:
            counts["updated"] += 1
        was_active = member.membership_status == MembershipStatus.ACTIVE
        await session.flush()
        set_membership(session, member, row.status, source="roster")
        if was_active and row.status != MembershipStatus.ACTIVE:
            counts["lapsed"] += 1
        member.member_number = row.member_number
        member.ratified_on = row.ratified_on
    audit.record(session, "roster_upload", actor=actor, details={"rows": len(rows), **counts})
    await session.flush()
    return counts


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
