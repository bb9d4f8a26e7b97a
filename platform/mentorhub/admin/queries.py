"""What the tenant admin's scheme pages read: the stored versions with how many pairs run
on each, the current version's document and the tenant's wording of messages. Counts only:
no pair's content is read here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, column, func, literal_column, select, table

from mentorhub.schemes.models import SchemeVersion
from mentorhub.web.reads import RequestReads

__all__ = ["Current", "VersionRow", "current", "pairs_by_version", "versions"]

# Columns other areas own, read by name only (the admin area imports no pairs' models).
_pairs = table("pairs", column("scheme_version"))
_created_at = literal_column("scheme_versions.created_at", DateTime(timezone=True))
_message_templates = table("message_templates", column("kind"), column("subject"), column("body"))


@dataclass(frozen=True)
class VersionRow:
    version: int
    source: str
    created_by: str | None
    summary: str
    created_at: datetime
    pairs: int


@dataclass(frozen=True)
class Current:
    version: int
    document: dict[str, Any]
    messages: dict[str, dict[str, str]]
    row: VersionRow


async def pairs_by_version(reads: Any, tenant_id: Any) -> dict[int, int]:
    async with reads.tenant(tenant_id) as session:
        rows = await session.execute(
            select(_pairs.c.scheme_version, func.count()).group_by(_pairs.c.scheme_version)
        )
        return {int(v): int(n) for v, n in rows}


async def versions(reads: RequestReads | Any, tenant_id: Any) -> list[VersionRow]:
    """Every stored version, newest first, with its pairs."""
    counts = await pairs_by_version(reads, tenant_id)
    async with reads.tenant(tenant_id) as session:
        rows = await session.execute(
            select(
                SchemeVersion.version,
                SchemeVersion.source,
                SchemeVersion.created_by,
                SchemeVersion.summary,
                _created_at,
            ).order_by(SchemeVersion.version.desc())
        )
        return [
            VersionRow(v, source, by, summary or "", at, counts.get(v, 0))
            for v, source, by, summary, at in rows
        ]


async def current(reads: Any, tenant_id: Any) -> Current | None:
    """The newest version (its document and row) and the tenant's wording; None: no scheme."""
    found = await versions(reads, tenant_id)
    if not found:
        return None
    newest = found[0]
    async with reads.tenant(tenant_id) as session:
        document = (
            await session.execute(
                select(SchemeVersion.document).where(SchemeVersion.version == newest.version)
            )
        ).scalar_one()
        words = await session.execute(
            select(
                _message_templates.c.kind, _message_templates.c.subject, _message_templates.c.body
            )
        )
        messages: dict[str, dict[str, str]] = {}
        for kind, subject, body in words:
            entry = {k: v for k, v in (("subject", subject), ("body", body)) if v}
            if entry:
                messages[kind] = entry
    return Current(newest.version, dict(document), messages, newest)


async def document_of(reads: Any, tenant_id: Any, version: int) -> dict[str, Any] | None:
    async with reads.tenant(tenant_id) as session:
        found = (
            await session.execute(
                select(SchemeVersion.document).where(SchemeVersion.version == version)
            )
        ).scalar_one_or_none()
    return dict(found) if found is not None else None
