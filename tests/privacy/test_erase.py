"""A tenant admin erases a member (Art. 17) through the real app, and what is left.

The privacy world's mentee (tests/privacy/helpers.py) is erased by the tenant admin, typing
the mentee's address to confirm. Then every text, varchar, array and json(b) column of every
tenant-owned table (found in information_schema, so a table added later is searched too) is
searched for the mentee's old name, old address and every marker of their own words: none
is left anywhere but in the audit log, which is append-only and kept by decision (its rows
carry names and addresses, never content: the markers are not in it either). The mentor's
own entries and the pair's co-owned content are kept, the report figures (meetings, items,
structured answers) do not move, the document's bytes are gone from the storage, the
mentee's session is ended, the second tenant's world is untouched, and the erasure is
audited by id only. A second erase says so and changes nothing.

Refusals change nothing (the tenant's space, audit log, mails and the member row compared
before and after): erasing yourself, the last administrator, a wrong confirmation, another
tenant's member id (404). Access: only a tenant admin. Round trip: after the erasure the
same identity signing in again through a real OpenID Connect provider becomes a fresh
member, whose export holds nothing of the old one.
"""

from __future__ import annotations

import dataclasses
import uuid

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from mentorhub.app import create_app
from mentorhub.applications.models import Application
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import Identity, SessionStore
from mentorhub.pairs.models import Pair
from mentorhub.pairs.space_models import ChatMessage, Document, LogEntry, Meeting
from mentorhub.pairs.storage import DirectoryStorage, Storage
from mentorhub.privacy import services
from mentorhub.settings import Settings
from tests.applications.conftest import make_world
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    SLUG_A,
    OidcProvider,
    email,
    providers,
    settings,
    sign_in,
    tenant_a,
)
from tests.pairs.confidentiality_helpers import (
    ANONYMOUS,
    COORDINATOR,
    MENTEE,
    MENTOR,
    PLATFORM_ADMIN,
    TENANT_ADMIN,
    Viewer,
    fetch,
    snapshot,
    viewers_of,
)
from tests.privacy.conftest import BASE
from tests.privacy.helpers import KEPT, MENTEE_OWN, PrivacyWorld, text_hits
from tests.support import serving


def erase_url(world: PrivacyWorld, member_id: object) -> str:
    return f"/t/{world.slug}/admin/members/{member_id}/erase"


async def count(db: Database, world: PrivacyWorld, model: object, *where: object) -> int:
    async with db.tenant(world.id) as session:
        query = select(func.count()).select_from(model)  # type: ignore[arg-type]
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int((await session.execute(query)).scalar_one())


async def erase_as(
    db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID, by: Member, storage: Storage
) -> services.Erased:
    """The erase action called directly by `by` (no sessions to end)."""
    return await services.erase_member(
        db,
        tenant_id,
        member_id,
        actor=by.email,
        actor_id=by.id,
        storage=storage,
        sessions=None,
    )


async def member_row(db: Database, world: PrivacyWorld, member_id: object) -> dict[str, object]:
    async with db.tenant(world.id) as session:
        member = await session.get(Member, {"tenant_id": world.id, "id": member_id})
        assert member is not None
        return {a.key: getattr(member, a.key) for a in Member.__mapper__.column_attrs}


async def figures(db: Database, world: PrivacyWorld) -> dict[str, int]:
    """What the reports count."""
    return {
        "pairs": await count(db, world, Pair),
        "meetings": await count(db, world, Meeting),
        "held": await count(db, world, Meeting, Meeting.state == "held"),
        "items": await count(db, world, CheckpointItem),
        "applications": await count(db, world, Application),
        "mentor_logs": await count(db, world, LogEntry, LogEntry.author_id == world.pw.mentor.id),
        "chat": await count(db, world, ChatMessage),
        "documents": await count(db, world, Document),
    }


async def a_session(settings: Settings, world: PrivacyWorld) -> tuple[SessionStore, str]:  # noqa: F811
    redis = Redis.from_url(settings.redis_url or "")
    store = SessionStore(redis, idle_seconds=600, absolute_seconds=600)
    mentee = world.pw.mentee
    token = await store.create(
        Identity(
            email=mentee.email,
            display_name=mentee.display_name,
            tenant_id=str(world.id),
            tenant_slug=world.slug,
            member_id=str(mentee.id),
            roles=tuple(mentee.roles),
        )
    )
    return store, token


async def test_erasing_the_mentee_leaves_nothing_personal(
    db: Database,
    settings: Settings,  # noqa: F811
    storage: DirectoryStorage,
    client: httpx.AsyncClient,
    world: PrivacyWorld,
    elsewhere: PrivacyWorld,
    viewers: dict[str, Viewer],
) -> None:
    mentee = world.pw.mentee
    needles = {"NAME": mentee.display_name, "EMAIL": mentee.email}
    needles |= {name: world.m(name) for name in MENTEE_OWN}
    # Before: every needle is somewhere (the search finds what it looks for).
    before_hits = {name for name, _, _ in await text_hits(db, world.id, needles)}
    assert before_hits == set(needles), set(needles) - before_hits
    before = await figures(db, world)
    other_before = await snapshot(db, elsewhere.id)
    async with db.tenant(world.id) as session:
        key = (
            await session.execute(
                select(Document.storage_key).where(Document.uploaded_by == mentee.id)
            )
        ).scalar_one()
    assert await storage.exists(key)
    store, token = await a_session(settings, world)

    page = await fetch(client, viewers[TENANT_ADMIN], "GET", erase_url(world, mentee.id))
    assert page.status_code == 200
    assert f"Erase {mentee.display_name}" in page.text
    answer = await fetch(
        client,
        viewers[TENANT_ADMIN],
        "POST",
        erase_url(world, mentee.id),
        {"confirm_email": mentee.email.upper()},
    )
    assert answer.status_code == 200, answer.text[:800]
    assert f"{mentee.display_name} was erased" in answer.text

    # Nothing personal is left, anywhere but in the append-only audit log...
    assert await text_hits(db, world.id, needles, skip=("audit_log",)) == set()
    # ...and the audit log holds no content of theirs either (names and addresses only).
    content = {n: v for n, v in needles.items() if n not in ("NAME", "EMAIL")}
    assert await text_hits(db, world.id, content) == set()
    # The other person's own entries and the co-owned content are kept.
    kept = {name: world.m(name) for name in KEPT}
    assert {n for n, _, _ in await text_hits(db, world.id, kept)} == set(KEPT)
    # The figures the reports count do not move; the structured answers stay.
    assert await figures(db, world) == before
    async with db.tenant(world.id) as session:
        survey = await session.get(CheckpointItem, {"tenant_id": world.id, "id": world.survey_id})
        assert survey is not None
        assert survey.answers == {"overall": 4, "areas_supported": ["Moving into management"]}
        assert survey.member_id == mentee.id  # linked to the anonymised row only
        erased = [
            e
            for e in (await session.execute(select(AuditEntry))).scalars()
            if e.action == "member.erased"
        ]
    [entry] = erased
    assert entry.subject == str(mentee.id)
    assert mentee.email.lower() not in str(entry.details).lower()
    assert mentee.display_name not in str(entry.details)
    row = await member_row(db, world, mentee.id)
    assert row["display_name"] == "Erased member"
    assert row["email"] == f"erased-{mentee.id.hex}@erased.invalid"
    assert (row["issuer"], row["subject"], row["member_number"]) == (None, None, None)
    assert row["roles"] == [] and row["erased_at"] is not None
    # The bytes are gone; the session is ended.
    assert not await storage.exists(key)
    assert await store.load(token) is None
    await store.redis.aclose()
    # The other tenant's world is exactly as it was, its mentee (same name) untouched.
    assert await snapshot(db, elsewhere.id) == other_before
    theirs = await member_row(db, elsewhere, elsewhere.pw.mentee.id)
    assert theirs["display_name"] == mentee.display_name and theirs["erased_at"] is None

    # A second erase: said so, nothing changes, nothing audited.
    still = await snapshot(db, world.id)
    again = await fetch(
        client,
        viewers[TENANT_ADMIN],
        "POST",
        erase_url(world, mentee.id),
        {"confirm_email": ""},
    )
    assert again.status_code == 200
    assert "Already erased" in again.text and "Nothing was changed" in again.text
    assert await snapshot(db, world.id) == still
    page = await fetch(client, viewers[TENANT_ADMIN], "GET", erase_url(world, mentee.id))
    assert "There is nothing more to erase" in page.text


async def test_erasing_the_mentor_keeps_the_mentees_entries(
    db: Database,
    storage: DirectoryStorage,
    world: PrivacyWorld,
) -> None:
    mentor = world.pw.mentor
    await erase_as(db, world.id, mentor.id, world.pw.world.admin, storage)
    mine = {n: world.m(n) for n in ("LOG_MENTOR", "LOG_MENTOR_SHARED", "CHAT")}
    mine |= {"NAME": mentor.display_name, "EMAIL": mentor.email}
    assert await text_hits(db, world.id, mine, skip=("audit_log",)) == set()
    theirs = ("LOG_MENTEE", "CHAT_MENTEE", "DOC_NAME", "MEETING_RECORD", "SURVEY_WORDS")
    found = await text_hits(db, world.id, {n: world.m(n) for n in theirs})
    assert {n for n, _, _ in found} == set(theirs)
    assert await count(db, world, ChatMessage, ChatMessage.body == "(removed)") == 1


async def unchanged(
    db: Database, world: PrivacyWorld, member_id: object
) -> tuple[object, dict[str, object]]:
    return await snapshot(db, world.id), await member_row(db, world, member_id)


async def test_refusals_change_nothing(
    db: Database,
    storage: DirectoryStorage,
    client: httpx.AsyncClient,
    world: PrivacyWorld,
    elsewhere: PrivacyWorld,
    viewers: dict[str, Viewer],
) -> None:
    admin, mentee = world.pw.world.admin, world.pw.mentee

    async def post(member_id: object, confirm: str, who: Viewer | None = None) -> httpx.Response:
        return await fetch(
            client,
            who or viewers[TENANT_ADMIN],
            "POST",
            erase_url(world, member_id),
            {"confirm_email": confirm},
        )

    # Yourself.
    before = await unchanged(db, world, admin.id)
    answer = await post(admin.id, admin.email)
    assert answer.status_code == 400
    assert "You cannot erase yourself" in answer.text
    assert await unchanged(db, world, admin.id) == before
    # A wrong or empty confirmation: at the field, linked from the summary.
    before = await unchanged(db, world, mentee.id)
    for typed in (world.pw.mentor.email, "", "not an address"):
        answer = await post(mentee.id, typed)
        assert answer.status_code == 400, typed
        assert 'href="#confirm_email"' in answer.text
    assert await unchanged(db, world, mentee.id) == before
    # Another tenant's member: not found here, on the page and the post.
    theirs = elsewhere.pw.mentee
    other_before = await unchanged(db, elsewhere, theirs.id)
    page = await fetch(client, viewers[TENANT_ADMIN], "GET", erase_url(world, theirs.id))
    assert page.status_code == 404
    assert (await post(theirs.id, theirs.email)).status_code == 404
    assert await unchanged(db, elsewhere, theirs.id) == other_before
    assert await unchanged(db, world, mentee.id) == before
    # Not a uuid: not found.
    assert (await post("not-a-member", mentee.email)).status_code == 404
    # The last administrator (here erased by someone whose session still says admin).
    before = await unchanged(db, world, admin.id)
    with pytest.raises(services.Refused, match="last administrator"):
        await erase_as(db, world.id, admin.id, world.pw.world.coordinator, storage)
    assert await unchanged(db, world, admin.id) == before


@pytest.mark.parametrize(
    ("viewer", "status"),
    [(MENTOR, 403), (MENTEE, 403), (COORDINATOR, 403), (ANONYMOUS, 303), (PLATFORM_ADMIN, 303)],
)
async def test_only_a_tenant_admin_erases(
    db: Database,
    client: httpx.AsyncClient,
    viewer: str,
    status: int,
    world: PrivacyWorld,
    viewers: dict[str, Viewer],
) -> None:
    target = world.pw.other_mentee
    before = await unchanged(db, world, target.id)
    page = await fetch(client, viewers[viewer], "GET", erase_url(world, target.id))
    assert page.status_code == status
    answer = await fetch(
        client,
        viewers[viewer],
        "POST",
        erase_url(world, target.id),
        {"confirm_email": target.email},
    )
    assert answer.status_code == status
    if status == 303:
        assert "/login" in answer.headers["location"]
    assert await unchanged(db, world, target.id) == before


async def test_signing_in_again_after_erasure_makes_a_fresh_member(
    db: Database,
    settings: Settings,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
    tenant_a: object,  # noqa: F811
    storage: DirectoryStorage,
) -> None:
    """Through a real OpenID Connect provider: the mentee signs in (linked by issuer and
    subject), applies (a marker), is erased, signs in again with the same identity: a new
    member, no roles, nothing of the old one in their export."""
    tenant_id = tenant_a.id  # type: ignore[attr-defined]
    address = email(SLUG_A, "mentee")
    async with serving(create_app(settings, db=db), base_url=BASE) as client:
        first = await sign_in(client, SLUG_A, "mentee")
        assert first.status_code in (200, 303), first.text[:300]
    async with db.tenant(tenant_id) as session:
        old = (await session.execute(select(Member).where(Member.email == address))).scalar_one()
        assert old.issuer == providers["a"].issuer and old.subject
        admin = (
            await session.execute(select(Member).where(Member.email == email(SLUG_A, "admin")))
        ).scalar_one()
    marker = "SECRET-OLD-LIFE-7c1e"
    # The mentee has no pair here: an application in a cohort carries the marker.
    cohort = (await make_world(db, "ahep", tenant=tenant_a)).cohort.id  # type: ignore[arg-type]
    async with db.tenant(tenant_id) as session:
        session.add(
            Application(
                tenant_id=tenant_id,
                cohort_id=cohort,
                member_id=old.id,
                role="mentee",
                state="submitted",
                answers={"motivation": marker},
            )
        )
    await erase_as(db, tenant_id, old.id, admin, storage)
    async with serving(create_app(settings, db=db), base_url=BASE) as client:
        again = await sign_in(client, SLUG_A, "mentee")
        assert again.status_code in (200, 303), again.text[:300]
    async with db.tenant(tenant_id) as session:
        [fresh] = (await session.execute(select(Member).where(Member.email == address))).scalars()
        erased = await session.get(Member, {"tenant_id": tenant_id, "id": old.id})
    assert fresh.id != old.id
    assert fresh.subject == old.subject and fresh.issuer == old.issuer
    assert fresh.roles == [] and fresh.erased_at is None
    assert erased is not None and erased.erased_at is not None and erased.subject is None
    exported = await services.export_member(db, tenant_id, fresh.id)
    assert exported.data["applications"] == []
    assert marker not in str(exported.data)
    assert str(old.id) not in str(exported.data)


class StorageAway(DirectoryStorage):
    """The real directory storage, whose deletes fail while `away` (the storage service is
    unreachable): reads and writes go to the directory as usual."""

    away = True

    async def delete(self, key: str) -> None:
        if self.away:
            raise OSError("storage unreachable")
        await super().delete(key)


async def test_bytes_left_by_a_storage_outage_are_unreachable_and_deleted_on_retry(
    db: Database,
    settings: Settings,  # noqa: F811
    storage: DirectoryStorage,
    world: PrivacyWorld,
) -> None:
    mentee, admin = world.pw.mentee, world.pw.world.admin
    flaky = StorageAway(storage.root)
    document_id = world.rich.ids["document_id"]
    async with db.tenant(world.id) as session:
        document = await session.get(Document, {"tenant_id": world.id, "id": document_id})
        assert document is not None
        key = document.storage_key

    async def erase() -> services.Erased:
        return await erase_as(db, world.id, mentee.id, admin, flaky)

    done = await erase()
    assert not done.already and done.left_in_storage == [key]
    assert await storage.exists(key)  # the bytes are still there...
    # ...but nobody reaches them: the row is a tombstone, refused to the other person.
    configured = dataclasses.replace(settings, storage_dir=storage.root)
    viewers = await viewers_of(configured, world.pw)
    async with serving(create_app(configured, db=db), base_url=BASE) as client:
        path = f"/t/{world.slug}/pairs/{world.pw.pair.id}/documents/{document_id}"
        assert (await fetch(client, viewers[MENTOR], "GET", path)).status_code == 404
        listing = await fetch(client, viewers[MENTOR], "GET", path.rsplit("/", 1)[0])
        assert world.m("DOC_NAME") not in listing.text
    # The repeated request says "already erased", changes no row, and deletes the bytes.
    before = await snapshot(db, world.id)
    flaky.away = False
    again = await erase()
    assert again.already and again.left_in_storage == []
    assert not await storage.exists(key)
    assert await snapshot(db, world.id) == before
