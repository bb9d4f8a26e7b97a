"""Demo matching for the embedded default: in every tenant, a cohort starting next month
whose applicants were accepted and are being matched by the tenant's own flow, so a newcomer
who signs in as a demo member finds "My mentoring" alive and, as the coordinator, the
matching pages with something on them. Never used in production (the embedded default runs
`seed_demo_matching` after the demo applications, in `applications.demo.
fill_demo_applications`, which logs and retries).

Everything is made through the actions, as people would make it:

* the applicants apply and are accepted through the applications actions (the same stories
  `applications.demo` plays: windows, line managers' links, trainings, ratifications,
  shortlists and interviews where the scheme has them);
* **coordinator matching** (Museums Association, Advice Skills Academy, Alberta): the
  coordinator runs the matching (run 1), re-runs it with the demo mentees pinned to the demo
  mentors and one pair forbidden (run 2: "they work together"), and publishes run 2 — its
  pairs are made and mailed, the applicant left without a mentor is told (Alberta: invited
  to reapply; Museums Association: feedback offered); run 1 is kept (superseded) to compare;
* **suggest and accept** (AHEP): the demo mentee picks the demo mentor from their top 3 and
  is accepted (a pair); another mentee's request is accepted by the other demo mentor (a
  pair); a third mentee's first choice declines, and the request passes on by itself to
  their second choice, the other demo mentor, where it waits; the second demo mentee's
  request waits with the first demo mentor;
* **mutual acceptance** (Arts Marketing Association): the coordinator proposes the demo
  mentor for the demo mentee and both accept (a pair); a second proposal was accepted by the
  mentor and waits for the mentee.

Applicants' answers come from `applications.demo.answers`, whose index `i` picks each
multiple-choice answer's options and each location: the indices below are chosen so that the
engine puts the intended mentors in each mentee's top 3 (AHEP), and so that each proposed
pair lives in the same city (the Arts Marketing Association's 50 km rule).

Idempotent: the demo's cohort is the second cohort the demo coordinator created (the first
is the recruiting cohort of `applications.demo`, made first if missing); an applicant who has
applied is left alone, and each flow's step is taken only if its result is not there (a
run, a request, a proposal, an answer). A restart adds nothing; a first start that was
stopped finishes on the next.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import String, cast, select

from mentorhub.applications import services as applications
from mentorhub.applications.demo import (
    Plan,
    _add_months,
    _cohort,
    _partner_organisations,
    _play,
    _Tenant,
    _windows,
)
from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.states import State
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.demo import demo_email
from mentorhub.identity.models import Member
from mentorhub.matching import mutual_flow, services, suggest_flow
from mentorhub.matching.models import MatchingRun, MatchProposal, MatchRequest
from mentorhub.schemes.forms import form_for
from mentorhub.schemes.rules import CohortDuration, FixedDuration, RangeDuration, Scheme
from mentorhub.tenancy.models import Tenant

__all__ = ["demo_cohorts", "seed_demo_matching"]


#: The matching demo's own applicants (beyond the demo members), by key.
PEOPLE = {
    "uma.osei": "Uma Osei",
    "theo.marsh": "Theo Marsh",
    "sana.iqbal": "Sana Iqbal",
    "rob.quinn": "Rob Quinn",
    "wen.li": "Wen Li",
    "yara.costa": "Yara Costa",
    "zac.byrne": "Zac Byrne",
}


@dataclass(frozen=True)
class Cast:
    key: str  # a demo member's key or one of PEOPLE
    role: str
    i: int  # the answers' index (see the module's docstring)

    def plan(self) -> Plan:
        return Plan(self.key, PEOPLE.get(self.key), self.role, State.ACCEPTED)


def cast_for(scheme: Scheme) -> list[Cast]:
    """Who applies and is accepted in the demo's matching cohort, mentors first."""
    flow = scheme.matching.flow
    if flow == "suggest_and_accept":
        # support_areas: applicant i answers options i and i+1 (mod the options' number n).
        n = _options(scheme, "mentee", "support_areas") or 8
        return [
            Cast("mentor1", "mentor", n),  # {0, 1}
            Cast("mentor2", "mentor", 4),  # {4, 5}
            Cast("uma.osei", "mentor", 5),  # {5, 6}: declines
            Cast("theo.marsh", "mentor", 2),  # {2, 3}
            Cast("sana.iqbal", "mentor", 3),  # {3, 4}
            Cast("mentee1", "mentee", 0),  # {0, 1} → mentor1, accepted
            Cast("mentee2", "mentee", 2 * n),  # {0, 1} → mentor1, waiting
            Cast("rob.quinn", "mentee", n + 4),  # {4, 5} → mentor2, accepted
            Cast("wen.li", "mentee", n + 5),  # {5, 6} → uma (declines) → mentor2, waiting
        ]
    if flow == "mutual_acceptance":
        # Location: applicant i lives at the i-th of seven places (mod 7); career years:
        # mentors 12 + i, mentees 1 + i % 5 (always five years apart or more).
        return [
            Cast("mentor1", "mentor", 7),
            Cast("mentor2", "mentor", 8),
            Cast("mentee1", "mentee", 0),
            Cast("mentee2", "mentee", 1),
        ]
    return [
        Cast("mentor1", "mentor", 0),
        Cast("mentor2", "mentor", 1),
        Cast("yara.costa", "mentor", 2),
        Cast("mentee1", "mentee", 3),
        Cast("mentee2", "mentee", 4),
        Cast("zac.byrne", "mentee", 5),  # forbidden with Yara: left without a mentor
        Cast("rob.quinn", "mentee", 6),
    ]


def _options(scheme: Scheme, role: str, question: str) -> int:
    form = form_for(scheme, role)
    for q in form.questions if form is not None else ():
        if q.id == question:
            return len(q.options)
    return 0


def cohort_dates(scheme: Scheme, today: date) -> tuple[str, date, date]:
    """The demo's matching cohort: starting the first of next month (matching happens
    before a cohort starts), for the scheme's length (a programme year: to its last month).
    Named "<Month Year> cohort" (the recruiting cohort's "… intake" or "… programme year"
    never takes the name, whichever day each was made)."""
    starts = _add_months(today, 1)
    duration = scheme.duration
    if isinstance(duration, CohortDuration):
        year = starts.year if duration.end_month >= starts.month else starts.year + 1
        ends = _add_months(date(year, duration.end_month, 1), 1) - timedelta(days=1)
        return f"{starts:%B %Y} cohort", starts, ends
    months = 12
    if isinstance(duration, FixedDuration):
        months = duration.months
    elif isinstance(duration, RangeDuration):
        months = duration.max_months
    return f"{starts:%B %Y} cohort", starts, _add_months(starts, months) - timedelta(days=1)


async def seed_demo_matching(
    db: Database, tenants: Sequence[Tenant], *, now: datetime | None = None
) -> int:
    """Made once per tenant (see the module's docstring); returns how many steps were taken
    (applications made and flow actions; 0 on every start after the first)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    made = 0
    for tenant in tenants:
        made += await _seed_tenant(db, tenant, now)
    return made


@dataclass
class _World:
    t: _Tenant
    cohort: Cohort
    scheme: Scheme
    #: key → (member id, accepted application id in the demo's cohort)
    people: dict[str, tuple[uuid.UUID, uuid.UUID]]

    @property
    def db(self) -> Database:
        return self.t.db

    @property
    def tid(self) -> uuid.UUID:
        return self.t.tenant.id

    def member(self, key: str) -> uuid.UUID:
        return self.people[key][0]

    def app(self, key: str) -> uuid.UUID:
        return self.people[key][1]


async def _seed_tenant(db: Database, tenant: Tenant, now: datetime) -> int:
    emails = [demo_email(tenant.slug, "coordinator"), demo_email(tenant.slug, "admin")]
    async with db.tenant(tenant.id) as session:
        found = await session.execute(select(Member).where(Member.email.in_(emails)))
        staff = {m.email: m for m in found.scalars()}
    coordinator = staff.get(demo_email(tenant.slug, "coordinator"))
    admin = staff.get(demo_email(tenant.slug, "admin"))
    if coordinator is None or admin is None:
        return 0  # no demo members here (not the embedded default's seed)
    t = _Tenant(db, tenant, now, coordinator, admin)
    made = await demo_cohorts(db, tenant)
    if not made:
        await _cohort(t)  # the recruiting cohort (applications.demo's) comes first
        made = await demo_cohorts(db, tenant)
    async with db.tenant(tenant.id) as session:
        current = await session.get(Cohort, {"tenant_id": tenant.id, "id": made[0]})
        assert current is not None
        t.scheme = await applications.scheme_of(session, current.scheme_version)
    if len(made) > 1:
        async with db.tenant(tenant.id) as session:
            cohort = await session.get(Cohort, {"tenant_id": tenant.id, "id": made[1]})
            assert cohort is not None
    else:
        name, starts, ends = cohort_dates(t.scheme, t.now.date())
        cohort = await applications.create_cohort(
            db, tenant.id, coordinator.id, name=name, starts_on=starts, ends_on=ends
        )
    async with db.tenant(tenant.id) as session:
        t.scheme = await applications.scheme_of(session, cohort.scheme_version)
    t.cohort = cohort
    players = cast_for(t.scheme)
    steps = 0
    if await _accepted(t, players) < len(players):
        windows = await _windows(t)
        if t.scheme.eligibility.open_to == "partner_organisations":
            await _partner_organisations(t)
        for c in players:
            steps += await _play(t, c.plan(), c.i, windows)
    w = _World(t, cohort, t.scheme, await _people(t, players))
    flow = t.scheme.matching.flow
    if flow == "suggest_and_accept":
        steps += await _suggest(w)
    elif flow == "mutual_acceptance":
        steps += await _mutual(w)
    else:
        steps += await _coordinator(w)
    return steps


async def demo_cohorts(db: Database, tenant: Tenant) -> list[uuid.UUID]:
    """The cohorts the demo coordinator created, in order: the first recruits
    (`applications.demo`), the second is this demo's. Made in one transaction (tests), two
    cohorts tie on the time: the recruiting one starts later."""
    async with db.tenant(tenant.id, read_only=True) as session:
        rows = await session.execute(
            select(Cohort.id)
            .join(AuditEntry, AuditEntry.subject == cast(Cohort.id, String))
            .where(
                AuditEntry.action == "cohort_created",
                AuditEntry.actor == demo_email(tenant.slug, "coordinator"),
            )
            .order_by(AuditEntry.created_at, Cohort.starts_on.desc())
        )
        return list(rows.scalars())


async def _people(t: _Tenant, players: list[Cast]) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    assert t.cohort is not None
    emails = {demo_email(t.tenant.slug, c.key): c.key for c in players}
    async with t.db.tenant(t.tenant.id, read_only=True) as session:
        rows = await session.execute(
            select(Member.email, Member.id, Application.id)
            .join(Application, Application.member_id == Member.id)
            .where(
                Application.cohort_id == t.cohort.id,
                Application.state == State.ACCEPTED,
                Member.email.in_(list(emails)),
            )
        )
        return {emails[email]: (member, app) for email, member, app in rows}


async def _accepted(t: _Tenant, players: list[Cast]) -> int:
    return len(await _people(t, players))


# --- coordinator matching ---------------------------------------------------------------------


async def _coordinator(w: _World) -> int:
    async with w.db.tenant(w.tid, read_only=True) as session:
        runs = list(
            (
                await session.execute(
                    select(MatchingRun)
                    .where(MatchingRun.cohort_id == w.cohort.id)
                    .order_by(MatchingRun.number)
                )
            ).scalars()
        )
    coordinator = w.t.coordinator.id
    made = 0
    if not runs:
        runs.append(
            await services.compute_run(
                w.db,
                w.tid,
                coordinator,
                w.cohort.id,
                note="First look at the accepted applicants.",
            )
        )
        made += 1
    if len(runs) == 1:
        runs.append(
            await services.rerun(
                w.db,
                w.tid,
                coordinator,
                runs[0].id,
                pins=[
                    {"mentee": str(w.app("mentee1")), "mentor": str(w.app("mentor1"))},
                    {"mentee": str(w.app("mentee2")), "mentor": str(w.app("mentor2"))},
                ],
                forbids=[{"mentee": str(w.app("zac.byrne")), "mentor": str(w.app("yara.costa"))}],
                note="Eli and Esme asked for the mentors they met at the open day;"
                " Zac and Yara work together, so not them.",
            )
        )
        made += 1
    if not any(r.state == "published" for r in runs):
        await services.publish_run(w.db, w.tid, coordinator, runs[-1].id)
        made += 1
    return made


# --- suggest and accept (AHEP) ------------------------------------------------------------------

#: (mentee, ranked choices, what the first asked mentor does, the mentee's reasons)
_STORIES = (
    (
        "mentee1",
        ("mentor1",),
        "accept",
        "I am moving into my first management role and would like to learn from someone "
        "who has made the same step.",
    ),
    (
        "rob.quinn",
        ("mentor2",),
        "accept",
        "I am looking for my next opportunity and want help planning it.",
    ),
    (
        "wen.li",
        ("uma.osei", "mentor2"),
        "decline",
        "I would value help with confidence and with planning my next career step.",
    ),
    (
        "mentee2",
        ("mentor1",),
        None,
        "I am new to the sector and would like someone to show me how it works.",
    ),
)
_DECLINE = "My team has a busy term ahead and I could not give you the time you deserve."


async def _suggest(w: _World) -> int:
    made = 0
    for mentee, choices, answer, reasons in _STORIES:
        async with w.db.tenant(w.tid, read_only=True) as session:
            asked = (
                await session.execute(
                    select(MatchRequest.id).where(
                        MatchRequest.cohort_id == w.cohort.id,
                        MatchRequest.mentee_id == w.member(mentee),
                    )
                )
            ).first()
        if asked is not None:
            continue
        page = await suggest_flow.suggestions_for(
            w.db, w.tid, w.member(mentee), cohort_id=w.cohort.id
        )
        offered = {s.mentor_id for s in page.suggestions}
        wanted = [w.member(k) for k in choices]
        missing = [k for k, m in zip(choices, wanted, strict=True) if m not in offered]
        if missing:
            raise LookupError(f"{mentee}'s suggestions do not include {', '.join(missing)}")
        request = await suggest_flow.choose(
            w.db, w.tid, w.member(mentee), wanted, reasons, cohort_id=w.cohort.id
        )
        made += 1
        if answer == "accept":
            await suggest_flow.accept_request(w.db, w.tid, request.mentor_id, request.id)
            made += 1
        elif answer == "decline":
            await suggest_flow.decline_request(w.db, w.tid, request.mentor_id, request.id, _DECLINE)
            made += 1
    return made


# --- mutual acceptance (Arts Marketing Association) ----------------------------------------------


async def _mutual(w: _World) -> int:
    made = 0
    # (mentee, mentor, who has accepted so far)
    for mentee, mentor, accepted in (
        ("mentee1", "mentor1", ("mentor", "mentee")),
        ("mentee2", "mentor2", ("mentor",)),
    ):
        async with w.db.tenant(w.tid, read_only=True) as session:
            proposal = (
                await session.execute(
                    select(MatchProposal)
                    .where(
                        MatchProposal.cohort_id == w.cohort.id,
                        MatchProposal.mentee_id == w.member(mentee),
                    )
                    .order_by(MatchProposal.id)
                    .limit(1)
                )
            ).scalar_one_or_none()
        if proposal is None:
            proposal = await mutual_flow.propose(
                w.db,
                w.tid,
                w.t.coordinator.id,
                w.cohort.id,
                w.app(mentee),
                w.app(mentor),
                note="You both came to the joint training in the same city and want to work "
                "on audience development.",
            )
            made += 1
        for side in accepted:
            answered = proposal.mentor_answer if side == "mentor" else proposal.mentee_answer
            if answered is None:
                who = mentor if side == "mentor" else mentee
                proposal = await mutual_flow.answer_proposal(
                    w.db, w.tid, w.member(who), proposal.id, "accepted"
                )
                made += 1
    return made
