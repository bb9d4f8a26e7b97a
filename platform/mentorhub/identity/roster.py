"""The membership roster: a tenant admin's CSV of member numbers, e-mails and statuses.

Every row is checked before anything changes; then the whole file is applied in the
caller's transaction, so a roster is taken entirely or not at all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core import audit
from mentorhub.core.problems import Problem
from mentorhub.core.text import (
    EMAIL_MAX,
    IDENTIFIER,
    BadText,
    TextKind,
    clean_text,
    email_problem,
)
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import MembershipStatus

ROSTER_COLUMNS = ("member_number", "email", "status", "ratified_on")
#: About 140,000 rows; under the server's 10 MB limit on a request body.
ROSTER_MAX_BYTES = 8 * 1024 * 1024
STATUSES = frozenset(MembershipStatus)

#: What else follows a roster import, in its transaction (the applications area evaluates
#: its open applications again). Areas above identity register here, so identity imports
#: none of them.
RosterHook = Callable[[AsyncSession, str], Awaitable[None]]
_applied_hooks: list[RosterHook] = []


def on_applied(hook: RosterHook) -> RosterHook:
    """Call `hook(session, actor)` after every applied roster, in its transaction (once per
    hook, however often registered)."""
    if hook not in _applied_hooks:
        _applied_hooks.append(hook)
    return hook


@dataclass(frozen=True)
class RosterRow:
    line: int
    member_number: str
    email: str
    status: str
    ratified_on: date | None


@dataclass
class RosterReport:
    #: Each problem's `path` is its line ("line 4"), its message what is wrong there.
    problems: list[Problem] = field(default_factory=list)
    rows: list[RosterRow] = field(default_factory=list)


def _cell(value: str, label: str, kind: TextKind, longest: int, bad: list[str]) -> str:
    """One cell through the one text check (`core/text.py`); its problem, if any, in `bad`."""
    try:
        return clean_text(value, label=label, kind=kind, max_length=longest)
    except BadText as exc:
        bad.append(exc.message[0].lower() + exc.message[1:])
        return ""


def parse_roster(data: bytes) -> RosterReport:
    """Check every row; collect every problem with its line number. Each cell goes through
    the one edge check: no control or invisible formatting characters, NFC, lengths (member
    number 64, e-mail address 254), an e-mail address that is one."""
    report = RosterReport()

    def problem(line: int | None, message: str) -> None:
        report.problems.append(Problem(path=f"line {line}" if line else "", message=message))

    if len(data) > ROSTER_MAX_BYTES:
        problem(None, f"the file is larger than {ROSTER_MAX_BYTES // 1024 // 1024} MB")
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problem(None, "the file is not UTF-8 text")
        return report
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error:
        header = None
    if header is None or tuple(h.strip().lower() for h in header) != ROSTER_COLUMNS:
        problem(1, "the header must be " + ",".join(ROSTER_COLUMNS))
        return report
    seen_emails: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a NUL byte, an unclosed quote at the end
            problem(reader.line_num, f"the line cannot be read as CSV ({exc})")
            break
        line = reader.line_num
        if len(cells) != len(ROSTER_COLUMNS):
            if any(c.strip() for c in cells):
                problem(line, f"expected 4 values, found {len(cells)}")
            continue
        if not any(c.strip() for c in cells):
            continue
        bad: list[str] = []
        number = _cell(cells[0], "Member number", IDENTIFIER, 64, bad)
        if not number and not bad:
            bad.append("member number is missing")
        email = _cell(cells[1], "E-mail address", IDENTIFIER, EMAIL_MAX, bad).lower()
        if email and email_problem(email) is not None:
            bad.append(f"{email} is not an e-mail address")
            email = ""
        elif not email and not cells[1].strip():
            bad.append("the e-mail address is missing")
        given_status = _cell(cells[2], "Status", IDENTIFIER, 16, bad)
        status = given_status.lower()
        if (given_status or not bad) and status not in STATUSES:
            bad.append(f"status {given_status!r} is not one of active, lapsed, pending")
        ratified = _cell(cells[3], "Ratified-on date", IDENTIFIER, 10, bad)
        ratified_on: date | None = None
        if ratified:
            try:
                ratified_on = date.fromisoformat(ratified)
            except ValueError:
                bad.append(f"ratified-on {ratified!r} is not a date like 2026-09-30")
        elif status == MembershipStatus.ACTIVE:
            bad.append("an active membership needs its ratified-on date")
        if email:
            first = seen_emails.setdefault(email, line)
            if first != line:
                bad.append(f"{email} is already on line {first}")
        if number:
            first = seen_numbers.setdefault(number, line)
            if first != line:
                bad.append(f"member number {number} is already on line {first}")
        if bad:
            problem(line, "; ".join(bad))
        else:
            report.rows.append(RosterRow(line, number, email, status, ratified_on))
    if not report.rows and not report.problems:
        problem(None, "the file has no rows")
    return report


#: One statement applies the whole roster. The checked rows arrive as four arrays (one
#: parameter each, so 100,000 rows are one round trip) and are matched to the tenant's members
#: by lower(email) in a hash join, once. Data-modifying CTEs all see the members as they were
#: before the statement, so `previous` is the status the roster replaces: a change away from
#: active is recorded as a lapse, as a claim's change is; a row the roster does not change is
#: not rewritten; a row no member matched adds one. Row-level security applies to every part
#: (the runtime role, the transaction's tenant); the explicit tenant_id is the application's
#: own scoping on top. Members not yet known are listed, so their first sign-in (with a
#: verified e-mail) links to them. (One statement rather than batches: each batch would read
#: all the tenant's members again, ten times slower at 100,000.)
APPLY = """
    WITH roster AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[])
            AS r (email, member_number, status, ratified_on)
    ),
    matched AS (
        SELECT m.id, m.membership_status AS previous, r.*,
               (m.membership_status, m.membership_source, m.member_number, m.ratified_on)
                 IS DISTINCT FROM (r.status, 'roster', r.member_number, r.ratified_on) AS changed
        FROM members AS m JOIN roster AS r ON lower(m.email) = r.email
        WHERE m.tenant_id = $5::uuid
    ),
    lapses AS (
        INSERT INTO membership_lapses
            (tenant_id, id, member_id, previous_status, new_status, source)
        SELECT $5::uuid, gen_random_uuid(), id, previous, status, 'roster'
        FROM matched
        WHERE previous = 'active' AND status <> 'active'
        RETURNING 1
    ),
    updated AS (
        UPDATE members AS m
        SET membership_status = x.status,
            membership_source = 'roster',
            member_number = x.member_number,
            ratified_on = x.ratified_on
        FROM matched AS x
        WHERE m.tenant_id = $5::uuid AND m.id = x.id AND x.changed
        RETURNING 1
    ),
    added AS (
        INSERT INTO members (tenant_id, id, email, display_name, roles,
                             membership_status, membership_source, member_number, ratified_on)
        SELECT $5::uuid, gen_random_uuid(), r.email, left(r.email, 200), '{}',
               r.status, 'roster', r.member_number, r.ratified_on
        FROM roster AS r
        WHERE NOT EXISTS (SELECT FROM matched AS x WHERE x.email = r.email)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM matched) AS updated,
           (SELECT count(*) FROM added) AS added,
           (SELECT count(*) FROM lapses) AS lapsed
"""

#: Roster uploads of one tenant wait for each other: two at once would both add the same
#: new member and the second would fail on the e-mail's unique index.
LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('mentorhub.roster:' || $1::text, 0))"

#: A large roster is one long statement: it may take longer than a page's statement timeout
#: (MENTORHUB_DB_STATEMENT_TIMEOUT), so it gets its own, on the server and in the driver.
TIMEOUT_SECONDS = 120


async def apply_roster(session: AsyncSession, rows: list[RosterRow], actor: str) -> dict[str, int]:
    """Apply checked rows in the caller's transaction, all in one statement; return how many
    members were updated, added and lapsed. Recorded in the audit log once.

    The statement runs through asyncpg on the session's own connection, in its transaction
    and under its tenant: asyncpg sends the arrays as binary parameters and, unlike the
    SQLAlchemy layer, takes a timeout per statement. Errors are asyncpg's own."""
    tenant_id = current_tenant(session)
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.execute(f"SET LOCAL statement_timeout = '{TIMEOUT_SECONDS}s'")
    await raw.execute(LOCK, str(tenant_id), timeout=TIMEOUT_SECONDS)
    updated, added, lapsed = await raw.fetchrow(
        APPLY,
        [row.email for row in rows],
        [row.member_number for row in rows],
        [row.status for row in rows],
        [row.ratified_on for row in rows],
        tenant_id,
        timeout=TIMEOUT_SECONDS,
    )
    counts = {"updated": int(updated), "added": int(added), "lapsed": int(lapsed)}
    session.expire_all()  # members loaded earlier in this session are stale now
    audit.record(session, "roster_upload", actor=actor, details={"rows": len(rows), **counts})
    await session.flush()
    for hook in _applied_hooks:
        await hook(session, actor)
    return counts
