"""Storing and reading scheme versions. A pair keeps the version it started under, so a
stored version is immutable: changing the rules means a new `version` number.

A tenant's own wording of messages (`[messages.<kind>]`) is *not* part of a version: it is
the tenant's current wording, replaced whole at each load (`store_message_texts`), in table
`message_templates`, which delivery reads. Wording is not a rule a pair signed up to: a
corrected sentence should reach every pair, and mail about no pair at all (an approval
link, a role change) has no version to choose from."""

from __future__ import annotations

from functools import lru_cache

import msgspec
from sqlalchemy import column, delete, insert, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.session import current_tenant
from mentorhub.schemes.errors import Problem, SchemeError
from mentorhub.schemes.loader import scheme_document
from mentorhub.schemes.messages import MessageText
from mentorhub.schemes.models import SchemeVersion
from mentorhub.schemes.rules import Scheme
from mentorhub.schemes.validate import parse_scheme


async def store_version(
    session: AsyncSession,
    scheme: Scheme,
    source: str,
    *,
    created_by: str | None = None,
    summary: str = "",
) -> SchemeVersion:
    """Store `scheme` as its version, or find it already stored. A different document under
    a number already stored is refused: it would change the rules of running pairs.
    `created_by` (who stored it from the tenant admin's console; None: a tenant file) and
    `summary` (what it changed) are kept with a new row."""
    document = scheme_document(scheme)
    stored = (
        await session.execute(select(SchemeVersion).where(SchemeVersion.version == scheme.version))
    ).scalar_one_or_none()
    if stored is not None:
        if stored.document != document:
            raise SchemeError(
                [
                    Problem(
                        file=source,
                        path="scheme.version",
                        message=f"version {scheme.version} is already stored with different rules; "
                        "give the changed scheme a new version number",
                    )
                ]
            )
        return stored
    latest = (
        await session.execute(
            select(SchemeVersion.version).order_by(SchemeVersion.version.desc()).limit(1)
        )
    ).scalar_one_or_none()
    if latest is not None and scheme.version < latest:
        raise SchemeError(
            [
                Problem(
                    file=source,
                    path="scheme.version",
                    message=f"must not go back: version {latest} is already stored",
                )
            ]
        )
    row = SchemeVersion(
        tenant_id=current_tenant(session),
        version=scheme.version,
        document=document,
        source=source,
        created_by=created_by,
        summary=summary,
    )
    session.add(row)
    await session.flush()
    return row


async def latest_version(session: AsyncSession) -> SchemeVersion | None:
    """The tenant's newest stored version's row (None: nothing stored yet)."""
    return (
        await session.execute(select(SchemeVersion).order_by(SchemeVersion.version.desc()).limit(1))
    ).scalar_one_or_none()


def console_keeps(latest: SchemeVersion | None, file_version: int) -> bool:
    """Whether loading a tenant file of `file_version` leaves the tenant's scheme (and its
    wording of messages) alone: its newest version was stored from the console and is at
    least the file's number. A tenant admin's edit outlives every restart; a file with a
    newer number still wins (the platform's own change to the rules)."""
    return latest is not None and latest.created_by is not None and latest.version >= file_version


# The table is the messages area's (`messages.models.TemplateOverride`, migration 0010);
# tenancy, which stores tenant files, must not import that area, so only its columns here.
_message_templates = table(
    "message_templates", column("tenant_id"), column("kind"), column("subject"), column("body")
)


async def store_message_texts(session: AsyncSession, texts: tuple[MessageText, ...]) -> None:
    """Make the tenant's stored wording exactly `texts` (already validated by the loader):
    kinds no longer in the file go back to the product's own text."""
    tenant_id = current_tenant(session)
    # RLS limits this to the tenant's rows too; the WHERE keeps it so for a role that
    # bypasses row-level security.
    await session.execute(
        delete(_message_templates).where(_message_templates.c.tenant_id == tenant_id)
    )
    if texts:
        await session.execute(
            insert(_message_templates),
            [
                {"tenant_id": tenant_id, "kind": t.kind, "subject": t.subject, "body": t.body}
                for t in texts
            ],
        )


@lru_cache(maxsize=256)
def _parse(document_json: bytes, source: str) -> Scheme:
    return parse_scheme(msgspec.json.decode(document_json), source)


async def current_scheme(session: AsyncSession) -> Scheme | None:
    """The newest version of the tenant's scheme: the one new pairs start under."""
    row = (
        await session.execute(select(SchemeVersion).order_by(SchemeVersion.version.desc()).limit(1))
    ).scalar_one_or_none()
    if row is None:
        return None
    return _parse(msgspec.json.encode(row.document), f"stored version {row.version}")
