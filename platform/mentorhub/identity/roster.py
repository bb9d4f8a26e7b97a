"""The membership roster: a tenant admin's CSV of member numbers, e-mails and statuses.

Every row is checked before anything changes; then the whole file is applied in the
caller's transaction, so a roster is taken entirely or not at all.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.session import current_tenant
from mentorhub.identity import audit
from mentorhub.identity.membership import EMAIL, set_membership
from mentorhub.identity.models import Member, MembershipStatus

ROSTER_COLUMNS = ("member_number", "email", "status", "ratified_on")
ROSTER_MAX_BYTES = 5 * 1024 * 1024


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
