"""The evaluation report tests' world: the Museums Association's scheme (its real tenant file,
version 4: the baseline questionnaire and the mentees' final survey ask the same grids), a
cohort of six pairs whose every figure is known, written as rows (the state each figure
needs, without running the clock), a second cohort of three pairs (under the minimum group
size), and the people who look at it.

The known figures (`KNOWN`):

* applications: 6 mentors accepted; mentees 6 accepted, 4 unsuccessful, 1 withdrawn, 1 draft
  (not counted);
* pairs: 5 completed, 1 ended early;
* meetings held: 5 pairs × 5 meetings of 120 minutes, 1 pair × 2 of 60 — 27 meetings (an
  average of 4.5 per pair, MA's own figure), 52 hours, 5 pairs reaching 9 hours; a
  cancelled and a proposed meeting not counted;
* goals: 14 achieved, 9 partly, 1 dropped — 95.8 % achieved or partly achieved;
* baseline questionnaire: 6 mentees; "I feel confident in myself" all "Neither agree nor
  disagree"; mentored before: 2 yes, 4 no;
* final survey: 5 mentees (pairs 0–4) — "I feel confident in myself" 4 "Agree", 1 "Strongly
  agree" (everyone who answered both rose: 100 %); recommend: 5 yes; goals achieved 2, 3,
  2, 3, 2; what they gained: pairs 0 and 1 gave permission (SHARED-QUOTE-n), pairs 2–4 did
  not (SECRET-MARKER-n); pair 5's final survey is a draft (DRAFT-MARKER, not counted);
* the mentors' final survey: only 3 sent in — every answer suppressed, their shared text
  (SMALL-GROUP-QUOTE) too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import update

from mentorhub.applications.models import Application, Cohort
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import NewPair, create_pairs
from mentorhub.pairs.space_models import Goal, Meeting
from tests.applications.conftest import World, add_member, make_world

SLUG = "museums-association"
NEUTRAL = "Neither agree nor disagree"
AGREE = "Agree"
STRONGLY = "Strongly agree"
#: personal_qualities has nine statements; the second is "I feel confident in myself".
CONFIDENT = 1

KNOWN = {
    "meetings": "27",
    "per_pair": "4.5",
    "hours": "52.0",
    "hours_per_pair": "8.7",
    "reaching": "5 (83.3 %)",
    "goals": "24",
    "goals_done": "95.8 %",
}


@dataclass
class ReportWorld:
    world: World
    cohort: Cohort
    small: Cohort
    pairs: list[Pair]
    mentors: list[Member]
    mentees: list[Member]

    @property
    def id(self) -> uuid.UUID:
        return self.world.id

    def url(self, cohort: Cohort | None = None, path: str = "") -> str:
        c = cohort or self.cohort
        return f"/t/{self.world.tenant.slug}/coordinator/reports/{c.id}{path}"


def _grid(confident: str, rest: str = AGREE, n: int = 9) -> list[str]:
    return [confident if r == CONFIDENT else rest for r in range(n)]


def _item(
    rw: ReportWorld | Any,
    tenant_id: uuid.UUID,
    version: int,
    pair: Pair,
    member: Member,
    checkpoint: str,
    answers: dict[str, Any],
    *,
    audience: str = "mentee",
    share: bool = False,
    state: str = "submitted",
) -> CheckpointItem:
    due = date(2027, 3, 1)
    return CheckpointItem(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        pair_id=pair.id,
        member_id=member.id,
        checkpoint=checkpoint,
        slot="",
        scheme_version=version,
        kind="survey",
        title=checkpoint,
        audience=audience,
        readers=["coordinator"],
        due_on=due,
        opens_on=due - timedelta(days=14),
        closes_on=due + timedelta(days=28),
        state=state,
        step=1,
        opened_at=datetime(2027, 2, 15, tzinfo=UTC),
        submitted_at=datetime(2027, 3, 1, tzinfo=UTC)
        if state in ("submitted", "reviewed")
        else None,
        submitted_by=member.id if state in ("submitted", "reviewed") else None,
        answers=answers,
        share_permission=share,
    )


async def _pairs(
    db: Database, world: World, cohort: Cohort, n: int, tag: str
) -> tuple[list[Pair], list[Member], list[Member]]:
    mentors = [
        await add_member(db, world.tenant, f"Mentor {tag}{i}", roles=("mentor",)) for i in range(n)
    ]
    mentees = [
        await add_member(db, world.tenant, f"Mentee {tag}{i}", roles=("mentee",)) for i in range(n)
    ]
    async with db.tenant(world.id) as session:
        pairs = await create_pairs(
            session,
            [NewPair(cohort.id, mentors[i].id, mentees[i].id, "coordinator") for i in range(n)],
            actor_id=world.coordinator.id,
        )
    order = {m.id: i for i, m in enumerate(mentors)}
    pairs.sort(key=lambda p: order[p.mentor_id])
    return pairs, mentors, mentees


async def report_world(db: Database) -> ReportWorld:
    world = await make_world(db, SLUG)
    tid, version = world.id, world.scheme.version
    async with db.tenant(tid) as session:
        small = Cohort(
            tenant_id=tid,
            id=uuid.uuid4(),
            name="Small pilot",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 7, 1),
            scheme_version=version,
        )
        session.add(small)
    pairs, mentors, mentees = await _pairs(db, world, world.cohort, 6, "")
    small_pairs, _, _ = await _pairs(db, world, small, 3, "S")
    rw = ReportWorld(world, world.cohort, small, pairs, mentors, mentees)
    now = datetime(2027, 1, 10, tzinfo=UTC)

    def app(member: Member, role: str, state: str, answers: dict[str, Any]) -> Application:
        return Application(
            tenant_id=tid,
            id=uuid.uuid4(),
            cohort_id=world.cohort.id,
            member_id=member.id,
            role=role,
            state=state,
            answers=answers,
            submitted_at=now if state != "draft" else None,
        )

    works = [
        "Paid staff",
        "Paid staff",
        "Paid staff",
        "Paid staff",
        "Volunteer",
        "Freelance or consultant",
    ]
    stages = ["Early career (up to 5 years)"] * 4 + ["Mid-career (5 to 10 years)"] * 2
    mentor_works = ["Paid staff"] * 4 + ["Freelance or consultant"] * 2
    mentor_stages = ["Late mid-career (10 to 15 years)"] * 3 + [
        "Established (15 years or more)"
    ] * 3
    others = [await add_member(db, world.tenant, f"Applicant {i}") for i in range(6)]
    meetings: list[Meeting] = []
    goals: list[Goal] = []
    async with db.tenant(tid) as session:
        for i in range(6):
            session.add(
                app(
                    mentees[i],
                    "mentee",
                    "accepted",
                    {
                        "work_in_museums": works[i],
                        "career_stage": stages[i],
                        "development_needs": ["Confidence", "Professional networks"][: 1 + i % 2],
                        "is_student": False,
                        "phone": "01234 567890",
                    },
                )
            )
            session.add(
                app(
                    mentors[i],
                    "mentor",
                    "accepted",
                    {"work_in_museums": mentor_works[i], "career_stage": mentor_stages[i]},
                )
            )
        for i in range(4):
            session.add(app(others[i], "mentee", "unsuccessful", {"work_in_museums": "Volunteer"}))
        session.add(app(others[4], "mentee", "withdrawn", {}))
        session.add(app(others[5], "mentor", "draft", {}))
        # pairs: 5 completed, the sixth ended early
        await session.execute(
            update(Pair)
            .where(Pair.id.in_([p.id for p in pairs[:5]]))
            .values(state="ended", end_kind="completed", ended_at=now)
        )
        await session.execute(
            update(Pair)
            .where(Pair.id == pairs[5].id)
            .values(state="ended", end_kind="ended_early", ended_at=now)
        )
        start = datetime(2026, 7, 1, 10, tzinfo=UTC)
        for i, pair in enumerate(pairs):
            held = (5, 120) if i < 5 else (2, 60)
            for k in range(held[0]):
                meetings.append(
                    Meeting(
                        tenant_id=tid,
                        id=uuid.uuid4(),
                        pair_id=pair.id,
                        starts_at=start + timedelta(days=30 * k),
                        minutes=90,
                        held_minutes=held[1],
                        mode="in_person",
                        state="held",
                        proposed_by=mentees[i].id,
                    )
                )
        for state in ("cancelled", "proposed"):
            meetings.append(
                Meeting(
                    tenant_id=tid,
                    id=uuid.uuid4(),
                    pair_id=pairs[0].id,
                    starts_at=start,
                    minutes=600,
                    mode="video",
                    state=state,
                    proposed_by=mentees[0].id,
                )
            )
        statuses = ["achieved"] * 14 + ["partly"] * 9 + ["dropped"]
        for g, status in enumerate(statuses):
            pair = pairs[g % 6]
            goals.append(
                Goal(
                    tenant_id=tid,
                    id=uuid.uuid4(),
                    pair_id=pair.id,
                    title=f"Goal {g}",
                    status=status,
                    position=g,
                    created_by=pair.mentee_id,
                )
            )
        session.add_all(meetings)
        session.add_all(goals)
        # the baseline questionnaire: six mentees
        for i, pair in enumerate(pairs):
            session.add(
                _item(
                    rw,
                    tid,
                    version,
                    pair,
                    mentees[i],
                    "baseline_questionnaire",
                    {
                        "personal_qualities": _grid(NEUTRAL),
                        "work_and_sector": [AGREE] * 8,
                        "mentored_before": i < 2,
                        "hopes": f"BASELINE-HOPES-{i}",
                    },
                    share=True,
                )
            )
        # the mentees' final survey: pairs 0-4 sent in, pair 5 a draft
        for i, pair in enumerate(pairs):
            session.add(
                _item(
                    rw,
                    tid,
                    version,
                    pair,
                    mentees[i],
                    "final_survey",
                    {
                        "personal_qualities": _grid(STRONGLY if i == 0 else AGREE),
                        "work_and_sector": [AGREE] * 8,
                        "goals_achieved": [2, 3, 2, 3, 2, 9][i],
                        "goals_partly_achieved": 1,
                        "recommend": True,
                        "job_change": [
                            "I was promoted",
                            "I was promoted",
                            "I moved to a new job",
                            "Neither",
                            "Neither",
                            "Neither",
                        ][i],
                        "gained": (
                            f"SHARED-QUOTE-{i}"
                            if i < 2
                            else f"SECRET-MARKER-{i}"
                            if i < 5
                            else "DRAFT-MARKER"
                        ),
                        "improve": '=HYPERLINK("x")' if i == 0 else "",
                    },
                    share=i < 2 or i == 5,
                    state="submitted" if i < 5 else "open",
                )
            )
        # the mentors' final survey: three sent in (under the minimum group size)
        for i in range(3):
            session.add(
                _item(
                    rw,
                    tid,
                    version,
                    pairs[i],
                    mentors[i],
                    "final_survey_mentors",
                    {
                        "well_matched": 5,
                        "mentor_gained": "SMALL-GROUP-QUOTE",
                        "mentor_recommends": True,
                    },
                    audience="mentor",
                    share=True,
                )
            )
        # the small cohort: its three mentees sent in a baseline
        for pair in small_pairs:
            session.add(
                _item(
                    rw,
                    tid,
                    version,
                    pair,
                    Member(id=pair.mentee_id),
                    "baseline_questionnaire",
                    {"personal_qualities": _grid(NEUTRAL), "hopes": "SMALL-COHORT-MARKER"},
                    share=True,
                )
            )
    return rw
