"""Suggest and accept (AHEP) against real PostgreSQL and the SMTP sink: the mentee's top 3
with the engine's reasons, ranked choices, a decline passing the request to the next choice
by itself, acceptance making the pair; expiry and the one reminder through the clock's task
with a moved clock; bad input refused with nothing changed; the mentor's last place under
many concurrent acceptances; the cohort table cache rebuilt when the applicants change."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from mentorhub.applications.models import Application
from mentorhub.core.problems import Problems
from mentorhub.db import Database, NotFound
from mentorhub.matching import suggest_flow as flow
from mentorhub.matching import tasks
from mentorhub.matching.models import ConflictOfInterest, MatchRequest
from mentorhub.messages.models import Message
from mentorhub.outbox.kinds import MATCHING_SWEEP
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import CapacityFull, NewPair, create_pair
from mentorhub.tenancy.services import set_status
from tests.applications.conftest import World, make_world
from tests.matching.flows_helpers import contexts, count, kinds_to, run_outbox
from tests.messages.conftest import inbox, live_db, sink  # noqa: F401  (fixtures)
from tests.messages.sink import Sink
from tests.pairs.helpers import accepted

A, B, C = "Moving into management", "Career development planning", "New professionals"
OTHER = "New to the sector"
REASONS = "I have just become a team leader and want help with managing people."


async def mentor(
    db: Database, world: World, name: str, areas: list[str], capacity: int = 2
) -> Application:
    return await accepted(
        db,
        world,
        "mentor",
        name,
        support_areas=areas,
        capacity=capacity,
        job_title=f"Head of {name.split()[0]}",
        biography=f"{name} has twenty years in higher education.",
    )


async def mentee(db: Database, world: World, name: str = "Mina Mentee") -> Application:
    return await accepted(
        db, world, "mentee", name, support_areas=[A, B, C], reasons=REASONS, job_title="Officer"
    )


class Ahep:
    """An AHEP cohort: three suitable mentors (3, 2, 1 areas in common), one with nothing
    in common, one full, one away; and a mentee."""

    def __init__(self, world: World, **people: Application) -> None:
        self.world = world
        self.people = people

    def __getattr__(self, name: str) -> Application:
        return self.people[name]


async def ahep(db: Database) -> Ahep:
    world = await make_world(db, "ahep")
    people = {
        "best": await mentor(db, world, "Bea Best", [A, B, C]),
        "two": await mentor(db, world, "Tom Two", [A, B]),
        "one": await mentor(db, world, "Ola One", [A, OTHER]),
        "none": await mentor(db, world, "Nils None", [OTHER]),
        "full": await mentor(db, world, "Fay Full", [A, B, C], capacity=1),
        "away": await mentor(db, world, "Ada Away", [A, B, C]),
        "mentee": await mentee(db, world),
        "other_mentee": await mentee(db, world, "Otto Other"),
    }
    async with db.tenant(world.id) as s:  # Fay's one place is taken
        await create_pair(
            s,
            NewPair(
                cohort_id=world.cohort.id,
                mentor_id=people["full"].member_id,
                mentee_id=people["other_mentee"].member_id,
                flow="suggest_and_accept",
                mentor_application_id=people["full"].id,
                mentee_application_id=people["other_mentee"].id,
            ),
            actor_id=None,
        )
    await flow.set_unavailable(db, world.id, people["away"].member_id, reason="holiday")
    return Ahep(world, **people)


async def test_pick_decline_passes_to_the_next_choice_then_accept(
    live_db: Database,  # noqa: F811
    inbox: Sink,  # noqa: F811
) -> None:
    db = live_db
    t = await ahep(db)
    w = t.world
    page = await flow.suggestions_for(db, w.id, t.mentee.member_id)
    assert page.may_choose and page.note == ""
    assert [s.name for s in page.suggestions] == ["Bea Best", "Tom Two", "Ola One"]
    best = page.suggestions[0]
    assert best.shown == [
        ("Job title", "Head of Bea"),
        ("Biography", "Bea Best has twenty years in higher education."),
    ]
    assert best.score == 3.0 and len(best.why) == 1
    assert "in common" in best.why[0] and A in best.why[0] and "supports the areas" in best.why[0]

    req = await flow.choose(
        db,
        w.id,
        t.mentee.member_id,
        [str(s.mentor_id) for s in page.suggestions],
        "Bea runs the team I would like to learn from.",
    )
    assert (req.state, req.mentor_id, req.choice_index) == ("open", t.best.member_id, 0)
    [incoming] = await flow.incoming_requests(db, w.id, t.best.member_id)
    assert incoming.reasons == "Bea runs the team I would like to learn from."
    assert ("Why would you like a mentor?", REASONS) in incoming.answers
    assert await flow.incoming_requests(db, w.id, t.two.member_id) == []

    await flow.decline_request(
        db, w.id, t.best.member_id, req.id, "I am fully booked this term, sorry."
    )
    status = await flow.request_status(db, w.id, t.mentee.member_id)
    assert status is not None and status.state == "open"
    assert status.mentor_id == t.two.member_id  # passed on by itself
    assert [c[2] for c in status.choices] == ["declined", "asking", "waiting"]
    assert await kinds_to(db, w, t.mentee.member_id) == ["match_request_passed"]
    [passed] = await contexts(db, w, t.mentee.member_id, "match_request_passed")
    assert passed["next_name"] == "Tom Two" and passed["reason"].startswith("I am fully")

    pair = await flow.accept_request(db, w.id, t.two.member_id, req.id)
    assert (pair.flow, pair.request_id, pair.mentor_id, pair.score) == (
        "suggest_and_accept",
        req.id,
        t.two.member_id,
        2.0,
    )
    assert pair.explanation and pair.explanation[0]["criterion"] == "support_areas"
    status = await flow.request_status(db, w.id, t.mentee.member_id)
    assert status is not None and status.state == "accepted"
    assert await kinds_to(db, w, t.mentee.member_id) == ["match_request_passed", "match_made"]
    assert await kinds_to(db, w, t.best.member_id) == ["match_request_received"]
    assert await kinds_to(db, w, t.two.member_id) == ["match_request_received", "match_made"]
    after = await flow.suggestions_for(db, w.id, t.mentee.member_id)
    assert not after.may_choose and after.note == "You already have a mentor."

    # Delivered through the outbox to the SMTP sink, as the worker does.
    await run_outbox(db, w)
    emails = {
        name: await _email(db, w, app.member_id)
        for name, app in (("best", t.best), ("two", t.two), ("mentee", t.mentee))
    }
    [asked] = inbox.to(emails["best"])
    body = asked.parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Bea runs the team I would like to learn from." in body
    assert "Mina Mentee" in asked.parsed()["Subject"]
    subjects = sorted(str(c.parsed()["Subject"]) for c in inbox.to(emails["mentee"]))
    assert len(subjects) == 2
    assert subjects[0].startswith("You are matched with Tom Two")
    assert subjects[1] == "Your mentor request: we have now asked Tom Two"
    assert len(inbox.to(emails["two"])) == 2


async def _email(db: Database, world: World, member_id: uuid.UUID) -> str:
    from tests.pairs.helpers import member_of

    return (await member_of(db, world, member_id)).email


async def test_never_suggested_full_away_declined_or_conflicted(db: Database) -> None:
    t = await ahep(db)
    w = t.world
    names = [s.name for s in (await flow.suggestions_for(db, w.id, t.mentee.member_id)).suggestions]
    assert "Fay Full" not in names and "Ada Away" not in names
    await flow.set_available(db, w.id, t.away.member_id)
    names = [s.name for s in (await flow.suggestions_for(db, w.id, t.mentee.member_id)).suggestions]
    assert "Ada Away" in names and "Fay Full" not in names
    async with db.tenant(w.id) as s:  # a conflict of interest declared: Bea is out
        s.add(
            ConflictOfInterest(
                tenant_id=w.id,
                id=uuid.uuid4(),
                mentee_id=t.mentee.member_id,
                mentor_id=t.best.member_id,
                source="applicant",
                reason="She is my line manager's partner.",
            )
        )
    names = [s.name for s in (await flow.suggestions_for(db, w.id, t.mentee.member_id)).suggestions]
    assert "Bea Best" not in names and "Ada Away" in names
    async with db.tenant(w.id) as s:
        await s.execute(delete(ConflictOfInterest))

    req = await flow.choose(db, w.id, t.mentee.member_id, [t.away.member_id], "Her work.")
    await flow.decline_request(db, w.id, t.away.member_id, req.id, "Not my field.")
    page = await flow.suggestions_for(db, w.id, t.mentee.member_id)
    assert page.may_choose and page.open_request is None  # the one choice ran out
    assert "Ada Away" not in [s.name for s in page.suggestions]  # declined them
    assert await kinds_to(db, w, t.mentee.member_id) == ["match_request_exhausted"]
    [told] = await contexts(db, w, t.mentee.member_id, "match_request_exhausted")
    assert told["may_choose_again"] is True and told["reason"] == "Not my field."

    # Unavailable with a request waiting: it passes on at once.
    req = await flow.choose(
        db, w.id, t.mentee.member_id, [t.best.member_id, t.two.member_id], "Both fit."
    )
    until = datetime.now(UTC).date() + timedelta(days=14)
    await flow.set_unavailable(db, w.id, t.best.member_id, reason="holiday", until=until)
    status = await flow.request_status(db, w.id, t.mentee.member_id)
    assert status is not None and status.mentor_id == t.two.member_id
    [mine] = [a for a in await flow.availability_of(db, w.id, t.best.member_id)]
    assert (mine.unavailable, mine.unavailable_until, mine.unavailable_reason) == (
        True,
        until,
        "holiday",
    )
    with pytest.raises(Problems) as bad:
        await flow.set_unavailable(
            db, w.id, t.best.member_id, reason="bored", until=until - timedelta(days=30)
        )
    assert {p.path for p in bad.value.problems} == {"reason", "until"}


async def test_bad_input_is_refused_and_nothing_changes(db: Database) -> None:
    t = await ahep(db)
    w = t.world
    me = t.mentee.member_id
    cases: list[tuple[list[object], str, str]] = [
        ([t.full.member_id], "x", "not one of your suggestions"),  # full: not suggested
        ([t.none.member_id], "x", "not one of your suggestions"),  # below the top 3
        ([uuid.uuid4()], "x", "Choose mentors from your suggestions"),
        (["not-an-id"], "x", "Choose mentors from your suggestions"),
        ([], "x", "Choose at least one mentor"),
        ([t.best.member_id] * 2, "x", "Choose each mentor once"),
        ([t.best.member_id, t.two.member_id, t.one.member_id, t.none.member_id], "x", "at most 3"),
        ([t.best.member_id], "  ", "write a few words"),
    ]
    for choices, reasons, expected in cases:
        with pytest.raises(Problems, match=expected):
            await flow.choose(db, w.id, me, choices, reasons)  # type: ignore[arg-type]
    assert await count(db, w, MatchRequest) == 0
    assert await kinds_to(db, w, t.best.member_id) == []

    req = await flow.choose(db, w.id, me, [t.best.member_id, t.two.member_id], "Because.")
    with pytest.raises(Refused, match="already have an open request"):
        await flow.choose(db, w.id, me, [t.one.member_id], "Another.")
    with pytest.raises(NotFound):  # someone else's request
        await flow.decline_request(db, w.id, t.one.member_id, req.id, "Not mine")
    with pytest.raises(NotFound):
        await flow.decline_request(db, w.id, me, req.id, "My own")
    with pytest.raises(Refused, match="no longer waiting for your answer"):  # not asked yet
        await flow.accept_request(db, w.id, t.two.member_id, req.id)
    with pytest.raises(Problems, match="write a few words"):
        await flow.decline_request(db, w.id, t.best.member_id, req.id, "")
    with pytest.raises(NotFound):
        await flow.accept_request(db, w.id, t.best.member_id, uuid.uuid4())
    async with db.tenant(w.id) as s:
        same = (await s.execute(select(MatchRequest))).scalar_one()
        assert (same.state, same.mentor_id, same.lock_version, same.outcomes) == (
            "open",
            t.best.member_id,
            0,
            [],
        )

    pair = await flow.accept_request(db, w.id, t.best.member_id, req.id)
    with pytest.raises(Refused, match="already accepted"):
        await flow.accept_request(db, w.id, t.best.member_id, req.id)
    with pytest.raises(Refused, match="already accepted"):
        await flow.decline_request(db, w.id, t.best.member_id, req.id, "Changed my mind")
    assert await count(db, w, Pair, Pair.mentee_id == me) == 1
    assert pair.mentor_id == t.best.member_id


async def test_expiry_and_one_reminder_through_the_clock_with_a_moved_clock(db: Database) -> None:
    t = await ahep(db)
    w = t.world
    t0 = datetime.now(UTC)
    req = await flow.choose(
        db, w.id, t.mentee.member_id, [t.best.member_id, t.two.member_id], "Both.", now=t0
    )
    assert req.expires_at == t0 + timedelta(days=7)  # AHEP sets no time: the default

    async def tick(at: datetime) -> bool:
        scheduled = w.id in await tasks.schedule_sweeps(db, at)
        await run_outbox(db, w, kind=MATCHING_SWEEP)
        return scheduled

    assert not await tick(t0 + timedelta(days=1))  # nothing due yet
    assert not await tick(t0 + timedelta(days=4, hours=23))
    assert await tick(t0 + timedelta(days=5, hours=1))  # two days before: the reminder
    assert not await tick(t0 + timedelta(days=5, hours=2))  # reminded once only
    assert not await tick(t0 + timedelta(days=6, hours=23))
    assert await kinds_to(db, w, t.best.member_id) == [
        "match_request_received",
        "match_request_reminder",
    ]
    with pytest.raises(Refused, match="expired"):  # lapsed, before the clock has passed it on
        await flow.accept_request(db, w.id, t.best.member_id, req.id, now=t0 + timedelta(days=7))

    assert await tick(t0 + timedelta(days=7, minutes=1))  # lapsed: the next choice is asked
    status = await flow.request_status(db, w.id, t.mentee.member_id)
    assert status is not None and status.mentor_id == t.two.member_id
    assert [c[2] for c in status.choices] == ["expired", "asking"]
    assert status.expires_at == t0 + timedelta(days=14, minutes=1)
    assert await kinds_to(db, w, t.mentee.member_id) == ["match_request_passed"]
    assert await kinds_to(db, w, t.two.member_id) == ["match_request_received"]
    with pytest.raises(Refused, match="no longer waiting"):
        await flow.accept_request(db, w.id, t.best.member_id, req.id, now=t0 + timedelta(days=8))

    assert await tick(t0 + timedelta(days=14, minutes=2))  # the last choice lapses too
    status = await flow.request_status(db, w.id, t.mentee.member_id)
    assert status is not None and status.state == "expired"
    assert await kinds_to(db, w, t.mentee.member_id) == [
        "match_request_passed",
        "match_request_exhausted",
    ]
    assert await kinds_to(db, w, t.best.member_id) == [
        "match_request_received",
        "match_request_reminder",
    ]  # one reminder; the clock jumped past the second ask's reminder, which simply lapsed
    assert await kinds_to(db, w, t.two.member_id) == ["match_request_received"]
    page = await flow.suggestions_for(
        db, w.id, t.mentee.member_id, now=t0 + timedelta(days=14, minutes=3)
    )
    assert page.may_choose
    names = [s.name for s in page.suggestions]
    assert names == ["Ola One", "Nils None"]  # a fresh top 3: not the two who lapsed
    assert not await tick(t0 + timedelta(days=30))  # nothing left to do


async def test_many_acceptances_for_a_mentors_last_places_never_exceed_capacity(
    live_db: Database,  # noqa: F811
) -> None:
    """Eight requests to a capacity-3 mentor accepted at the same moment on separate
    connections: three pairs; the other five refused as full with their requests left open."""
    db = live_db
    world = await make_world(db, "ahep")
    busy = await mentor(db, world, "Busy Mentor", [A, B, C], capacity=3)
    mentees = [await mentee(db, world, f"Mentee {i}") for i in range(8)]
    requests = [
        await flow.choose(db, world.id, m.member_id, [busy.member_id], "You fit.") for m in mentees
    ]
    start = asyncio.Event()

    async def accept(req: MatchRequest) -> Pair:
        await start.wait()
        return await flow.accept_request(db, world.id, busy.member_id, req.id)

    running = [asyncio.create_task(accept(r)) for r in requests]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*running, return_exceptions=True)
    made = [r for r in results if isinstance(r, Pair)]
    full = [r for r in results if isinstance(r, CapacityFull)]
    assert (len(made), len(full)) == (3, 5), results
    assert await count(db, world, Pair, Pair.mentor_id == busy.member_id) == 3
    assert await count(db, world, MatchRequest, MatchRequest.state == "accepted") == 3
    # The refused acceptances changed nothing: their requests are still open, on a mentor
    # now full (the winners skipped them: they were locked by the losers at that moment).
    assert await count(db, world, MatchRequest, MatchRequest.state == "open") == 5
    late = await mentee(db, world, "Late Mentee")
    page = await flow.suggestions_for(db, world.id, late.member_id)
    assert page.suggestions == [] and "No mentor is free" in page.note
    # The clock's next sweep passes them on (here: no choice left, so the mentees are told).
    assert world.id in await tasks.schedule_sweeps(db)
    await run_outbox(db, world, kind=MATCHING_SWEEP)
    assert await count(db, world, MatchRequest, MatchRequest.state == "open") == 0
    told = [
        c
        for m in mentees
        for c in await contexts(db, world, m.member_id, "match_request_exhausted")
    ]
    assert len(told) == 5 and {c["outcome"] for c in told} == {"has no free place left"}


async def test_a_sweep_queued_before_a_suspension_sends_nothing_until_resumed(
    db: Database,
) -> None:
    """A suspended tenant receives no scheduled mail: a `matching.sweep` written just before
    the suspension runs as a no-op (its row done); after resuming, the clock's next sweep
    does the work."""
    world = await make_world(db, "ahep")
    solo = await mentor(db, world, "Solo Mentor", [A], capacity=1)
    first = await mentee(db, world, "First")
    t0 = datetime.now(UTC)
    await flow.choose(db, world.id, first.member_id, [solo.member_id], "One.", now=t0)
    lapsed = t0 + timedelta(days=8)  # the ask has lapsed: the sweep would pass it on
    assert world.id in await tasks.schedule_sweeps(db, lapsed)
    before = await count(db, world, Message)  # the ask's own mail to the mentor
    await set_status(db, world.tenant.slug, "suspended")
    await run_outbox(db, world, kind=MATCHING_SWEEP)
    assert await count(db, world, MatchRequest, MatchRequest.state == "open") == 1
    assert await count(db, world, Message) == before
    assert world.id not in await tasks.schedule_sweeps(db, lapsed)  # none while suspended
    await set_status(db, world.tenant.slug, "active")
    assert world.id in await tasks.schedule_sweeps(db, lapsed)
    await run_outbox(db, world, kind=MATCHING_SWEEP)
    assert await count(db, world, MatchRequest, MatchRequest.state == "open") == 0
    assert await count(db, world, Message) > before  # the mentee is told now


async def test_a_mentor_who_fills_up_passes_the_other_waiting_requests_on(
    db: Database,
) -> None:
    world = await make_world(db, "ahep")
    solo = await mentor(db, world, "Solo Mentor", [A, B, C], capacity=1)
    spare = await mentor(db, world, "Spare Mentor", [A])
    first, second = await mentee(db, world, "First"), await mentee(db, world, "Second")
    asked = await flow.choose(db, world.id, first.member_id, [solo.member_id], "One.")
    waiting = await flow.choose(
        db, world.id, second.member_id, [solo.member_id, spare.member_id], "Two."
    )
    assert len(await flow.incoming_requests(db, world.id, solo.member_id)) == 2
    await flow.accept_request(db, world.id, solo.member_id, asked.id)  # her one place
    assert await flow.incoming_requests(db, world.id, solo.member_id) == []
    status = await flow.request_status(db, world.id, second.member_id)
    assert status is not None and status.id == waiting.id
    assert status.mentor_id == spare.member_id  # passed on at once, not left to lapse
    assert [c[2] for c in status.choices] == ["full", "asking"]
    [passed] = await contexts(db, world, second.member_id, "match_request_passed")
    assert passed["outcome"] == "has no free place left" and passed["next_name"] == "Spare Mentor"


async def test_the_cohort_table_is_cached_and_rebuilt_when_applicants_change(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flow, "STAMP_TTL", 0.0)  # check the stamp on every read
    world = await make_world(db, "ahep")
    await mentor(db, world, "First Mentor", [A])
    me = await mentee(db, world)
    before = flow.cache_stats()
    one = await flow.suggestions_for(db, world.id, me.member_id)
    two = await flow.suggestions_for(db, world.id, me.member_id)
    mid = flow.cache_stats()
    assert (mid["builds"] - before["builds"], mid["hits"] - before["hits"]) == (1, 1)
    assert (
        [s.name for s in one.suggestions] == [s.name for s in two.suggestions] == ["First Mentor"]
    )
    await mentor(db, world, "Second Mentor", [A, B])  # a newly accepted mentor: a new stamp
    three = await flow.suggestions_for(db, world.id, me.member_id)
    assert flow.cache_stats()["builds"] - mid["builds"] == 1
    assert [s.name for s in three.suggestions] == ["Second Mentor", "First Mentor"]
    async with db.tenant(world.id) as s:  # an application withdrawn: rebuilt again
        app = (
            await s.execute(
                select(Application).where(Application.member_id == three.suggestions[0].mentor_id)
            )
        ).scalar_one()
        app.state = "withdrawn"
        app.lock_version += 1
    four = await flow.suggestions_for(db, world.id, me.member_id)
    assert [s.name for s in four.suggestions] == ["First Mentor"]

    # Within the stamp's time-to-live a page may show the table as it was; a choice never
    # goes out against it: choosing checks the stamp now.
    monkeypatch.setattr(flow, "STAMP_TTL", 3600.0)
    first = four.suggestions[0]
    async with db.tenant(world.id) as s:
        app = (
            await s.execute(select(Application).where(Application.member_id == first.mentor_id))
        ).scalar_one()
        app.state = "withdrawn"
        app.lock_version += 1
    stale = await flow.suggestions_for(db, world.id, me.member_id)
    assert [s.name for s in stale.suggestions] == ["First Mentor"]  # the cached table
    with pytest.raises(Problems, match="First Mentor is not one of your suggestions"):
        await flow.choose(db, world.id, me.member_id, [first.mentor_id], "Her.")
    assert await count(db, world, MatchRequest) == 0


async def test_the_clock_goes_on_after_a_failed_round(servers: object) -> None:
    """`workers.clock.every` (how the clock runs schedule_sweeps): a round that fails is
    logged and the next one runs; a set stop ends it without waiting out the interval."""
    from workers.clock import every  # late: `workers` reads REDIS_URL when imported

    stop = asyncio.Event()
    rounds: list[int] = []

    async def work() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("database away")
        stop.set()

    await every(0.0, stop, work)
    assert rounds == [0, 1]


async def test_the_clock_logs_an_outage_as_one_line_and_a_bug_with_its_traceback(
    servers: object, caplog: pytest.LogCaptureFixture
) -> None:
    """A round that meets PostgreSQL or Redis away is not a bug: one warning line, no
    traceback (the embedded default's outage test reads the log for tracebacks); anything
    else keeps its traceback."""
    from mentorhub.core.outage import ServiceUnavailable
    from workers.clock import every  # late: `workers` reads REDIS_URL when imported

    stop = asyncio.Event()
    raised: list[Exception] = [ServiceUnavailable("Redis unreachable"), KeyError("a bug")]

    async def work() -> None:
        if not raised:
            stop.set()
            return
        raise raised.pop(0)

    with caplog.at_level("WARNING", logger="workers.clock"):
        await every(0.0, stop, work)
    away, bug = [r for r in caplog.records if r.name == "workers.clock"]
    assert away.levelname == "WARNING" and away.exc_info is None
    assert "waits (Redis unreachable)" in away.getMessage()
    assert bug.levelname == "ERROR" and bug.exc_info is not None
