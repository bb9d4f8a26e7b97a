"""The pair's documents (issue 15, where the scheme's `relationship.shared_space` lists
"documents"): share a file, take it down. Reads are in `pairs.queries_chat`.

`upload_document`:

1. checks, before anything is stored — the pair is one the actor is in and live, the scheme
   has documents; the file is at most `space.documents.max_mb` MB (MiB), has a plain name
   and a type the scheme lists, and its bytes are that type (`pairs.sniff`: a disguised
   HTML page named report.pdf, an archive, a zip bomb are refused). A refusal is a problem
   at the `file` field; nothing is stored and no row is written;
2. writes the bytes to the storage (`pairs.storage`) under a fresh opaque key;
3. in one tenant transaction — the pair locked FOR SHARE and checked live again (it may
   have ended meanwhile) — writes the row (the sniffed content type, size, SHA-256) and its
   audit row `document_shared` (ids, size and type; never the file's name: the tenant admin
   reads the audit log). If that transaction fails for any reason, the stored object is
   deleted again: no orphan.

The bytes are stored outside the transaction on purpose: an upload to S3 can take seconds,
and a transaction held open (and the pair's row locked) across it would be idle in the
database for that long.

`remove_document` — only the person who shared it, while the pair is live: one transaction
marks the row removed (`removed_at`, `removed_by`; the row stays for the history) with its
audit row `document_removed`; after it commits the bytes are deleted (a failure to delete is
logged with the key; the row already says removed and the file can no longer be
downloaded).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.pairs.access import Space, require_writable, space_for
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.sniff import BadFile, sniff
from mentorhub.pairs.space_models import Document
from mentorhub.pairs.storage import Storage, new_key

__all__ = ["MB", "check_upload", "remove_document", "upload_document"]

#: One megabyte as the scheme's `max_mb` counts it.
MB = 1024 * 1024

log = logging.getLogger("mentorhub.pairs.documents")


def _size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def _writable_with_documents(space: Space) -> Space:
    require_writable(space)
    if not space.has_documents:
        raise NotFound("documents")
    return space


def check_upload(
    space: Space, filename: str, data: bytes, size: int | None = None
) -> tuple[str, str]:
    """The file's kept name and its sniffed content type, or Problems at `file`. `size`:
    the file's true size when `data` is not all of it (the page reads no more than the
    limit and one byte)."""
    limit = space.scheme.space.documents.max_mb * MB
    size = max(len(data), size or 0)
    try:
        if size > limit:
            raise BadFile(
                f"The file is too large ({_size(size)}): files can be at most "
                f"{space.scheme.space.documents.max_mb} MB"
            )
        name, found = sniff(data, filename, space.scheme.space.documents.types)
    except BadFile as exc:
        raise Problems([Problem(path="file", message=exc.message)]) from None
    return name, found.content_type


async def upload_document(
    db: Database,
    storage: Storage,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    filename: str,
    data: bytes,
    size: int | None = None,
    now: datetime | None = None,
) -> Document:
    """Share a file in the pair's space (see the module docstring). `size`: the file's
    true size when `data` was cut short (refused as too large)."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id) as session:
        space = _writable_with_documents(await space_for(session, pair_id, actor_id))
    # Sniffing and hashing up to 100 MB take a while: off the event loop.
    name, content_type = await asyncio.to_thread(check_upload, space, filename, data, size)
    key = new_key(tenant_id, space.pair.id)
    digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    await storage.put(key, data, content_type=content_type)
    try:
        async with db.tenant(tenant_id) as session:
            space = _writable_with_documents(await space_for(session, pair_id, actor_id, lock=True))
            document = Document(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                pair_id=space.pair.id,
                uploaded_by=space.viewer.id,
                filename=name,
                content_type=content_type,
                size_bytes=len(data),
                sha256=digest,
                storage_key=key,
                created_at=now,
            )
            session.add(document)
            audit.record(
                session,
                "document_shared",
                actor=space.viewer.email,
                subject=str(space.pair.id),
                details={
                    "document": str(document.id),
                    "size_bytes": len(data),
                    "content_type": content_type,
                },
            )
            await session.flush()
    except BaseException:
        # No orphan: the row did not commit, so the bytes go. Shielded, so a cancelled
        # request still removes them.
        try:
            await asyncio.shield(storage.delete(key))
        except Exception:  # pragma: no cover - logged; the original error is raised
            log.exception("could not delete the stored object %s after a failed upload", key)
        raise
    return document


async def remove_document(
    db: Database,
    storage: Storage,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    document_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> Document:
    """Take a shared file down: its uploader only, while the pair is live."""
    now = now or datetime.now(UTC)
    try:
        key = uuid.UUID(str(document_id))
    except ValueError:
        raise NotFound("document") from None
    async with db.tenant(tenant_id) as session:
        space = _writable_with_documents(await space_for(session, pair_id, actor_id, lock=True))
        document = (
            await session.execute(
                select(Document)
                .where(Document.pair_id == space.pair.id, Document.id == key)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if document is None:
            raise NotFound("document")
        if document.removed_at is not None:
            raise Refused("This document was removed already.")
        if document.uploaded_by != space.viewer.id:
            raise Refused("Only the person who shared a document can remove it.")
        document.removed_at = now
        document.removed_by = space.viewer.id
        audit.record(
            session,
            "document_removed",
            actor=space.viewer.email,
            subject=str(space.pair.id),
            details={"document": str(document.id)},
        )
        await session.flush()
    try:
        await storage.delete(document.storage_key)
    except Exception:
        log.exception(
            "document %s removed, but its stored object %s was not deleted",
            document.id,
            document.storage_key,
        )
    return document
