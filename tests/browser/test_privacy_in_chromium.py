"""The export/erase round trip in a real headless Chromium (issue 17, GDPR basics).

The privacy world's mentee (tests/privacy/helpers.py: AHEP, a pair whose space holds their
log entries, chat, a document, answers, each with a marker) signs in through the demo
identity provider's pages, opens "Your data" from My page and downloads the ZIP (a real
download: unzipped, `data.json` holds their markers and not the mentor's private ones, the
document's bytes are the stored ones). The tenant admin signs in, opens the members list,
follows "Erase Theo Mentee", sends the form empty (the error summary links to the field),
types the address and erases. The mentee's open browser is signed out. The association
lists the address again (as a roster would) and the same identity signs in once more: a
fresh member, whose download holds nothing of the old one.

Every page is checked at 375 px and 1280 px (nothing wider than the screen, axe-core with no
serious or critical violation) and kept as a screenshot (MENTORHUB_SCREENSHOTS or the
test's temporary folder).
"""

from __future__ import annotations

import dataclasses
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from mentorhub.db import Database
from mentorhub.identity.services import change_roles
from mentorhub.pairs.space_models import Document
from mentorhub.pairs.storage import DirectoryStorage
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.browser.journey_helpers import sign_in, site_for, text
from tests.browser.test_matching_flows_in_chromium import Looker, look  # noqa: F401
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.privacy.helpers import MENTEE_OWN, NOT_MENTEES, privacy_world


@dataclass
class Tenanted:
    """What the journey helpers need of an association: its tenant and slug."""

    tenant: Tenant

    @property
    def slug(self) -> str:
        return self.tenant.slug

    @property
    def id(self) -> object:
        return self.tenant.id


async def download(page: Page, into: Path) -> tuple[dict[str, object], dict[str, bytes]]:
    """Press "Download your data", keep the file, and read it."""
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download your data").click()
    got = await info.value
    assert re.fullmatch(r".+-my-data-\d{4}-\d{2}-\d{2}\.zip", got.suggested_filename)
    target = into / got.suggested_filename
    await got.save_as(str(target))
    with zipfile.ZipFile(target) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files.pop("data.json")), files


async def test_export_erase_round_trip(
    db: Database,
    settings: Settings,  # noqa: F811
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    look: Looker,  # noqa: F811
) -> None:
    storage = DirectoryStorage(tmp_path / "documents")
    configured = dataclasses.replace(settings, storage_dir=storage.root)
    world = await privacy_world(db, storage)
    a = Tenanted(world.pw.world.tenant)
    mentee, admin = world.pw.mentee, world.pw.world.admin
    async with db.tenant(world.id) as session:
        document = await session.get(
            Document, {"tenant_id": world.id, "id": world.rich.ids["document_id"]}
        )
        assert document is not None
        stored = b"".join([c async for c in await storage.open(document.storage_key)])

    async with site_for(db, configured, browser, monkeypatch, [a]) as site:  # type: ignore[list-item]
        # The mentee finds their data from My page and downloads it.
        page = await sign_in(site, a, mentee)  # type: ignore[arg-type]
        await page.get_by_role("link", name=re.compile("^Your data")).click()
        await page.wait_for_url(re.compile(r"/me/data$"))
        words = await text(page)
        assert "What is held about you" in words and mentee.email in words
        await look(page, "privacy-my-data")
        await page.set_viewport_size({"width": 1280, "height": 900})
        data, files = await download(page, tmp_path)
        found = {n for n, v in world.rich.markers.items() if v in json.dumps(data)}
        assert set(MENTEE_OWN) - {"DOC_NAME"} <= found
        assert found.isdisjoint(NOT_MENTEES)
        assert list(files.values()) == [stored]
        assert data["member"]["id"] == str(mentee.id)  # type: ignore[index]

        # The tenant admin erases them from the members list.
        boss = await sign_in(site, a, admin)  # type: ignore[arg-type]
        await boss.goto(site.t(a, f"/admin/members?q={mentee.display_name.split()[0]}"))  # type: ignore[arg-type]
        await boss.get_by_role("link", name=f"Erase {mentee.display_name}").click()
        await boss.wait_for_url(re.compile(r"/erase$"))
        assert "What erasing does" in await text(boss)
        await look(boss, "privacy-erase")
        await boss.set_viewport_size({"width": 1280, "height": 900})
        await boss.get_by_role("button", name=f"Erase {mentee.display_name}").click()
        await boss.wait_for_load_state()
        assert "Nothing was erased" in await text(boss)
        link = boss.locator(".error-summary a").first
        assert await link.get_attribute("href") == "#confirm_email"
        await look(boss, "privacy-erase-error")
        await boss.set_viewport_size({"width": 1280, "height": 900})
        await boss.get_by_label("Type the member's e-mail address to confirm").fill(mentee.email)
        await boss.get_by_role("button", name=f"Erase {mentee.display_name}").click()
        await boss.wait_for_load_state()
        assert f"{mentee.display_name} was erased" in await text(boss)
        await look(boss, "privacy-erased")

        # The mentee's browser is signed out.
        await page.goto(site.t(a, "/me/data"))  # type: ignore[arg-type]
        assert "/me/data" not in page.url or "Sign in" in await page.content()
        await page.context.close()

        # Listed again (as a roster would), the same identity signs in: a fresh member.
        relisted = await change_roles(
            db,
            world.id,
            actor=admin.email,
            email=mentee.email,
            name=mentee.display_name,
            roles=[],
        )
        assert relisted.created and relisted.member_id != mentee.id
        again = await sign_in(site, a, mentee)  # type: ignore[arg-type]
        await again.goto(site.t(a, "/me/data"))  # type: ignore[arg-type]
        assert "Your private log entries" in await text(again)
        await look(again, "privacy-my-data-fresh")
        await again.set_viewport_size({"width": 1280, "height": 900})
        fresh, fresh_files = await download(again, tmp_path)
        assert fresh["member"]["id"] == str(relisted.member_id)  # type: ignore[index]
        blob = json.dumps(fresh)
        assert str(mentee.id) not in blob
        assert not [n for n, v in world.rich.markers.items() if v in blob]
        assert fresh["pairs"] == [] and fresh["applications"] == [] and fresh_files == {}
        await again.context.close()
        await boss.context.close()
    assert not look.problems, look.problems
