"""The tenant admin's scheme actions: storing a new scheme version from the console.

`store_scheme_version` is one tenant transaction: the scheme engine checks the document
again (a proposal is never trusted for having been previewed), the version stored is always
the current one plus one, whatever the document says, the tenant's wording of messages is
replaced by the proposal's, and the audit row `scheme.version_stored` records what changed.
Two confirmations of proposals made against the same version race for one lock: the
second finds the scheme moved on and is refused (`StaleScheme`), storing nothing.

Branding and contact addresses are the settings page's (`admin/settings_services.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from mentorhub.admin.scheme_edit import Change, texts_of
from mentorhub.core import audit
from mentorhub.db import Database
from mentorhub.schemes.errors import Problem, SchemeError
from mentorhub.schemes.messages import check_messages, message_texts
from mentorhub.schemes.services import latest_version, store_message_texts, store_version
from mentorhub.schemes.validate import parse_scheme

__all__ = ["StaleScheme", "store_scheme_version"]

#: How many changed paths the audit row lists (the summary names them in words).
AUDIT_CHANGES = 200


class StaleScheme(Exception):
    """The scheme changed since the proposal was made: it must be reviewed again."""

    def __init__(self, base_version: int, current: int | None) -> None:
        super().__init__(f"proposal made against version {base_version}; current is {current}")
        self.base_version = base_version
        self.current = current


async def store_scheme_version(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    actor_email: str,
    document: Mapping[str, Any],
    source: str,
    summary: str,
    *,
    base_version: int,
    messages: Mapping[str, Mapping[str, str]],
    changes: list[Change] | None = None,
) -> int:
    """Store `document` as version `base_version + 1` with `messages` as the tenant's
    wording; the new version's number. Raises StaleScheme when the current version is no
    longer `base_version`, SchemeError when the document or the wording is invalid; either
    way nothing is stored."""
    data = dict(document)
    async with db.tenant(tenant_id) as session:
        # One proposal at a time per tenant: the second waits, then finds it stale.
        await session.execute(
            select(func.pg_advisory_xact_lock(func.hashtextextended(f"scheme:{tenant_id}", 0)))
        )
        latest = await latest_version(session)
        current = latest.version if latest is not None else None
        if current != base_version:
            raise StaleScheme(base_version, current)
        version = base_version + 1
        data["version"] = version
        scheme = parse_scheme(data, source)
        table = texts_of(messages)
        found = check_messages(table)
        if found:
            raise SchemeError(Problem(file=source, path=p, message=m) for p, m in found)
        await store_version(session, scheme, source, created_by=actor_email, summary=summary)
        await store_message_texts(session, message_texts(table))
        audit.record(
            session,
            "scheme.version_stored",
            actor=actor_email,
            subject=str(actor_id) if actor_id else None,
            details={
                "version": version,
                "base_version": base_version,
                "source": source,
                "summary": summary,
                "changes": [f"{c.kind} {c.path}" for c in (changes or [])[:AUDIT_CHANGES]],
            },
        )
    return version
