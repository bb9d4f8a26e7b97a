"""The S3-compatible storage backend (pairs/storage.py S3Storage, boto3) against moto's S3
emulator in server mode on loopback — an emulator, not real S3: it shows our calls (put,
streamed get, head, delete, a missing key, the prefix) are right as S3's API defines them,
over real HTTP, and nothing about a provider's own behaviour."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from mentorhub.pairs.storage import Missing, S3Storage, new_key


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


async def test_s3_storage_round_trip(s3_endpoint: str) -> None:
    storage = S3Storage(
        "mentorhub-documents",
        prefix="tenant-files",
        endpoint_url=s3_endpoint,
        region="eu-west-2",
        access_key_id="testing",
        secret_access_key="testing",
    )
    storage.client.create_bucket(
        Bucket="mentorhub-documents",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-2"},
    )
    key = new_key(uuid.uuid4(), uuid.uuid4())
    data = bytes(range(256)) * 4000  # ~1 MB: several chunks
    assert not await storage.exists(key)
    await storage.put(key, data, content_type="application/pdf")
    assert await storage.exists(key)
    head = storage.client.head_object(Bucket="mentorhub-documents", Key=f"tenant-files/{key}")
    assert head["ContentType"] == "application/pdf" and head["ContentLength"] == len(data)
    chunks = [c async for c in await storage.open(key)]
    assert len(chunks) > 1 and b"".join(chunks) == data
    await storage.delete(key)
    assert not await storage.exists(key)
    await storage.delete(key)  # a missing key: fine
    with pytest.raises(Missing):
        await storage.open(key)
    with pytest.raises(ValueError):
        await storage.put("../elsewhere", b"x", content_type="text/plain")
