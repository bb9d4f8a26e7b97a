"""Mutual acceptance (Arts Marketing Association) against real PostgreSQL and the SMTP sink:
the coordinator sees engine-ranked candidates (five-year gap, short distance), proposes; both
are asked; the pair starts only when both accept; a decline goes back to the coordinator
with the reason; a proposal not addressed to you, a second answer, a pair the hard rules
exclude are refused with nothing changed; a failed pair reopens the mentee for a new
proposal without the failed mentor."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from mentorhub.applications.models import Application
from mentorhub.core.problems import Problems
from mentorhub.db import Database, NotFound
from mentorhub.matching import mutual_flow as flow
from mentorhub.matching.models import MatchProposal
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import reopen_for_rematch
from tests.applications.conftest import World, make_world
from tests.matching.flows_helpers import contexts, count, kinds_to, run_outbox
from tests.messages.conftest import inbox, live_db, sink  # noqa: F401  (fixtures)
from tests.messages.sink import Sink
from tests.pairs.helpers import accepted, member_of

AUD, DIG, DATA = "Audience development", "Digital marketing", "Data and insight"


async def person(
    db: Database, world: World, role: str, name: str, years: int, postcode: str, areas: list[str]
) -> Application:
    return await accepted(
        db,
        world,
        role,
        name,
        career_years=years,
        postcode=postcode,
        development_areas=areas,
    )


class Ama:
    def __init__(self, world: World, **people: Application) -> None:
        self.world = world
        self.people = people

    def __getattr__(self, name: str) -> Application:
        return self.people[name]


async def ama(db: Database) -> Ama:
    world = await make_world(db, "arts-marketing")
    return Ama(
        world,
        near=await person(db, world, "mentor", "Nora Near", 20, "SE1 7PB", [AUD, DIG]),
        close=await person(db, world, "mentor", "Carl Close", 15, "N1 9GU", [AUD]),
        far=await person(db, world, "mentor", "Fiona Far", 25, "EH1 1YZ", [AUD, DIG, DATA]),
        junior=await person(db, world, "mentor", "Jo Junior", 4, "SW1A 1AA", [AUD, DIG, DATA]),
        mentee=await person(db, world, "mentee", "Mia Mentee", 2, "SW1A 1AA", [AUD, DIG]),
    )


async def test_propose_both_accept_makes_the_pair(
    live_db: Database,  # noqa: F811
    inbox: Sink,  # noqa: F811
) -> None:
    db = live_db
    t = await ama(db)
    w = t.world
    coord = w.coordinator.id
    found = await flow.candidates(db, w.id, coord, w.cohort.id, t.mentee.id)
    assert found.mentee_name == "Mia Mentee"
    # Fiona is 500 km away and Jo has under five more years: the hard rules leave them out.
    assert [c.name for c in found.candidates] == ["Nora Near", "Carl Close"]
    assert any("five years" in why for why in found.candidates[0].why)
    assert found.candidates[0].free == 1

    p = await flow.propose(
        db, w.id, coord, w.cohort.id, t.mentee.id, t.near.id, note="You both love audiences."
    )
    assert (p.state, p.mentor_id, p.mentee_id) == ("proposed", t.near.member_id, t.mentee.member_id)
    assert p.score is not None and p.explanation
    # An open proposal holds Nora's one place: no longer a candidate for anyone else.
    again = await flow.candidates(db, w.id, coord, w.cohort.id, t.mentee.id)
    assert [c.name for c in again.candidates] == ["Carl Close"]
    [mine] = await flow.proposals_for_member(db, w.id, t.mentee.member_id)
    assert (mine.viewer, mine.mentor_name, mine.explanation) == ("mentee", "Nora Near", [])

    first = await flow.answer_proposal(db, w.id, t.mentee.member_id, p.id, "accepted")
    assert first.state == "proposed"  # one of two
    assert await count(db, w, Pair) == 0
    done = await flow.answer_proposal(db, w.id, t.near.member_id, p.id, "accepted")
    assert done.state == "accepted" and done.decided_at is not None
    [pair] = await _pairs(db, w)
    assert (pair.flow, pair.proposal_id, pair.mentor_id, pair.mentee_id, pair.score) == (
        "mutual_acceptance",
        p.id,
        t.near.member_id,
        t.mentee.member_id,
        p.score,
    )
    assert await kinds_to(db, w, t.mentee.member_id) == ["proposal_made", "match_made"]
    assert await kinds_to(db, w, t.near.member_id) == ["proposal_made", "match_made"]
    [made] = await contexts(db, w, t.near.member_id, "proposal_made")
    assert made["note"] == "You both love audiences." and made["other_name"] == "Mia Mentee"

    await run_outbox(db, w)
    mentee_email = (await member_of(db, w, t.mentee.member_id)).email
    subjects = sorted(str(c.parsed()["Subject"]) for c in inbox.to(mentee_email))
    assert len(subjects) == 2
    assert subjects[0] == "A proposed match with Nora Near: do you accept?"
    assert subjects[1].startswith("You are matched with Nora Near in ")


async def _pairs(db: Database, world: World) -> list[Pair]:
    async with db.tenant(world.id) as s:
        return list((await s.execute(select(Pair).order_by(Pair.created_at))).scalars())


async def test_a_decline_goes_back_to_the_coordinator_with_the_reason(db: Database) -> None:
    t = await ama(db)
    w = t.world
    coord = w.coordinator.id
    p = await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.near.id)
    await flow.answer_proposal(db, w.id, t.near.member_id, p.id, "accepted")
    with pytest.raises(Problems, match="write a few words"):  # a decline needs its reason
        await flow.answer_proposal(db, w.id, t.mentee.member_id, p.id, "declined")
    back = await flow.answer_proposal(
        db, w.id, t.mentee.member_id, p.id, "declined", reason="I already know Nora well."
    )
    assert (back.state, back.mentee_answer, back.mentor_answer) == (
        "declined",
        "declined",
        "accepted",
    )
    assert await count(db, w, Pair) == 0
    [told] = await contexts(db, w, w.coordinator.id, "proposal_declined")
    assert told["reason"] == "I already know Nora well."
    assert told["declined_by"] == "Mia Mentee (the mentee)"
    assert await kinds_to(db, w, t.near.member_id) == ["proposal_made", "proposal_cancelled"]
    [listed] = await flow.proposals_for_cohort(db, w.id, coord, w.cohort.id)
    assert (listed.state, listed.mentee_reason) == ("declined", "I already know Nora well.")
    [nora_view] = await flow.proposals_for_member(db, w.id, t.near.member_id, open_only=False)
    assert nora_view.mentee_reason is None  # the reason is for the coordinator

    # Back with the coordinator: Nora is not offered again; Carl can be proposed.
    found = await flow.candidates(db, w.id, coord, w.cohort.id, t.mentee.id)
    assert [c.name for c in found.candidates] == ["Carl Close"]
    with pytest.raises(Problems, match="the mentee declined this mentor"):
        await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.near.id)
    second = await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.close.id)
    assert second.state == "proposed"


async def test_bad_input_is_refused_and_nothing_changes(db: Database) -> None:
    t = await ama(db)
    w = t.world
    coord = w.coordinator.id
    with pytest.raises(Problems, match="cannot mentor Mia Mentee"):  # 500 km apart
        await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.far.id)
    with pytest.raises(Problems, match="cannot mentor Mia Mentee"):  # under five years more
        await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.junior.id)
    with pytest.raises(Problems, match="Choose a mentor accepted"):
        await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.mentee.id)
    with pytest.raises(NotFound):  # members do not propose
        await flow.propose(db, w.id, t.mentee.member_id, w.cohort.id, t.mentee.id, t.near.id)
    assert await count(db, w, MatchProposal) == 0

    p = await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.near.id)
    with pytest.raises(Refused, match="already has an open proposal"):
        await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.close.id)
    with pytest.raises(NotFound):  # not addressed to Carl
        await flow.answer_proposal(db, w.id, t.close.member_id, p.id, "accepted")
    with pytest.raises(NotFound):
        await flow.answer_proposal(db, w.id, coord, p.id, "accepted")
    with pytest.raises(NotFound):
        await flow.answer_proposal(db, w.id, t.near.member_id, uuid.uuid4(), "accepted")
    with pytest.raises(Problems, match="accept or decline"):
        await flow.answer_proposal(db, w.id, t.near.member_id, p.id, "maybe")
    await flow.answer_proposal(db, w.id, t.near.member_id, p.id, "accepted")
    with pytest.raises(Refused, match="already answered"):
        await flow.answer_proposal(db, w.id, t.near.member_id, p.id, "declined", reason="No")
    async with db.tenant(w.id) as s:
        same = (await s.execute(select(MatchProposal))).scalar_one()
        assert (same.state, same.mentor_answer, same.mentee_answer, same.lock_version) == (
            "proposed",
            "accepted",
            None,
            1,
        )
    withdrawn = await flow.withdraw_proposal(db, w.id, coord, p.id, reason="Rethinking")
    assert withdrawn.state == "withdrawn"
    with pytest.raises(Refused, match="withdrew"):
        await flow.answer_proposal(db, w.id, t.mentee.member_id, p.id, "accepted")
    assert await count(db, w, Pair) == 0


async def test_a_failed_pair_reopens_the_mentee_for_a_new_proposal(db: Database) -> None:
    t = await ama(db)
    w = t.world
    coord = w.coordinator.id
    p = await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.near.id)
    await flow.answer_proposal(db, w.id, t.near.member_id, p.id, "accepted")
    await flow.answer_proposal(db, w.id, t.mentee.member_id, p.id, "accepted")
    [pair] = await _pairs(db, w)
    found = await flow.candidates(db, w.id, coord, w.cohort.id, t.mentee.id)
    assert found.candidates == [] and "already matched" in found.note

    await reopen_for_rematch(db, w.id, coord, pair.id, reason="They never managed to meet.")
    found = await flow.candidates(db, w.id, coord, w.cohort.id, t.mentee.id)
    assert [c.name for c in found.candidates] == ["Carl Close"]  # not the failed mentor
    q = await flow.propose(db, w.id, coord, w.cohort.id, t.mentee.id, t.close.id)
    await flow.answer_proposal(db, w.id, t.close.member_id, q.id, "accepted")
    await flow.answer_proposal(db, w.id, t.mentee.member_id, q.id, "accepted")
    pairs = await _pairs(db, w)
    assert sorted((x.state, x.mentor_id == t.near.member_id) for x in pairs) == [
        ("active", False),
        ("ended", True),
    ]
