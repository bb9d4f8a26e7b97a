"""The pair's agreement through the real app over HTTP (AHEP: the guide's first-meeting
boundaries): the template until the first save, a save makes a revision and tells the
other person, both agree, a change needs both again; a stale form, bad input, the other
pair's people, the coordinator, a scheme without an agreement and an ended pair change
nothing."""

from __future__ import annotations

from typing import Any

import pytest

from mentorhub.db import Database
from mentorhub.pairs.services import end_pair
from tests.pairs.agreement_helpers import (  # noqa: F401  (fixtures)
    OpenSpace,
    audit_actions,
    client_fixture,
    hidden,
    messages_to,
    open_space_fixture,
    settings_fixture,
    snapshot,
    words,
)
from tests.schemes.conftest import tenant

KEYS = (
    "confidentiality",
    "expectations",
    "limits_of_discussion",
    "frequency",
    "length",
    "time",
    "location",
    "agenda",
    "other_contact",
    "commitment",
    "losing_contact",
    "reviewing",
)


def form(lock: str, **texts: str) -> dict[str, Any]:
    return {"lock_version": lock, **{f"section_{k}": texts.get(k, "") for k in KEYS}}


async def test_write_agree_change_and_agree_again(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("ahep")
    await b.as_(pw.mentor)
    page = await b.get("/agreement")
    assert page.status_code == 200
    text = words(page)
    assert "Your mentoring agreement" in text and "Nothing is written yet" in text
    assert "Limits of discussion" in text and "we suggest 60–90 minutes" in text
    assert "space-nav" in page.text and 'aria-current="page"' in page.text
    assert "I agree" not in text  # nothing to agree to yet
    before = await snapshot(db, pw)
    assert before[0] == []  # viewing wrote nothing

    saved = await b.post("/agreement", form("0", frequency="Every three weeks", length="An hour"))
    assert saved.status_code == 303
    page = await b.get("/agreement")
    text = words(page)
    assert "Agreement saved" in text and "Every three weeks" in text
    assert "Version 1" in text and "Not agreed to this version" in text
    told = await messages_to(db, pw, pw.mentee.id, "agreement_changed")
    assert len(told) == 1 and told[0].context["other_name"] == "Maya Mentor"
    assert told[0].context["link"].endswith(f"/pairs/{pw.pair.id}/agreement")
    assert await messages_to(db, pw, pw.mentor.id, "agreement_changed") == []
    assert "agreement_changed" in await audit_actions(db, pw)

    # The mentor agrees; the mentee agrees: both agreed.
    assert (await b.post("/agreement/agree", {"revision": "1"})).status_code == 303
    await b.as_(pw.mentee)
    page = await b.get("/agreement")
    assert "Every three weeks" in page.text
    assert (await b.post("/agreement/agree", {"revision": "1"})).status_code == 303
    assert "You have both agreed to this version" in words(await b.get("/agreement"))

    # The mentee changes a section: version 2, both must agree again, the mentor is told.
    lock = hidden((await b.get("/agreement")).text, "lock_version")
    changed = await b.post("/agreement", form(lock, frequency="Every four weeks", length="An hour"))
    assert changed.status_code == 303
    text = words(await b.get("/agreement"))
    assert "Version 2" in text and "You have both agreed" not in text
    assert text.count("Not agreed to this version") == 2
    assert len(await messages_to(db, pw, pw.mentor.id, "agreement_changed")) == 1

    # Saving the same text again changes nothing and tells nobody.
    lock = hidden((await b.get("/agreement")).text, "lock_version")
    before = await snapshot(db, pw)
    same = await b.post("/agreement", form(lock, frequency="Every four weeks", length="An hour"))
    assert same.status_code == 303
    assert "Nothing had changed" in words(await b.get("/agreement"))
    assert await snapshot(db, pw) == before


async def test_stale_forms_change_nothing(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("ahep")
    await b.as_(pw.mentor)
    assert (await b.post("/agreement", form("0", time="Mornings"))).status_code == 303
    # The mentee's page still showed the template (lock_version 0).
    await b.as_(pw.mentee)
    before = await snapshot(db, pw)
    stale = await b.post("/agreement", form("0", time="Evenings"))
    assert stale.status_code == 409
    text = words(stale)
    assert "changed since the page was shown" in text and "Nothing was changed" in text
    assert "Mornings" in stale.text  # the page shows the agreement as it now is
    assert await snapshot(db, pw) == before
    # Agreeing to a version that is no longer the current one.
    await b.as_(pw.mentor)
    lock = hidden((await b.get("/agreement")).text, "lock_version")
    assert (await b.post("/agreement", form(lock, time="Afternoons"))).status_code == 303
    await b.as_(pw.mentee)
    before = await snapshot(db, pw)
    old = await b.post("/agreement/agree", {"revision": "1"})
    assert old.status_code == 409 and "changed since the page was shown" in words(old)
    assert await snapshot(db, pw) == before


async def test_bad_input_changes_nothing(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("ahep")
    await b.as_(pw.mentor)
    before = await snapshot(db, pw)
    bad = await b.post("/agreement", form("0", agenda="x" * 10_001, time="Tuesday\x00 mornings"))
    assert bad.status_code == 400
    text = words(bad)
    assert "Your agreement was not saved" in text
    assert 'href="#section_agenda"' in bad.text and 'href="#section_time"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    no_lock = await b.post("/agreement", {"section_time": "Mornings"})
    assert no_lock.status_code == 400
    missing = await b.post("/agreement", {"lock_version": "0", "section_time": "Mornings"})
    assert missing.status_code == 400 and "is missing from the form" in words(missing)
    nothing = await b.post("/agreement/agree", {"revision": "1"})
    assert nothing.status_code == 409 and "nothing to agree to yet" in words(nothing)
    assert await snapshot(db, pw) == before


async def test_others_and_the_coordinator_are_told_not_found(
    db: Database, open_space: OpenSpace
) -> None:
    pw, b = await open_space("ahep")
    await b.as_(pw.mentor)
    assert (await b.post("/agreement", form("0", time="Mornings"))).status_code == 303
    before = await snapshot(db, pw)
    for who in (pw.other_mentor, pw.other_mentee, pw.world.coordinator, pw.world.admin):
        await b.as_(who)
        page = await b.get("/agreement")
        assert page.status_code == 404, who.display_name
        assert "Mornings" not in page.text
        assert (await b.post("/agreement", form("1", time="Evenings"))).status_code == 404
        assert (await b.post("/agreement/agree", {"revision": "1"})).status_code == 404
    assert await snapshot(db, pw) == before


async def test_a_scheme_without_an_agreement_has_no_page(
    db: Database, open_space: OpenSpace
) -> None:
    pw, b = await open_space("arts-marketing")
    await b.as_(pw.mentor)
    assert (await b.get("/agreement")).status_code == 404
    assert (await b.post("/agreement", {"lock_version": "0"})).status_code == 404
    assert "/agreement" not in (await b.get("/goals")).text  # not in the space's navigation


async def test_after_the_end_the_agreement_is_read_only(
    db: Database, open_space: OpenSpace
) -> None:
    pw, b = await open_space("ahep")
    await b.as_(pw.mentor)
    assert (await b.post("/agreement", form("0", time="Mornings"))).status_code == 303
    await end_pair(db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed")
    page = await b.get("/agreement")
    assert page.status_code == 200
    text = words(page)
    assert "Mornings" in text and "read-only" in text
    assert "<textarea" not in page.text and "I agree" not in text
    before = await snapshot(db, pw)
    late = await b.post("/agreement", form("1", time="Evenings"))
    assert late.status_code == 409 and "read-only" in words(late)
    assert (await b.post("/agreement/agree", {"revision": "1"})).status_code == 409
    assert await snapshot(db, pw) == before


@pytest.mark.parametrize(
    ("slug", "heading"),
    [
        ("ahep", "Reviewing the relationship"),
        ("museums-association", "How you will work together"),
        ("advice-skills-academy", "Aims and objectives"),
        ("arts-marketing", None),
        ("alberta-museums", None),
    ],
)
async def test_each_schemes_agreement_page(
    db: Database, open_space: OpenSpace, slug: str, heading: str | None
) -> None:
    pw, b = await open_space(slug)
    await b.as_(pw.mentee)
    page = await b.get("/agreement")
    if heading is None:
        assert page.status_code == 404
        return
    assert page.status_code == 200 and heading in words(page)
    if slug == "advice-skills-academy":  # the eight principles above the agreement
        assert "The mentee accepts increasing responsibility" in words(page)
    # Whatever is typed is shown as text, never as markup.
    first = tenant(slug).scheme.space.agreement[0].key
    typed = '<script>alert("x")</script> & <b>bold</b>'
    assert (
        await b.post(
            "/agreement",
            {
                "lock_version": "0",
                **{
                    f"section_{s.key}": typed if s.key == first else ""
                    for s in tenant(slug).scheme.space.agreement
                },
            },
        )
    ).status_code == 303
    shown = await b.get("/agreement")
    assert "<script>alert" not in shown.text and "&lt;script&gt;" in shown.text
