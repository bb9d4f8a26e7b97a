"""The tenant admin's settings through the real app over HTTP (httpx on the ASGI app, the
test's PostgreSQL and Redis): name, scheme name, colours and contact addresses saved in one
action (the profile row, the branding through `mentorhub_tenant_set_branding`, the audit
row) and shown on every page (the footer's contacts, the colours); a colour below WCAG AA,
a bad address, phone or help page refused at its field with nothing changed; a stale form
refused (409); the logo by its bytes (a ".png" that is a GIF or HTML refused), served with
its type, a year's immutable caching and nosniff, shown in the layout, removed; a tenant
file loaded again keeps the console's branding; and every route probed by the anonymous,
a member, a coordinator, a platform admin and another tenant's admin."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import httpx
import msgspec
import pytest
from PIL import Image
from sqlalchemy import func, select

from mentorhub.admin.models import TenantProfile
from mentorhub.db import Database
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from mentorhub.tenancy.services import upsert_tenant
from tests.admin.helpers import as_, audits, gif, png, probes, tenant_now, url, words
from tests.applications.conftest import World, make_world
from tests.foundation.helpers import tenant_info
from tests.identity.conftest import csrf_from, settings  # noqa: F401  (fixture)
from tests.support import as_owner

SLUG = "alberta-museums"

GOOD = {
    "name": "Alberta Museums Association",
    "scheme_name": "Mentorship Program",
    "primary_color": "#0B3D2E",
    "accent_color": "#9a3412",
    "contact_email": "mentoring@museums.ab.ca",
    "contact_phone": "+1 780 424 2626",
    "privacy_email": "privacy@museums.ab.ca",
    "help_url": "https://museums.ab.ca/mentoring/help",
}


async def save(
    client: httpx.AsyncClient, world: World, csrf: str, lock_version: int = 0, **changes: str
) -> httpx.Response:
    data = {**GOOD, **changes, "lock_version": str(lock_version), "_csrf_token": csrf}
    return await client.post(url(world, "/admin/settings"), data=data)


async def upload(
    client: httpx.AsyncClient, world: World, csrf: str, data: bytes, name: str = "logo.png"
) -> httpx.Response:
    return await client.post(
        url(world, "/admin/settings/logo"),
        data={"_csrf_token": csrf},
        files={"logo": (name, data, "image/png")},
    )


async def profiles(db: Database, world: World) -> int:
    async with db.tenant(world.id) as session:
        return int(
            (await session.execute(select(func.count()).select_from(TenantProfile))).scalar_one()
        )


async def unchanged(db: Database, world: World, before: Tenant) -> None:
    """Nothing was changed: the tenant's row as `before`, no profile row, no audit row."""
    now = await tenant_now(db, world.id)
    assert (now.name, now.branding, now.branding_edited_at) == (
        before.name,
        before.branding,
        before.branding_edited_at,
    )
    assert await profiles(db, world) == 0
    assert await audits(db, world, "settings.changed") == []


# --- saving ---------------------------------------------------------------------------------


async def test_saved_settings_show_on_every_page_and_are_audited(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, SLUG)
    before = await tenant_now(db, world.id)
    file_branding = dict(before.branding)
    csrf = await as_(client, settings, world, world.admin)
    page = await client.get(url(world, "/admin/settings"))
    assert page.status_code == 200
    assert f'value="{before.name}"' in page.text
    assert 'name="lock_version" value="0"' in page.text

    saved = await save(client, world, csrf)
    assert saved.status_code == 303
    assert saved.headers["location"] == url(world, "/admin/settings")
    shown = await client.get(url(world, "/admin/settings"))
    assert "Settings saved: association name, scheme name, primary colour, accent colour" in (
        words(shown)
    )
    assert 'name="lock_version" value="1"' in shown.text

    tenant = await tenant_now(db, world.id)
    assert tenant.name == GOOD["name"]
    assert tenant.branding_edited_at is not None
    assert tenant.branding == {
        **file_branding,  # the file's other keys (logo_text, tagline) kept
        "scheme_name": GOOD["scheme_name"],
        "primary_color": "#0b3d2e",
        "accent_color": "#9a3412",
        "contact_email": GOOD["contact_email"],
        "contact_phone": GOOD["contact_phone"],
        "privacy_email": GOOD["privacy_email"],
        "help_url": GOOD["help_url"],
    }
    [entry] = await audits(db, world, "settings.changed")
    assert entry.actor == world.admin.email
    assert entry.details == {
        "changed": list(GOOD),
        "name": GOOD["name"],
        "scheme_name": GOOD["scheme_name"],
        "primary_color": "#0b3d2e",
        "accent_color": "#9a3412",
    }  # the contact addresses are named, never written into the log

    home = await client.get(url(world, "/me"))  # any page: the layout
    assert "--brand: #0b3d2e" in home.text
    footer = home.text[home.text.index('<footer class="site-footer">') :]
    assert f'<a href="mailto:{GOOD["contact_email"]}">' in footer
    assert '<a href="tel:+17804242626">+1 780 424 2626</a>' in footer
    assert f'<a href="mailto:{GOOD["privacy_email"]}">' in footer
    assert f'<a href="{GOOD["help_url"]}">Help</a>' in footer
    assert f"{GOOD['name']} · {GOOD['scheme_name']}" in words(home)

    again = await save(client, world, csrf, lock_version=1)  # the same values: nothing to do
    assert again.status_code == 303
    assert "Nothing changed" in words(await client.get(url(world, "/admin/settings")))
    assert len(await audits(db, world, "settings.changed")) == 1

    emptied = await save(client, world, csrf, lock_version=1, contact_phone="", help_url="")
    assert emptied.status_code == 303
    footer = (await client.get(url(world, "/me"))).text
    assert "tel:" not in footer and ">Help</a>" not in footer
    entries = await audits(db, world, "settings.changed")  # one transaction here: one time
    assert {"changed": ["contact_phone", "help_url"]} in [e.details for e in entries]
    assert len(entries) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("primary_color", "#FFCC00", "Primary colour #ffcc00 is too light: white text on it"),
        ("primary_color", "#767676", "links in it on the page's light grey background"),
        ("accent_color", "#f59e0b", "Accent colour #f59e0b is too light"),
        ("accent_color", "orange", "Accent colour must be a colour like #1f4e79"),
        ("contact_email", "mentoring@", "Contact e-mail must be an e-mail address"),
        ("privacy_email", "privacy at museums", "Data protection e-mail must be an e-mail"),
        ("contact_phone", "call us maybe", "Contact phone must be a phone number"),
        ("help_url", "http://museums.ab.ca/help", "Help page must be an https:// address"),
        ("help_url", "javascript:alert(1)", "Help page must be an https:// address"),
        ("help_url", "https://user:pw@museums.ab.ca/", "with no name or password in it"),
        ("name", "", "Association name is needed"),
        ("name", "A\x00B", "Association name must not contain control characters"),
    ],
)
async def test_bad_input_is_refused_at_its_field_and_changes_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    field: str,
    value: str,
    message: str,
) -> None:
    world = await make_world(db, SLUG)
    before = await tenant_now(db, world.id)
    csrf = await as_(client, settings, world, world.admin)
    refused = await save(client, world, csrf, **{field: value})
    assert refused.status_code == 400
    text = words(refused)
    assert "There is a problem: nothing was changed" in text
    assert message in text
    assert f'<a href="#{field}">' in refused.text  # the summary links to the field
    assert f'id="{field}-error"' in refused.text
    assert refused.text.count('aria-invalid="true"') == 1
    assert "<title>Error: Settings" in refused.text
    # what was typed is shown again, the other fields too
    assert f'value="{GOOD["contact_email"] if field != "contact_email" else value}"' in (
        refused.text
    )
    await unchanged(db, world, before)


async def test_a_form_opened_before_another_save_is_refused(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, SLUG)
    csrf = await as_(client, settings, world, world.admin)
    first = await save(client, world, csrf, lock_version=0, contact_phone="+44 20 7946 0000")
    assert first.status_code == 303
    stale = await save(client, world, csrf, lock_version=0, name="Somebody Else's Name")
    assert stale.status_code == 409
    text = words(stale)
    assert "Someone else saved these settings after you opened this page" in text
    assert 'value="+44 20 7946 0000"' in stale.text  # the form shows what is stored now
    assert 'name="lock_version" value="1"' in stale.text
    assert (await tenant_now(db, world.id)).name == GOOD["name"]
    assert len(await audits(db, world, "settings.changed")) == 1


# --- the logo -------------------------------------------------------------------------------


async def test_a_logo_is_stored_served_shown_and_removed(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, SLUG)
    other = await make_world(db, "museums-association")
    csrf = await as_(client, settings, world, world.admin)
    data = png()
    sha = hashlib.sha256(data).hexdigest()
    stored = await upload(client, world, csrf, data, name="logo.gif")  # its name says nothing
    assert stored.status_code == 303
    assert "Logo uploaded" in words(await client.get(url(world, "/admin/settings")))
    tenant = await tenant_now(db, world.id)
    assert tenant.branding["logo_sha"] == sha
    assert tenant.branding_edited_at is not None
    [entry] = await audits(db, world, "settings.changed")
    assert entry.details == {
        "changed": ["logo"],
        "logo": {"type": "image/png", "bytes": len(data), "width": 240, "height": 60},
    }

    home = await client.get(url(world, "/me"))
    assert (
        f'<img class="brand-logo" src="{url(world, "/logo/" + sha)}" alt="{tenant.name}">'
        in home.text
    )
    signed_in = await client.get(url(world, f"/logo/{sha}"))  # cached for a member too
    assert signed_in.headers["cache-control"] == "public, max-age=31536000, immutable"
    client.cookies.clear()  # the logo is public: anyone's browser fetches it
    served = await client.get(url(world, f"/logo/{sha}"))
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert (await client.get(url(world, f"/logo/{'0' * 64}"))).status_code == 404
    assert (await client.get(url(world, "/logo/not-a-sha"))).status_code == 404
    assert (await client.get(url(other, f"/logo/{sha}"))).status_code == 404  # not theirs

    csrf = await as_(client, settings, world, world.admin)
    jpeg = io.BytesIO()
    Image.new("RGB", (200, 100), (200, 0, 0)).save(jpeg, "JPEG")
    replaced = await upload(client, world, csrf, jpeg.getvalue(), name="logo.jpg")
    assert replaced.status_code == 303
    new_sha = hashlib.sha256(jpeg.getvalue()).hexdigest()
    assert (await tenant_now(db, world.id)).branding["logo_sha"] == new_sha
    assert (await client.get(url(world, f"/logo/{sha}"))).status_code == 404  # the old one
    new = await client.get(url(world, f"/logo/{new_sha}"))
    assert new.headers["content-type"] == "image/jpeg"

    removed = await client.post(
        url(world, "/admin/settings/logo/remove"), data={"_csrf_token": csrf}
    )
    assert removed.status_code == 303
    assert "Logo removed" in words(await client.get(url(world, "/admin/settings")))
    tenant = await tenant_now(db, world.id)
    assert "logo_sha" not in tenant.branding
    assert (await client.get(url(world, f"/logo/{new_sha}"))).status_code == 404
    home = await client.get(url(world, "/me"))
    assert '<img class="brand-logo"' not in home.text and 'class="brand-mark"' in home.text
    assert len(await audits(db, world, "settings.changed")) == 3


async def test_a_first_logo_keeps_the_files_contact_address(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, SLUG)
    info = tenant_info(world.tenant.slug)
    branding = msgspec.structs.replace(info.branding, contact_email="learning@museums.ab.ca")
    async with as_owner(db) as owner, owner.platform() as session:
        await upsert_tenant(session, msgspec.structs.replace(info, branding=branding))
    csrf = await as_(client, settings, world, world.admin)
    assert (
        'value="learning@museums.ab.ca"' in (await client.get(url(world, "/admin/settings"))).text
    )
    assert (await upload(client, world, csrf, png())).status_code == 303
    tenant = await tenant_now(db, world.id)
    assert tenant.branding["contact_email"] == "learning@museums.ab.ca"  # still Reply-To
    footer = (await client.get(url(world, "/me"))).text
    assert '<a href="mailto:learning@museums.ab.ca">' in footer
    page = await client.get(url(world, "/admin/settings"))
    assert 'value="learning@museums.ab.ca"' in page.text
    assert 'name="lock_version" value="0"' in page.text  # a logo does not stale the form
    assert (await save(client, world, csrf, contact_email="")).status_code == 303
    assert (await tenant_now(db, world.id)).branding["contact_email"] == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gif(), "The logo must be a PNG or JPEG image: this file is not one"),
        (b"<html><script>alert(1)</script></html>", "must be a PNG or JPEG image"),
        (b"\x89PNG\r\n\x1a\n" + b"<script>", "header cannot be read"),
        (png(4000, 4001), "each side must be from 16 to 4,000 pixels"),
        (png() + b"\x00" * (1024 * 1024), "Logo must be 1 MB or smaller"),
        (b"", "Choose a logo to upload"),
    ],
)
async def test_a_file_that_is_not_a_logo_is_refused_and_changes_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    data: bytes,
    message: str,
) -> None:
    world = await make_world(db, SLUG)
    before = await tenant_now(db, world.id)
    csrf = await as_(client, settings, world, world.admin)
    refused = await upload(client, world, csrf, data, name="logo.png")
    assert refused.status_code == 400
    assert message in words(refused)
    assert '<a href="#logo">' in refused.text and 'id="logo-error"' in refused.text
    await unchanged(db, world, before)


# --- the tenant file ------------------------------------------------------------------------


async def test_loading_the_tenant_file_again_keeps_the_consoles_branding(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, SLUG)
    info = tenant_info(world.tenant.slug)
    renamed = msgspec.structs.replace(info, name="Name From The File", jurisdiction="CA-AB")
    # The control: before any console edit, the file's name and branding win.
    async with as_owner(db) as owner, owner.platform() as session:
        await upsert_tenant(session, renamed)
    assert (await tenant_now(db, world.id)).name == "Name From The File"

    csrf = await as_(client, settings, world, world.admin)
    assert (await save(client, world, csrf)).status_code == 303
    edited = await tenant_now(db, world.id)
    async with as_owner(db) as owner, owner.platform() as session:
        await upsert_tenant(session, msgspec.structs.replace(renamed, jurisdiction="GB-ENG"))
    after = await tenant_now(db, world.id)
    assert after.name == GOOD["name"]  # the console's, not the file's
    assert after.branding == edited.branding
    assert after.jurisdiction == "GB-ENG"  # the rest of the file still applies


# --- access ---------------------------------------------------------------------------------


# A multipart POST refused by the route's guard (a member's, a coordinator's valid token)
# never reaches a handler, and nothing closes its spooled upload: the garbage collector does,
# with a ResourceWarning. The CSRF check closes the files it refuses (web/security.py); the
# guard's refusal does not yet — reported to the lead, not hidden elsewhere.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_only_the_tenant_admin_reaches_the_settings(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, SLUG)
    csrf = await as_(client, settings, world, world.admin)
    assert (await upload(client, world, csrf, png())).status_code == 303
    before = await tenant_now(db, world.id)
    sha = before.branding["logo_sha"]
    audited = len(await audits(db, world, "settings.changed"))
    async for who, token in probes(db, client, settings, world):
        page = await client.get(url(world, "/admin/settings"))
        expected = 403 if who in ("member", "coordinator") else 303
        assert page.status_code == expected, who
        if expected == 303:
            assert page.headers["location"] == url(world, "/login"), who
        posts: list[tuple[str, dict[str, Any]]] = [
            ("/admin/settings", {"data": {**GOOD, "lock_version": "1"}}),
            ("/admin/settings/logo", {"files": {"logo": ("x.png", png(colour=(0, 0, 0)))}}),
            ("/admin/settings/logo/remove", {}),
        ]
        for path, body in posts:
            data = {**body.get("data", {}), "_csrf_token": token}
            answer = await client.post(url(world, path), data=data, files=body.get("files"))
            assert answer.status_code in (303, 403), (who, path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"] == url(world, "/login"), (who, path)
        # the logo is public
        assert (await client.get(url(world, f"/logo/{sha}"))).status_code == 200, who
    after = await tenant_now(db, world.id)
    assert (after.name, after.branding) == (before.name, before.branding)
    assert len(await audits(db, world, "settings.changed")) == audited
