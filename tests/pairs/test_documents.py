"""The pair's documents (issue 15) through the real app over HTTP, with real PostgreSQL and
the directory storage in a temporary directory: a PDF shared and downloaded byte for byte
with the safe headers; refusals (a disguised HTML file named report.pdf, an oversized file,
a zip and a zip bomb, a type the tenant does not list, a name with folders) leave nothing in
the table and nothing in the storage; the other pair, the coordinator and the tenant admin
get the 404 page; removal by the uploader only (the bytes go, the row stays); read-only
after the end; a row that fails to commit takes its bytes with it; schemes without
documents answer 404."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.db import Database, NotFound
from mentorhub.pairs.access import ReadOnly
from mentorhub.pairs.services import end_pair
from mentorhub.pairs.services.documents import MB, upload_document
from mentorhub.pairs.space_models import Document
from mentorhub.pairs.storage import DirectoryStorage, S3Storage, storage_from
from mentorhub.settings import Settings
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.documents_files import GIF, HTML, PDF, plain_zip, zip_bomb
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
async def client(
    db: Database,
    settings: Settings,  # noqa: F811
    storage_dir: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dataclasses.replace(settings, storage_dir=storage_dir), db=db)
    async with serving(app, base_url=BASE) as c:
        yield c


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page.text)))


def stored(storage_dir: Path) -> list[Path]:
    return sorted(p for p in storage_dir.rglob("*") if p.is_file()) if storage_dir.exists() else []


async def rows(db: Database, pw: PairWorld) -> list[Document]:
    async with db.tenant(pw.id) as session:
        found = await session.execute(
            select(Document).where(Document.pair_id == pw.pair.id).order_by(Document.created_at)
        )
        return list(found.scalars())


async def token(client: httpx.AsyncClient, pw: PairWorld) -> str:
    page = await client.get(f"/t/{pw.world.tenant.slug}/me")
    found = CSRF.search(page.text)
    assert found, page.text[:300]
    return found.group(1)


async def upload(
    client: httpx.AsyncClient,
    pw: PairWorld,
    name: str,
    data: bytes,
    claimed: str = "application/pdf",
) -> httpx.Response:
    return await client.post(
        pw.url("/documents"),
        data={"_csrf_token": await token(client, pw)},
        files={"file": (name, data, claimed)},
    )


async def test_share_a_pdf_and_download_it_safely(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage_dir: Path,
) -> None:
    pw = await pair_world(db, "ahep")
    await sign_in_as(client, settings, pw.world, pw.mentor)
    page = await client.get(pw.url("/documents"))
    assert page.status_code == 200
    assert "Up to 10 MB" in text(page) and 'enctype="multipart/form-data"' in page.text

    sent = await upload(client, pw, "Plan för 2027.pdf", PDF)
    assert sent.status_code == 303, sent.text[:2000]
    assert sent.headers["location"].endswith(f"/pairs/{pw.pair.id}/documents")
    [row] = await rows(db, pw)
    assert row.filename == "Plan för 2027.pdf" and row.content_type == "application/pdf"
    assert row.size_bytes == len(PDF) and row.sha256 == hashlib.sha256(PDF).hexdigest()
    assert row.uploaded_by == pw.mentor.id
    [path] = stored(storage_dir)
    assert path.read_bytes() == PDF
    assert "Plan" not in str(path) and str(pw.pair.id) in str(path)  # opaque key

    listing = await client.get(pw.url("/documents"))
    assert "Plan för 2027.pdf is shared with Theo Mentee." in text(listing)

    # The other person downloads it: the same bytes, as an attachment, never inline.
    await sign_in_as(client, settings, pw.world, pw.mentee)
    words = text(await client.get(pw.url("/documents")))
    assert "Plan för 2027.pdf" in words and "shared by Maya Mentor" in words
    got = await client.get(pw.url(f"/documents/{row.id}"))
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"Plan for 2027.pdf\"; filename*=UTF-8''"
        + quote("Plan för 2027.pdf", safe="")
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"].startswith("sandbox")
    assert "no-store" in got.headers["cache-control"]
    # The other person may not remove what they did not share.
    refused = await client.post(
        pw.url(f"/documents/{row.id}/remove"), data={"_csrf_token": await token(client, pw)}
    )
    assert refused.status_code == 409
    assert "Only the person who shared a document can remove it" in text(refused)
    assert stored(storage_dir) == [path]


@pytest.mark.parametrize(
    ("name", "data", "claimed", "words"),
    [
        ("report.pdf", HTML, "application/pdf", "not in PDF format"),
        ("report.pdf", b"%PDF-" + b"\x00" * (10 * MB), "application/pdf", "too large (10.0 MB)"),
        ("bomb.zip", plain_zip(), "application/zip", "Archives and compressed files"),
        ("report.docx", zip_bomb(), "application/octet-stream", "zip bomb"),
        ("anim.gif", GIF, "image/gif", "GIF image files cannot be shared here"),
        ("page.html", HTML, "text/html", "cannot be shared here"),
        ("../../secret.pdf", PDF, "application/pdf", "without folders"),
        ("empty.pdf", b"", "application/pdf", "The file is empty"),
    ],
)
async def test_refused_files_leave_nothing_behind(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage_dir: Path,
    name: str,
    data: bytes,
    claimed: str,
    words: str,
) -> None:
    pw = await pair_world(db, "ahep")
    await sign_in_as(client, settings, pw.world, pw.mentor)
    refused = await upload(client, pw, name, data, claimed)
    assert refused.status_code == 400, refused.text[:2000]
    page = text(refused)
    assert "The file was not shared" in page and words in page
    assert 'href="#file"' in refused.text and 'aria-invalid="true"' in refused.text
    assert await rows(db, pw) == []
    assert stored(storage_dir) == []


async def test_no_file_chosen(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage_dir: Path,
) -> None:
    pw = await pair_world(db, "ahep")
    await sign_in_as(client, settings, pw.world, pw.mentor)
    refused = await client.post(
        pw.url("/documents"),
        data={"_csrf_token": await token(client, pw)},
        files={"other": ("x.txt", b"x", "text/plain")},
    )
    assert refused.status_code == 400 and "Choose a file to upload" in refused.text
    assert await rows(db, pw) == [] and stored(storage_dir) == []


async def test_others_get_not_found(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage_dir: Path,
) -> None:
    pw = await pair_world(db, "ahep")
    await sign_in_as(client, settings, pw.world, pw.mentor)
    assert (await upload(client, pw, "report.pdf", PDF)).status_code == 303
    [row] = await rows(db, pw)
    for who in (pw.other_mentor, pw.other_mentee, pw.world.coordinator, pw.world.admin):
        await sign_in_as(client, settings, pw.world, who)
        listing = await client.get(pw.url("/documents"))
        assert listing.status_code == 404 and "report.pdf" not in listing.text
        download = await client.get(pw.url(f"/documents/{row.id}"))
        assert download.status_code == 404 and download.content != PDF
        assert (await upload(client, pw, "mine.pdf", PDF)).status_code == 404
        removal = await client.post(
            pw.url(f"/documents/{row.id}/remove"), data={"_csrf_token": await token(client, pw)}
        )
        assert removal.status_code == 404
    # The document through the other pair's address: not found either.
    await sign_in_as(client, settings, pw.world, pw.other_mentor)
    theirs = f"/t/{pw.world.tenant.slug}/pairs/{pw.other_pair.id}/documents/{row.id}"
    assert (await client.get(theirs)).status_code == 404
    assert len(await rows(db, pw)) == 1 and len(stored(storage_dir)) == 1


async def test_removal_deletes_the_bytes_and_keeps_the_row(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage_dir: Path,
) -> None:
    pw = await pair_world(db, "ahep")
    await sign_in_as(client, settings, pw.world, pw.mentor)
    assert (await upload(client, pw, "report.pdf", PDF)).status_code == 303
    [row] = await rows(db, pw)
    removed = await client.post(
        pw.url(f"/documents/{row.id}/remove"), data={"_csrf_token": await token(client, pw)}
    )
    assert removed.status_code == 303
    assert "report.pdf was removed." in text(await client.get(pw.url("/documents")))
    [row] = await rows(db, pw)
    assert row.removed_at is not None and row.removed_by == pw.mentor.id
    assert stored(storage_dir) == []
    assert (await client.get(pw.url(f"/documents/{row.id}"))).status_code == 404
    again = await client.post(
        pw.url(f"/documents/{row.id}/remove"), data={"_csrf_token": await token(client, pw)}
    )
    assert again.status_code == 409 and "removed already" in again.text
    await sign_in_as(client, settings, pw.world, pw.mentee)
    words = text(await client.get(pw.url("/documents")))
    assert "removed by Maya Mentor" in words


async def test_read_only_after_the_end(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage_dir: Path,
) -> None:
    pw = await pair_world(db, "ahep")
    await sign_in_as(client, settings, pw.world, pw.mentor)
    assert (await upload(client, pw, "report.pdf", PDF)).status_code == 303
    [row] = await rows(db, pw)
    await end_pair(db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed")
    page = await client.get(pw.url("/documents"))
    assert page.status_code == 200
    assert 'type="file"' not in page.text and "/remove" not in page.text
    assert (await client.get(pw.url(f"/documents/{row.id}"))).content == PDF  # still readable
    refused = await upload(client, pw, "late.pdf", PDF)
    assert refused.status_code == 409 and "read-only" in refused.text
    removal = await client.post(
        pw.url(f"/documents/{row.id}/remove"), data={"_csrf_token": await token(client, pw)}
    )
    assert removal.status_code == 409
    assert len(await rows(db, pw)) == 1 and len(stored(storage_dir)) == 1


class EndingStorage(DirectoryStorage):
    """Ends the pair right after the bytes are stored — the pair ending between the checks
    and the row: the row's transaction is refused, and the bytes must go."""

    def __init__(self, root: Path, db: Database, pw: PairWorld) -> None:
        super().__init__(root)
        self.db, self.pw = db, pw

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await super().put(key, data, content_type=content_type)
        assert await self.exists(key)
        await end_pair(self.db, self.pw.id, self.pw.world.coordinator.id, self.pw.pair.id)


async def test_a_row_that_fails_takes_its_bytes_with_it(db: Database, tmp_path: Path) -> None:
    pw = await pair_world(db, "ahep")
    storage = EndingStorage(tmp_path / "docs", db, pw)
    with pytest.raises(ReadOnly):
        await upload_document(
            db, storage, pw.id, pw.mentor.id, pw.pair.id, filename="report.pdf", data=PDF
        )
    assert await rows(db, pw) == []
    assert stored(tmp_path / "docs") == []


@pytest.mark.parametrize(
    "slug", ["museums-association", "advice-skills-academy", "alberta-museums", "arts-marketing"]
)
async def test_schemes_without_documents_answer_not_found(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage_dir: Path,
    slug: str,
) -> None:
    pw = await pair_world(db, slug)
    await sign_in_as(client, settings, pw.world, pw.mentor)
    assert (await client.get(pw.url("/documents"))).status_code == 404
    assert (await upload(client, pw, "report.pdf", PDF)).status_code == 404
    with pytest.raises(NotFound):
        await upload_document(
            db,
            DirectoryStorage(storage_dir),
            pw.id,
            pw.mentor.id,
            pw.pair.id,
            filename="report.pdf",
            data=PDF,
        )
    assert await rows(db, pw) == [] and stored(storage_dir) == []


def test_storage_is_chosen_by_the_settings(
    settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    chosen = storage_from(dataclasses.replace(settings, storage_dir=tmp_path, s3_bucket=None))
    assert isinstance(chosen, DirectoryStorage) and chosen.root == tmp_path
    embedded = storage_from(
        dataclasses.replace(settings, storage_dir=None, data_dir=tmp_path, s3_bucket=None)
    )
    assert isinstance(embedded, DirectoryStorage) and embedded.root == tmp_path / "documents"
    s3 = storage_from(
        dataclasses.replace(
            settings,
            s3_bucket="docs",
            s3_endpoint_url="http://127.0.0.1:9",
            s3_region="eu-west-2",
            s3_access_key_id="id",
            s3_secret_access_key="secret",
            s3_prefix="mentorhub",
        )
    )
    assert isinstance(s3, S3Storage) and s3.bucket == "docs" and s3.prefix == "mentorhub/"


async def test_directory_storage_round_trip_and_refuses_other_keys(tmp_path: Path) -> None:
    import uuid

    from mentorhub.pairs.storage import Missing, new_key

    storage = DirectoryStorage(tmp_path)
    key = new_key(uuid.uuid4(), uuid.uuid4())
    data = bytes(range(256)) * 5000  # several chunks
    await storage.put(key, data, content_type="application/octet-stream")
    assert await storage.exists(key)
    chunks = [c async for c in await storage.open(key)]
    assert len(chunks) > 1 and b"".join(chunks) == data
    await storage.delete(key)
    assert not await storage.exists(key)
    assert list(tmp_path.rglob("*")) == []  # no empty folders left
    await storage.delete(key)  # deleting again is fine
    with pytest.raises(Missing):
        await storage.open(key)
    for bad in ("../x", "a/b/c", key + "/..", "/etc/passwd", key.upper()):
        with pytest.raises(ValueError):
            await storage.put(bad, b"x", content_type="text/plain")


def test_storage_settings_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from mentorhub.settings import SettingsError

    for name in ("BUCKET", "ENDPOINT_URL", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY"):
        monkeypatch.delenv(f"MENTORHUB_S3_{name}", raising=False)
    monkeypatch.setenv("MENTORHUB_STORAGE_DIR", "/srv/mentorhub/documents")
    read = Settings.from_env()
    assert read.storage_dir == Path("/srv/mentorhub/documents") and read.s3_bucket is None
    monkeypatch.setenv("MENTORHUB_S3_BUCKET", "docs")
    monkeypatch.setenv("MENTORHUB_S3_ENDPOINT_URL", "https://s3.example.org")
    monkeypatch.setenv("MENTORHUB_S3_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("MENTORHUB_S3_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("MENTORHUB_S3_PREFIX", "prod")
    read = Settings.from_env()
    assert (read.s3_bucket, read.s3_endpoint_url, read.s3_prefix) == (
        "docs",
        "https://s3.example.org",
        "prod",
    )
    monkeypatch.delenv("MENTORHUB_S3_SECRET_ACCESS_KEY")
    with pytest.raises(SettingsError, match="MENTORHUB_S3_SECRET_ACCESS_KEY is not set"):
        Settings.from_env()
    monkeypatch.setenv("MENTORHUB_S3_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("MENTORHUB_S3_ENDPOINT_URL", "ftp://s3.example.org")
    with pytest.raises(SettingsError, match="MENTORHUB_S3_ENDPOINT_URL"):
        Settings.from_env()
    monkeypatch.delenv("MENTORHUB_S3_ENDPOINT_URL")
    monkeypatch.delenv("MENTORHUB_S3_BUCKET")
    with pytest.raises(SettingsError, match="MENTORHUB_S3_BUCKET is not set"):
        Settings.from_env()
