"""Mutual acceptance (Arts Marketing Association) through the real app over HTTP: the
coordinator's cohorts, the cohort's mentees and proposals, the engine's candidates (the far
and the junior mentor left out by the hard rules) with why in plain words, a proposal with a
note; each person's page to accept or decline with a reason; both accept → the pair; a
decline back on the coordinator's page with the reason. Bad input (a mentor the hard rules
exclude, no such mentor, a second proposal, a decline without a reason, a second answer) is
refused with nothing changed; a member is refused the coordinator's pages, and another
tenant's or someone else's ids are 404 on every route."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from mentorhub.identity.models import Member
from mentorhub.matching.models import MatchProposal
from mentorhub.pairs.models import Pair
from tests.matching.flows_helpers import count
from tests.matching.pages_helpers import Site, site, words  # noqa: F401  (fixture)
from tests.matching.test_flows_mutual import Ama, ama
from tests.pairs.helpers import member_of


def t_(a: Ama, path: str) -> str:
    return f"/t/{a.world.tenant.slug}{path}"


async def as_(site: Site, a: Ama, who: str) -> None:  # noqa: F811
    if who in ("coordinator", "admin"):
        member: Member = getattr(a.world, who)
    else:
        member = await member_of(site.db, a.world, getattr(a, who).member_id)
    await site.sign_in(a.world.tenant, member)


async def proposals_of(site: Site, a: Ama) -> list[MatchProposal]:  # noqa: F811
    async with site.db.tenant(a.world.id) as s:
        return list((await s.execute(select(MatchProposal))).scalars())


def cohort_path(a: Ama) -> str:
    return t_(a, f"/matching/cohorts/{a.world.cohort.id}/proposals")


def mentee_path(a: Ama) -> str:
    return t_(a, f"/matching/cohorts/{a.world.cohort.id}/mentees/{a.mentee.id}")


async def test_propose_both_accept_makes_the_pair(site: Site) -> None:  # noqa: F811
    a = await ama(site.db)
    await as_(site, a, "coordinator")
    home = words((await site.get(t_(a, "/matching/propose"))).text)
    assert "2027 intake" in home
    cohort = words((await site.get(cohort_path(a))).text)
    assert "Mia Mentee Waiting for a match" in cohort and "No proposal yet." in cohort

    page = await site.get(mentee_path(a))
    assert page.status_code == 200, page.text[:500]
    shown = words(page.text)
    assert "A mentor for Mia Mentee" in shown
    assert "Nora Near" in shown and "Carl Close" in shown
    assert "Fiona Far" not in shown and "Jo Junior" not in shown
    assert "at least five years more career experience" in shown
    assert shown.index("Nora Near") < shown.index("Carl Close")

    made = await site.post(
        mentee_path(a) + "/propose",
        {"mentor": str(a.near.id), "note": "You both love audiences."},
        page=mentee_path(a),
    )
    assert made.status_code == 303, made.text[:500]
    cohort = words((await site.get(cohort_path(a))).text)
    assert "Proposed Nora Near for Mia Mentee. Both have been e-mailed" in cohort
    assert "Proposed: Nora Near" in cohort and "Waiting for answers" in cohort
    [p] = await proposals_of(site, a)

    await as_(site, a, "mentee")
    mine = words((await site.get(t_(a, "/matching/proposals"))).text)
    assert "Mentor: Nora Near" in mine and "Waiting for your answer." in mine
    one = words((await site.get(t_(a, f"/matching/proposals/{p.id}"))).text)
    assert "You both love audiences." in one
    yes = await site.post(
        t_(a, f"/matching/proposals/{p.id}/answer"),
        {"answer": "accepted", "lock_version": "0"},
        page=t_(a, f"/matching/proposals/{p.id}"),
    )
    assert yes.status_code == 303
    after = words((await site.get(t_(a, f"/matching/proposals/{p.id}"))).text)
    assert "You accepted. Waiting for the other person's answer." in after
    assert "Accept Nora Near" not in after
    assert await count(site.db, a.world, Pair) == 0

    await as_(site, a, "near")
    yes = await site.post(
        t_(a, f"/matching/proposals/{p.id}/answer"),
        {"answer": "accepted", "lock_version": "1"},
        page=t_(a, f"/matching/proposals/{p.id}"),
    )
    assert yes.status_code == 303
    assert "your pair has started" in words(
        (await site.get(t_(a, f"/matching/proposals/{p.id}"))).text
    )
    assert await count(site.db, a.world, Pair, Pair.proposal_id == p.id) == 1

    await as_(site, a, "coordinator")
    cohort = words((await site.get(cohort_path(a))).text)
    assert "Paired with Nora Near" in cohort and "Both accepted — paired" in cohort


async def test_a_decline_goes_back_with_the_reason(site: Site) -> None:  # noqa: F811
    a = await ama(site.db)
    await as_(site, a, "coordinator")
    await site.post(mentee_path(a) + "/propose", {"mentor": str(a.close.id)}, page=mentee_path(a))
    [p] = await proposals_of(site, a)
    await as_(site, a, "close")
    page = t_(a, f"/matching/proposals/{p.id}")
    bad = await site.post(
        t_(a, f"/matching/proposals/{p.id}/answer"),
        {"answer": "declined", "lock_version": "0", "reason": ""},
        page=page,
    )
    assert bad.status_code == 400
    assert 'id="reason-error"' in bad.text and "write a few words" in words(bad.text)
    assert [x.state for x in await proposals_of(site, a)] == ["proposed"]
    for data in ({"answer": "maybe", "lock_version": "0"}, {"answer": "accepted"}):
        assert (
            await site.post(t_(a, f"/matching/proposals/{p.id}/answer"), data, page=page)
        ).status_code == 400

    stale = await site.post(
        t_(a, f"/matching/proposals/{p.id}/answer"),
        {"answer": "accepted", "lock_version": "7"},
        page=page,
    )
    assert stale.status_code == 409 and "changed since the page was shown" in words(stale.text)
    assert [(x.state, x.mentor_answer) for x in await proposals_of(site, a)] == [("proposed", None)]
    no = await site.post(
        t_(a, f"/matching/proposals/{p.id}/answer"),
        {"answer": "declined", "lock_version": "0", "reason": "We live too far apart in fact."},
        page=page,
    )
    assert no.status_code == 303
    twice = await site.post(
        t_(a, f"/matching/proposals/{p.id}/answer"),
        {"answer": "accepted", "lock_version": "1"},
        page=page,
    )
    assert twice.status_code == 409
    assert "declined; it is back with the coordinator" in words(twice.text)

    await as_(site, a, "coordinator")
    cohort = words((await site.get(cohort_path(a))).text)
    assert "Declined" in cohort and "We live too far apart in fact." in cohort
    assert "Mia Mentee Waiting for a match (1 declined)" in cohort
    # Carl is no longer offered for Mia.
    assert "Carl Close" not in words((await site.get(mentee_path(a))).text)

    await as_(site, a, "mentee")
    told = words((await site.get(t_(a, f"/matching/proposals/{p.id}"))).text)
    assert "will not go ahead" in told and "We live too far apart" not in told


async def test_bad_proposals_and_access(site: Site) -> None:  # noqa: F811
    a = await ama(site.db)
    b = await ama(site.db)  # another tenant
    await as_(site, a, "coordinator")
    for data, expected in (
        ({"mentor": str(a.far.id)}, "Fiona Far cannot mentor Mia Mentee"),
        ({"mentor": str(a.junior.id)}, "Jo Junior cannot mentor Mia Mentee"),
        ({"mentor": str(uuid.uuid4())}, "Choose a mentor accepted into this cohort"),
        ({"mentor": str(a.mentee.id)}, "Choose a mentor accepted into this cohort"),
        ({"mentor": ""}, "Mentor"),
        ({"mentor": str(a.near.id), "note": "x" * 2001}, "2000 characters"),
    ):
        answer = await site.post(mentee_path(a) + "/propose", data, page=mentee_path(a))
        assert answer.status_code == 400, (data, answer.status_code)
        assert expected in words(answer.text).replace(",", ""), (expected, words(answer.text)[:800])
    assert await proposals_of(site, a) == []

    ok = await site.post(
        mentee_path(a) + "/propose", {"mentor": str(a.near.id)}, page=mentee_path(a)
    )
    assert ok.status_code == 303
    second = await site.post(
        mentee_path(a) + "/propose", {"mentor": str(a.close.id)}, page=mentee_path(a)
    )
    assert second.status_code == 409 and "already has an open proposal" in words(second.text)
    [p] = await proposals_of(site, a)

    # A member: refused every coordinator page.
    await as_(site, a, "close")
    for path in (
        "/matching/propose",
        f"/matching/cohorts/{a.world.cohort.id}/proposals",
        f"/matching/cohorts/{a.world.cohort.id}/mentees/{a.mentee.id}",
    ):
        assert (await site.get(t_(a, path))).status_code == 403, path
    for path in (
        f"/matching/cohorts/{a.world.cohort.id}/mentees/{a.mentee.id}/propose",
        f"/matching/proposals/{p.id}/withdraw",
    ):
        assert (await site.post(t_(a, path), {"mentor": str(a.close.id)})).status_code == 403
    # Not addressed to Carl: 404, nothing changed.
    assert (await site.get(t_(a, f"/matching/proposals/{p.id}"))).status_code == 404
    answer = await site.post(
        t_(a, f"/matching/proposals/{p.id}/answer"), {"answer": "accepted", "lock_version": "0"}
    )
    assert answer.status_code == 404

    # Another tenant's coordinator and members: 404 on every route, nothing changed.
    await as_(site, b, "coordinator")
    for path in (
        f"/matching/cohorts/{a.world.cohort.id}/proposals",
        f"/matching/cohorts/{a.world.cohort.id}/mentees/{a.mentee.id}",
        f"/matching/cohorts/{b.world.cohort.id}/mentees/{a.mentee.id}",
        "/matching/cohorts/not-an-id/proposals",
    ):
        assert (await site.get(t_(b, path))).status_code == 404, path
    for path, data in (
        (
            f"/matching/cohorts/{b.world.cohort.id}/mentees/{b.mentee.id}/propose",
            {"mentor": str(a.near.id)},
        ),
        (
            f"/matching/cohorts/{a.world.cohort.id}/mentees/{a.mentee.id}/propose",
            {"mentor": str(a.near.id)},
        ),
        (f"/matching/proposals/{p.id}/withdraw", {}),
    ):
        got = await site.post(t_(b, path), data, page=t_(b, "/matching/propose"))
        assert got.status_code in (400, 404), (path, got.status_code)
        if "withdraw" in path or f"{a.world.cohort.id}" in path:
            assert got.status_code == 404, path
    await as_(site, b, "mentee")
    assert (await site.get(t_(b, f"/matching/proposals/{p.id}"))).status_code == 404
    assert (
        await site.post(
            t_(b, f"/matching/proposals/{p.id}/answer"), {"answer": "accepted", "lock_version": "0"}
        )
    ).status_code == 404
    assert [(x.state, x.mentor_answer, x.mentee_answer) for x in await proposals_of(site, a)] == [
        ("proposed", None, None)
    ]
    assert await proposals_of(site, b) == []

    # The coordinator withdraws: both told; the proposal page says so.
    await as_(site, a, "coordinator")
    long = await site.post(
        t_(a, f"/matching/proposals/{p.id}/withdraw"), {"reason": "x" * 2001}, page=cohort_path(a)
    )
    assert long.status_code == 400
    gone = await site.post(t_(a, f"/matching/proposals/{p.id}/withdraw"), page=cohort_path(a))
    assert gone.status_code == 303
    assert "Proposal withdrawn" in words((await site.get(cohort_path(a))).text)
    again = await site.post(t_(a, f"/matching/proposals/{p.id}/withdraw"), page=cohort_path(a))
    assert again.status_code == 409
    assert "Only an open proposal can be withdrawn" in words(again.text)
    await as_(site, a, "mentee")
    assert "The coordinator withdrew this proposal." in words(
        (await site.get(t_(a, f"/matching/proposals/{p.id}"))).text
    )
