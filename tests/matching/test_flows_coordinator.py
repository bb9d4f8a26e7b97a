"""Coordinator matching (Museums Association, Alberta) against real PostgreSQL: a published
run's pairs are the engine's optimum for the same input; unmatched applicants are told in
their scheme's words; a run whose applicants changed, a pin that breaks a hard rule, a second
publication are refused with nothing changed; drafts are kept and comparable."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select, update

from mentorhub.applications.models import Application
from mentorhub.core.problems import Problems
from mentorhub.db import Database, NotFound
from mentorhub.matching import run_queries, services
from mentorhub.matching.cohort import assign_cohort
from mentorhub.matching.input import parse_instance
from mentorhub.matching.models import MatchingRun, MentorCapacity
from mentorhub.matching.scoring import score_pair
from mentorhub.messages.models import Message
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from tests.applications.conftest import World, make_world
from tests.pairs.helpers import accepted, kinds_of

NEEDS = (
    "Confidence",
    "Career direction and progression",
    "Applying for jobs (CV, applications, interviews)",
    "Knowledge of the sector and its roles",
    "Professional networks",
    "Communication and interpersonal skills",
)
REGIONS = ("North East", "North West", "Yorkshire and the Humber", "East Midlands")


async def museums_cohort(
    db: Database, mentees: int = 10, mentors: int = 4
) -> tuple[World, list[Application], list[Application]]:
    """A Museums Association cohort with varied needs and regions (deterministic)."""
    world = await make_world(db, "museums-association")
    tees = [
        await accepted(
            db,
            world,
            "mentee",
            f"Mentee {i:02d}",
            development_needs=[NEEDS[i % 6], NEEDS[(i * 5 + 1) % 6]],
            region=REGIONS[i % 4],
        )
        for i in range(mentees)
    ]
    tors = [
        await accepted(
            db,
            world,
            "mentor",
            f"Mentor {j:02d}",
            can_support=[NEEDS[j % 6], NEEDS[(j + 2) % 6], NEEDS[(j * 3 + 1) % 6]],
            region=REGIONS[(j * 3) % 4],
        )
        for j in range(mentors)
    ]
    return world, tees, tors


def independent_instance(
    world: World, tees: list[Application], tors: list[Application], places: dict[str, int]
) -> Any:
    """The same problem written by hand from the answers the test gave (not build_input)."""
    return parse_instance(
        {
            "criteria": msgspec.to_builtins(world.scheme.matching.criteria),
            "mentees": [
                {
                    "id": str(a.id),
                    "development_needs": a.answers["development_needs"],
                    "region": a.answers["region"],
                }
                for a in tees
            ],
            "mentors": [
                {
                    "id": str(a.id),
                    "development_needs": a.answers["can_support"],
                    "region": a.answers["region"],
                    "capacity": places.get(str(a.id), 1),
                }
                for a in tors
            ],
        }
    )


async def db_pairs(db: Database, world: World) -> list[Pair]:
    async with db.tenant(world.id) as s:
        return list((await s.execute(select(Pair).order_by(Pair.id))).scalars())


async def test_a_published_run_is_the_engines_optimum_and_everyone_is_told(db: Database) -> None:
    world, tees, tors = await museums_cohort(db, mentees=12, mentors=5)
    async with db.tenant(world.id) as s:  # the coordinator gave two mentors two places
        for a in tors[:2]:
            s.add(
                MentorCapacity(
                    tenant_id=world.id,
                    id=uuid.uuid4(),
                    cohort_id=world.cohort.id,
                    mentor_id=a.member_id,
                    application_id=a.id,
                    capacity=2,
                    source="coordinator",
                )
            )
    run = await services.compute_run(db, world.id, world.coordinator.id, world.cohort.id)
    assert run.state == "draft" and run.number == 1
    published = await services.publish_run(db, world.id, world.coordinator.id, run.id)
    assert published.state == "published" and published.published_at is not None

    places = {str(a.id): 2 for a in tors[:2]}
    instance = independent_instance(world, tees, tors, places)
    optimum = assign_cohort(instance)
    stored = await db_pairs(db, world)
    assert len(stored) == len(optimum.pairs) == 7  # every place used: 2 + 2 + 1 + 1 + 1
    recomputed = 0.0
    for p in stored:
        mine = score_pair(instance, str(p.mentee_application_id), str(p.mentor_application_id))
        assert mine.eligible and p.score == pytest.approx(mine.score)
        assert p.flow == "coordinator" and p.run_id == run.id and p.explanation
        recomputed += mine.score
    assert recomputed == pytest.approx(optimum.total_score)
    assert published.total_score == pytest.approx(optimum.total_score)
    per_mentor: dict[uuid.UUID, int] = {}
    for p in stored:
        per_mentor[p.mentor_id] = per_mentor.get(p.mentor_id, 0) + 1
    assert max(per_mentor.values()) <= 2

    matched = {p.mentee_id for p in stored}
    for a in tees:
        expected = "match_made" if a.member_id in matched else "match_unmatched"
        assert await kinds_of(db, world, a.member_id) == [expected]
    async with db.tenant(world.id) as s:  # MA offers feedback to those it could not place
        contexts = list(
            (
                await s.execute(select(Message.context).where(Message.kind == "match_unmatched"))
            ).scalars()
        )
    assert len(contexts) == 5 and all(c["feedback_offered"] for c in contexts)
    assert not any(c["next_intake"] for c in contexts)


async def test_alberta_invites_the_unmatched_to_the_next_intake(db: Database) -> None:
    world = await make_world(db, "alberta-museums")
    senior = await accepted(db, world, "mentor", "Sam Senior", career_stage="Senior professional")
    early = await accepted(db, world, "mentee", "Emma Early", career_stage="Early career")
    stuck = await accepted(db, world, "mentee", "Sid Senior", career_stage="Senior professional")
    run = await services.compute_run(db, world.id, world.coordinator.id, world.cohort.id)
    [reason] = [u["reason"] for u in run.result["unmatched"]]
    assert reason.startswith("no eligible mentor: excluded by career_stage")
    await services.publish_run(db, world.id, world.coordinator.id, run.id)
    assert [(p.mentor_id, p.mentee_id) for p in await db_pairs(db, world)] == [
        (senior.member_id, early.member_id)
    ]
    assert await kinds_of(db, world, stuck.member_id) == ["match_unmatched"]
    async with db.tenant(world.id) as s:
        app = await s.get(Application, {"tenant_id": world.id, "id": stuck.id})
        assert app is not None and app.priority_next_intake
        context = (
            await s.execute(select(Message.context).where(Message.member_id == stuck.member_id))
        ).scalar_one()
        assert context["next_intake"] is True


async def test_publishing_is_refused_when_an_applicant_changed(db: Database) -> None:
    world, tees, _ = await museums_cohort(db, mentees=4, mentors=2)
    run = await services.compute_run(db, world.id, world.coordinator.id, world.cohort.id)
    async with db.tenant(world.id) as s:  # one edits an answer, one withdraws
        await s.execute(
            update(Application)
            .where(Application.id == tees[0].id)
            .values(lock_version=Application.lock_version + 1)
        )
        await s.execute(
            update(Application).where(Application.id == tees[1].id).values(state="withdrawn")
        )
    with pytest.raises(services.RunStale) as stale:
        await services.publish_run(db, world.id, world.coordinator.id, run.id)
    text = str(stale.value)
    assert "Mentee 00" in text and "Mentee 01" in text and "application changed" in text
    assert await db_pairs(db, world) == []
    async with db.tenant(world.id) as s:
        assert (await s.get(MatchingRun, {"tenant_id": world.id, "id": run.id})).state == "draft"  # type: ignore[union-attr]
        assert (await s.execute(select(func.count()).select_from(Message))).scalar_one() == 0
    again = await services.rerun(db, world.id, world.coordinator.id, run.id)
    await services.publish_run(db, world.id, world.coordinator.id, again.id)  # fresh: fine
    assert len(await db_pairs(db, world)) == 2


async def test_a_pin_that_breaks_a_hard_rule_is_refused_and_nothing_stored(db: Database) -> None:
    world = await make_world(db, "alberta-museums")
    junior = await accepted(db, world, "mentor", "Jo Junior", career_stage="Emerging professional")
    senior = await accepted(db, world, "mentee", "Sue Senior", career_stage="Senior professional")
    with pytest.raises(Problems) as refused:
        await services.compute_run(
            db,
            world.id,
            world.coordinator.id,
            world.cohort.id,
            pins=[{"mentee": str(senior.id), "mentor": str(junior.id)}],
        )
    [problem] = refused.value.at("pins")
    assert "Sue Senior" in problem.message and "Jo Junior" in problem.message
    assert "excluded by career_stage" in problem.message
    with pytest.raises(Problems) as unknown:
        await services.compute_run(
            db, world.id, world.coordinator.id, world.cohort.id, pins=[{"mentee": "x"}]
        )
    assert unknown.value.at("pins")
    async with db.tenant(world.id) as s:
        assert (await s.execute(select(func.count()).select_from(MatchingRun))).scalar_one() == 0


async def test_pins_forbids_conflicts_reruns_and_one_publication(db: Database) -> None:
    world, tees, tors = await museums_cohort(db, mentees=4, mentors=4)
    first = await services.compute_run(db, world.id, world.coordinator.id, world.cohort.id)
    chosen = first.result["pairs"][0]
    pin = {"mentee": chosen["mentee"], "mentor": tors[3].id.hex}
    forbid = {"mentee": tees[3].id.hex, "mentor": chosen["mentor"]}
    await services.add_conflict(
        db, world.id, tees[2].member_id, mentee_id=tees[2].member_id, mentor_id=tors[0].member_id
    )
    second = await services.rerun(
        db, world.id, world.coordinator.id, first.id, pins=[pin], forbids=[forbid]
    )
    assert second.number == 2 and second.fingerprint != first.fingerprint
    got = {(p["mentee"], p["mentor"]) for p in second.result["pairs"]}
    assert (chosen["mentee"], str(tors[3].id)) in got  # pinned
    assert (str(tees[3].id), chosen["mentor"]) not in got  # forbidden
    assert (str(tees[2].id), str(tors[0].id)) not in got  # conflict of interest
    compared = services.compare_runs(first, second)
    assert compared.pairs == (first.pairs_count, second.pairs_count)
    assert compared.only_in_b

    with pytest.raises(NotFound):  # an applicant cannot run or publish
        await services.publish_run(db, world.id, tees[0].member_id, second.id)
    await services.publish_run(db, world.id, world.coordinator.id, second.id)
    with pytest.raises(Refused, match="superseded"):
        await services.publish_run(db, world.id, world.coordinator.id, first.id)
    with pytest.raises(Refused, match="already published"):
        await services.publish_run(db, world.id, world.coordinator.id, second.id)
    third = await services.compute_run(db, world.id, world.coordinator.id, world.cohort.id)
    assert third.pairs_count == 0  # everyone matched is out of the next run


async def test_the_coordinators_readers_name_people_and_see_a_stale_draft(db: Database) -> None:
    world, tees, tors = await museums_cohort(db, mentees=3, mentors=1)
    first = await services.compute_run(db, world.id, world.coordinator.id, world.cohort.id)
    second = await services.rerun(
        db,
        world.id,
        world.coordinator.id,
        first.id,
        forbids=[{"mentee": str(tees[0].id), "mentor": str(tors[0].id)}],
    )
    async with db.tenant(world.id) as s:
        runs = await run_queries.runs_of_cohort(s, world.coordinator.id, world.cohort.id)
        assert [r.number for r in runs] == [2, 1]
        view = await run_queries.run_view(s, world.coordinator.id, second.id, check_current=True)
        with pytest.raises(NotFound):
            await run_queries.run_view(s, tees[0].member_id, second.id)
        with pytest.raises(NotFound):
            await run_queries.runs_of_cohort(s, tors[0].member_id, world.cohort.id)
    assert view.current is True and view.forbids == [("Mentee 00", "Mentor 00")]
    assert {p.mentor_name for p in view.pairs} == {"Mentor 00"}  # capacity 1: one pair
    assert all(p.why for p in view.pairs)
    assert [u.name for u in view.unmatched if u.role == "mentee"] != []
    assert "Mentee 00" not in {p.mentee_name for p in view.pairs}
    async with db.tenant(world.id) as s:
        await s.execute(
            update(Application).where(Application.id == tees[2].id).values(state="withdrawn")
        )
    async with db.tenant(world.id) as s:
        later = await run_queries.run_view(s, world.coordinator.id, second.id, check_current=True)
    assert later.current is False
