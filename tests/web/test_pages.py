"""The first page set, served through the real application on the real database."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from mentorhub.tenancy.services import set_status
from tests.support import SLUGS, as_owner, serving


@pytest.fixture
async def loaded(db: Database) -> list[Tenant]:
    async with as_owner(db):
        return await load_tenants(db, get_settings().tenants_dir)


def client_for(settings: Settings, db: Database) -> Any:
    return serving(create_app(settings, db=db))


@pytest.fixture
async def client(db: Database, loaded: list[Tenant]) -> AsyncIterator[AsyncClient]:
    async with client_for(get_settings(), db) as c:
        yield c


async def test_landing_lists_the_five_associations(client: AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    for slug in SLUGS:
        assert f'href="/t/{slug}/"' in page.text
    assert "Alberta Museums Association" in page.text


@pytest.mark.parametrize("slug", SLUGS)
async def test_each_tenant_home_is_branded_with_sign_in(client: AsyncClient, slug: str) -> None:
    page = await client.get(f"/t/{slug}/")
    assert page.status_code == 200
    assert "Sign in" in page.text
    assert f'href="/t/{slug}/login"' in page.text


async def test_tenant_found_by_hostname(client: AsyncClient) -> None:
    page = await client.get("/", headers={"host": "ahep.localhost:8000"})
    assert page.status_code == 200
    assert "AHEP Mentoring" in page.text
    assert 'href="/login"' in page.text  # links stay on the tenant's own host


async def test_a_tenant_host_cannot_reach_another_tenant(client: AsyncClient) -> None:
    page = await client.get("/t/arts-marketing/", headers={"host": "ahep.localhost"})
    assert page.status_code == 404


async def test_unknown_tenant_is_404(client: AsyncClient) -> None:
    page = await client.get("/t/no-such-association/")
    assert page.status_code == 404
    assert "Page not found" in page.text
    assert 'href="/"' in page.text


async def test_unknown_page_of_a_tenant_is_its_own_404(client: AsyncClient) -> None:
    for url, headers, home in (
        ("/t/ahep/no-such-page", {}, "/t/ahep/"),
        ("/no-such-page", {"host": "ahep.localhost"}, "/"),
    ):
        page = await client.get(url, headers=headers)
        assert page.status_code == 404
        assert "Page not found" in page.text
        assert "Association of Higher Education Professionals" in page.text
        assert f'href="{home}"' in page.text


async def test_an_unexpected_failure_is_a_plain_500_page(
    db: Database, loaded: list[Tenant]
) -> None:
    """A bug in a handler: the member sees a page in the association's layout that says so
    plainly (no traceback, no framework text); the failure is logged, not hidden."""
    from litestar import get
    from litestar.params import FromPath

    from mentorhub.identity.guards import PUBLIC, rule

    @get("/t/{tenant_slug:str}/boom", opt=rule(PUBLIC))
    async def boom(tenant_slug: FromPath[str]) -> str:
        raise RuntimeError("a bug")

    app = create_app(get_settings(), db=db)
    app.app.register(boom)  # type: ignore[attr-defined]
    assert app.app.logging_config.log_exceptions == "always"  # type: ignore[attr-defined]
    async with serving(app) as c:
        page = await c.get("/t/ahep/boom")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    assert "Association of Higher Education Professionals" in page.text
    assert "a bug" not in page.text and "Traceback" not in page.text


async def test_suspended_tenant_gets_the_suspended_page(client: AsyncClient, db: Database) -> None:
    async with as_owner(db):
        await set_status(db, "ahep", "suspended")
    for url, headers in (("/t/ahep/", {}), ("/", {"host": "ahep.localhost"})):
        page = await client.get(url, headers=headers)
        assert page.status_code == 403
        assert "suspended" in page.text
        assert "Association of Higher Education Professionals" in page.text


async def test_prefixes_can_be_turned_off_in_production(db: Database, loaded: list[Tenant]) -> None:
    settings = dataclasses.replace(get_settings(), path_prefix_tenants=False)
    async with client_for(settings, db) as c:
        assert (await c.get("/t/ahep/")).status_code == 404
        assert (await c.get("/", headers={"host": "ahep.localhost"})).status_code == 200


async def test_healthz_ok(client: AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"postgres": "ok", "redis": "ok", "status": "ok"}


async def test_healthz_names_redis_when_it_is_down(db: Database, loaded: list[Tenant]) -> None:
    settings = dataclasses.replace(get_settings(), redis_url="redis://127.0.0.1:1/0")
    async with client_for(settings, db) as c:
        answer = await c.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["postgres"] == "ok"
    assert answer.json()["redis"].startswith("down")
    assert answer.json()["status"] == "down: redis"


async def test_healthz_names_postgres_when_it_is_down() -> None:
    dead = Database.connect("postgresql://nobody@127.0.0.1:1/none", pool_size=1)
    async with client_for(get_settings(), dead) as c:
        answer = await c.get("/healthz")
    await dead.dispose()
    assert answer.status_code == 503
    assert answer.json()["status"] == "down: postgres"
    assert answer.json()["redis"] == "ok"


@pytest.mark.parametrize("slug", SLUGS)
async def test_each_scheme_page_states_its_rules(client: AsyncClient, slug: str) -> None:
    page = await client.get(f"/t/{slug}/scheme")
    assert page.status_code == 200
    assert "How" in page.text and "works" in page.text
    assert page.text.count("<section") >= 4


async def test_scheme_pages_say_what_each_seed_says(client: AsyncClient) -> None:
    alberta = (await client.get("/t/alberta-museums/scheme")).text
    assert "October" in alberta and "August" in alberta
    assert "Quarterly Update" in alberta
    arts = (await client.get("/t/arts-marketing/scheme")).text
    assert "5 years" in arts or "five years" in arts
