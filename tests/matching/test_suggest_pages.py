"""Suggest and accept (AHEP) through the real app over HTTP: the mentee's suggestions with
job title, biography and why in plain words; ranked choices and reasons sent; the request's
status; the mentor's requests with the mentee's reasons and answers, declining with a reason
(the request passes to the next choice by itself), accepting (the pair); unavailable and back;
and bad input (a mentor not suggested, no choice, no reason, a second request, accepting
twice or after expiry, declining someone else's request) refused with a clear error and
nothing changed; another tenant's and garbage ids are 404 on every route."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from mentorhub.db import Database
from mentorhub.matching import suggest_flow as flow
from mentorhub.matching.models import MatchRequest, MentorCapacity
from mentorhub.pairs.models import Pair
from tests.matching.flows_helpers import count
from tests.matching.pages_helpers import Site, site, words  # noqa: F401  (fixture)
from tests.matching.test_flows_suggest import REASONS, Ahep, ahep
from tests.pairs.helpers import member_of

WHY = "I lead a new team and want help with managing people."


def t_(a: Ahep, path: str) -> str:
    return f"/t/{a.world.tenant.slug}{path}"


async def as_(site: Site, a: Ahep, who: str) -> None:  # noqa: F811
    app = getattr(a, who)
    await site.sign_in(a.world.tenant, await member_of(site.db, a.world, app.member_id))


async def requests_of(db: Database, a: Ahep) -> list[MatchRequest]:
    async with db.tenant(a.world.id) as s:
        return list((await s.execute(select(MatchRequest))).scalars())


async def test_pick_decline_passes_on_then_accept(site: Site) -> None:  # noqa: F811
    a = await ahep(site.db)
    await as_(site, a, "mentee")
    page = await site.get(t_(a, "/matching/suggestions"))
    assert page.status_code == 200, page.text[:400]
    text = words(page.text)
    for expected in (
        "Bea Best",
        "Tom Two",
        "Ola One",
        "Job title: Head of Bea",
        "Biography: Bea Best has twenty years in higher education.",
        "Why we suggest Bea Best",
        "The mentor supports the areas the mentee is looking for help with",
    ):
        assert expected in text, expected
    assert "Fay Full" not in text and "Ada Away" not in text and "Nils None" not in text

    sent = await site.post(
        t_(a, "/matching/suggestions"),
        {
            "cohort": str(a.world.cohort.id),
            "choice_1": str(a.best.member_id),
            "choice_2": str(a.two.member_id),
            "choice_3": "",
            "reasons": WHY,
        },
        page=t_(a, "/matching/suggestions"),
    )
    assert sent.status_code == 303, sent.text[:600]
    status = words((await site.get(t_(a, "/matching/suggestions"))).text)
    assert "Your request is sent. Bea Best has been asked" in status
    assert "Your request is with Bea Best" in status and "first choice" in status
    assert "Tom Two — next, if needed" in status

    # The mentor reads the reasons and the answers shown to mentors.
    await as_(site, a, "best")
    mine = words((await site.get(t_(a, "/matching/requests"))).text)
    assert "Mina Mentee" in mine and WHY in mine
    [req] = await requests_of(site.db, a)
    one = await site.get(t_(a, f"/matching/requests/{req.id}"))
    assert one.status_code == 200
    assert REASONS in words(one.text) and WHY in words(one.text)

    # Declining needs a reason: at its field, nothing changed.
    bad = await site.post(
        t_(a, f"/matching/requests/{req.id}/decline"),
        {"reason": "  "},
        page=t_(a, f"/matching/requests/{req.id}"),
    )
    assert bad.status_code == 400
    assert 'id="reason-error"' in bad.text and "write a few words" in words(bad.text)
    [same] = await requests_of(site.db, a)
    assert (same.state, same.mentor_id, same.lock_version) == ("open", a.best.member_id, 0)

    declined = await site.post(
        t_(a, f"/matching/requests/{req.id}/decline"),
        {"reason": "I am fully booked this term."},
        page=t_(a, f"/matching/requests/{req.id}"),
    )
    assert declined.status_code == 303
    after = words((await site.get(t_(a, f"/matching/requests/{req.id}"))).text)
    assert "You declined this request." in after

    # Passed to the second choice by itself.
    await as_(site, a, "mentee")
    status = words((await site.get(t_(a, "/matching/suggestions"))).text)
    assert "Your request is with Tom Two" in status and "second choice" in status
    assert "Bea Best — declined" in status

    await as_(site, a, "two")
    accepted = await site.post(
        t_(a, f"/matching/requests/{req.id}/accept"), page=t_(a, f"/matching/requests/{req.id}")
    )
    assert accepted.status_code == 303, accepted.text[:400]
    listed = words((await site.get(t_(a, "/matching/requests"))).text)
    assert "You accepted Mina Mentee's request" in listed
    assert "Mina Mentee — since" in listed and "1 of 2 places taken" in listed
    assert await count(site.db, a.world, Pair, Pair.mentee_id == a.mentee.member_id) == 1

    # Accepting twice: refused, nothing more.
    again = await site.post(
        t_(a, f"/matching/requests/{req.id}/accept"), page=t_(a, "/matching/requests")
    )
    assert again.status_code == 409
    assert "You accepted this request" in words(again.text)
    assert await count(site.db, a.world, Pair, Pair.mentee_id == a.mentee.member_id) == 1

    await as_(site, a, "mentee")
    done = words((await site.get(t_(a, "/matching/suggestions"))).text)
    assert "You already have a mentor." in done and "Send my request" not in done


async def test_bad_choices_are_refused_at_the_field(site: Site) -> None:  # noqa: F811
    a = await ahep(site.db)
    await as_(site, a, "mentee")
    form = t_(a, "/matching/suggestions")
    cases = [
        ({"choice_1": str(a.none.member_id), "reasons": WHY}, "Nils None is not one of your"),
        ({"choice_1": str(a.full.member_id), "reasons": WHY}, "Fay Full is not one of your"),
        ({"choice_1": str(uuid.uuid4()), "reasons": WHY}, "Choose mentors from your suggestions"),
        ({"choice_1": "", "reasons": WHY}, "Choose at least one mentor"),
        (
            {"choice_1": str(a.best.member_id), "choice_2": str(a.best.member_id), "reasons": WHY},
            "Choose each mentor once",
        ),
        ({"choice_1": str(a.best.member_id), "reasons": ""}, "write a few words"),
        ({"choice_1": str(a.best.member_id), "reasons": "x" * 2001}, "2000 characters"),
    ]
    for data, expected in cases:
        answer = await site.post(form, data, page=form)
        assert answer.status_code == 400, (data, answer.status_code)
        shown = words(answer.text)
        assert "Your request was not sent" in shown and expected in shown.replace(",", ""), (
            expected,
            shown[:600],
        )
    assert await requests_of(site.db, a) == []

    ok = await site.post(form, {"choice_1": str(a.best.member_id), "reasons": WHY}, page=form)
    assert ok.status_code == 303
    second = await site.post(form, {"choice_1": str(a.two.member_id), "reasons": WHY}, page=form)
    assert second.status_code == 409
    assert "You already have an open request" in words(second.text)
    assert len(await requests_of(site.db, a)) == 1

    # Withdraw, then the page offers the choice again.
    [req] = await requests_of(site.db, a)
    gone = await site.post(t_(a, f"/matching/suggestions/{req.id}/withdraw"), page=form)
    assert gone.status_code == 303
    shown = words((await site.get(form)).text)
    assert "Your request is withdrawn" in shown and "Send my request" in shown


async def test_expired_someone_elses_and_foreign_ids(site: Site) -> None:  # noqa: F811
    a = await ahep(site.db)
    other = await ahep(site.db)  # another tenant
    await as_(site, a, "mentee")
    form = t_(a, "/matching/suggestions")
    await site.post(
        form,
        {"choice_1": str(a.best.member_id), "choice_2": str(a.two.member_id), "reasons": WHY},
        page=form,
    )
    [req] = await requests_of(site.db, a)

    # A mentee cannot open or answer a request; a mentor not asked gets 404.
    assert (await site.get(t_(a, f"/matching/requests/{req.id}"))).status_code == 404
    for who in ("mentee", "one", "two"):
        await as_(site, a, who)
        assert (await site.get(t_(a, f"/matching/requests/{req.id}"))).status_code == 404, who
        for action, data in (("accept", {}), ("decline", {"reason": "Not mine."})):
            answer = await site.post(t_(a, f"/matching/requests/{req.id}/{action}"), data)
            assert answer.status_code == 404, (who, action)
    await as_(site, a, "one")
    assert (await site.post(t_(a, f"/matching/suggestions/{req.id}/withdraw"))).status_code == 404

    # Another tenant's ids and garbage: 404 on every route.
    foreign = req  # it exists in tenant a only
    await as_(site, other, "best")
    for path in (f"/matching/requests/{foreign.id}", "/matching/requests/not-an-id"):
        assert (await site.get(t_(other, path))).status_code == 404, path
    for path in (
        f"/matching/requests/{foreign.id}/accept",
        f"/matching/requests/{foreign.id}/decline",
        "/matching/requests/not-an-id/accept",
    ):
        assert (await site.post(t_(other, path), {"reason": "x"})).status_code == 404, path
    await as_(site, other, "mentee")
    assert (
        await site.post(t_(other, f"/matching/suggestions/{foreign.id}/withdraw"))
    ).status_code == 404

    # After the expiry: refused, nothing changed.
    async with site.db.tenant(a.world.id) as s:
        past = datetime.now(UTC) - timedelta(days=8)  # asked 8 days ago, 7 to answer
        await s.execute(
            update(MatchRequest).values(asked_at=past, expires_at=past + timedelta(days=7))
        )
    await as_(site, a, "best")
    late = await site.post(t_(a, f"/matching/requests/{req.id}/accept"))
    assert late.status_code == 409
    assert "expired" in words(late.text)
    assert await count(site.db, a.world, Pair, Pair.mentee_id == a.mentee.member_id) == 0
    [same] = await requests_of(site.db, a)
    assert (same.state, same.mentor_id) == ("open", a.best.member_id)

    # The clock's sweep passes it on; the mentee reads where it stands, Bea that it expired.
    async with site.db.tenant(a.world.id) as s:
        swept = await flow.sweep_requests(s, datetime.now(UTC))
    assert swept.expired == 1
    await as_(site, a, "mentee")
    status = words((await site.get(t_(a, "/matching/suggestions"))).text)
    assert "Your request is with Tom Two" in status
    assert "Bea Best — did not answer in time" in status
    await as_(site, a, "best")
    gone = words((await site.get(t_(a, f"/matching/requests/{req.id}"))).text)
    assert "This request expired before you answered" in gone
    assert "Accept Mina Mentee" not in gone


async def test_unavailable_and_back_keeps_the_profile(site: Site) -> None:  # noqa: F811
    a = await ahep(site.db)
    await as_(site, a, "best")
    page = words((await site.get(t_(a, "/matching/requests"))).text)
    assert "0 of 2 places taken" in page and "Available to be chosen" in page
    for data, expected, field in (
        ({"reason": "bored"}, "Choose why", "reason"),
        ({"reason": "holiday", "until": "tomorrow"}, "must be a date", "until"),
        ({"reason": "holiday", "until": "2001-01-01"}, "today or later", "until"),
    ):
        bad = await site.post(t_(a, "/matching/availability"), data)
        assert bad.status_code == 400, data
        assert expected in words(bad.text) and f'id="{field}-error"' in bad.text
    async with site.db.tenant(a.world.id) as s:
        caps = list(
            (
                await s.execute(
                    select(MentorCapacity).where(MentorCapacity.mentor_id == a.best.member_id)
                )
            ).scalars()
        )
        assert not any(c.unavailable for c in caps)

    until = (datetime.now(UTC) + timedelta(days=20)).date()
    away = await site.post(
        t_(a, "/matching/availability"), {"reason": "holiday", "until": until.isoformat()}
    )
    assert away.status_code == 303
    page = words((await site.get(t_(a, "/matching/requests"))).text)
    assert f"Unavailable until {until.day} {until:%B %Y} (on holiday)" in page
    assert "You are marked unavailable" in page

    await as_(site, a, "mentee")
    assert "Bea Best" not in words((await site.get(t_(a, "/matching/suggestions"))).text)

    await as_(site, a, "best")
    back = await site.post(t_(a, "/matching/availability/back"))
    assert back.status_code == 303
    assert "Available to be chosen" in words((await site.get(t_(a, "/matching/requests"))).text)
    await as_(site, a, "mentee")
    assert "Bea Best" in words((await site.get(t_(a, "/matching/suggestions"))).text)


async def test_matching_home_says_where_each_stands(site: Site) -> None:  # noqa: F811
    a = await ahep(site.db)
    await as_(site, a, "mentee")
    home = words((await site.get(t_(a, "/matching/me"))).text)
    assert "Mentors are suggested for you: choose yours." in home
    await as_(site, a, "best")
    home = words((await site.get(t_(a, "/matching/me"))).text)
    assert "No request is waiting for you." in home
