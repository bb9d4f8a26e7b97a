"""What a new user walking the product noticed, fixed: role changes confirmed (and an
admin told plainly that their own administrator role stays), roles in the product's words
everywhere, possessives right for names ending in s, a favicon on every host, slugs in any
case leading to the canonical address, pages that promise only what the product does, and
the demo provider saying that it publishes its demo members."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from mentorhub.web.templating import configure_templates
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    SLUG_A,
    client,
    csrf_from,
    email,
    providers,
    settings,
    sign_in,
    tenant_a,
)
from tests.support import SLUGS, as_owner, serving

ADMIN_MEMBERS = f"/t/{SLUG_A}/admin/members"


@pytest.fixture
async def loaded(db: Database) -> list[Tenant]:
    async with as_owner(db):
        return await load_tenants(db, get_settings().tenants_dir)


@pytest.fixture
async def site(db: Database, loaded: list[Tenant]) -> AsyncIterator[httpx.AsyncClient]:
    """The five reference associations, anonymous."""
    async with serving(create_app(get_settings(), db=db)) as anonymous:
        yield anonymous


def visible_text(page: str) -> str:
    """What a reader sees: tags (and their attribute values) removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", " ", page))


async def member_id(db: Database, tenant: Tenant, key: str) -> str:
    async with db.tenant(tenant.id) as session:
        found = (
            await session.execute(select(Member).where(Member.email == email(SLUG_A, key)))
        ).scalar_one()
        return str(found.id)


async def change_roles(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    tenant: Tenant,
    key: str,
    roles: list[str],
    **extra: str,
) -> httpx.Response:
    page = await client.get(ADMIN_MEMBERS)
    target = await member_id(db, tenant, key)
    return await client.post(
        f"{ADMIN_MEMBERS}/{target}/roles",
        data={"_csrf_token": csrf_from(page.text), "roles": roles, **extra},
    )


# --- role changes: confirmed, and the admin's own role ----------------------------------


async def test_a_role_change_is_confirmed_once_after_the_redirect(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant  # noqa: F811
) -> None:
    await sign_in(client, SLUG_A, "admin")
    saved = await change_roles(client, db, tenant_a, "mentor", ["mentor", "coordinator"])
    assert saved.status_code == 303
    assert saved.headers["location"] == ADMIN_MEMBERS
    page = visible_text((await client.get(ADMIN_MEMBERS)).text)
    assert "Roles saved for Morgan Mentor: Coordinator, Mentor." in page
    again = visible_text((await client.get(ADMIN_MEMBERS)).text)
    assert "Roles saved" not in again  # shown once

    same = await change_roles(client, db, tenant_a, "mentor", ["mentor", "coordinator"])
    assert same.status_code == 303
    page = visible_text((await client.get(ADMIN_MEMBERS)).text)
    assert "Nothing changed for Morgan Mentor: the roles were already Coordinator, Mentor." in page


async def test_unticking_your_own_admin_role_says_so_plainly(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant  # noqa: F811
) -> None:
    await sign_in(client, SLUG_A, "admin")
    kept = await change_roles(client, db, tenant_a, "admin", [])
    assert kept.status_code == 303
    page = await client.get(ADMIN_MEMBERS)
    assert page.status_code == 200  # still signed in: nothing changed
    text = visible_text(page.text)
    assert "You cannot remove your own administrator role" in text
    assert "Nothing else changed: your roles are still Administrator." in text


async def test_the_confirmation_keeps_the_search_and_page(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant  # noqa: F811
) -> None:
    await sign_in(client, SLUG_A, "admin")
    saved = await change_roles(client, db, tenant_a, "mentee", ["mentee"], q="Eli", page="1")
    assert saved.headers["location"] == f"{ADMIN_MEMBERS}?q=Eli&page=1"


async def test_another_session_does_not_see_the_confirmation(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant  # noqa: F811
) -> None:
    await sign_in(client, SLUG_A, "admin")
    await change_roles(client, db, tenant_a, "mentee", ["mentee", "mentor"])
    client.cookies.clear()
    await sign_in(client, SLUG_A, "admin")  # the same admin, a new session
    assert "Roles saved" not in (await client.get(ADMIN_MEMBERS)).text


# --- roles in the product's words -------------------------------------------------------


async def test_roles_are_shown_in_words_on_every_page(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant  # noqa: F811
) -> None:
    await sign_in(client, SLUG_A, "admin")
    await change_roles(client, db, tenant_a, "mentee", ["mentee", "coordinator"])
    pages = {
        path: visible_text((await client.get(f"/t/{SLUG_A}{path}")).text)
        for path in ("/me", "/admin/members", "/coordinator/members", "/admin/audit")
    }
    for path, text in pages.items():
        assert not re.search(r"tenant[_ ]admin", text, re.IGNORECASE), path
        assert "coordinator," not in text, path  # no lower-case stored values in lists
    assert "Administrator" in pages["/me"]
    assert "Administrator" in pages["/admin/members"]
    assert "Coordinator, Mentee" in pages["/coordinator/members"]
    assert "Roles changed" in pages["/admin/audit"]
    assert "from: Mentee; to: Coordinator, Mentee" in pages["/admin/audit"]


# --- grammar: names ending in s ---------------------------------------------------------


async def test_no_possessive_is_made_by_adding_s_to_a_name(
    site: httpx.AsyncClient, loaded: list[Tenant]
) -> None:
    """"Association of Higher Education Professionals's" nowhere: on every association's
    pages, including its error pages, on a prefix and on its own hostname."""
    for tenant in loaded:
        for url, headers in (
            (f"/t/{tenant.slug}/", {}),
            (f"/t/{tenant.slug}/scheme", {}),
            (f"/t/{tenant.slug}/no-such-page", {}),
            ("/no-such-page", {"host": tenant.domains[0].hostname} if tenant.domains else {}),
        ):
            text = visible_text((await site.get(url, headers=headers)).text)
            assert f"{tenant.name}'s" not in text, (tenant.slug, url)
            assert not re.search(r"s['’]s\b", text), (tenant.slug, url)
    page = visible_text((await site.get("/t/ahep/no-such-page")).text)
    assert "the home page of Association of Higher Education Professionals" in page


# --- favicon ----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "ahep.localhost"])
async def test_the_favicon_is_served_on_every_host(site: httpx.AsyncClient, host: str) -> None:
    icon = await site.get("/favicon.ico", headers={"host": host})
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.lstrip().startswith(b"<svg")
    linked = await site.get("/static/favicon.svg", headers={"host": host})
    assert linked.status_code == 200 and linked.content == icon.content


@pytest.mark.parametrize("path", ["/", "/t/ahep/", "/t/ahep/scheme", "/t/ahep/no-such-page"])
async def test_every_page_links_the_icon(site: httpx.AsyncClient, path: str) -> None:
    page = await site.get(path)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text


# --- slugs in any case ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("/t/AHEP/", "/t/ahep/"),
        ("/t/Ahep", "/t/ahep"),
        ("/t/AHEP/scheme?from=leaflet&x=%C3%A9", "/t/ahep/scheme?from=leaflet&x=%C3%A9"),
        ("/t/Arts-Marketing/a%20b/c", "/t/arts-marketing/a%20b/c"),
    ],
)
async def test_a_slug_in_another_case_redirects_to_the_canonical_one(
    site: httpx.AsyncClient, typed: str, canonical: str
) -> None:
    for method in ("GET", "POST"):
        moved = await site.request(method, typed)
        assert moved.status_code == 308, (method, typed)
        assert moved.headers["location"] == canonical
        assert "frame-ancestors 'none'" in moved.headers["content-security-policy"]


async def test_the_canonical_home_answers_and_an_unknown_slug_stays_404(
    site: httpx.AsyncClient,
) -> None:
    moved = await site.get("/t/AHEP/")
    home = await site.get(moved.headers["location"])
    assert home.status_code == 200 and "AHEP Mentoring" in home.text
    assert (await site.get("/t/NO-SUCH-ASSOCIATION/")).status_code == 404
    # A tenant's own hostname has no slug in its paths: nothing to redirect.
    assert (await site.get("/t/AHEP/", headers={"host": "ahep.localhost"})).status_code == 404


# --- saying only what the product does --------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
async def test_the_scheme_page_promises_nothing_the_product_lacks(
    site: httpx.AsyncClient, slug: str
) -> None:
    text = visible_text((await site.get(f"/t/{slug}/scheme")).text)
    for promise in ("best 3", "the system", "chat", "share documents", "On the platform"):
        assert promise not in text, promise
    assert "apply on MentorHub" in text and "do not happen on MentorHub yet" in text
    assert "How long it lasts" in text and "What is asked of you, and when" in text


async def test_a_member_with_no_role_is_pointed_at_apply(
    client: httpx.AsyncClient, tenant_a: Tenant  # noqa: F811
) -> None:
    """The newcomer is listed at their first sign-in, with no role."""
    await sign_in(client, SLUG_A, "newcomer")
    text = visible_text((await client.get(f"/t/{SLUG_A}/me")).text)
    assert "You have no role in" in text
    assert "Apply to take part" in text and "your applications" in text


def test_the_demo_provider_says_it_publishes_its_demo_members() -> None:
    templates = Path(get_settings().templates_dir)
    env = Environment(loader=FileSystemLoader(templates), autoescape=select_autoescape())
    configure_templates(SimpleNamespace(engine=env, register_template_callable=lambda *a: None))
    env.globals["csp_nonce"] = lambda: ""
    realm = SimpleNamespace(
        title="Association of Higher Education Professionals",
        people=[("admin@ahep.localhost", "Ada Admin", "Administrator")],
    )
    page = env.get_template("identity/demo_idp.html").render(
        realm=realm, params={}, problem=None, csrf_input="", tenant=None
    )
    text = " ".join(visible_text(page).split())
    assert "made-up demo data" in text
    assert "shows every demo member's name and e-mail address to anyone" in text
    assert "Ada Admin — Administrator (admin@ahep.localhost)" in text
