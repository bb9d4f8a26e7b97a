"""What an uploaded file really is (issue 15, the pair's documents) — pure, no I/O.

A file is accepted only when three things agree: its name (one plain file name, no path
parts, no control or invisible characters, an extension we know), the tenant's list of types
(`scheme.space.documents.types`), and its bytes. The bytes are checked against a small table
of magic numbers for exactly the types a scheme may list — our own, so no library's guess
decides, and nothing outside the table is ever accepted:

* PDF `%PDF-` at the very start; PNG, JPEG, GIF, WebP by their signatures;
* Word 97–2003 (.doc) and Excel 97–2003 (.xls): the OLE2 compound-file signature and the
  stream name the program writes (`WordDocument`; `Workbook` or `Book`);
* OOXML (.docx, .xlsx, .pptx) and ODF (.odt, .ods, .odp) are zip containers: the zip must
  start at byte 0 (so "HTML, then a zip" polyglots fail), and the inner
  `[Content_Types].xml` must declare the main part of exactly that document kind (a
  macro-enabled .docm renamed .docx is refused), or the ODF `mimetype` entry must be the
  first entry and name exactly that kind. Only that one small entry is ever inflated, and
  only after its declared size is checked; a container whose entries declare more than
  `MAX_INFLATED` bytes in all, or an entry compressed more than `MAX_RATIO` to one (a zip
  bomb), is refused without inflating it;
* text (.txt, .csv): no NUL or other binary control bytes, UTF-8 (a BOM allowed) or else
  Windows-1252, and no markup at its start (`<html`, `<!doctype`, `<svg`, `<script`,
  `<?xml`, ... — a browser would sniff it as HTML or SVG).

HTML, SVG, JavaScript and archives (.zip, .gz, .7z, .rar, ...) are never in the table, and
a name ending in an archive's extension ("bomb.zip", "report.pdf.zip") is refused by name
whatever its bytes (a real zip named report.docx is refused by its contents).
The content type served on download is the sniffed one, from this table.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ARCHIVES",
    "CONTENT_TYPES",
    "EXTENSIONS",
    "LABELS",
    "MAX_INFLATED",
    "MAX_NAME",
    "MAX_RATIO",
    "BadFile",
    "Sniffed",
    "check_name",
    "sniff",
]

#: The longest file name kept (characters).
MAX_NAME = 200
#: A zip container's entries may declare at most this many inflated bytes in all.
MAX_INFLATED = 512 * 1024 * 1024
#: ... and no entry larger than 1 MiB inflated may be compressed more than this.
MAX_RATIO = 200
#: [Content_Types].xml / mimetype larger than this are not what an office program writes.
_SMALL_ENTRY = 256 * 1024

#: Extension (lower case, without the dot) → the scheme's document type.
EXTENSIONS: dict[str, str] = {
    "pdf": "pdf",
    "docx": "docx",
    "doc": "doc",
    "odt": "odt",
    "xlsx": "xlsx",
    "xls": "xls",
    "ods": "ods",
    "pptx": "pptx",
    "odp": "odp",
    "txt": "txt",
    "csv": "csv",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "gif": "gif",
    "webp": "webp",
}

#: The document type → the content type served (text types get their charset added).
CONTENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "odt": "application/vnd.oasis.opendocument.text",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "txt": "text/plain",
    "csv": "text/csv",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}

#: The type in words, for the page and the refusals.
LABELS: dict[str, str] = {
    "pdf": "PDF",
    "docx": "Word (.docx)",
    "doc": "Word 97–2003 (.doc)",
    "odt": "OpenDocument text (.odt)",
    "xlsx": "Excel (.xlsx)",
    "xls": "Excel 97–2003 (.xls)",
    "ods": "OpenDocument spreadsheet (.ods)",
    "pptx": "PowerPoint (.pptx)",
    "odp": "OpenDocument presentation (.odp)",
    "txt": "plain text (.txt)",
    "csv": "CSV (.csv)",
    "png": "PNG image",
    "jpeg": "JPEG image",
    "gif": "GIF image",
    "webp": "WebP image",
}

#: Archive and compressed-file extensions: refused by name, whatever the bytes.
ARCHIVES = frozenset(
    {
        "zip", "zipx", "gz", "tgz", "tar", "bz2", "tbz", "tbz2", "xz", "txz", "lz", "lzma",
        "zst", "7z", "rar", "cab", "arj", "lzh", "z", "jar", "war", "apk", "iso", "dmg",
    }
)  # fmt: skip

_OOXML_MAIN = {
    "docx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_ODF_MIME = {
    "odt": b"application/vnd.oasis.opendocument.text",
    "ods": b"application/vnd.oasis.opendocument.spreadsheet",
    "odp": b"application/vnd.oasis.opendocument.presentation",
}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
#: What makes a browser (or a person) see markup in a "text" file.
_MARKUP = (
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<svg",
    b"<?xml",
    b"<iframe",
    b"<object",
    b"<embed",
    b"<img",
    b"<style",
    b"<a ",
    b"<div",
    b"<meta",
    b"<!--",
)
#: Control bytes that never occur in text (tab, LF, FF and CR do).
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class BadFile(ValueError):
    """The file is refused; the message says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Sniffed:
    """What the bytes are: the scheme's type, and the content type to serve them with."""

    doc_type: str
    content_type: str


def _words(types: Iterable[str]) -> str:
    labels = [LABELS[t] for t in types if t in LABELS]
    return ", ".join(labels[:-1]) + (" or " if len(labels) > 1 else "") + labels[-1]


def check_name(filename: str) -> tuple[str, str]:
    """The file's name as kept (NFC, trimmed) and its document type by extension; BadFile
    for a name with path parts, control or invisible characters, an archive's extension,
    or an extension we do not know."""
    name = unicodedata.normalize("NFC", filename or "").strip()
    if not name:
        raise BadFile("The file has no name; give it a name such as report.pdf")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise BadFile("The file name must be a plain name, without folders (no / or \\)")
    for c in name:
        category = unicodedata.category(c)
        if category == "Cc":
            raise BadFile("The file name must not contain control characters")
        if category in ("Cf", "Zl", "Zp"):
            raise BadFile(
                "The file name must not contain invisible formatting characters "
                "(text-direction or zero-width characters)"
            )
    if len(name) > MAX_NAME:
        raise BadFile(f"The file name must be {MAX_NAME} characters or fewer")
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower()
    if not dot or not stem.strip(". "):
        raise BadFile("The file name needs an extension that says its type, such as .pdf")
    if extension in ARCHIVES:
        raise BadFile(
            "Archives and compressed files (such as .zip) cannot be shared: "
            "upload the documents themselves"
        )
    if extension not in EXTENSIONS:
        raise BadFile(f"Files of type .{extension[:20]} cannot be shared here")
    return name, EXTENSIONS[extension]


def _zip_of(data: bytes) -> zipfile.ZipFile:
    if not data.startswith(_ZIP):
        raise BadFile("not a zip")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise BadFile("not a zip") from None
    if len(entries) > 10_000:
        raise BadFile("too many entries")
    inflated = 0
    for e in entries:
        inflated += e.file_size
        if e.file_size > 1024 * 1024 and e.file_size > MAX_RATIO * max(e.compress_size, 1):
            raise BadFile("bomb")
    if inflated > MAX_INFLATED:
        raise BadFile("bomb")
    return archive


def _entry(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise BadFile("missing entry") from None
    if info.file_size > _SMALL_ENTRY or info.flag_bits & 0x1:  # too big, or encrypted
        raise BadFile("odd entry")
    try:
        with archive.open(info) as fh:
            return fh.read(_SMALL_ENTRY + 1)
    except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError, EOFError, RuntimeError):
        raise BadFile("unreadable entry") from None


def _is_ooxml(data: bytes, kind: str) -> bool:
    try:
        archive = _zip_of(data)
        types = _entry(archive, "[Content_Types].xml")
    except BadFile as exc:
        if str(exc) == "bomb":
            raise
        return False
    return _OOXML_MAIN[kind] in types


def _is_odf(data: bytes, kind: str) -> bool:
    try:
        archive = _zip_of(data)
        first = archive.infolist()[0] if archive.infolist() else None
        if first is None or first.filename != "mimetype":
            return False
        mimetype = _entry(archive, "mimetype")
    except BadFile as exc:
        if str(exc) == "bomb":
            raise
        return False
    return mimetype.strip() == _ODF_MIME[kind]


def _ole2_has(data: bytes, *streams: str) -> bool:
    # Directory entries hold their names in UTF-16LE; the stream the program writes is there.
    return data.startswith(_OLE2) and any(s.encode("utf-16-le") in data for s in streams)


def _text_charset(data: bytes) -> str | None:
    """'utf-8' or 'windows-1252' for text without markup at its start; None otherwise."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if _BINARY.search(body):
        return None
    head = body[:4096].lstrip().lower()
    if head.startswith(b"<") or any(m in head for m in _MARKUP):
        return None
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        body.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return "windows-1252"


def _matches(data: bytes, kind: str) -> str | None:
    """The content type when `data` is a `kind` file, else None."""
    if kind == "pdf":
        ok = data.startswith(b"%PDF-")
    elif kind == "png":
        ok = data.startswith(b"\x89PNG\r\n\x1a\n")
    elif kind == "jpeg":
        ok = data.startswith(b"\xff\xd8\xff")
    elif kind == "gif":
        ok = data[:6] in (b"GIF87a", b"GIF89a")
    elif kind == "webp":
        ok = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    elif kind == "doc":
        ok = _ole2_has(data, "WordDocument")
    elif kind == "xls":
        ok = _ole2_has(data, "Workbook", "Book")
    elif kind in _OOXML_MAIN:
        ok = _is_ooxml(data, kind)
    elif kind in _ODF_MIME:
        ok = _is_odf(data, kind)
    elif kind in ("txt", "csv"):
        charset = _text_charset(data)
        return None if charset is None else f"{CONTENT_TYPES[kind]}; charset={charset}"
    else:  # pragma: no cover - every DocType is above
        ok = False
    return CONTENT_TYPES[kind] if ok else None


def sniff(data: bytes, filename: str, allowed: Iterable[str]) -> tuple[str, Sniffed]:
    """The file's kept name and what it is, or BadFile saying in plain words why it is
    refused: a bad name, a type the tenant does not list, or bytes that are not what the
    name says (a disguised HTML page named report.pdf, a zip bomb, an empty file)."""
    allowed = tuple(allowed)
    name, kind = check_name(filename)
    if kind not in allowed:
        raise BadFile(
            f"{LABELS[kind][0].upper()}{LABELS[kind][1:]} files cannot be shared here. "
            f"You can share {_words(allowed)} files"
        )
    if not data:
        raise BadFile("The file is empty")
    try:
        content_type = _matches(data, kind)
    except BadFile:
        raise BadFile(
            "The file is a compressed container that inflates to far more than it weighs "
            "(a zip bomb), so it is refused"
        ) from None
    if content_type is None:
        raise BadFile(
            f"The contents of the file are not in {LABELS[kind]} format, though its name "
            f"ends in .{name.rpartition('.')[2]}. Save it again in that format and upload it"
        )
    return name, Sniffed(doc_type=kind, content_type=content_type)
