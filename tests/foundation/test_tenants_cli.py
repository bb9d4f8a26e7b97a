"""`mentorhub tenants load` against the test database: a hostname another tenant serves is
refused with one line, and the whole load changes nothing."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from mentorhub.cli import main
from mentorhub.db import Database
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant
from tests.conftest import Servers, new_slug


def tenant_file(directory: Path, slug: str, hostname: str) -> None:
    """A copy of AHEP's file under another slug and hostname."""
    text = (get_settings().tenants_dir / "ahep.toml").read_text()
    text = text.replace('slug = "ahep"', f'slug = "{slug}"')
    text = re.sub(r"^hostnames = .*$", f'hostnames = ["{hostname}"]', text, flags=re.M)
    (directory / f"{slug}.toml").write_text(text)


def names(servers: Servers, slugs: list[str]) -> dict[str, str]:
    async def read() -> dict[str, str]:
        db = Database.connect(servers.app_url, pool_size=1)
        try:
            async with db.platform() as s:
                query = select(Tenant.slug, Tenant.name).where(Tenant.slug.in_(slugs))
                rows = await s.execute(query)
                return {slug: name for slug, name in rows.all()}
        finally:
            await db.dispose()

    return asyncio.run(read())


def load(directory: Path) -> object:
    return CliRunner().invoke(main, ["tenants", "load", str(directory)])


def test_a_hostname_of_another_tenant_is_one_line_and_changes_nothing(
    servers: Servers, tmp_path: Path
) -> None:
    first, second, third = new_slug(), new_slug(), new_slug()
    taken = f"{first}.example.org"
    (tmp_path / "one").mkdir()
    tenant_file(tmp_path / "one", first, taken)
    result = load(tmp_path / "one")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert names(servers, [first]) == {first: "Association of Higher Education Professionals"}

    # The same tenant renamed, a new tenant, and a third claiming the first one's hostname.
    (tmp_path / "two").mkdir()
    tenant_file(tmp_path / "two", first, taken)
    renamed = (tmp_path / "two" / f"{first}.toml").read_text().replace(
        'name = "Association of Higher Education Professionals"', 'name = "Renamed"'
    )
    (tmp_path / "two" / f"{first}.toml").write_text(renamed)
    tenant_file(tmp_path / "two", second, f"{second}.example.org")
    tenant_file(tmp_path / "two", third, taken)
    result = load(tmp_path / "two")

    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]
    assert result.stderr == (  # type: ignore[attr-defined]
        f"Error: {third}: hostname already serves another tenant: {taken}\n"
    )
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    # Nothing changed: the first keeps its name, the others were not created.
    assert names(servers, [first, second, third]) == {
        first: "Association of Higher Education Professionals"
    }
