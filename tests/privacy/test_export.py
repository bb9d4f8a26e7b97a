"""A member's export (Art. 15/20) through the real app: the "Your data" page and the ZIP.

The mentee of the privacy world (tests/privacy/helpers.py) downloads their data; `data.json`
holds exactly their own markers and the pair's co-owned content — never the mentor's private
log or chat, the other pair's space, a calendar token, or anything of a second tenant whose
world has the same names — and `attachments/` holds the document they shared, byte for
byte. The download is audited (`privacy.exported`, counts only). Access: members only, each
their own; a visitor without a session is sent to sign in, a platform admin too.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.pairs.storage import DirectoryStorage
from mentorhub.settings import Settings
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.confidentiality_helpers import (
    ANONYMOUS,
    COORDINATOR,
    MENTEE,
    MENTOR,
    PLATFORM_ADMIN,
    TENANT_ADMIN,
    Viewer,
    fetch,
    viewers_of,
)
from tests.privacy.helpers import (
    MENTEE_OWN,
    MENTEE_SHARED,
    NOT_MENTEES,
    PrivacyWorld,
    unzip,
)


def _markers_in(blob: str, world: PrivacyWorld) -> set[str]:
    return {name for name, value in world.rich.markers.items() if value in blob}


async def test_the_mentee_downloads_exactly_their_own_data(
    db: Database,
    storage: DirectoryStorage,
    client: httpx.AsyncClient,
    world: PrivacyWorld,
    elsewhere: PrivacyWorld,
    viewers: dict[str, Viewer],
) -> None:
    mentee = world.pw.mentee

    page = await fetch(client, viewers[MENTEE], "GET", f"/t/{world.slug}/me/data")
    assert page.status_code == 200
    assert "Download your data" in page.text
    assert "Your private log entries" in page.text

    answer = await fetch(client, viewers[MENTEE], "POST", f"/t/{world.slug}/me/data/export")
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"] == "application/zip"
    assert "attachment;" in answer.headers["content-disposition"]
    data, files = unzip(answer.content)
    blob = answer.content.decode("latin-1") + str(data)
    found = _markers_in(str(data), world)

    # Their own words and the pair's co-owned content: all there.
    assert set(MENTEE_OWN) - {"DOC_NAME"} <= found, set(MENTEE_OWN) - found
    assert set(MENTEE_SHARED) <= found
    # Nobody else's: not the mentor's private log or chat, not the other pair, no token.
    assert found.isdisjoint(NOT_MENTEES), found & set(NOT_MENTEES)
    # Nothing of the other tenant's world (same people's names, other markers and ids).
    assert not _markers_in(blob, elsewhere)
    assert str(elsewhere.pw.mentee.id) not in blob
    assert elsewhere.pw.mentee.email not in blob

    assert data["member"]["id"] == str(mentee.id)
    assert data["member"]["email"] == mentee.email
    assert "tenant_id" not in data["member"]
    assert {e["author_id"] for e in data["log_entries"]} == {str(mentee.id)}
    assert len(data["log_entries"]) == 2
    assert {m["author_id"] for m in data["chat_messages"]} == {str(mentee.id)}
    assert [a["id"] for a in data["applications"]] == [str(world.application_id)]
    assert data["interviews"][0]["notes"] == world.m("INTERVIEW_NOTE")
    assert data["match_requests"][0]["reasons"] == world.m("MATCH_REASONS")
    assert {i["id"] for i in data["checkpoint_items"]} == {
        str(world.survey_id),
        str(world.rich.ids["item_id"]),
    }
    assert all("token_hash" not in f for f in data["calendar_feeds"])
    assert len(data["calendar_feeds"]) == 1  # the mentee's own (revoked); not the mentor's
    assert data["messages"], "the mails sent to them"
    assert all(m.keys() >= {"kind", "subject", "created_at"} for m in data["messages"])
    assert len(data["meetings"]) == 2
    # ISO dates.
    assert data["member"]["created_at"][:4].isdigit() and "T" in data["member"]["created_at"]

    # The document they shared, byte for byte, named as they named it.
    [document] = data["documents"]
    assert document["id"] == str(world.rich.ids["document_id"])
    assert "storage_key" not in document
    name = document["file"]
    assert name.startswith("attachments/") and world.m("DOC_NAME") in name
    chunks = await storage.open(
        await _key_of(db, world, world.rich.ids["document_id"])  # the stored bytes
    )
    stored = b"".join([c async for c in chunks])
    assert files == {name: stored}
    assert world.m("DOC_BODY").encode() in stored

    # Audited: who and how much, never the content.
    async with db.tenant(world.id) as session:
        [entry] = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "privacy.exported"))
        ).scalars()
    assert entry.subject == str(mentee.id)
    assert entry.details["attachments"] == 1
    assert not _markers_in(str(entry.details), world)


async def _key_of(db: Database, world: PrivacyWorld, document_id: object) -> str:
    from mentorhub.pairs.space_models import Document

    async with db.tenant(world.id) as session:
        return str(
            (
                await session.execute(
                    select(Document.storage_key).where(Document.id == document_id)
                )
            ).scalar_one()
        )


async def test_the_mentor_gets_their_own_and_not_the_mentees(
    db: Database,
    client: httpx.AsyncClient,
    world: PrivacyWorld,
    viewers: dict[str, Viewer],
) -> None:
    answer = await fetch(client, viewers[MENTOR], "POST", f"/t/{world.slug}/me/data/export")
    assert answer.status_code == 200
    data, files = unzip(answer.content)
    found = _markers_in(str(data), world)
    assert {"LOG_MENTOR", "LOG_MENTOR_SHARED", "CHAT", "AGREEMENT", "GOAL"} <= found
    mentees_private = {
        "LOG_MENTEE",
        "LOG_MENTEE_WITHDRAWN",
        "CHAT_MENTEE",
        "APP_ANSWER",
        "INTERVIEW_NOTE",
        "SURVEY_WORDS",
        "DOC_NAME",
    }
    assert found.isdisjoint(mentees_private), found & mentees_private
    assert files == {}  # the mentor shared no document
    # The request the mentor was asked: there, with the reasons the mentor reads anyway.
    assert len(data["match_requests"]) == 1


@pytest.mark.parametrize(
    ("viewer", "status"),
    [(ANONYMOUS, 303), (PLATFORM_ADMIN, 303), (COORDINATOR, 200), (TENANT_ADMIN, 200)],
)
async def test_access(
    db: Database,
    client: httpx.AsyncClient,
    viewer: str,
    status: int,
    world: PrivacyWorld,
    viewers: dict[str, Viewer],
) -> None:
    """Anyone without a session of this tenant is sent to sign in; every member gets their
    own (a coordinator or an administrator their own data, nobody else's)."""
    page = await fetch(client, viewers[viewer], "GET", f"/t/{world.slug}/me/data")
    assert page.status_code == status
    answer = await fetch(client, viewers[viewer], "POST", f"/t/{world.slug}/me/data/export")
    assert answer.status_code == status
    if status == 303:
        assert "/login" in answer.headers["location"]
        async with db.tenant(world.id) as session:
            exported = (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.action == "privacy.exported")
                )
            ).all()
        assert exported == []
        return
    data, files = unzip(answer.content)
    who = world.pw.world.coordinator if viewer == COORDINATOR else world.pw.world.admin
    assert data["member"]["id"] == str(who.id)
    assert data["pairs"] == [] and data["log_entries"] == [] and files == {}
    assert not _markers_in(str(data), world)


async def test_another_tenants_member_is_sent_to_sign_in(
    db: Database,
    settings: Settings,  # noqa: F811
    client: httpx.AsyncClient,
    world: PrivacyWorld,
    elsewhere: PrivacyWorld,
) -> None:
    theirs = await viewers_of(settings, elsewhere.pw)
    for method, path in (("GET", "/me/data"), ("POST", "/me/data/export")):
        answer = await fetch(client, theirs[MENTEE], method, f"/t/{world.slug}{path}")
        assert answer.status_code in (303, 403), (path, answer.status_code)
        assert not _markers_in(answer.text, world)
