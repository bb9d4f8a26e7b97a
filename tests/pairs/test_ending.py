"""Ending and extending a pair through the real app over HTTP (views/ending.py, services/
ending.py): a party ends where the scheme allows (AHEP) and is refused where it does not
(Museums Association, Alberta); both people and the coordinators are told; an extension is
proposed, agreed (the official end moves) or declined or withdrawn; a stale page changes
nothing; the coordinator ends a pair or removes it (Alberta) with a reason; after the end
the space is read-only."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from mentorhub.app import create_app
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import ending, span_of
from mentorhub.schemes.calendar import add_months
from mentorhub.settings import Settings
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import csrf_from, settings  # noqa: F401  (fixture)
from tests.pairs.helpers import kinds_of
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def words(page: httpx.Response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


async def as_(
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    pw: PairWorld,
    who: Member,
) -> None:
    await sign_in_as(client, settings, pw.world, who)


async def post(
    client: httpx.AsyncClient,
    db: Database,
    pw: PairWorld,
    path: str,
    data: dict[str, str] | None = None,
) -> httpx.Response:
    """POST to the pair's `path` with the CSRF token and, unless given, the pair's current
    lock_version."""
    page = await client.get(pw.url())
    csrf = csrf_from(page.text) if page.status_code == 200 else ""
    if not csrf:
        csrf = csrf_from((await client.get(f"/t/{pw.world.tenant.slug}/me")).text)
    body = {"_csrf_token": csrf, **(data or {})}
    if "lock_version" not in body:
        body["lock_version"] = str((await reload(db, pw)).lock_version)
    return await client.post(pw.url(path), data=body)


async def reload(db: Database, pw: PairWorld) -> Pair:
    async with db.tenant(pw.id) as session:
        pair = (await session.execute(select(Pair).where(Pair.id == pw.pair.id))).scalar_one()
        session.expunge(pair)
        return pair


async def audits(db: Database, pw: PairWorld) -> int:
    async with db.tenant(pw.id) as session:
        return int(
            (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
        )


# --- a party ends ---------------------------------------------------------------------------


async def test_a_party_ends_where_the_scheme_allows_and_everyone_is_told(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    await as_(client, settings, pw, pw.mentee)
    page = await client.get(pw.url("/end"))
    assert page.status_code == 200
    assert "End the relationship with Maya Mentor?" in words(page)
    assert 'name="reason"' in page.text and 'name="kind"' not in page.text

    answer = await post(client, db, pw, "/end", {"reason": "Moved to another trust"})
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["location"].endswith(pw.url())
    pair = await reload(db, pw)
    assert pair.state == "ended" and pair.end_kind == "ended_early"
    assert pair.ended_by == pw.mentee.id and pair.end_reason == "Moved to another trust"
    assert await kinds_of(db, pw.world, pw.mentor.id) == ["match_made", "match_ended"]
    assert await kinds_of(db, pw.world, pw.mentee.id) == ["match_made", "match_ended"]
    assert await kinds_of(db, pw.world, pw.world.coordinator.id) == ["pair_ended_coordinator"]
    assert await kinds_of(db, pw.world, pw.other_mentor.id) == ["match_made"]

    home = await client.get(pw.url())
    w = words(home)
    assert "The relationship has ended" in w  # the notice after the redirect
    assert "read-only" in w  # the space's banner
    assert "End the relationship" not in w and "Propose an extension" not in w
    assert "mailto:" not in home.text  # contact details go with the end

    # Read-only after the end: ending again (or proposing an extension) changes nothing.
    before = await audits(db, pw)
    again = await post(client, db, pw, "/end", {"reason": "again"})
    assert again.status_code == 409
    assert "read-only" in words(again)
    proposal = await post(client, db, pw, "/extension", {"months": "2"})
    assert proposal.status_code == 409
    assert await audits(db, pw) == before
    assert (await reload(db, pw)).end_reason == "Moved to another trust"
    assert await kinds_of(db, pw.world, pw.mentor.id) == ["match_made", "match_ended"]


@pytest.mark.parametrize("slug", ["museums-association", "alberta-museums"])
async def test_a_party_is_refused_where_the_scheme_does_not_let_them_end(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    slug: str,
) -> None:
    pw = await pair_world(db, slug)
    await as_(client, settings, pw, pw.mentor)
    page = await client.get(pw.url("/end"))
    assert page.status_code == 200
    assert "the coordinator ends relationships" in words(page)
    assert 'action="' + pw.url("/end") + '"' not in page.text  # no form to submit
    before = await audits(db, pw)
    answer = await post(client, db, pw, "/end", {"reason": "Not working"})
    assert answer.status_code == 409
    assert "does not let a mentor or mentee end" in words(answer)
    assert (await reload(db, pw)).state == "active"
    assert await audits(db, pw) == before
    assert await kinds_of(db, pw.world, pw.mentee.id) == ["match_made"]
    assert await kinds_of(db, pw.world, pw.world.coordinator.id) == []


async def test_others_cannot_end_someone_elses_pair(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    for who in (pw.other_mentor, pw.world.admin):
        await as_(client, settings, pw, who)
        assert (await client.get(pw.url("/end"))).status_code == 404
        answer = await post(client, db, pw, "/end", {"lock_version": "0"})
        assert answer.status_code == 404
    assert (await reload(db, pw)).state == "active"


# --- extending --------------------------------------------------------------------------------


async def test_extension_proposed_and_agreed_moves_the_official_end(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "museums-association")
    async with db.tenant(pw.id) as session:
        official_end = (await span_of(session, await reload(db, pw))).end
    await as_(client, settings, pw, pw.mentor)
    page = await client.get(pw.url("/extension"))
    assert page.status_code == 200 and 'name="months"' in page.text

    bad = await post(client, db, pw, "/extension", {"months": "0"})
    assert bad.status_code == 400
    assert 'href="#months"' in bad.text and "Months must be a whole number" in words(bad)
    missing = await post(client, db, pw, "/extension", {"months": ""})
    assert missing.status_code == 400 and "Say by how many months" in words(missing)
    assert (await reload(db, pw)).pending_extension is None

    answer = await post(client, db, pw, "/extension", {"months": "3"})
    assert answer.status_code == 303
    pair = await reload(db, pw)
    assert pair.pending_extension is not None and pair.pending_extension["months"] == 3
    assert await kinds_of(db, pw.world, pw.mentee.id) == ["match_made", "extension_proposed"]
    w = words(await client.get(pw.url()))
    assert "Waiting for Theo Mentee to agree" in w
    # The proposer cannot agree their own proposal.
    own = await post(client, db, pw, "/extension/agree")
    assert own.status_code == 409 and "your partner agrees" in words(own)

    await as_(client, settings, pw, pw.mentee)
    w = words(await client.get(pw.url()))
    assert "Maya Mentor proposes to extend your relationship by 3 months" in w
    assert "Answer the extension" in w  # the next thing to do
    agreed = await post(client, db, pw, "/extension/agree")
    assert agreed.status_code == 303
    pair = await reload(db, pw)
    assert pair.state == "extended" and pair.pending_extension is None
    assert pair.extended_until == add_months(official_end, 3)
    assert [e["months"] for e in pair.extensions] == [3]
    for person in (pw.mentor, pw.mentee):
        assert (await kinds_of(db, pw.world, person.id))[-1] == "match_extended"
    home = await client.get(pw.url())
    w = words(home)
    assert "The relationship is extended" in w
    assert "Extended by 3 months" in w and "Active, extended" in w
    end = pair.extended_until
    assert f"Official end {end.day} {end:%B %Y}" in w


async def test_extension_declined_withdrawn_and_stale(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    await as_(client, settings, pw, pw.mentee)
    assert (await post(client, db, pw, "/extension", {"months": "2"})).status_code == 303
    # One proposal at a time.
    twice = await post(client, db, pw, "/extension", {"months": "4"})
    assert twice.status_code == 409 and "withdraw it first" in words(twice)
    await as_(client, settings, pw, pw.mentor)
    declined = await post(client, db, pw, "/extension/decline")
    assert declined.status_code == 303
    assert (await reload(db, pw)).pending_extension is None
    assert (await kinds_of(db, pw.world, pw.mentee.id))[-1] == "extension_declined"
    assert "You declined the extension" in words(await client.get(pw.url()))

    # Withdrawn by the proposer; the other cannot withdraw it.
    assert (await post(client, db, pw, "/extension", {"months": "1"})).status_code == 303
    await as_(client, settings, pw, pw.mentee)
    refused = await post(client, db, pw, "/extension/withdraw")
    assert refused.status_code == 409
    await as_(client, settings, pw, pw.mentor)
    assert (await post(client, db, pw, "/extension/withdraw")).status_code == 303
    pair = await reload(db, pw)
    assert pair.pending_extension is None and pair.state == "active"

    # A stale page: nothing changes.
    stale = await post(client, db, pw, "/extension", {"months": "2", "lock_version": "0"})
    assert stale.status_code == 409
    assert "changed since the page was shown" in words(stale)
    assert (await reload(db, pw)).pending_extension is None


async def test_extension_within_the_schemes_limits(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    # Arts Marketing: 12 months, at most 18 in all.
    pw = await pair_world(db, "arts-marketing")
    await as_(client, settings, pw, pw.mentor)
    page = await client.get(pw.url("/extension"))
    assert "at most 18 months in all" in words(page)
    too_long = await post(client, db, pw, "/extension", {"months": "7"})
    assert too_long.status_code == 400
    assert "18-month maximum" in words(too_long) and 'href="#months"' in too_long.text
    # (the 18-month monitoring limit counts from the match, the cohort starts in January)
    assert (await post(client, db, pw, "/extension", {"months": "5"})).status_code == 303
    # Alberta: no extension rule.
    ab = await pair_world(db, "alberta-museums")
    await as_(client, settings, ab, ab.mentor)
    assert "does not extend" in words(await client.get(ab.url("/extension")))
    refused = await post(client, db, ab, "/extension", {"months": "1"})
    assert refused.status_code == 409
    # The coordinator does not propose (the pair's own pages): not found.
    await as_(client, settings, pw, pw.world.coordinator)
    assert (await client.get(pw.url("/extension"))).status_code == 404


# --- the coordinator -------------------------------------------------------------------------


async def test_coordinator_removal_with_a_reason(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "alberta-museums")
    # A party cannot remove.
    await as_(client, settings, pw, pw.mentor)
    assert "Only the coordinator removes a pair" in words(await client.get(pw.url("/remove")))
    assert (await post(client, db, pw, "/remove", {"reason": "x"})).status_code == 409

    await as_(client, settings, pw, pw.world.coordinator)
    page = await client.get(pw.url("/remove"))
    assert page.status_code == 200 and 'name="reason"' in page.text
    empty = await post(client, db, pw, "/remove", {"reason": "  "})
    assert empty.status_code == 400
    assert 'href="#reason"' in empty.text and "Reason" in words(empty)
    assert (await reload(db, pw)).state == "active"
    done = await post(client, db, pw, "/remove", {"reason": "Breach of the code of ethics"})
    assert done.status_code == 303
    pair = await reload(db, pw)
    assert pair.state == "ended" and pair.end_kind == "removed"
    assert pair.end_reason == "Breach of the code of ethics"
    for person in (pw.mentor, pw.mentee):
        assert (await kinds_of(db, pw.world, person.id))[-1] == "match_ended"
    w = words(await client.get(pw.url()))
    assert "Ended by the coordinator" in w and "Breach of the code of ethics" in w
    assert "Remove the pair" not in w

    # The Museums Association does not remove pairs; its coordinator ends one instead.
    ma = await pair_world(db, "museums-association")
    await as_(client, settings, ma, ma.world.coordinator)
    refused = await post(client, db, ma, "/remove", {"reason": "x"})
    assert refused.status_code == 409 and "does not remove pairs" in words(refused)
    page = await client.get(ma.url("/end"))
    assert 'name="kind"' in page.text
    no_kind = await post(client, db, ma, "/end")
    assert no_kind.status_code == 400 and 'href="#kind"' in no_kind.text
    ended = await post(client, db, ma, "/end", {"kind": "completed"})
    assert ended.status_code == 303
    pair = await reload(db, ma)
    assert pair.state == "ended" and pair.end_kind == "completed"
    # The coordinator did it: no coordinator mail.
    assert await kinds_of(db, ma.world, ma.world.coordinator.id) == []


async def test_services_directly(db: Database) -> None:
    """The actions refuse what the pages would not offer."""
    pw = await pair_world(db, "ahep")
    with pytest.raises(Refused):
        await ending.agree_extension(db, pw.id, pw.mentor.id, pw.pair.id)
    with pytest.raises(Refused):
        await ending.end_by_party(db, pw.id, pw.mentor.id, pw.pair.id, lock_version=99)
    await ending.propose_extension(db, pw.id, pw.mentor.id, pw.pair.id, months=2)
    await ending.end_by_party(db, pw.id, pw.mentee.id, pw.pair.id)
    pair = await reload(db, pw)
    assert pair.state == "ended" and pair.pending_extension is None  # cleared by the end
    with pytest.raises(Refused):
        await ending.coordinator_end(
            db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed"
        )
    assert isinstance(pair.matched_on, date)
