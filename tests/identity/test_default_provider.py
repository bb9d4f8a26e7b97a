"""The embedded default's start-up provisioning of the demo provider: created only for a
tenant with no provider, followed to a new origin (a restart on another port with the same
data directory), and never overwriting a provider an admin chose."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity import demo_idp
from mentorhub.identity.models import IdentityProvider, Member
from mentorhub.identity.providers import save_provider, tenant_provider
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.foundation.helpers import make_tenant
from tests.identity.conftest import RUN, OidcProvider

OLD = "http://127.0.0.1:8000"
NEW = "http://127.0.0.1:8123"


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Provisioning only runs on the embedded default; put the module back afterwards so
    no other test's app mounts the demo provider."""
    monkeypatch.setenv("MENTORHUB_EMBEDDED", "1")
    monkeypatch.setattr(demo_idp, "_EMBEDDED_PROCESS", False)
    monkeypatch.setattr(demo_idp, "_PLATFORM_ORIGIN", [])


async def _rows(db: Database, tenant: Tenant) -> list[tuple[str, str, str]]:
    async with db.tenant(tenant.id) as session:
        rows = (await session.execute(select(IdentityProvider))).scalars()
        return sorted((r.status, r.issuer, r.client_id) for r in rows)


async def _audit(db: Database, tenant: Tenant) -> list[tuple[str, str | None]]:
    async with db.tenant(tenant.id) as session:
        rows = (await session.execute(select(AuditEntry))).scalars()
        return sorted((e.action, e.actor) for e in rows)


async def test_restart_on_another_port_moves_demo_rows_and_leaves_an_admins_provider(
    db: Database,
    settings: Settings,
    providers: dict[str, OidcProvider],
    embedded: None,
) -> None:
    assert settings.secret_key is not None
    fresh = await make_tenant(db, f"dp-fresh-{RUN}")
    demo = await make_tenant(db, f"dp-demo-{RUN}")
    chosen = await make_tenant(db, f"dp-chosen-{RUN}")

    # The first start, on port 8000: every tenant gets the demo provider.
    await demo_idp.provision(db, settings, [demo, chosen], OLD)
    # A member of `demo` signed in through it (linked to the port-8000 issuer).
    async with db.tenant(demo.id) as session:
        session.add(
            Member(
                tenant_id=demo.id,
                email="m@example.org",
                display_name="M",
                roles=["mentor"],
                issuer=f"{OLD}/demo-idp/{demo.slug}",
                subject="m@example.org",
            )
        )
    # `chosen`'s admin moved to their own provider.
    a = providers["a"]
    async with db.tenant(chosen.id) as session:
        await save_provider(
            session,
            settings.secret_key,
            issuer=a.issuer,
            client_id=a.client_id,
            client_secret=a.client_secret,
        )
    chosen_before = await _rows(db, chosen)
    chosen_audit = await _audit(db, chosen)

    # The restart, same data, port 8123.
    await demo_idp.provision(db, settings, [fresh, demo, chosen], NEW)

    demo_issuer = f"{NEW}/demo-idp/{demo.slug}"
    assert await _rows(db, demo) == [("active", demo_issuer, demo_idp.client_id(demo.slug))]
    async with db.tenant(demo.id) as session:
        config = await tenant_provider(session, settings.secret_key)
        linked = (await session.execute(select(Member))).scalar_one()
    assert config is not None and config.client_secret == demo_idp.client_secret(settings, demo)
    assert linked.issuer == demo_issuer  # the member still signs in as themselves
    moved = [e for e in await _audit(db, demo) if e[0] == "sso_default_moved"]
    assert len(moved) == 1

    assert await _rows(db, fresh) == [
        ("active", f"{NEW}/demo-idp/{fresh.slug}", demo_idp.client_id(fresh.slug))
    ]
    assert ("sso_configured", "embedded default (start-up)") in await _audit(db, fresh)

    assert await _rows(db, chosen) == chosen_before == [("active", a.issuer, a.client_id)]
    assert await _audit(db, chosen) == chosen_audit  # nothing happened to it

    # A second start on the same port changes nothing and records nothing.
    before = await _audit(db, demo)
    await demo_idp.provision(db, settings, [demo], NEW)
    assert await _audit(db, demo) == before


def test_only_the_demo_providers_own_rows_are_recognised() -> None:
    slug = "ahep"
    assert demo_idp.is_demo(slug, "http://127.0.0.1:9999/demo-idp/ahep", "mentorhub-ahep")
    assert demo_idp.is_demo(slug, "http://localhost:8000/demo-idp/ahep/", "mentorhub-ahep")
    assert not demo_idp.is_demo(slug, "http://127.0.0.1:9999/demo-idp/ahep", "someone-else")
    assert not demo_idp.is_demo(slug, "http://127.0.0.1:9999/demo-idp/other", "mentorhub-ahep")
    assert not demo_idp.is_demo(slug, "https://sso.example.org/demo-idp/ahep", "mentorhub-ahep")
