"""The tenant admin's scheme pages through the real app over HTTP: who may open and post
them, the form's round (problems at their fields, nothing stored; the preview; confirming
stores version current + 1; a changed or replayed proposal is refused), the download and the
upload (bad TOML, another tenant's file, an invalid scheme: 400, nothing stored)."""

from __future__ import annotations

import html
import re
import tomllib
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.schemes.models import SchemeVersion
from mentorhub.settings import Settings
from tests.admin.helpers import words
from tests.pairs.agreement_helpers import (  # noqa: F401  (fixtures)
    client_fixture,
    settings_fixture,
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
    viewers_of,
)
from tests.pairs.space_helpers import PairWorld, pair_world

OTHER_ADMIN = "another tenant's admin"


def form_fields(page: str) -> dict[str, str]:
    """The edit form's values as the browser would send them (ticked boxes only)."""
    found: dict[str, str] = {}
    for m in re.finditer(r"<input([^>]*)>", page):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m.group(1)))
        name = attrs.get("name")
        if not name or name == "_csrf_token":
            continue
        if attrs.get("type") == "checkbox":
            if " checked" in m.group(1):
                found[name] = attrs.get("value", "")
            continue
        found[name] = html.unescape(attrs.get("value", ""))
    for m in re.finditer(r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        found[m.group(1)] = html.unescape(m.group(2))
    return found


def hidden(page: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert m is not None, name
    return html.unescape(m.group(1))


async def state(db: Database, pw: PairWorld) -> Any:
    async with db.tenant(pw.id) as s:
        return (
            (await s.execute(select(SchemeVersion.version).order_by(SchemeVersion.version)))
            .scalars()
            .all(),
            (await s.execute(text("SELECT kind, subject, body FROM message_templates"))).all(),
            (await s.execute(select(func.count()).select_from(AuditEntry))).scalar_one(),
            (await s.execute(text("SELECT id, scheme_version FROM pairs ORDER BY id"))).all(),
        )


@pytest.fixture
async def world(db: Database, settings: Settings) -> tuple[PairWorld, dict[str, Viewer]]:
    pw = await pair_world(db, "ahep")
    viewers = await viewers_of(settings, pw)
    other = await pair_world(db, "museums-association")
    viewers[OTHER_ADMIN] = (await viewers_of(settings, other))[TENANT_ADMIN]
    return pw, viewers


def routes(slug: str) -> list[tuple[str, str]]:
    t = f"/t/{slug}/admin/scheme"
    return [
        ("GET", t),
        ("GET", f"{t}/v4.toml"),
        ("GET", f"{t}/edit"),
        ("POST", f"{t}/edit"),
        ("GET", f"{t}/upload"),
        ("POST", f"{t}/upload"),
        ("POST", f"{t}/confirm"),
    ]


async def test_only_the_tenants_admin_opens_the_scheme_pages(
    client: httpx.AsyncClient, db: Database, world: tuple[PairWorld, dict[str, Viewer]]
) -> None:
    pw, viewers = world
    before = await state(db, pw)
    seen: dict[tuple[str, str, str], int] = {}
    for who in (MENTOR, MENTEE, COORDINATOR, PLATFORM_ADMIN, ANONYMOUS, OTHER_ADMIN, TENANT_ADMIN):
        for method, path in routes(pw.world.tenant.slug):
            answer = await fetch(client, viewers[who], method, path, data={"base_version": "4"})
            seen[(who, method, path)] = answer.status_code
            if who == TENANT_ADMIN:
                # Empty posts are bad input (400), never stored.
                assert answer.status_code == (200 if method == "GET" else 400), (
                    path,
                    answer.text[:300],
                )
            else:
                assert answer.status_code in (303, 403, 404), (who, method, path)
                assert "Scheme rules" not in answer.text
    assert {seen[(ANONYMOUS, "GET", routes(pw.world.tenant.slug)[0][1])]} == {303}
    assert seen[(MENTOR, "GET", routes(pw.world.tenant.slug)[0][1])] == 403
    assert seen[(COORDINATOR, "GET", routes(pw.world.tenant.slug)[0][1])] == 403
    assert await state(db, pw) == before


async def test_the_scheme_page_shows_the_versions_and_pairs(
    client: httpx.AsyncClient, world: tuple[PairWorld, dict[str, Viewer]]
) -> None:
    pw, viewers = world
    page = await fetch(
        client, viewers[TENANT_ADMIN], "GET", f"/t/{pw.world.tenant.slug}/admin/scheme"
    )
    seen = words(page)
    assert "Current version: 4" in seen
    assert "the tenant file (ahep.toml)" in seen
    assert "How long it lasts" in seen  # the rules in words
    row = re.search(
        r"<tr>\s*<td data-label=\"Version\">4 \(current\)</td>(.*?)</tr>", page.text, re.S
    )
    assert row is not None and '<td data-label="Pairs">2</td>' in row.group(1)


async def test_an_edit_that_fails_stores_nothing_and_one_that_passes_stores_the_next_version(
    client: httpx.AsyncClient, db: Database, world: tuple[PairWorld, dict[str, Viewer]]
) -> None:
    pw, viewers = world
    admin = viewers[TENANT_ADMIN]
    t = f"/t/{pw.world.tenant.slug}/admin/scheme"
    form = await fetch(client, admin, "GET", f"{t}/edit")
    values = form_fields(form.text)
    assert values["meetings.session_minutes.min"] == "60"
    assert values["base_version"] == "4"
    before = await state(db, pw)

    # Not a number, and a rule the engine refuses: each at its field, nothing stored.
    bad = {**values, "checkpoints.0.window_days_before": "soon"}
    answer = await fetch(client, admin, "POST", f"{t}/edit", data=bad)
    assert answer.status_code == 400
    assert 'href="#checkpoints.0.window_days_before"' in answer.text
    assert "must be a whole number" in words(answer)
    assert 'value="soon"' in answer.text  # what was typed is shown again
    bad = {**values, "meetings.session_minutes.min": "120"}
    answer = await fetch(client, admin, "POST", f"{t}/edit", data=bad)
    assert answer.status_code == 400
    assert re.search(r'href="#meetings(\.session_minutes\.m(in|ax))?"', answer.text)
    assert "nothing was stored" in words(answer)
    bad = {**values, "messages.reminder.subject": "Hi {{ password }}"}
    answer = await fetch(client, admin, "POST", f"{t}/edit", data=bad)
    assert answer.status_code == 400
    assert 'href="#messages.reminder.subject"' in answer.text
    assert "unknown variable" in words(answer)
    assert await state(db, pw) == before

    # Nothing changed: nothing to store.
    answer = await fetch(client, admin, "POST", f"{t}/edit", data=values)
    assert answer.status_code == 400 and "You changed nothing" in words(answer)

    good = {
        **values,
        "checkpoints.0.window_days_after": "10",
        "messages.reminder.subject": "Due soon: {{ title }}",
    }
    preview = await fetch(client, admin, "POST", f"{t}/edit", data=good)
    assert preview.status_code == 200, words(preview)[:500]
    seen = words(preview)
    assert "Nothing for existing pairs — 2 pairs stay on version 4." in seen
    assert "Pairs matched from now on start on version 5." in seen
    assert "On time until (days after it is due)" in seen and "Changed 7 10" in seen
    assert "Due soon: {{ title }}" in seen
    assert await state(db, pw) == before  # the preview stores nothing

    sealed = hidden(preview.text, "proposal")
    blob, mac = sealed.rsplit(".", 1)
    tampered = blob[:-3] + ("A" if blob[-3] != "A" else "B") + blob[-2:] + "." + mac
    refused = await fetch(client, admin, "POST", f"{t}/confirm", data={"proposal": tampered})
    assert refused.status_code == 400 and "Nothing was stored" in words(refused)
    assert await state(db, pw) == before

    done = await fetch(
        client, admin, "POST", f"{t}/confirm", data={"proposal": sealed, "summary": "Longer window"}
    )
    assert done.status_code == 303
    versions, templates, audits, pairs = await state(db, pw)
    assert versions == [4, 5]
    assert pairs == before[3]  # every pair still on version 4
    assert ("reminder", "Due soon: {{ title }}", None) in templates
    assert audits == before[2] + 1
    page = await fetch(client, admin, "GET", t)
    assert "Version 5 stored" in words(page) and "Current version: 5" in words(page)
    assert "the console, by" in words(page) and "Longer window" in words(page)
    audit = await fetch(client, admin, "GET", f"/t/{pw.world.tenant.slug}/admin/audit")
    assert audit.status_code == 200
    assert "summary: Longer window" in words(audit) and "version: 5" in words(audit)

    # The same proposal again: made against version 4, now stale.
    again = await fetch(client, admin, "POST", f"{t}/confirm", data={"proposal": sealed})
    assert again.status_code == 409 and "review again" in words(again)
    # A form opened at version 4 and sent now: stale too.
    stale = await fetch(client, admin, "POST", f"{t}/edit", data=good)
    assert stale.status_code == 409 and "The scheme changed since you started" in words(stale)
    assert (await state(db, pw))[0] == [4, 5]


async def test_the_download_uploads_back_and_bad_files_store_nothing(
    client: httpx.AsyncClient, db: Database, world: tuple[PairWorld, dict[str, Viewer]]
) -> None:
    pw, viewers = world
    admin = viewers[TENANT_ADMIN]
    slug = pw.world.tenant.slug
    t = f"/t/{slug}/admin/scheme"
    download = await fetch(client, admin, "GET", f"{t}/v4.toml")
    assert download.status_code == 200
    assert f'filename="{slug}-v4.toml"' in download.headers["content-disposition"]
    source = download.text
    data = tomllib.loads(source)
    assert data["tenant"]["slug"] == slug and data["scheme"]["version"] == 4
    assert (await fetch(client, admin, "GET", f"{t}/v9.toml")).status_code == 404
    assert (await fetch(client, admin, "GET", f"{t}/notes.txt")).status_code == 404
    before = await state(db, pw)

    async def upload(content: str | bytes) -> httpx.Response:
        raw = content.encode() if isinstance(content, str) else content
        return await fetch(
            client,
            admin,
            "POST",
            f"{t}/upload",
            files={"scheme_file": ("x.toml", raw, "application/toml")},
        )

    same = await upload(source)
    assert same.status_code == 400 and "nothing to store" in words(same)
    broken = await upload(source.replace("[scheme]", "[scheme", 1))
    assert broken.status_code == 400 and "not valid TOML" in words(broken)
    assert 'href="#scheme_file"' in broken.text
    other = await upload(source.replace(f'slug = "{slug}"', 'slug = "ahep-elsewhere"', 1))
    assert other.status_code == 400 and "the file is for “ahep-elsewhere”" in words(other)
    invalid = await upload(source.replace("window_days_after = 7", "window_days_after = -7", 1))
    assert invalid.status_code == 400
    assert re.search(r"scheme\.checkpoints\[\d\]\.window_days_after", words(invalid))
    binary = await upload(b"\xff\xfe\x00")
    assert binary.status_code == 400 and "UTF-8" in words(binary)
    assert await state(db, pw) == before

    changed = source.replace("version = 4", "version = 1", 1).replace(
        "window_days_after = 7", "window_days_after = 9", 1
    )
    preview = await upload(changed)
    assert preview.status_code == 200, words(preview)[:800]
    assert "Store version 5" in words(preview)
    done = await fetch(
        client, admin, "POST", f"{t}/confirm", data={"proposal": hidden(preview.text, "proposal")}
    )
    assert done.status_code == 303
    assert (await state(db, pw))[0] == [4, 5]  # numbered by the server, not the file


async def test_a_proposal_made_for_one_tenant_is_refused_by_another(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    a = await pair_world(db, "ahep")
    b = await pair_world(db, "ahep")
    admin_a = (await viewers_of(settings, a))[TENANT_ADMIN]
    admin_b = (await viewers_of(settings, b))[TENANT_ADMIN]
    t = f"/t/{a.world.tenant.slug}/admin/scheme"
    values = form_fields((await fetch(client, admin_a, "GET", f"{t}/edit")).text)
    preview = await fetch(
        client, admin_a, "POST", f"{t}/edit", data={**values, "checkpoints.0.title": "Agenda"}
    )
    assert preview.status_code == 200
    sealed = hidden(preview.text, "proposal")
    before_a, before_b = await state(db, a), await state(db, b)
    # The same version number, the same scheme: only the tenant differs.
    refused = await fetch(
        client,
        admin_b,
        "POST",
        f"/t/{b.world.tenant.slug}/admin/scheme/confirm",
        data={"proposal": sealed},
    )
    assert refused.status_code == 400 and "not this association's" in words(refused)
    assert await state(db, a) == before_a and await state(db, b) == before_b


async def test_a_question_removed_and_one_added_in_the_form(
    client: httpx.AsyncClient, db: Database, world: tuple[PairWorld, dict[str, Viewer]]
) -> None:
    pw, viewers = world
    admin = viewers[TENANT_ADMIN]
    t = f"/t/{pw.world.tenant.slug}/admin/scheme"
    page = await fetch(client, admin, "GET", f"{t}/edit")
    assert '<select id="forms.mentee.questions.new.kind"' in page.text
    values = form_fields(page.text)
    questions = pw.world.scheme.forms.mentee.questions  # type: ignore[union-attr]
    i, gone = next(
        (i, q) for i, q in enumerate(questions) if not (q.feeds or q.excludes or q.approver)
    )
    sent = {
        **values,
        f"forms.mentee.questions.{i}._remove": "yes",
        "forms.mentee.questions.new.id": "pronouns",
        "forms.mentee.questions.new.kind": "text",
        "forms.mentee.questions.new.label": "Your pronouns",
    }
    preview = await fetch(client, admin, "POST", f"{t}/edit", data=sent)
    assert preview.status_code == 200, words(preview)[:600]
    seen = words(preview)
    assert "Added" in seen and "Your pronouns" in seen
    assert "Removed" in seen and gone.label in seen
    done = await fetch(
        client, admin, "POST", f"{t}/confirm", data={"proposal": hidden(preview.text, "proposal")}
    )
    assert done.status_code == 303
    async with db.tenant(pw.id) as s:
        document = (
            await s.execute(select(SchemeVersion.document).where(SchemeVersion.version == 5))
        ).scalar_one()
    ids = [q["id"] for q in document["forms"]["mentee"]["questions"]]
    assert gone.id not in ids and ids[-1] == "pronouns"


@pytest.mark.parametrize(
    "slug",
    ["advice-skills-academy", "ahep", "alberta-museums", "arts-marketing", "museums-association"],
)
async def test_every_reference_schemes_form_sent_back_as_shown_changes_nothing(
    client: httpx.AsyncClient, db: Database, settings: Settings, slug: str
) -> None:
    """The form as the browser shows and sends it (text, numbers, ticked boxes, options one
    per line) reads back as the same rules for each reference tenant."""
    pw = await pair_world(db, slug)
    admin = (await viewers_of(settings, pw))[TENANT_ADMIN]
    t = f"/t/{pw.world.tenant.slug}/admin/scheme"
    page = await fetch(client, admin, "GET", f"{t}/edit")
    assert page.status_code == 200
    answer = await fetch(client, admin, "POST", f"{t}/edit", data=form_fields(page.text))
    assert answer.status_code == 400, words(answer)[:600]
    assert "You changed nothing" in words(answer)
    assert "error-message" not in answer.text  # no field has a problem
