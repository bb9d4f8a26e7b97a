"""The pair's agreement, goals and plan (issue 15). Every action is one function, one tenant
transaction (`space_for(..., lock=True)` + `require_writable`: only the pair's two people,
only while the pair is live), its audit row (naming what changed, never the words) and its
mails through the one writer. Every form carries the row's `lock_version`: a stale form
(another tab, the other person saving first) changes nothing and says so (`Stale`).

Decisions where the issue is silent:

* **Agreement** (schemes with `space.agreement`): no row exists until the first save; the
  page shows the scheme's template (headings and prompts, empty texts) meanwhile, so reading
  never writes. The first save that changes any text creates the row at revision 1; every
  later change of any text makes a new revision. Agreeing records the revision the person
  read (the form carries it, instead of the lock_version: the other person agreeing in
  between does not make the text any different): agreeing to an older revision is refused
  as stale. A change
  needs both people to agree again, the one who changed it included (saving is not
  agreeing: the page offers "I agree" beside the text), and the other person is told
  (`agreement_changed`). A save that changes nothing changes nothing (no revision, no mail).
  The first save from a page that showed the template carries lock_version 0; once the row
  exists (created by the other person meanwhile) that form is stale. Two first saves at
  once: the unique (tenant, pair) index and INSERT … ON CONFLICT DO NOTHING make the second
  wait and then find the row (stale).
* **Goals** (every scheme): a goal has a title (required), a detail and a status (not
  started, in progress, achieved, partly achieved, dropped). `scheme.relationship.goals`
  bounds them: the maximum is enforced when adding (dropped goals do not count: a pair that
  drops one may set another), the minimum is guidance on the page. A goal can be deleted
  only while it is not started; after that it is set to "dropped", so what the pair worked
  on stays on record for the reviews. Adding takes a transaction-scoped advisory lock on the
  pair, so two adds at once cannot pass the maximum together. Goals can be moved up and
  down (their `position`). Nobody is mailed about goals.
* **Plan** (schemes with `space.plan`, Alberta): like the agreement, created by the first
  save that changes something, from the scheme's months. The pair edits each month's text
  and the first and last meeting dates (each a day on or after the match, the last on or
  after the first; where `meetings.first_and_last_dates_set_at_start`, both are needed to
  submit). Submitting records the revision, when and who, and mails `plan_submitted` to
  each coordinator of the tenant who is not in the pair. After the first submission every
  change is appended to `changes` ({"revision", "at", "by", "by_name", "months", "dates"}):
  the page shows them ("changed since you submitted it") and the quarterly updates read
  them. Resubmitting is allowed whenever the plan changed since the last submission.
* **The coordinator** reads the plan only once it has been submitted at least once
  (`plan_for`): the current plan, with the months changed since the last submission marked
  and the list of changes; before that the plan is "not found" to them, like the agreement
  and goals always are. (The space's navigation lists "Plan" for a coordinator whatever
  the plan's state; before the submission the link answers 404.)
* Scheme versions: the template is the pair's own scheme version's (a pair keeps the
  version it started under); the row keeps each section's heading and prompt as written
  then, so the page never changes under the pair.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import LINE, TEXT, BadText, clean_text
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.messages.services import Outgoing, send, send_many
from mentorhub.pairs.access import Space, require_party, require_writable, space_for
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services.lifecycle import pair_link
from mentorhub.pairs.space_models import GOAL_STATUSES, Agreement, Goal, Plan
from mentorhub.tenancy.models import Tenant

__all__ = [
    "DETAIL_MAX",
    "GOAL_STATUS_WORDS",
    "SECTION_MAX",
    "TITLE_MAX",
    "AgreementView",
    "GoalsView",
    "PlanView",
    "Stale",
    "add_goal",
    "agree",
    "agreement_for",
    "delete_goal",
    "edit_goal",
    "goals_for",
    "move_goal",
    "plan_for",
    "save_agreement",
    "save_plan",
    "submit_plan",
]

TITLE_MAX = 200
DETAIL_MAX = 5_000
SECTION_MAX = 10_000

GOAL_STATUS_WORDS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "achieved": "Achieved",
    "partly": "Partly achieved",
    "dropped": "Dropped",
}
assert tuple(GOAL_STATUS_WORDS) == GOAL_STATUSES


class Stale(Refused):
    """The row changed since the page was shown; nothing was written."""


def _stale(what: str) -> Stale:
    return Stale(
        f"The {what} changed since the page was shown (perhaps the other person saved it, "
        "or you did in another tab). Nothing was changed: look at it again and repeat."
    )


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


async def _tenant(session: AsyncSession) -> Tenant:
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()


def _audit(session: AsyncSession, action: str, space: Space, **details: Any) -> None:
    audit.record(
        session,
        action,
        actor=space.viewer.email,
        subject=str(space.pair.id),
        details=details,
    )


async def _coordinators(session: AsyncSession, space: Space) -> list[Member]:
    """The tenant's coordinators who are not in this pair (they read it as the party)."""
    rows = await session.execute(
        select(Member)
        .where(
            Member.roles.contains([Role.COORDINATOR.value]),
            Member.id.not_in((space.pair.mentor_id, space.pair.mentee_id)),
        )
        .order_by(Member.id)
    )
    return list(rows.scalars())


def _clean(
    value: str,
    *,
    label: str,
    path: str,
    kind: Any,
    limit: int,
    required: bool,
    problems: list[Problem],
) -> str:
    try:
        return clean_text(value or "", label=label, kind=kind, max_length=limit, required=required)
    except BadText as exc:
        problems.append(Problem(path=path, message=exc.message))
        return ""


# --- the agreement -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementSectionView:
    key: str
    heading: str
    prompt: str
    text: str


@dataclass(frozen=True)
class AgreementView:
    """The agreement as the pair's page shows it (the template until the first save)."""

    exists: bool
    sections: tuple[AgreementSectionView, ...]
    revision: int
    lock_version: int
    mentor_agreed_revision: int | None = None
    mentor_agreed_at: datetime | None = None
    mentee_agreed_revision: int | None = None
    mentee_agreed_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by_name: str = ""
    #: The viewer's role ("mentor" / "mentee").
    role: str = "mentor"

    @property
    def agreed(self) -> bool:
        return self.exists and (
            self.mentor_agreed_revision == self.revision == self.mentee_agreed_revision
        )

    @property
    def i_agreed(self) -> bool:
        mine = self.mentor_agreed_revision if self.role == "mentor" else self.mentee_agreed_revision
        return self.exists and mine == self.revision

    @property
    def other_agreed(self) -> bool:
        theirs = (
            self.mentee_agreed_revision if self.role == "mentor" else self.mentor_agreed_revision
        )
        return self.exists and theirs == self.revision


def _template_sections(space: Space) -> list[dict[str, Any]]:
    return [
        {"key": s.key, "heading": s.heading, "prompt": s.prompt, "text": ""}
        for s in space.scheme.space.agreement
    ]


def _require_agreement(space: Space) -> None:
    if not space.scheme.space.agreement:
        raise NotFound("agreement")


async def _agreement_row(
    session: AsyncSession, space: Space, *, lock: bool = False
) -> Agreement | None:
    query = select(Agreement).where(Agreement.pair_id == space.pair.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def agreement_for(session: AsyncSession, space: Space) -> AgreementView:
    """The pair's agreement for one of its two people (anyone else: not found)."""
    require_party(space)
    _require_agreement(space)
    row = await _agreement_row(session, space)
    if row is None:
        return AgreementView(
            exists=False,
            sections=tuple(AgreementSectionView(**s) for s in _template_sections(space)),
            revision=0,
            lock_version=0,
            role=space.role,
        )
    names = {space.mentor.id: space.mentor.display_name, space.mentee.id: space.mentee.display_name}
    return AgreementView(
        exists=True,
        sections=tuple(
            AgreementSectionView(s["key"], s["heading"], s.get("prompt", ""), s.get("text", ""))
            for s in row.sections
        ),
        revision=row.revision,
        lock_version=row.lock_version,
        mentor_agreed_revision=row.mentor_agreed_revision,
        mentor_agreed_at=row.mentor_agreed_at,
        mentee_agreed_revision=row.mentee_agreed_revision,
        mentee_agreed_at=row.mentee_agreed_at,
        updated_at=row.updated_at,
        updated_by_name=names.get(row.updated_by, "") if row.updated_by else "",
        role=space.role,
    )


def _section_texts(space: Space, texts: Mapping[str, str]) -> dict[str, str]:
    """Each section's new text, cleaned; Problems at `section_<key>` for each bad one."""
    problems: list[Problem] = []
    out: dict[str, str] = {}
    for s in space.scheme.space.agreement:
        path = f"section_{s.key}"
        if s.key not in texts:
            problems.append(Problem(path=path, message=f"{s.heading} is missing from the form"))
            continue
        out[s.key] = _clean(
            texts[s.key],
            label=s.heading,
            path=path,
            kind=TEXT,
            limit=SECTION_MAX,
            required=False,
            problems=problems,
        )
    if problems:
        raise Problems(problems)
    return out


async def save_agreement(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    texts: Mapping[str, str],
    lock_version: int,
    now: datetime | None = None,
) -> tuple[AgreementView | None, bool]:
    """Save the agreement's sections (`texts`: section key → text). Returns the agreement
    and whether anything changed; a change makes a new revision and tells the other."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        _require_agreement(space)
        new = _section_texts(space, texts)
        row = await _agreement_row(session, space, lock=True)
        current = row.sections if row is not None else _template_sections(space)
        if (row.lock_version if row is not None else 0) != lock_version:
            raise _stale("agreement")
        changed = [s["key"] for s in current if s.get("text", "") != new.get(s["key"], "")]
        if not changed:
            return (await agreement_for(session, space) if row is not None else None), False
        sections = [{**s, "text": new.get(s["key"], "")} for s in current]
        if row is None:
            await session.execute(
                insert(Agreement)
                .values(
                    tenant_id=tenant_id,
                    id=uuid.uuid4(),
                    pair_id=space.pair.id,
                    sections=sections,
                    revision=0,
                    lock_version=0,
                )
                .on_conflict_do_nothing()
            )
            row = await _agreement_row(session, space, lock=True)
            assert row is not None
            if row.revision != 0:  # the other person created it first
                raise _stale("agreement")
        row.sections = sections
        row.revision += 1
        row.updated_by = space.viewer.id
        row.updated_at = now
        row.lock_version += 1
        _audit(session, "agreement_changed", space, revision=row.revision, sections=changed)
        await session.flush()
        assert space.other is not None
        tenant = await _tenant(session)
        await send(
            session,
            tenant,
            "agreement_changed",
            {
                "other_name": space.viewer.display_name,
                "link": pair_link(tenant, space.pair.id) + "/agreement",
            },
            f"agreement:{row.id}:r{row.revision}:{space.other.id}",
            to_member=space.other,
        )
        return await agreement_for(session, space), True


async def agree(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    revision: int,
    now: datetime | None = None,
) -> AgreementView:
    """The actor agrees to the agreement's `revision` (the one their page showed)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        _require_agreement(space)
        row = await _agreement_row(session, space, lock=True)
        if row is None:
            raise Refused("There is nothing to agree to yet: write the agreement together first.")
        if row.revision != revision:
            raise _stale("agreement")
        mine = row.mentor_agreed_revision if space.role == "mentor" else row.mentee_agreed_revision
        if mine == row.revision:
            return await agreement_for(session, space)
        if space.role == "mentor":
            row.mentor_agreed_revision, row.mentor_agreed_at = row.revision, now
        else:
            row.mentee_agreed_revision, row.mentee_agreed_at = row.revision, now
        row.lock_version += 1
        _audit(session, "agreement_agreed", space, revision=row.revision)
        await session.flush()
        return await agreement_for(session, space)


# --- goals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalsView:
    goals: list[Goal]
    minimum: int | None
    maximum: int | None

    @property
    def counted(self) -> int:
        """The goals that count towards the scheme's bounds (not dropped)."""
        return sum(1 for g in self.goals if g.status != "dropped")

    @property
    def may_add(self) -> bool:
        return self.maximum is None or self.counted < self.maximum

    @property
    def below_minimum(self) -> bool:
        return self.minimum is not None and self.counted < self.minimum


async def goals_for(session: AsyncSession, space: Space) -> GoalsView:
    """The pair's goals in their order, for one of its two people."""
    require_party(space)
    rows = await session.execute(
        select(Goal).where(Goal.pair_id == space.pair.id).order_by(Goal.position, Goal.id)
    )
    bounds = space.scheme.relationship.goals
    return GoalsView(
        list(rows.scalars()),
        bounds.min if bounds is not None else None,
        bounds.max if bounds is not None else None,
    )


def _goal_fields(title: str, detail: str) -> tuple[str, str]:
    problems: list[Problem] = []
    title = _clean(
        title,
        label="Goal",
        path="title",
        kind=LINE,
        limit=TITLE_MAX,
        required=True,
        problems=problems,
    )
    detail = _clean(
        detail,
        label="Detail",
        path="detail",
        kind=TEXT,
        limit=DETAIL_MAX,
        required=False,
        problems=problems,
    )
    if problems:
        raise Problems(problems)
    return title, detail


async def _lock_goals(session: AsyncSession, space: Space) -> None:
    """Serialise goal changes of one pair (adds cannot pass the maximum together)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"pair_goals:{space.pair.id}"},
    )


async def _goal(session: AsyncSession, space: Space, goal_id: uuid.UUID | str) -> Goal:
    try:
        key = uuid.UUID(str(goal_id))
    except ValueError:
        raise NotFound("goal") from None
    goal = (
        await session.execute(
            select(Goal)
            .where(Goal.id == key, Goal.pair_id == space.pair.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if goal is None:
        raise NotFound("goal")
    return goal


def _check_goal(goal: Goal, lock_version: int) -> None:
    if goal.lock_version != lock_version:
        raise _stale("goal")


async def add_goal(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    title: str,
    detail: str = "",
    now: datetime | None = None,
) -> Goal:
    """A new goal, last in the list, not started; refused at the scheme's maximum."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        title, detail = _goal_fields(title, detail)
        await _lock_goals(session, space)
        counted, last = (
            await session.execute(
                select(
                    func.count().filter(Goal.status != "dropped"),
                    func.coalesce(func.max(Goal.position), -1),
                ).where(Goal.pair_id == space.pair.id)
            )
        ).one()
        bounds = space.scheme.relationship.goals
        if bounds is not None and bounds.max is not None and counted >= bounds.max:
            raise Refused(
                f"You already have {counted} goals: the scheme sets at most {bounds.max}. "
                "Drop or delete one before adding another."
            )
        goal = Goal(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            pair_id=space.pair.id,
            title=title,
            detail=detail,
            status="not_started",
            position=last + 1,
            created_by=space.viewer.id,
            updated_by=space.viewer.id,
            updated_at=now,
            lock_version=1,
        )
        session.add(goal)
        _audit(session, "goal_added", space, goal=str(goal.id))
        await session.flush()
        return goal


async def edit_goal(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    goal_id: uuid.UUID | str,
    *,
    title: str,
    detail: str,
    status: str,
    lock_version: int,
    now: datetime | None = None,
) -> tuple[Goal, bool]:
    """Change a goal's title, detail and status; whether anything changed."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        problems: list[Problem] = []
        try:
            title, detail = _goal_fields(title, detail)
        except Problems as exc:
            problems.extend(exc.problems)
        if status not in GOAL_STATUSES:
            problems.append(Problem(path="status", message="Choose the goal's status"))
        if problems:
            raise Problems(problems)
        await _lock_goals(session, space)
        goal = await _goal(session, space, goal_id)
        _check_goal(goal, lock_version)
        bounds = space.scheme.relationship.goals
        if goal.status == "dropped" and status != "dropped" and bounds and bounds.max:
            # Taking a dropped goal up again counts against the maximum again.
            counted = (
                await session.execute(
                    select(func.count()).where(
                        Goal.pair_id == space.pair.id, Goal.status != "dropped"
                    )
                )
            ).scalar_one()
            if counted >= bounds.max:
                raise Refused(
                    f"You already have {counted} goals: the scheme sets at most "
                    f"{bounds.max}. Drop another before taking this one up again."
                )
        changed = [
            name
            for name, old, new in (
                ("title", goal.title, title),
                ("detail", goal.detail, detail),
                ("status", goal.status, status),
            )
            if old != new
        ]
        if not changed:
            return goal, False
        goal.title, goal.detail, goal.status = title, detail, status
        goal.updated_by, goal.updated_at = space.viewer.id, now
        goal.lock_version += 1
        _audit(session, "goal_changed", space, goal=str(goal.id), fields=changed, status=status)
        await session.flush()
        return goal, True


async def delete_goal(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    goal_id: uuid.UUID | str,
    *,
    lock_version: int,
) -> None:
    """Delete a goal not started yet (later: set it to dropped instead)."""
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        await _lock_goals(session, space)
        goal = await _goal(session, space, goal_id)
        _check_goal(goal, lock_version)
        if goal.status != "not_started":
            raise Refused(
                "Only a goal not started yet can be deleted. Set this one to “Dropped” "
                "instead, so what you worked on stays on record."
            )
        await session.execute(delete(Goal).where(Goal.id == goal.id, Goal.pair_id == space.pair.id))
        _audit(session, "goal_deleted", space, goal=str(goal.id))


async def move_goal(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    goal_id: uuid.UUID | str,
    *,
    direction: str,
    lock_version: int,
) -> bool:
    """Swap a goal with its neighbour above ("up") or below ("down"); whether it moved."""
    if direction not in ("up", "down"):
        raise Problems([Problem(path="direction", message="Choose up or down")])
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        await _lock_goals(session, space)
        goal = await _goal(session, space, goal_id)
        _check_goal(goal, lock_version)
        ordered = list(
            (
                await session.execute(
                    select(Goal)
                    .where(Goal.pair_id == space.pair.id)
                    .order_by(Goal.position, Goal.id)
                    .with_for_update()
                )
            ).scalars()
        )
        i = next(n for n, g in enumerate(ordered) if g.id == goal.id)
        j = i - 1 if direction == "up" else i + 1
        if j < 0 or j >= len(ordered):
            return False
        ordered[i], ordered[j] = ordered[j], ordered[i]
        for position, g in enumerate(ordered):
            if g.position != position:
                g.position = position
                g.lock_version += 1
        if goal.lock_version == lock_version:  # moved without its position changing
            goal.lock_version += 1
        _audit(session, "goal_moved", space, goal=str(goal.id), direction=direction)
        await session.flush()
        return True


# --- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanMonthView:
    month: int
    heading: str
    prompt: str
    text: str
    #: Changed since the last submission.
    changed: bool = False


@dataclass(frozen=True)
class PlanView:
    exists: bool
    months: tuple[PlanMonthView, ...]
    first_meeting_on: date | None
    last_meeting_on: date | None
    revision: int
    lock_version: int
    submitted_revision: int | None = None
    submitted_at: datetime | None = None
    submitted_by_name: str = ""
    changes: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    dates_needed: bool = False

    @property
    def submitted(self) -> bool:
        return self.submitted_revision is not None

    @property
    def changed_since_submitted(self) -> bool:
        return self.submitted_revision is not None and self.revision > self.submitted_revision

    @property
    def may_submit(self) -> bool:
        return self.exists and (
            self.submitted_revision is None or self.revision > self.submitted_revision
        )

    @property
    def changes_since_submitted(self) -> tuple[dict[str, Any], ...]:
        if self.submitted_revision is None:
            return ()
        return tuple(c for c in self.changes if c["revision"] > self.submitted_revision)


def _require_plan(space: Space) -> None:
    if not space.scheme.space.plan:
        raise NotFound("plan")


def _template_months(space: Space) -> list[dict[str, Any]]:
    return [
        {"month": m.month, "heading": m.heading, "prompt": m.prompt, "text": ""}
        for m in space.scheme.space.plan
    ]


async def _plan_row(session: AsyncSession, space: Space, *, lock: bool = False) -> Plan | None:
    query = select(Plan).where(Plan.pair_id == space.pair.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def plan_for(session: AsyncSession, space: Space) -> PlanView:
    """The plan: for the pair always (the template until the first save); for a
    coordinator only once it has been submitted (else: not found)."""
    _require_plan(space)
    row = await _plan_row(session, space)
    dates_needed = space.scheme.meetings.first_and_last_dates_set_at_start
    if not space.is_party and (row is None or row.submitted_revision is None):
        raise NotFound("pair")
    if row is None:
        return PlanView(
            exists=False,
            months=tuple(PlanMonthView(**m) for m in _template_months(space)),
            first_meeting_on=None,
            last_meeting_on=None,
            revision=0,
            lock_version=0,
            dates_needed=dates_needed,
        )
    changed: set[int] = set()
    if row.submitted_revision is not None:
        for c in row.changes:
            if c["revision"] > row.submitted_revision:
                changed.update(c.get("months", ()))
    names = {space.mentor.id: space.mentor.display_name, space.mentee.id: space.mentee.display_name}
    return PlanView(
        exists=True,
        months=tuple(
            PlanMonthView(
                m["month"],
                m["heading"],
                m.get("prompt", ""),
                m.get("text", ""),
                changed=m["month"] in changed,
            )
            for m in row.months
        ),
        first_meeting_on=row.first_meeting_on,
        last_meeting_on=row.last_meeting_on,
        revision=row.revision,
        lock_version=row.lock_version,
        submitted_revision=row.submitted_revision,
        submitted_at=row.submitted_at,
        submitted_by_name=names.get(row.submitted_by, "") if row.submitted_by else "",
        changes=tuple(row.changes),
        dates_needed=dates_needed,
    )


def _day(
    value: date | str | None, *, path: str, label: str, problems: list[Problem]
) -> date | None:
    if value is None or isinstance(value, date):
        return value
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(path=path, message=f"{label} must be a date like 2027-10-15"))
        return None


def _plan_fields(
    space: Space,
    texts: Mapping[int, str],
    first: date | str | None,
    last: date | str | None,
) -> tuple[dict[int, str], date | None, date | None]:
    problems: list[Problem] = []
    out: dict[int, str] = {}
    for m in space.scheme.space.plan:
        path = f"month_{m.month}"
        if m.month not in texts:
            problems.append(Problem(path=path, message=f"{m.heading} is missing from the form"))
            continue
        out[m.month] = _clean(
            texts[m.month],
            label=m.heading,
            path=path,
            kind=TEXT,
            limit=SECTION_MAX,
            required=False,
            problems=problems,
        )
    first_on = _day(first, path="first_meeting_on", label="First meeting", problems=problems)
    last_on = _day(last, path="last_meeting_on", label="Last meeting", problems=problems)
    matched = space.pair.matched_on
    for path, label, day in (
        ("first_meeting_on", "First meeting", first_on),
        ("last_meeting_on", "Last meeting", last_on),
    ):
        if day is not None and day < matched:
            problems.append(
                Problem(
                    path=path,
                    message=f"{label} must be on or after the day you were matched, "
                    f"{matched.day} {matched:%B %Y}",
                )
            )
    if first_on and last_on and last_on < first_on and not problems:
        problems.append(
            Problem(path="last_meeting_on", message="Last meeting must be on or after the first")
        )
    if problems:
        raise Problems(problems)
    return out, first_on, last_on


async def save_plan(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    texts: Mapping[int, str],
    first_meeting_on: date | str | None,
    last_meeting_on: date | str | None,
    lock_version: int,
    now: datetime | None = None,
) -> tuple[PlanView | None, bool]:
    """Save the plan's months (`texts`: month → text) and meeting dates; whether anything
    changed. After a submission each change is recorded in `changes`."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        _require_plan(space)
        new, first_on, last_on = _plan_fields(space, texts, first_meeting_on, last_meeting_on)
        row = await _plan_row(session, space, lock=True)
        if (row.lock_version if row is not None else 0) != lock_version:
            raise _stale("plan")
        current = row.months if row is not None else _template_months(space)
        months = [m["month"] for m in current if m.get("text", "") != new.get(m["month"], "")]
        dates = (row.first_meeting_on, row.last_meeting_on) if row is not None else (None, None)
        dates_changed = dates != (first_on, last_on)
        if not months and not dates_changed:
            return (await plan_for(session, space) if row is not None else None), False
        body = [{**m, "text": new.get(m["month"], "")} for m in current]
        if row is None:
            await session.execute(
                insert(Plan)
                .values(
                    tenant_id=tenant_id,
                    id=uuid.uuid4(),
                    pair_id=space.pair.id,
                    months=body,
                    revision=0,
                    lock_version=0,
                    changes=[],
                )
                .on_conflict_do_nothing()
            )
            row = await _plan_row(session, space, lock=True)
            assert row is not None
            if row.revision != 0:
                raise _stale("plan")
        row.months = body
        row.first_meeting_on, row.last_meeting_on = first_on, last_on
        row.revision += 1
        row.updated_by, row.updated_at = space.viewer.id, now
        row.lock_version += 1
        if row.submitted_revision is not None:
            row.changes = [
                *row.changes,
                {
                    "revision": row.revision,
                    "at": now.isoformat(),
                    "by": str(space.viewer.id),
                    "by_name": space.viewer.display_name,
                    "months": months,
                    "dates": dates_changed,
                },
            ]
        _audit(
            session,
            "plan_changed",
            space,
            revision=row.revision,
            months=months,
            dates=dates_changed,
        )
        await session.flush()
        return await plan_for(session, space), True


async def submit_plan(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    lock_version: int,
    now: datetime | None = None,
) -> PlanView:
    """Submit the current plan to the coordinators (each told: `plan_submitted`)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        _require_plan(space)
        row = await _plan_row(session, space, lock=True)
        if row is None:
            raise Refused("Write your plan first: save it, then submit it.")
        if row.lock_version != lock_version:
            raise _stale("plan")
        if row.submitted_revision == row.revision:
            raise Refused("This plan is already submitted; change it first to submit it again.")
        if space.scheme.meetings.first_and_last_dates_set_at_start and not (
            row.first_meeting_on and row.last_meeting_on
        ):
            raise Problems(
                [
                    Problem(
                        path="first_meeting_on" if not row.first_meeting_on else "last_meeting_on",
                        message="Set the dates of your first and last meetings before you "
                        "submit the plan",
                    )
                ]
            )
        again = row.submitted_revision is not None
        row.submitted_revision, row.submitted_at, row.submitted_by = (
            row.revision,
            now,
            space.viewer.id,
        )
        row.lock_version += 1
        _audit(session, "plan_submitted", space, revision=row.revision, again=again)
        await session.flush()
        tenant = await _tenant(session)
        context = {
            "mentor_name": space.mentor.display_name,
            "mentee_name": space.mentee.display_name,
            "cohort": space.cohort.name,
            "link": pair_link(tenant, space.pair.id) + "/plan",
        }
        await send_many(
            session,
            tenant,
            "plan_submitted",
            [
                Outgoing(context, f"plan:{row.id}:r{row.revision}:{c.id}", to_member=c)
                for c in await _coordinators(session, space)
            ],
        )
        return await plan_for(session, space)
