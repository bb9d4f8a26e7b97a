"""The facts eligibility reads, kept by people: the tenant admin's partner organisations,
the coordinator's training records (by hand or imported from a CSV file), the tenant admin's
board ratifications. The actions and reads the records pages need that `services.py` does
not offer; `services.record_training` (one record by hand) is used as it is.

Every action is one function, one tenant transaction, its audit row; whatever changes a fact
re-evaluates the tenant's open applications in the same transaction through
`services.reevaluate_members` (one statement reads the facts, one writes the changes; the
applicants whose application moved are told). Who may act is checked here as well as by the
pages' guards: partner organisations and ratifications are the tenant admin's, training
records the coordinator's (and the tenant admin's); anyone else gets "not found", as for a
record of another tenant.

Training CSV: the roster's all-or-nothing rules (`identity.roster`). The header must be
`email,role,completed_on`; every line is checked (and every e-mail matched to a member of
the tenant) before anything is written; any bad line and nothing is written, each problem
with its line number. A value echoed in a problem is quoted and, where it starts like a
spreadsheet formula (= + - @, a tab or a carriage return), prefixed with an apostrophe, so a
problem list pasted into a spreadsheet computes nothing.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Text,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.eligibility import Waiting
from mentorhub.applications.models import (
    Application,
    BoardRatification,
    Cohort,
    PartnerOrganisation,
    TrainingRecord,
)
from mentorhub.applications.services import reevaluate_member, reevaluate_members, scheme_of
from mentorhub.applications.states import State
from mentorhub.core import audit
from mentorhub.core.paging import PAGE_SIZE, Page
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import (
    EMAIL_MAX,
    IDENTIFIER,
    LINE,
    TEXT,
    BadText,
    clean_text,
    email_problem,
)
from mentorhub.db import Database
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.schemes.forms import form_for
from mentorhub.schemes.rules import Scheme
from mentorhub.schemes.services import current_scheme

__all__ = [
    "TRAINING_COLUMNS",
    "TRAINING_MAX_BYTES",
    "TRAINING_MAX_ROWS",
    "Features",
    "Organisation",
    "RatificationRow",
    "TrainingRow",
    "add_partner_organisation",
    "awaiting_ratification",
    "features",
    "has_training",
    "import_training",
    "member_id_by_email",
    "organisation",
    "parse_training_csv",
    "partner_organisations",
    "ratification_entry",
    "ratifications_page",
    "record_ratifications",
    "remove_training",
    "rename_partner_organisation",
    "revoke_ratification",
    "safe_echo",
    "set_partner_organisation_active",
    "training_entry",
    "training_kinds",
    "training_page",
]

ORGANISATION_MAX = 200
NOTE_MAX = 2000
TRAINING_COLUMNS = ("email", "role", "completed_on")
#: A training file is a few thousand lines at most; 2 MB holds about 40,000.
TRAINING_MAX_BYTES = 2 * 1024 * 1024
TRAINING_MAX_ROWS = 20_000
#: Most members ratified in one go (the page lists up to this many waiting).
RATIFY_MAX = 500
#: Longest part of a cell repeated in a problem.
ECHO_MAX = 60


# --- what the tenant's scheme uses ---------------------------------------------------------


@dataclass(frozen=True)
class Features:
    """Which records the tenant's current scheme reads."""

    scheme_name: str
    training: bool
    ratification: bool
    partner_organisations: bool
    #: The kinds of training record the scheme's training gives (joint, or per role).
    training_kinds: tuple[str, ...] = ()


def training_kinds(scheme: Scheme) -> tuple[str, ...]:
    """`joint` for a joint training, the roles trained for a per-role one."""
    training = scheme.application.training
    if training is None:
        return ()
    if training.format == "joint":
        return ("joint",)
    return tuple(str(r) for r in training.roles)


def _features(scheme: Scheme | None) -> Features:
    if scheme is None:
        return Features("", False, False, False)
    return Features(
        scheme_name=scheme.name,
        training=scheme.application.training is not None,
        ratification=scheme.application.board_ratification,
        partner_organisations=scheme.eligibility.open_to == "partner_organisations",
        training_kinds=training_kinds(scheme),
    )


async def features(db: Database, tenant_id: uuid.UUID) -> Features:
    """What the tenant's current scheme version uses (none when no scheme is loaded)."""
    async with db.tenant(tenant_id, read_only=True) as session:
        return _features(await current_scheme(session))


# --- small helpers -------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _problems(path: str, message: str) -> Problems:
    return Problems([Problem(path=path, message=message)])


async def _actor(session: AsyncSession, actor_id: uuid.UUID | str, roles: set[str]) -> Member:
    """The acting member if they hold one of `roles`; anyone else is refused as not found."""
    actor = await get_in_tenant(session, Member, actor_id, what="member")
    if not roles & set(actor.roles):
        raise NotFound("record")
    return actor


_ADMIN = {Role.TENANT_ADMIN.value}
_STAFF = {Role.TENANT_ADMIN.value, Role.COORDINATOR.value}


async def _reevaluate(
    session: AsyncSession,
    actor: str,
    now: datetime,
    members: Collection[uuid.UUID] | None = None,
) -> None:
    """Open applications evaluated again, in this transaction: only `members`' when a fact
    about those members changed (one member: `services.reevaluate_member`, each
    application audited; many: the set-based `services.reevaluate_members` restricted to
    them), the tenant's all when the partner organisations changed (None)."""
    await session.flush()
    if members is not None and len(members) == 1:
        [member_id] = list(members)
        await reevaluate_member(session, member_id, actor=actor, now=now)
    elif members is not None:
        if members:
            await reevaluate_members(session, actor=actor, now=now, member_ids=members)
    else:
        await reevaluate_members(session, actor=actor, now=now)


def safe_echo(value: str) -> str:
    """A cell's value as a problem repeats it: quoted, cut, without control characters, and
    never read as a formula by a spreadsheet."""
    shown = "".join(c if c.isprintable() else " " for c in value)
    if len(shown) > ECHO_MAX:
        shown = shown[:ECHO_MAX] + "…"
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        shown = "'" + shown
    return f"“{shown}”"


async def member_id_by_email(db: Database, tenant_id: uuid.UUID, email: str) -> uuid.UUID | None:
    """The tenant's member with this e-mail address (any case), if there is one."""
    async with db.tenant(tenant_id, read_only=True) as session:
        found = await session.execute(
            select(Member.id).where(func.lower(Member.email) == email.strip().lower())
        )
        return found.scalars().first()


# --- partner organisations ------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    id: uuid.UUID
    name: str
    active: bool


async def partner_organisations(db: Database, tenant_id: uuid.UUID) -> list[Organisation]:
    """Every organisation the tenant admin listed, active ones first, by name."""
    async with db.tenant(tenant_id, read_only=True) as session:
        rows = await session.execute(
            select(
                PartnerOrganisation.id, PartnerOrganisation.name, PartnerOrganisation.active
            ).order_by(PartnerOrganisation.active.desc(), func.lower(PartnerOrganisation.name))
        )
        return [Organisation(r.id, r.name, r.active) for r in rows]


def _organisation_name(value: str, path: str) -> str:
    try:
        return clean_text(
            value, label="Organisation name", kind=LINE, max_length=ORGANISATION_MAX, required=True
        )
    except BadText as exc:
        raise _problems(path, exc.message) from None


async def _name_taken(session: AsyncSession, name: str, other_than: uuid.UUID | None) -> bool:
    query = select(PartnerOrganisation.id).where(
        func.lower(PartnerOrganisation.name) == name.lower()
    )
    if other_than is not None:
        query = query.where(PartnerOrganisation.id != other_than)
    return (await session.execute(query)).first() is not None


async def add_partner_organisation(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    name: str,
    *,
    now: datetime | None = None,
) -> Organisation:
    """A new organisation on the list (active: offered on the forms at once). A name already
    listed, in any case, is refused (an inactive one: reactivate it instead)."""
    now = _now(now)
    name = _organisation_name(name, "name")
    async with db.tenant(tenant_id) as session:
        actor = await _actor(session, actor_id, _ADMIN)
        if await _name_taken(session, name, None):
            raise _problems("name", f"{name} is already on the list")
        row = PartnerOrganisation(tenant_id=tenant_id, id=uuid.uuid4(), name=name, active=True)
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:  # added at the same moment by another admin
            raise _problems("name", f"{name} is already on the list") from None
        audit.record(
            session,
            "partner_organisation_added",
            actor=actor.email,
            subject=str(row.id),
            details={"name": name},
        )
        added = Organisation(row.id, row.name, row.active)
        await _reevaluate(session, actor.email, now)
        return added


async def rename_partner_organisation(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    organisation_id: uuid.UUID | str,
    name: str,
    *,
    now: datetime | None = None,
) -> Organisation:
    """Correct an organisation's name. The applications that chose it are the same
    organisation's: their answer is renamed with it (each application's version goes up, so
    a form open on the old name is refused as stale rather than saving it back), and stays
    eligible. Audited with both names."""
    now = _now(now)
    name = _organisation_name(name, "name")
    async with db.tenant(tenant_id) as session:
        actor = await _actor(session, actor_id, _ADMIN)
        row = await get_in_tenant(
            session, PartnerOrganisation, organisation_id, what="organisation"
        )
        old = row.name
        if name == old:
            return Organisation(row.id, row.name, row.active)
        if await _name_taken(session, name, row.id):
            raise _problems("name", f"{name} is already on the list")
        row.name = name
        renamed = await _rename_answers(session, old, name, now)
        audit.record(
            session,
            "partner_organisation_renamed",
            actor=actor.email,
            subject=str(row.id),
            details={"from": old, "to": name, "applications": renamed},
        )
        done = Organisation(row.id, row.name, row.active)
        await _reevaluate(session, actor.email, now)
        return done


async def _rename_answers(session: AsyncSession, old: str, new: str, now: datetime) -> int:
    """Applications whose organisation answer is `old` answer `new`; how many changed. The
    candidates are found by value in SQL; the organisation question of each (its form's
    `organisation` kind) is found from the cohort's scheme."""
    candidates = await session.execute(
        select(Application, Cohort.scheme_version)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(
            func.jsonb_path_exists(
                Application.answers,
                literal_column("'$.* ? (@ == $name)'::jsonpath"),
                func.jsonb_build_object(literal_column("'name'"), cast(literal(old), Text)),
            )
        )
        .with_for_update(of=Application)
    )
    changed = 0
    for app, version in candidates.all():
        form = form_for(await scheme_of(session, version), app.role)
        if form is None:
            continue
        keys = [q.id for q in form.questions if q.kind == "organisation"]
        if not any(app.answers.get(k) == old for k in keys):
            continue
        app.answers = {k: (new if k in keys and v == old else v) for k, v in app.answers.items()}
        app.lock_version += 1
        app.updated_at = now
        changed += 1
    return changed


async def set_partner_organisation_active(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    organisation_id: uuid.UUID | str,
    active: bool,
    *,
    now: datetime | None = None,
) -> Organisation:
    """Deactivate (no longer offered on the forms; applications keep their answer, and are
    evaluated again: the organisation is no longer a partner) or reactivate one."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _actor(session, actor_id, _ADMIN)
        row = await get_in_tenant(
            session, PartnerOrganisation, organisation_id, what="organisation"
        )
        done = Organisation(row.id, row.name, active)
        if row.active == active:
            return done
        row.active = active
        audit.record(
            session,
            "partner_organisation_reactivated" if active else "partner_organisation_deactivated",
            actor=actor.email,
            subject=str(row.id),
            details={"name": row.name},
        )
        await _reevaluate(session, actor.email, now)
        return done


# --- training records -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingEntry:
    id: uuid.UUID
    member_name: str
    member_email: str
    kind: str
    completed_on: date
    source: str
    recorded_at: datetime


def _search(columns: Sequence[Any], q: str) -> Any:
    like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(func.lower(c).like(like, escape="\\") for c in columns))


async def training_page(
    db: Database, tenant_id: uuid.UUID, *, search: str = "", number: int = 1
) -> Page[TrainingEntry]:
    """Training records a page at a time, newest completion first, searchable by the
    member's name or e-mail address."""
    async with db.tenant(tenant_id, read_only=True) as session:
        base = select(TrainingRecord, Member.display_name, Member.email).join(
            Member, Member.id == TrainingRecord.member_id
        )
        if search:
            base = base.where(_search((Member.display_name, Member.email), search))
        total = int(
            (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
        )
        pages = max(1, -(-total // PAGE_SIZE))
        number = min(max(1, number), pages)
        rows = await session.execute(
            base.order_by(
                TrainingRecord.completed_on.desc(),
                func.lower(Member.display_name),
                TrainingRecord.id,
            )
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        entries = [
            TrainingEntry(r.id, name, email, r.kind, r.completed_on, r.source, r.created_at)
            for r, name, email in rows
        ]
        return Page(entries, number, PAGE_SIZE, total)


async def remove_training(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    record_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> TrainingEntry:
    """Remove a training record made by mistake (audited with what it said); the member's
    applications are evaluated again (one that was eligible only through it waits again)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _actor(session, actor_id, _STAFF)
        row = await get_in_tenant(session, TrainingRecord, record_id, what="training record")
        member = await get_in_tenant(session, Member, row.member_id, what="member")
        removed = TrainingEntry(
            row.id,
            member.display_name,
            member.email,
            row.kind,
            row.completed_on,
            row.source,
            row.created_at,
        )
        await session.execute(delete(TrainingRecord).where(TrainingRecord.id == row.id))
        audit.record(
            session,
            "training_removed",
            actor=actor.email,
            subject=str(member.id),
            details={
                "member": member.email,
                "kind": row.kind,
                "completed_on": row.completed_on.isoformat(),
                "source": row.source,
            },
        )
        await _reevaluate(session, actor.email, now, {member.id})
        return removed


@dataclass(frozen=True)
class TrainingRow:
    line: int
    email: str
    kind: str
    completed_on: date


@dataclass
class TrainingReport:
    #: Each problem's `path` is its line ("line 4").
    problems: list[Problem] = field(default_factory=list)
    rows: list[TrainingRow] = field(default_factory=list)


def parse_training_csv(data: bytes, kinds: Sequence[str], today: date) -> TrainingReport:
    """Check every line of a training file (pure: no database). `kinds` are the roles the
    scheme's training gives records for (`training_kinds`); a date is ISO (2026-09-30),
    not in the future."""
    report = TrainingReport()

    def problem(line: int | None, message: str) -> None:
        report.problems.append(Problem(path=f"line {line}" if line else "", message=message))

    if len(data) > TRAINING_MAX_BYTES:
        problem(None, f"the file is larger than {TRAINING_MAX_BYTES // 1024 // 1024} MB")
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problem(None, "the file is not UTF-8 text")
        return report
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error:
        header = None
    if header is None or tuple(h.strip().lower() for h in header) != TRAINING_COLUMNS:
        problem(1, "the header must be " + ",".join(TRAINING_COLUMNS))
        return report
    seen: dict[tuple[str, str], int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problem(reader.line_num, f"the line cannot be read as CSV ({exc})")
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(report.rows) + len(report.problems) >= TRAINING_MAX_ROWS:
            problem(line, f"the file has more than {TRAINING_MAX_ROWS:,} lines")
            break
        if len(cells) != len(TRAINING_COLUMNS):
            problem(line, f"expected 3 values, found {len(cells)}")
            continue
        bad: list[str] = []
        email = _cell(cells[0], "E-mail address", EMAIL_MAX, bad).lower()
        if not email and not bad:
            bad.append("the e-mail address is missing")
        elif email and email_problem(email) is not None:
            bad.append(f"{safe_echo(cells[0].strip())} is not an e-mail address")
        kind = _cell(cells[1], "Role", 16, bad).lower()
        if not kind and not cells[1].strip():
            bad.append("the role is missing")
        elif kind and kind not in kinds:
            bad.append(f"role {safe_echo(cells[1].strip())} is not one of {', '.join(kinds)}")
        given = _cell(cells[2], "Completed-on date", 10, bad)
        completed: date | None = None
        if not given and not cells[2].strip():
            bad.append("the completed-on date is missing")
        elif given:
            try:
                completed = date.fromisoformat(given)
            except ValueError:
                bad.append(
                    f"completed-on {safe_echo(cells[2].strip())} is not a date like 2026-09-30"
                )
            else:
                if completed > today:
                    bad.append(f"completed-on {given} is in the future")
        if email and kind and completed is not None and not bad:
            first = seen.setdefault((email, kind), line)
            if first != line:
                bad.append(f"{email} has a {kind} training already on line {first}")
        if bad:
            problem(line, "; ".join(bad))
        else:
            assert completed is not None
            report.rows.append(TrainingRow(line, email, kind, completed))
    if not report.rows and not report.problems:
        problem(None, "the file has no lines after its header")
    return report


def _cell(value: str, label: str, longest: int, bad: list[str]) -> str:
    try:
        return clean_text(value, label=label, kind=IDENTIFIER, max_length=longest)
    except BadText as exc:
        bad.append(exc.message[0].lower() + exc.message[1:])
        return ""


@dataclass(frozen=True)
class Imported:
    added: int
    already: int


async def import_training(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    rows: Sequence[TrainingRow],
    *,
    now: datetime | None = None,
) -> Imported:
    """Record checked lines (`parse_training_csv`) in one transaction: every e-mail must be
    a member's, or nothing is written (Problems, each at its line). A line the tenant
    already holds (same member, role and date) is not recorded twice, so a file sent again
    adds nothing. Audited once; the applications are evaluated again once."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _actor(session, actor_id, _STAFF)
        emails = sorted({r.email for r in rows})
        # One array parameter each (not one bound parameter per address): 20,000 lines
        # are one round trip.
        found = await session.execute(
            select(func.lower(Member.email), Member.id).where(
                func.lower(Member.email) == any_(bindparam("emails", emails, ARRAY(Text)))
            )
        )
        members: dict[str, uuid.UUID] = {e: i for e, i in found.all()}
        unknown = [
            Problem(
                path=f"line {r.line}",
                message=f"no member has the e-mail address {safe_echo(r.email)}",
            )
            for r in rows
            if r.email not in members
        ]
        if unknown:
            raise Problems(unknown)
        held = {
            (m, k, d)
            for m, k, d in (
                await session.execute(
                    select(
                        TrainingRecord.member_id, TrainingRecord.kind, TrainingRecord.completed_on
                    ).where(
                        TrainingRecord.member_id
                        == any_(bindparam("ids", list(set(members.values())), ARRAY(PgUUID)))
                    )
                )
            ).all()
        }
        new: list[dict[str, Any]] = []
        for r in rows:
            key = (members[r.email], r.kind, r.completed_on)
            if key in held:
                continue
            held.add(key)
            new.append(
                {
                    "tenant_id": tenant_id,
                    "id": uuid.uuid4(),
                    "member_id": key[0],
                    "kind": r.kind,
                    "completed_on": r.completed_on,
                    "source": "import",
                    "recorded_by": actor.id,
                }
            )
        if new:  # one statement for all (executemany), not an ORM object per line
            await session.execute(insert(TrainingRecord), new)
        added = len(new)
        audit.record(
            session,
            "training_imported",
            actor=actor.email,
            details={"lines": len(rows), "added": added, "already": len(rows) - added},
        )
        await _reevaluate(session, actor.email, now, {row["member_id"] for row in new})
        return Imported(added, len(rows) - added)


# --- board ratifications --------------------------------------------------------------------


@dataclass(frozen=True)
class RatificationRow:
    id: uuid.UUID
    member_name: str
    member_email: str
    ratified_on: date
    note: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class Waiter:
    member_id: uuid.UUID
    name: str
    email: str
    roles: tuple[str, ...]


async def awaiting_ratification(db: Database, tenant_id: uuid.UUID) -> list[Waiter]:
    """Members with an application waiting for the board's ratification, by name (at most
    `RATIFY_MAX`), with the roles they applied for."""
    async with db.tenant(tenant_id, read_only=True) as session:
        rows = await session.execute(
            select(
                Member.id,
                Member.display_name,
                Member.email,
                func.array_agg(func.distinct(Application.role)),
            )
            .join(Application, Application.member_id == Member.id)
            .where(
                Application.state == State.AWAITING_APPROVAL,
                Application.waiting_for.contains([str(Waiting.BOARD_RATIFICATION)]),
            )
            .group_by(Member.id, Member.display_name, Member.email)
            .order_by(func.lower(Member.display_name), Member.id)
            .limit(RATIFY_MAX)
        )
        return [Waiter(i, n, e, tuple(sorted(r))) for i, n, e, r in rows.all()]


async def ratifications_page(
    db: Database, tenant_id: uuid.UUID, *, search: str = "", number: int = 1
) -> Page[RatificationRow]:
    """Recorded ratifications a page at a time, newest first, searchable."""
    async with db.tenant(tenant_id, read_only=True) as session:
        base = select(BoardRatification, Member.display_name, Member.email).join(
            Member, Member.id == BoardRatification.member_id
        )
        if search:
            base = base.where(_search((Member.display_name, Member.email), search))
        total = int(
            (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
        )
        pages = max(1, -(-total // PAGE_SIZE))
        number = min(max(1, number), pages)
        rows = await session.execute(
            base.order_by(
                BoardRatification.ratified_on.desc(),
                func.lower(Member.display_name),
                BoardRatification.id,
            )
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        entries = [
            RatificationRow(r.id, name, email, r.ratified_on, r.note, r.created_at)
            for r, name, email in rows
        ]
        return Page(entries, number, PAGE_SIZE, total)


async def record_ratifications(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    *,
    member_ids: Sequence[uuid.UUID | str] = (),
    emails: Sequence[str] = (),
    ratified_on: date | None,
    note: str = "",
    found: Sequence[Problem] = (),
    now: datetime | None = None,
) -> int:
    """The board ratified these members (ticked on the list, or given by e-mail address) on
    `ratified_on`: all of them, in one transaction, or none (Problems: `emails` for an
    address that is no member's, `ratified_on`, `note`, `members` when nobody was chosen;
    `found`: the form's own problems, reported with these).
    A member already ratified on that date is not recorded twice. Each ratification is
    audited; the applications are evaluated again once. Returns how many were recorded."""
    now = _now(now)
    problems: list[Problem] = list(found)
    if ratified_on is None and not found:
        problems.append(Problem(path="ratified_on", message="Enter the date of ratification"))
    if ratified_on is not None and ratified_on > now.date():
        problems.append(
            Problem(path="ratified_on", message="The ratification cannot be in the future")
        )
    try:
        note = clean_text(note, label="Note", kind=TEXT, max_length=NOTE_MAX)
    except BadText as exc:
        problems.append(Problem(path="note", message=exc.message))
    keys: list[uuid.UUID] = []
    for raw in member_ids:
        try:
            keys.append(uuid.UUID(str(raw)))
        except ValueError:
            raise NotFound("member") from None
    async with db.tenant(tenant_id) as session:
        actor = await _actor(session, actor_id, _ADMIN)
        chosen: dict[uuid.UUID, Member] = {}
        if keys:
            by_id = await session.execute(select(Member).where(Member.id.in_(keys)))
            chosen.update({m.id: m for m in by_id.scalars()})
            if len(chosen) != len(set(keys)):
                raise NotFound("member")  # a forged or another tenant's id
        lowered = [e.strip().lower() for e in emails if e.strip()]
        if lowered:
            matched = await session.execute(
                select(Member).where(func.lower(Member.email).in_(lowered))
            )
            by_email = {m.email.lower(): m for m in matched.scalars()}
            missing = [e for e in dict.fromkeys(lowered) if e not in by_email]
            if missing:
                problems.append(
                    Problem(
                        path="emails",
                        message="No member has the e-mail address "
                        + ", ".join(missing[:10])
                        + (f" (and {len(missing) - 10} more)" if len(missing) > 10 else ""),
                    )
                )
            chosen.update({m.id: m for m in by_email.values()})
        if not chosen and not problems:
            problems.append(
                Problem(path="members", message="Choose at least one member the Board ratified")
            )
        if len(chosen) > RATIFY_MAX:
            problems.append(
                Problem(path="members", message=f"Ratify at most {RATIFY_MAX} members at once")
            )
        if problems:
            raise Problems(problems)
        assert ratified_on is not None
        held = set(
            (
                await session.execute(
                    select(BoardRatification.member_id).where(
                        BoardRatification.member_id.in_(list(chosen)),
                        BoardRatification.ratified_on == ratified_on,
                    )
                )
            ).scalars()
        )
        recorded = 0
        ratified: set[uuid.UUID] = set()
        for member in sorted(chosen.values(), key=lambda m: m.email):
            if member.id in held:
                continue
            ratified.add(member.id)
            session.add(
                BoardRatification(
                    tenant_id=tenant_id,
                    id=uuid.uuid4(),
                    member_id=member.id,
                    ratified_on=ratified_on,
                    recorded_by=actor.id,
                    note=note or None,
                )
            )
            audit.record(
                session,
                "ratification_recorded",
                actor=actor.email,
                subject=str(member.id),
                details={"member": member.email, "ratified_on": ratified_on.isoformat()},
            )
            recorded += 1
        if recorded:
            await _reevaluate(session, actor.email, now, ratified)
        return recorded


async def revoke_ratification(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    ratification_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> RatificationRow:
    """Revoke a ratification recorded by mistake (audited with its date and note); the
    member's applications are evaluated again (one eligible only through it waits again,
    unless the roster gives the member a ratified-on date)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _actor(session, actor_id, _ADMIN)
        row = await get_in_tenant(session, BoardRatification, ratification_id, what="ratification")
        member = await get_in_tenant(session, Member, row.member_id, what="member")
        revoked = RatificationRow(
            row.id, member.display_name, member.email, row.ratified_on, row.note, row.created_at
        )
        await session.execute(delete(BoardRatification).where(BoardRatification.id == row.id))
        audit.record(
            session,
            "ratification_revoked",
            actor=actor.email,
            subject=str(member.id),
            details={
                "member": member.email,
                "ratified_on": row.ratified_on.isoformat(),
                "note": row.note or "",
            },
        )
        await _reevaluate(session, actor.email, now, {member.id})
        return revoked


# --- one record, for a confirmation page -----------------------------------------------------


async def training_entry(
    db: Database, tenant_id: uuid.UUID, record_id: uuid.UUID | str
) -> TrainingEntry:
    """One training record with its member (NotFound: not the tenant's, or no such id)."""
    async with db.tenant(tenant_id, read_only=True) as session:
        r = await get_in_tenant(session, TrainingRecord, record_id, what="training record")
        m = await get_in_tenant(session, Member, r.member_id, what="member")
        return TrainingEntry(
            r.id, m.display_name, m.email, r.kind, r.completed_on, r.source, r.created_at
        )


async def has_training(
    db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID, kind: str, completed_on: date
) -> bool:
    """Whether this record is held already (a form sent twice records it once)."""
    async with db.tenant(tenant_id, read_only=True) as session:
        found = await session.execute(
            select(TrainingRecord.id).where(
                TrainingRecord.member_id == member_id,
                TrainingRecord.kind == kind,
                TrainingRecord.completed_on == completed_on,
            )
        )
        return found.first() is not None


async def ratification_entry(
    db: Database, tenant_id: uuid.UUID, ratification_id: uuid.UUID | str
) -> RatificationRow:
    """One recorded ratification with its member (NotFound otherwise)."""
    async with db.tenant(tenant_id, read_only=True) as session:
        r = await get_in_tenant(session, BoardRatification, ratification_id, what="ratification")
        m = await get_in_tenant(session, Member, r.member_id, what="member")
        return RatificationRow(r.id, m.display_name, m.email, r.ratified_on, r.note, r.created_at)


async def organisation(
    db: Database, tenant_id: uuid.UUID, organisation_id: uuid.UUID | str
) -> Organisation:
    async with db.tenant(tenant_id, read_only=True) as session:
        r = await get_in_tenant(session, PartnerOrganisation, organisation_id, what="organisation")
        return Organisation(r.id, r.name, r.active)
