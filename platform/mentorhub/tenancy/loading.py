"""Loading the tenant files into the database: every file validated first, then each tenant
created or updated, its scheme version stored and its own wording of messages
(`[messages.<kind>]`) put in place of the previous one. Production (`mentorhub tenants load`)
and the embedded default both load tenants this way.

The wording goes to `message_templates`, not into the scheme version: a pair keeps the
*rules* it started under, but a reworded reminder should reach every pair at once, and
rewording must not need a new version number (a stored version is immutable and
`store_version` refuses a changed document under an old number).

A tenant admin may store newer versions from the console (`mentorhub.admin`). Once the newest
stored version came from the console and is at least the file's number, loading leaves the
scheme and the wording as the console left them (one info line says so); a file with a newer
number is stored as before."""

from __future__ import annotations

import logging
from pathlib import Path

from mentorhub.db import Database
from mentorhub.schemes import SchemeError, TenantFile, load_tenant_file
from mentorhub.schemes.services import (
    console_keeps,
    latest_version,
    store_message_texts,
    store_version,
)
from mentorhub.tenancy.directory import invalidate
from mentorhub.tenancy.errors import TenantFilesError
from mentorhub.tenancy.models import Tenant
from mentorhub.tenancy.services import upsert_tenant

log = logging.getLogger(__name__)


def read_tenant_dir(tenants_dir: Path) -> list[TenantFile]:
    """Validate every file first, so a bad one is reported with all the others' problems
    and nothing is loaded."""
    paths = sorted(tenants_dir.glob("*.toml"))
    if not paths:
        raise TenantFilesError(f"{tenants_dir}: no tenant files (*.toml)")
    files: list[TenantFile] = []
    problems: list[str] = []
    for path in paths:
        try:
            files.append(load_tenant_file(path))
        except SchemeError as exc:
            problems.extend(str(p) for p in exc.problems)
    if problems:
        raise TenantFilesError("\n".join(problems))
    return files


async def load_tenants(
    db: Database, tenants_dir: Path, *, files: list[TenantFile] | None = None
) -> list[Tenant]:
    """Create or update every tenant in `tenants_dir` (or the `files` already read from it)
    and store its scheme version. The tenants themselves are one platform transaction (a
    hostname another tenant serves raises :class:`TenantConflict` and changes nothing); each
    tenant's scheme version and wording of messages are then one transaction of its own."""
    files = files if files is not None else read_tenant_dir(tenants_dir)
    async with db.platform() as session:
        tenants = [await upsert_tenant(session, f.tenant) for f in files]
    invalidate()  # committed now
    for tenant, file in zip(tenants, files, strict=True):
        async with db.tenant(tenant.id) as session:
            latest = await latest_version(session)
            if console_keeps(latest, file.scheme.version):
                assert latest is not None
                log.info(
                    "tenant %s: keeping scheme version %d stored from the console by %s "
                    "(%s has version %d)",
                    tenant.slug,
                    latest.version,
                    latest.created_by,
                    file.path,
                    file.scheme.version,
                )
                continue
            try:
                await store_version(session, file.scheme, file.path)
                await store_message_texts(session, file.messages)
            except SchemeError as exc:
                raise TenantFilesError("\n".join(str(p) for p in exc.problems)) from None
    return tenants
