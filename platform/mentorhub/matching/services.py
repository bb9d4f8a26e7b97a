"""Coordinator matching (Museums Association, Advice Skills Academy, Alberta): the exact
cohort assignment over a cohort's accepted applicants, kept as draft runs the coordinator
compares, edits (pins, forbids) and re-runs, and one of which is published.

Actions (each one tenant transaction, audited):

* :func:`compute_run` — read the cohort's accepted applicants (their answers' matching
  fields, through the scheme's forms), the mentors' capacities and availability, live pairs,
  conflicts of interest, the coordinator's pins and forbids; run
  :func:`mentorhub.matching.cohort.assign_cohort`; store the result as a draft run with its
  explanations and every unmatched applicant's reason, in the coordinator's words (names,
  not ids). A pin that breaks a hard rule (or a conflict, a forbid, a full mentor) is
  refused at the field `pins`, nothing stored.
* :func:`rerun` — the same cohort again with edited pins and forbids: a new draft; the old
  one stays to compare (:func:`compare_runs`).
* :func:`publish_run` — recomputes the inputs' fingerprint and refuses (:class:`RunStale`,
  saying what changed) if any applicant, answer, capacity, pair or conflict changed since the
  run was computed; otherwise makes all pairs through :func:`mentorhub.pairs.services.
  create_pairs` (capacity locked, audited, both people mailed) in one transaction, tells
  every unmatched applicant (Alberta: invited to reapply, priority in the next intake; a
  scheme that gives unsuccessful applicants feedback: feedback offered), marks the run
  published and the cohort's other drafts superseded.
* :func:`add_conflict` / :func:`remove_conflict` — conflicts of interest.

Engine ids are application ids (a member may apply as mentor and as mentee), so a run's
result, pins and forbids name applications; the pages show names.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import TEXT, BadText, clean_text
from mentorhub.db import Database
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.matching.cohort import CohortResult, assign_cohort
from mentorhub.matching.criteria import InputError
from mentorhub.matching.input import Instance, parse_instance
from mentorhub.matching.models import ConflictOfInterest, MatchingRun, MentorCapacity
from mentorhub.matching.scoring import score_pair
from mentorhub.messages.delivery import base_url
from mentorhub.messages.services import Outgoing, send_many
from mentorhub.pairs import rules
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import NewPair, capacity_for, create_pairs
from mentorhub.schemes import forms
from mentorhub.schemes.rules import Scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

__all__ = [
    "CohortInput",
    "Refused",
    "RunStale",
    "add_conflict",
    "build_input",
    "compare_runs",
    "compute_run",
    "publish_run",
    "remove_conflict",
    "rerun",
]

STAFF = frozenset({Role.COORDINATOR, Role.TENANT_ADMIN})
#: Flows whose coordinator runs the cohort assignment (mutual acceptance uses it to propose).
RUN_FLOWS = frozenset({"coordinator", "mutual_acceptance"})
NOTE_MAX = 2000
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class RunStale(Refused):
    """The applicants changed since the run was computed; `changes` says what, in words."""

    def __init__(self, changes: Sequence[str]) -> None:
        self.changes = list(changes)
        super().__init__(
            "The applicants changed since this run was computed, so it was not published: "
            + "; ".join(self.changes)
            + ". Run the matching again and publish the new run."
        )


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


async def _staff(session: AsyncSession, actor_id: uuid.UUID | str) -> Member:
    actor = await get_in_tenant(session, Member, actor_id, what="cohort")
    if not STAFF & set(actor.roles):
        raise NotFound("cohort")
    return actor


async def _tenant(session: AsyncSession) -> Tenant:
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()


async def _member_names(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Members' names by id, in a query of its own rather than a join: on a cohort loaded
    moments ago (no planner statistics yet) the join of applications to members was planned
    as a scan of every member per application — 5 s for 4,000 applicants; a lookup by
    primary key cannot go wrong that way."""
    rows = await session.execute(
        select(Member.id, Member.display_name).where(Member.id.in_(set(ids)))
    )
    return {i: name for i, name in rows}


# --- the engine's input from the database --------------------------------------------------


@dataclass
class CohortInput:
    """One cohort's matching problem as read now, and what it was made of."""

    cohort: Cohort
    scheme: Scheme
    instance: Instance
    #: application id → (member id, role, display name)
    people: dict[str, tuple[str, str, str]]
    #: Applicants left out before matching, with the reason (application id → reason).
    left_out: dict[str, str]
    #: What the fingerprint digests (stored on the run as `inputs`).
    inputs: dict[str, Any]
    fingerprint: str
    pins: list[dict[str, str]] = field(default_factory=list)
    forbids: list[dict[str, str]] = field(default_factory=list)

    def name(self, application_id: str) -> str:
        found = self.people.get(application_id)
        return found[2] if found else "someone no longer in the cohort"

    def words(self, text: str) -> str:
        """Engine text with application ids replaced by the people's names."""
        return _UUID.sub(lambda m: self.name(m.group(0)), text)


def _pairs_of(raw: Iterable[Mapping[str, Any]], key: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for i, item in enumerate(raw):
        try:
            mentee, mentor = (
                str(uuid.UUID(str(item["mentee"]))),
                str(uuid.UUID(str(item["mentor"]))),
            )
        except (KeyError, ValueError, TypeError):
            raise Problems(
                [Problem(path=key, message=f"Entry {i + 1} must name a mentee and a mentor")]
            ) from None
        out.append({"mentee": mentee, "mentor": mentor})
    return out


def _digest(inputs: Mapping[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


async def build_input(
    session: AsyncSession,
    cohort: Cohort,
    *,
    pins: Sequence[Mapping[str, Any]] = (),
    forbids: Sequence[Mapping[str, Any]] = (),
    lock: bool = False,
    engine_input: bool = True,
) -> CohortInput:
    """Read the cohort's accepted applicants and everything matching depends on, and build
    the engine's validated :class:`Instance`. Mentees who already have a live pair in the
    cohort are not matched again; mentors' live pairs count against their capacity;
    unavailable mentors and applicants whose answers lack a field the criteria read are left
    out (with the reason). Raises :class:`Problems` at `pins` / `forbids` for a pin or
    forbid the engine refuses (a hard rule broken, a conflict, a full mentor…).

    `lock` (publishing): the accepted applications are read FOR SHARE, so a change to one
    of them at the moment of publication (a withdrawal, an edit) waits for the publication
    to commit instead of slipping in between the check and the pairs. `engine_input=False`
    (publishing, which only compares fingerprints: equal inputs were checked when the run
    was computed) skips building the engine's input."""
    scheme = await scheme_of(session, cohort.scheme_version)
    pins_l, forbids_l = _pairs_of(pins, "pins"), _pairs_of(forbids, "forbids")
    query = (
        select(
            Application.id,
            Application.member_id,
            Application.role,
            Application.lock_version,
            Application.answers,
        )
        .where(Application.cohort_id == cohort.id, Application.state == "accepted")
        .order_by(Application.created_at, Application.id)
    )
    if lock:
        query = query.with_for_update(read=True)
    found = (await session.execute(query)).all()
    names = await _member_names(session, {m for _, m, _, _, _ in found})
    rows = [(a, m, r, v, ans, names.get(m, "")) for a, m, r, v, ans in found]
    live = (
        await session.execute(
            select(Pair.mentor_id, Pair.mentee_id, Pair.mentee_application_id).where(
                Pair.cohort_id == cohort.id, Pair.state.in_(rules.LIVE)
            )
        )
    ).all()
    paired_mentee_apps = {str(a) for _, _, a in live if a is not None}
    paired_mentees = {str(m) for _, m, _ in live}
    assigned: dict[str, int] = {}
    for mentor_id, _, _ in live:
        assigned[str(mentor_id)] = assigned.get(str(mentor_id), 0) + 1
    capacities = {
        str(c.mentor_id): c
        for c in (
            await session.execute(
                select(MentorCapacity).where(MentorCapacity.cohort_id == cohort.id)
            )
        ).scalars()
    }
    criteria = scheme.matching.criteria
    needed = {c.field for c in criteria}
    forms_by_role = {role: forms.form_for(scheme, role) for role in ("mentor", "mentee")}
    today = datetime.now(UTC).date()

    people: dict[str, tuple[str, str, str]] = {}
    left_out: dict[str, str] = {}
    mentees: list[dict[str, Any]] = []
    mentors: list[dict[str, Any]] = []
    mentee_inputs: dict[str, list[Any]] = {}
    mentor_inputs: dict[str, list[Any]] = {}
    mentor_app_of: dict[str, str] = {}
    for app_id, member_id, role, lock_version, answers, name in rows:
        aid, mid = str(app_id), str(member_id)
        people[aid] = (mid, role, name)
        form = forms_by_role.get(role)
        values = forms.matching_fields(form, answers) if form is not None else {}
        values.pop("capacity", None)
        if role == "mentee":
            if aid in paired_mentee_apps or mid in paired_mentees:
                continue  # matched already (an earlier publication, another flow)
            mentee_inputs[aid] = [mid, lock_version]
        else:
            cap = capacities.get(mid)
            places, _ = (
                (cap.capacity, cap.source) if cap is not None else capacity_for(scheme, answers)
            )
            unavailable = cap is not None and not cap.available_on(today)
            mentor_inputs[aid] = [mid, lock_version, places, assigned.get(mid, 0), unavailable]
            if unavailable:
                left_out[aid] = "unavailable" + (
                    f" until {cap.unavailable_until:%d %B %Y}"
                    if cap is not None and cap.unavailable_until
                    else ""
                )
                continue
            mentor_app_of[mid] = aid
        missing = sorted(needed - set(values))
        if missing:
            labels = [
                q.label for q in (form.questions if form is not None else ()) if q.feeds in missing
            ] or missing
            left_out[aid] = "the application does not answer: " + "; ".join(labels)
            continue
        record = {"id": aid, **{k: v for k, v in values.items() if k in needed}}
        if role == "mentee":
            mentees.append(record)
        else:
            record["capacity"] = mentor_inputs[aid][2]
            record["assigned"] = mentor_inputs[aid][3]
            mentors.append(record)

    # Conflicts of interest, member to member, as mentee application → mentor applications.
    mentee_app_of = {mentee_inputs[a][0]: a for a in mentee_inputs}
    conflicts = (
        await session.execute(select(ConflictOfInterest.mentee_id, ConflictOfInterest.mentor_id))
    ).all()
    in_run = {r["id"] for r in mentors}
    conflict_pairs: list[list[str]] = []
    by_mentee: dict[str, list[str]] = {}
    for mentee_id, mentor_id in conflicts:
        mentee_app = mentee_app_of.get(str(mentee_id))
        mentor_app = mentor_app_of.get(str(mentor_id))
        if mentee_app is None or mentor_app is None:
            continue
        conflict_pairs.append([mentee_app, mentor_app])
        if mentor_app in in_run:
            by_mentee.setdefault(mentee_app, []).append(mentor_app)
    for record in mentees:
        if record["id"] in by_mentee:
            record["conflicts"] = sorted(by_mentee[record["id"]])

    inputs = {
        "scheme_version": cohort.scheme_version,
        "mentees": mentee_inputs,
        "mentors": mentor_inputs,
        "conflicts": sorted(conflict_pairs),
        "pins": pins_l,
        "forbids": forbids_l,
    }
    problems: list[Problem] = []
    mentee_ids, mentor_ids = {r["id"] for r in mentees}, in_run
    for key, given in (("pins", pins_l), ("forbids", forbids_l)):
        for item in given:
            for role, ids in (("mentee", mentee_ids), ("mentor", mentor_ids)):
                if item[role] not in ids:
                    why = left_out.get(item[role])
                    who = people[item[role]][2] if item[role] in people else "That person"
                    problems.append(
                        Problem(
                            path=key,
                            message=f"{who} is not a {role} this run can match"
                            + (f" ({why})" if why else ""),
                        )
                    )
    if problems:
        raise Problems(problems)
    data = {
        "criteria": msgspec.to_builtins(criteria),
        "mentees": mentees,
        "mentors": mentors,
        "pinned": pins_l,
        "forbidden": forbids_l,
    }
    cohort_input = CohortInput(
        cohort=cohort,
        scheme=scheme,
        instance=Instance(criteria=(), mentees=(), mentors=()),
        people=people,
        left_out=left_out,
        inputs=inputs,
        fingerprint=_digest(inputs),
        pins=pins_l,
        forbids=forbids_l,
    )
    if not engine_input:
        return cohort_input
    try:
        cohort_input.instance = parse_instance(data)
    except InputError as exc:
        key = "pins"
        raise Problems(
            [
                Problem(
                    path="forbids" if line.startswith("forbidden") else key,
                    message=cohort_input.words(line.partition(": ")[2] or line),
                )
                for line in exc.problems
            ]
        ) from None
    return cohort_input


# --- runs ----------------------------------------------------------------------------------


def _explained(ci: CohortInput, result: CohortResult) -> dict[str, Any]:
    pairs = []
    for p in result.pairs:
        scored = score_pair(ci.instance, p.mentee, p.mentor)
        pairs.append(
            {
                "mentee": p.mentee,
                "mentor": p.mentor,
                "mentee_member": ci.people[p.mentee][0],
                "mentor_member": ci.people[p.mentor][0],
                "score": p.score,
                "pinned": p.pinned,
                "explanation": [c.to_dict() for c in scored.contributions],
            }
        )
    unmatched = [
        {"application": u.mentee, "role": "mentee", "reason": ci.words(u.reason), "tell": True}
        for u in result.unmatched
    ]
    # Left out before matching; an unavailable mentor is not told "no match" (they said so).
    unmatched += [
        {
            "application": aid,
            "role": ci.people[aid][1],
            "reason": reason,
            "tell": not reason.startswith("unavailable"),
        }
        for aid, reason in ci.left_out.items()
    ]
    used = {p.mentor for p in result.pairs}
    idle = [
        {"mentor": m.id, "free": m.free}
        for m in ci.instance.mentors
        if m.id not in used and m.assigned == 0
    ]
    return {"pairs": pairs, "unmatched": unmatched, "mentors_without_mentee": idle}


async def _compute(
    session: AsyncSession,
    actor: Member,
    cohort: Cohort,
    pins: Sequence[Mapping[str, Any]],
    forbids: Sequence[Mapping[str, Any]],
    note: str,
) -> MatchingRun:
    scheme = await scheme_of(session, cohort.scheme_version)
    if scheme.matching.flow not in RUN_FLOWS:
        raise Refused("In this scheme mentees choose their mentors; there is no cohort run.")
    try:
        note = clean_text(note or "", label="Note", kind=TEXT, max_length=NOTE_MAX)
    except BadText as exc:
        raise Problems([Problem(path="note", message=str(exc))]) from None
    ci = await build_input(session, cohort, pins=pins, forbids=forbids)
    started = time.perf_counter()
    result = assign_cohort(ci.instance)
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    number = (
        await session.execute(
            select(func.coalesce(func.max(MatchingRun.number), 0)).where(
                MatchingRun.cohort_id == cohort.id
            )
        )
    ).scalar_one() + 1
    run = MatchingRun(
        tenant_id=current_tenant(session),
        id=uuid.uuid4(),
        cohort_id=cohort.id,
        scheme_version=cohort.scheme_version,
        number=number,
        created_by=actor.id,
        fingerprint=ci.fingerprint,
        inputs=ci.inputs,
        pins=ci.pins,
        forbids=ci.forbids,
        result=_explained(ci, result),
        pairs_count=len(result.pairs),
        unmatched_count=len(result.unmatched) + len(ci.left_out),
        total_score=result.total_score,
        compute_ms=elapsed_ms,
        state="draft",
        note=note,
    )
    session.add(run)
    audit.record(
        session,
        "matching_run_computed",
        actor=actor.email,
        subject=str(run.id),
        details={
            "cohort": str(cohort.id),
            "number": number,
            "pairs": run.pairs_count,
            "unmatched": run.unmatched_count,
            "pins": len(ci.pins),
            "forbids": len(ci.forbids),
        },
    )
    await session.flush()
    return run


async def compute_run(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    *,
    pins: Sequence[Mapping[str, Any]] = (),
    forbids: Sequence[Mapping[str, Any]] = (),
    note: str = "",
) -> MatchingRun:
    """Run the exact cohort assignment over the cohort's accepted applicants; a new draft."""
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
        return await _compute(session, actor, cohort, pins, forbids, note)


async def rerun(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    run_id: uuid.UUID | str,
    *,
    pins: Sequence[Mapping[str, Any]] | None = None,
    forbids: Sequence[Mapping[str, Any]] | None = None,
    note: str = "",
) -> MatchingRun:
    """A new draft from an earlier run with edited pins and forbids (None: keep the run's);
    the earlier run is kept, to compare."""
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        base = await get_in_tenant(session, MatchingRun, run_id, what="matching run")
        cohort = await get_in_tenant(session, Cohort, base.cohort_id, what="cohort")
        return await _compute(
            session,
            actor,
            cohort,
            base.pins if pins is None else pins,
            base.forbids if forbids is None else forbids,
            note,
        )


@dataclass(frozen=True)
class RunComparison:
    """What differs between two runs of a cohort (application ids)."""

    only_in_a: list[tuple[str, str]]
    only_in_b: list[tuple[str, str]]
    common: int
    pairs: tuple[int, int]
    total_score: tuple[float, float]


def compare_runs(a: MatchingRun, b: MatchingRun) -> RunComparison:
    """Pairs only in `a`, only in `b`, and the totals side by side (pure on two runs)."""
    pa = {(p["mentee"], p["mentor"]) for p in a.result.get("pairs", [])}
    pb = {(p["mentee"], p["mentor"]) for p in b.result.get("pairs", [])}
    return RunComparison(
        only_in_a=sorted(pa - pb),
        only_in_b=sorted(pb - pa),
        common=len(pa & pb),
        pairs=(a.pairs_count, b.pairs_count),
        total_score=(a.total_score, b.total_score),
    )


# --- publishing ----------------------------------------------------------------------------


def _changes(old: Mapping[str, Any], new: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """What changed between two runs' inputs, in words."""

    def who(ids: Iterable[str]) -> str:
        shown = sorted(names.get(i, "an applicant") for i in ids)
        more = len(shown) - 5
        return ", ".join(shown[:5]) + (f" and {more} more" if more > 0 else "")

    out: list[str] = []
    for role in ("mentees", "mentors"):
        a, b = old.get(role, {}), new.get(role, {})
        if gone := set(a) - set(b):
            out.append(
                f"{role} no longer in the cohort (withdrawn, matched or changed): {who(gone)}"
            )
        if added := set(b) - set(a):
            out.append(f"new {role}: {who(added)}")
        common = set(a) & set(b)
        if answers := {i for i in common if a[i][1] != b[i][1]}:
            out.append(f"{role} whose application changed: {who(answers)}")
        if role == "mentors" and (places := {i for i in common if a[i][2:] != b[i][2:]}):
            out.append(f"mentors whose capacity, availability or pairs changed: {who(places)}")
    before, after = old.get("conflicts", []), new.get("conflicts", [])
    if sorted(map(tuple, before)) != sorted(map(tuple, after)):
        out.append("conflicts of interest changed")
    if old.get("scheme_version") != new.get("scheme_version"):
        out.append("the cohort's scheme version changed")
    return out or ["the inputs changed"]


async def _names(session: AsyncSession, run: MatchingRun) -> dict[str, str]:
    """Application id → applicant's name, for everyone the run was computed over (also
    those no longer accepted: a refusal names who withdrew)."""
    ids = [uuid.UUID(a) for role in ("mentees", "mentors") for a in run.inputs.get(role, {})]
    rows = (
        await session.execute(
            select(Application.id, Application.member_id)
            .where(Application.cohort_id == run.cohort_id)
            .where(Application.id.in_(ids) | (Application.state == "accepted"))
        )
    ).all()
    names = await _member_names(session, {m for _, m in rows})
    return {str(i): names.get(m, "an applicant") for i, m in rows}


def _why(explanation: Sequence[Mapping[str, Any]]) -> str:
    parts = [str(c.get("detail", "")) for c in explanation if c.get("points")]
    return "; ".join(p for p in parts if p)


async def publish_run(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    run_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> MatchingRun:
    """Publish a draft run: all its pairs and every message, or nothing."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        try:
            key = uuid.UUID(str(run_id))
        except ValueError:
            raise NotFound("matching run") from None
        run = (
            await session.execute(
                select(MatchingRun)
                .where(MatchingRun.id == key)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if run is None:
            raise NotFound("matching run")
        if run.state != "draft":
            raise Refused(
                "This run is already published."
                if run.state == "published"
                else "This run was superseded by a published run; nothing was changed."
            )
        cohort = (
            await session.execute(
                select(Cohort).where(Cohort.id == run.cohort_id).with_for_update()
            )
        ).scalar_one()
        scheme = await scheme_of(session, cohort.scheme_version)
        if scheme.matching.flow != "coordinator":
            raise Refused("In this scheme the pairs start when both accept a proposal.")
        published = (
            await session.execute(
                select(MatchingRun.number).where(
                    MatchingRun.cohort_id == cohort.id, MatchingRun.state == "published"
                )
            )
        ).scalar_one_or_none()
        if published is not None:
            raise Refused(f"Run {published} of this cohort is already published.")
        try:
            current = await build_input(
                session, cohort, pins=run.pins, forbids=run.forbids, lock=True, engine_input=False
            )
        except Problems as exc:
            raise RunStale([p.message for p in exc.problems]) from None
        if current.fingerprint != run.fingerprint:
            raise RunStale(_changes(run.inputs, current.inputs, await _names(session, run)))

        news = [
            NewPair(
                cohort_id=cohort.id,
                mentor_id=uuid.UUID(p["mentor_member"]),
                mentee_id=uuid.UUID(p["mentee_member"]),
                flow="coordinator",
                mentor_application_id=uuid.UUID(p["mentor"]),
                mentee_application_id=uuid.UUID(p["mentee"]),
                score=float(p["score"]),
                explanation=p["explanation"],
                run_id=run.id,
                why=_why(p["explanation"]),
            )
            for p in run.result.get("pairs", [])
        ]
        await create_pairs(session, news, actor_id=actor.id, actor=actor.email, now=now)
        told = await _tell_unmatched(session, scheme, cohort, run, current)

        run.state = "published"
        run.published_at = now
        run.published_by = actor.id
        await session.execute(
            update(MatchingRun)
            .where(
                MatchingRun.cohort_id == cohort.id,
                MatchingRun.state == "draft",
                MatchingRun.id != run.id,
            )
            .values(state="superseded")
            .execution_options(synchronize_session=False)
        )
        audit.record(
            session,
            "matching_run_published",
            actor=actor.email,
            subject=str(run.id),
            details={
                "cohort": str(cohort.id),
                "number": run.number,
                "pairs": len(news),
                "unmatched_told": told,
            },
        )
        await session.flush()
        return run


async def _tell_unmatched(
    session: AsyncSession,
    scheme: Scheme,
    cohort: Cohort,
    run: MatchingRun,
    ci: CohortInput,
) -> int:
    """Mail every applicant the run leaves without a match: unmatched mentees, mentees left
    out, and mentors with no mentee (and none from before). Alberta's scheme invites them to
    the next cohort (their application gets priority in the next intake); a scheme that gives
    unsuccessful applicants feedback offers it."""
    result = run.result
    apps = {u["application"] for u in result.get("unmatched", []) if u.get("tell")}
    apps |= {m["mentor"] for m in result.get("mentors_without_mentee", [])}
    if not apps:
        return 0
    next_intake = scheme.matching.unmatched == "inform_and_invite_next_cohort"
    feedback = scheme.application.feedback_to_unsuccessful
    ids = [uuid.UUID(a) for a in apps]
    if next_intake:
        await session.execute(
            update(Application)
            .where(Application.id.in_(ids), Application.state == "accepted")
            .values(
                priority_next_intake=True,
                lock_version=Application.lock_version + 1,
                updated_at=func.now(),
            )
            .execution_options(synchronize_session=False)
        )
    found = (
        await session.execute(
            select(Application.id, Application.role, Application.member_id)
            .where(Application.id.in_(ids))
            .order_by(Application.id)
        )
    ).all()
    members = {
        m.id: m
        for m in (
            await session.execute(select(Member).where(Member.id.in_({m for _, _, m in found})))
        ).scalars()
    }
    rows = [(a, r, members[m]) for a, r, m in found]
    tenant = await _tenant(session)
    root = base_url(get_settings(), tenant)
    outgoing: list[Outgoing] = []
    for app_id, role, member in rows:
        context: dict[str, Any] = {
            "role": role,
            "cohort": cohort.name,
            "link": f"{root}/applications/{app_id}",
        }
        if next_intake:
            context["next_intake"] = True
        if feedback:
            context["feedback_offered"] = True
        outgoing.append(Outgoing(context, f"run:{run.id}:unmatched:{app_id}", to_member=member))
    await send_many(session, tenant, "match_unmatched", outgoing)
    return len(rows)


# --- conflicts of interest -----------------------------------------------------------------


async def add_conflict(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    *,
    mentee_id: uuid.UUID | str,
    mentor_id: uuid.UUID | str,
    reason: str = "",
) -> ConflictOfInterest:
    """Record that a mentee must never be matched with a mentor. The coordinator adds any;
    an applicant declares their own (as the mentee or as the mentor). Recording it twice
    changes nothing."""
    async with db.tenant(tenant_id) as session:
        actor = await get_in_tenant(session, Member, actor_id, what="member")
        mentee = await get_in_tenant(session, Member, mentee_id, what="member")
        mentor = await get_in_tenant(session, Member, mentor_id, what="member")
        staff = bool(STAFF & set(actor.roles))
        if not staff and actor.id not in (mentee.id, mentor.id):
            raise NotFound("member")
        if mentee.id == mentor.id:
            raise Problems([Problem(path="mentor", message="Choose someone else")])
        try:
            reason = clean_text(reason or "", label="Reason", kind=TEXT, max_length=NOTE_MAX)
        except BadText as exc:
            raise Problems([Problem(path="reason", message=str(exc))]) from None
        found = (
            await session.execute(
                select(ConflictOfInterest).where(
                    ConflictOfInterest.mentee_id == mentee.id,
                    ConflictOfInterest.mentor_id == mentor.id,
                )
            )
        ).scalar_one_or_none()
        if found is not None:
            return found
        row = ConflictOfInterest(
            tenant_id=current_tenant(session),
            id=uuid.uuid4(),
            mentee_id=mentee.id,
            mentor_id=mentor.id,
            source="coordinator" if staff else "applicant",
            recorded_by=actor.id,
            reason=reason,
        )
        session.add(row)
        audit.record(
            session,
            "conflict_of_interest_added",
            actor=actor.email,
            subject=str(row.id),
            details={"mentee": str(mentee.id), "mentor": str(mentor.id), "source": row.source},
        )
        await session.flush()
        return row


async def remove_conflict(
    db: Database, tenant_id: uuid.UUID, actor_id: uuid.UUID | str, conflict_id: uuid.UUID | str
) -> None:
    """The coordinator removes a conflict of interest recorded by mistake."""
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        row = await get_in_tenant(session, ConflictOfInterest, conflict_id, what="conflict")
        audit.record(
            session,
            "conflict_of_interest_removed",
            actor=actor.email,
            subject=str(row.id),
            details={"mentee": str(row.mentee_id), "mentor": str(row.mentor_id)},
        )
        await session.delete(row)
