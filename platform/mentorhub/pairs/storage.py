"""Where the bytes of a pair's documents live (issue 15): one small protocol, two backends.

* `DirectoryStorage` — a directory on this machine: the embedded default's (its data
  directory's `documents/`), or `MENTORHUB_STORAGE_DIR`. Each object is one file; a write
  goes to a temporary file in the same directory, is flushed to disk, then renamed into
  place, so a reader never sees half an object.
* `S3Storage` — S3-compatible object storage (production): AWS S3, MinIO, Ceph, R2, ...,
  with `boto3`, the AWS SDK for Python (the de-facto, well-kept client). Its calls block,
  so each runs in a worker thread (`asyncio.to_thread`). Set `MENTORHUB_S3_BUCKET` (and,
  as needed, `MENTORHUB_S3_ENDPOINT_URL`, `_REGION`, `_ACCESS_KEY_ID`,
  `_SECRET_ACCESS_KEY`, `_PREFIX`; without keys boto3's usual credential chain is used:
  environment, instance role, ...).

`storage_from(settings)` picks one: S3 when a bucket is set, else the directory
(`storage_dir`, else `<data_dir>/documents`, else the embedded default's data directory's
`documents/`).

Keys are opaque — `<tenant id>/<pair id>/<random>` — never a user's file name, and both
backends refuse any other shape, so no key can reach outside its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mentorhub.settings import Settings

__all__ = [
    "CHUNK",
    "DirectoryStorage",
    "Missing",
    "S3Storage",
    "Storage",
    "new_key",
    "storage_from",
]

#: Bytes per chunk when streaming an object out.
CHUNK = 256 * 1024
_UUID = r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
_KEY = re.compile(rf"{_UUID}/{_UUID}/[0-9a-f]{{32}}")


class Missing(LookupError):
    """No object under that key."""


def new_key(tenant_id: uuid.UUID, pair_id: uuid.UUID) -> str:
    """A fresh opaque key for one object of a pair."""
    return f"{tenant_id}/{pair_id}/{secrets.token_hex(16)}"


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError("not a storage key")
    return key


class Storage(Protocol):
    """An object store for documents' bytes."""

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store `data` under `key` (replacing nothing: keys are fresh)."""

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes, in chunks; Missing (raised here, before any chunk) when
        there is no such object."""

    async def delete(self, key: str) -> None:
        """Remove the object; nothing happens when it is not there."""

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""


class DirectoryStorage:
    """Objects as files under one directory (`<root>/<tenant>/<pair>/<random>`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / _checked(key)

    def _write(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await asyncio.to_thread(self._write, key, data)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self.path(key)
        try:
            fh = await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError:
            raise Missing(key) from None

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(fh.read, CHUNK):
                    yield chunk
            finally:
                fh.close()

        return chunks()

    def _delete(self, key: str) -> None:
        path = self.path(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        # Leave no empty pair or tenant directory behind.
        for parent in (path.parent, path.parent.parent):
            try:
                parent.rmdir()
            except OSError:
                break

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)


class S3Storage:
    """Objects in an S3-compatible bucket, through boto3 (blocking calls run in threads)."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=Config(
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=30,
                ),
            )
        self.client = client

    def _name(self, key: str) -> str:
        return self.prefix + _checked(key)

    @staticmethod
    def _is_missing(exc: Exception) -> bool:
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self._name(key),
            Body=data,
            ContentType=content_type,
        )

    async def open(self, key: str) -> AsyncIterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            answer = await asyncio.to_thread(
                self.client.get_object, Bucket=self.bucket, Key=self._name(key)
            )
        except ClientError as exc:
            if self._is_missing(exc):
                raise Missing(key) from None
            raise
        body = answer["Body"]

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(body.read, CHUNK):
                    yield chunk
            finally:
                body.close()

        return chunks()

    async def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success.
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._name(key))

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await asyncio.to_thread(
                self.client.head_object, Bucket=self.bucket, Key=self._name(key)
            )
        except ClientError as exc:
            if self._is_missing(exc):
                return False
            raise
        return True


def storage_from(settings: Settings) -> DirectoryStorage | S3Storage:
    """The storage the settings name: S3 when a bucket is set, else a directory."""
    if settings.s3_bucket:
        return S3Storage(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    if settings.storage_dir is not None:
        return DirectoryStorage(settings.storage_dir)
    if settings.data_dir is not None:
        return DirectoryStorage(settings.data_dir / "documents")
    import platformdirs

    return DirectoryStorage(platformdirs.user_data_path("mentorhub") / "documents")


def require_storage(settings: Settings) -> None:
    """Production start-up: one clear line when no storage for documents is named. Without
    it documents would land on the local disk of whichever web machine took the upload, and
    the other machines would not find them."""
    if os.environ.get("MENTORHUB_EMBEDDED") == "1":
        return
    if settings.s3_bucket is None and settings.storage_dir is None:
        print(
            "mentorhub: neither MENTORHUB_S3_BUCKET nor MENTORHUB_STORAGE_DIR is set "
            "(production mode keeps the pairs' documents in S3-compatible storage, or in a "
            "directory every web and worker process shares)",
            file=sys.stderr,
        )
        raise SystemExit(1)
