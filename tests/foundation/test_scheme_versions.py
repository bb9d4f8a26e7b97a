"""Scheme versions in the database: stored once, never rewritten, newest for new pairs."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from mentorhub.db import Database
from mentorhub.schemes import SchemeError, load_tenant_file
from mentorhub.schemes.models import SchemeVersion
from mentorhub.schemes.services import current_scheme, store_version
from mentorhub.settings import get_settings
from mentorhub.tenancy.errors import TenantFilesError
from mentorhub.tenancy.loading import load_tenants
from tests.foundation.helpers import make_tenant
from tests.support import as_owner


def ahep() -> object:
    return load_tenant_file(get_settings().tenants_dir / "ahep.toml").scheme


async def test_loading_twice_stores_each_version_once(db: Database) -> None:
    async with as_owner(db):  # tenant loading runs as the owner
        tenants = await load_tenants(db, get_settings().tenants_dir)
        await load_tenants(db, get_settings().tenants_dir)
    for tenant in tenants:
        async with db.tenant(tenant.id) as s:
            assert len((await s.execute(select(SchemeVersion))).scalars().all()) == 1
            assert (
                await current_scheme(s)
                == load_tenant_file(get_settings().tenants_dir / f"{tenant.slug}.toml").scheme
            )


async def test_new_version_is_current_and_old_one_is_kept(db: Database) -> None:
    tenant = await make_tenant(db)
    v1 = ahep()
    v2 = msgspec.structs.replace(v1, version=v1.version + 1, summary="Changed rules")  # type: ignore[type-var]
    async with db.tenant(tenant.id) as s:
        await store_version(s, v1, "v1")  # type: ignore[arg-type]
        await store_version(s, v2, "v2")
        assert (await current_scheme(s)).summary == "Changed rules"  # type: ignore[union-attr]
        versions = (
            (await s.execute(select(SchemeVersion.version).order_by(SchemeVersion.version)))
            .scalars()
            .all()
        )
        assert versions == [v1.version, v1.version + 1]  # type: ignore[attr-defined]


async def test_changed_rules_under_the_same_number_are_refused(db: Database) -> None:
    tenant = await make_tenant(db)
    v1 = ahep()
    changed = msgspec.structs.replace(v1, summary="Sneaky edit")  # type: ignore[type-var]
    async with db.tenant(tenant.id) as s:
        await store_version(s, v1, "v1")  # type: ignore[arg-type]
        with pytest.raises(SchemeError, match="already stored with different rules"):
            await store_version(s, changed, "v1-edited")


async def test_stored_versions_cannot_be_rewritten_in_the_database(db: Database) -> None:
    tenant = await make_tenant(db)
    async with db.tenant(tenant.id) as s:
        await store_version(s, ahep(), "v1")  # type: ignore[arg-type]
    with pytest.raises(DBAPIError, match="permission denied"):
        async with db.tenant(tenant.id) as s:
            await s.execute(text("UPDATE scheme_versions SET document = '{}'"))


async def test_a_bad_tenant_file_loads_nothing(db: Database, tmp_path: Path) -> None:
    good = (get_settings().tenants_dir / "ahep.toml").read_text()
    (tmp_path / "ahep.toml").write_text(good)
    (tmp_path / "broken.toml").write_text(
        good.replace('slug = "ahep"', 'slug = "broken"').replace(
            "[scheme]", "[scheme]\nsurprise = 1", 1
        )
    )
    with pytest.raises(TenantFilesError, match=r"broken\.toml: scheme\.surprise"):
        async with as_owner(db):
            await load_tenants(db, tmp_path)
    async with db.platform() as s:
        assert (
            await s.execute(text("SELECT count(*) FROM tenants WHERE slug IN ('ahep', 'broken')"))
        ).scalar_one() == 0
