"""Content sniffing for the pair's documents (pairs/sniff.py, pure): each type the schemes
may list is recognised by its bytes, names are checked, and whatever the bytes and the name,
the answer is a file of an allowed type or a refusal in words — never anything else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorhub.pairs.sniff import EXTENSIONS, BadFile, check_name, sniff
from tests.pairs.documents_files import (
    DOCM_MAIN,
    GIF,
    HTML,
    JPEG,
    PDF,
    PNG,
    SVG,
    TEXT,
    XLSX_MAIN,
    odf,
    ooxml,
    plain_zip,
    polyglot,
    zip_bomb,
)

ALL = tuple(sorted(set(EXTENSIONS.values())))


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("report.pdf", PDF, "application/pdf"),
        ("Report.PDF", PDF, "application/pdf"),
        ("photo.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        (
            "plan.docx",
            ooxml(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "sheet.xlsx",
            ooxml(XLSX_MAIN),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("notes.odt", odf(), "application/vnd.oasis.opendocument.text"),
        (
            "sheet.ods",
            odf("application/vnd.oasis.opendocument.spreadsheet"),
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("notes.txt", TEXT, "text/plain; charset=utf-8"),
        ("old.txt", "Caf\u00e9".encode("cp1252"), "text/plain; charset=windows-1252"),
        ("data.csv", b"name,hours\nMaya,2\n", "text/csv; charset=utf-8"),
        ("café notes.pdf", PDF, "application/pdf"),
        ("report.zip.pdf", PDF, "application/pdf"),  # a PDF whatever its name's middle
    ],
)
def test_real_files_are_recognised(name: str, data: bytes, content_type: str) -> None:
    kept, found = sniff(data, name, ALL)
    assert found.content_type == content_type
    assert kept == name


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("report.pdf", HTML, "not in PDF format"),
        ("report.txt", HTML, "not in plain text"),
        ("notes.txt", SVG, "not in plain text"),
        ("notes.txt", b"hello <script>alert(1)</script>", "not in plain text"),
        ("photo.png", JPEG, "not in PNG"),
        ("plan.docx", polyglot(), "not in Word"),
        ("plan.docx", ooxml(DOCM_MAIN), "not in Word"),  # a macro document renamed
        ("plan.docx", ooxml(XLSX_MAIN), "not in Word"),  # a spreadsheet renamed
        ("plan.docx", plain_zip(), "not in Word"),
        ("notes.odt", odf("application/vnd.oasis.opendocument.spreadsheet"), "not in Open"),
        ("plan.docx", zip_bomb(), "zip bomb"),
        ("notes.txt", b"abc\x00def", "not in plain text"),
        ("empty.pdf", b"", "empty"),
        ("bomb.zip", plain_zip(), "Archives"),
        ("42.zip", plain_zip(), "Archives"),
        ("report.pdf.zip", plain_zip(), "Archives"),
        ("backup.tar.gz", b"\x1f\x8b", "Archives"),
        ("page.html", HTML, "type .html"),
        ("logo.svg", SVG, "type .svg"),
        ("script.js", b"alert(1)", "type .js"),
        ("../../etc/passwd.pdf", PDF, "without folders"),
        ("C:\\Users\\me\\report.pdf", PDF, "without folders"),
        ("a\x00b.pdf", PDF, "control characters"),
        ("invoice\u202efdp.exe", PDF, "invisible"),
        ("noextension", PDF, "extension"),
        (".pdf", PDF, "extension"),
        ("x" * 300 + ".pdf", PDF, "200 characters"),
        ("", PDF, "no name"),
    ],
)
def test_refusals_say_why(name: str, data: bytes, words: str) -> None:
    with pytest.raises(BadFile) as refused:
        sniff(data, name, ALL)
    assert words in refused.value.message


def test_a_type_the_scheme_does_not_list_is_refused() -> None:
    with pytest.raises(BadFile) as refused:
        sniff(GIF, "anim.gif", ("pdf", "docx", "png"))
    assert refused.value.message == (
        "GIF image files cannot be shared here. You can share PDF, Word (.docx) or PNG image files"
    )


def test_names_are_kept_normalised() -> None:
    assert check_name("  Cafe\u0301.pdf ") == ("Café.pdf", "pdf")


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.sampled_from([PDF, HTML, PNG, ooxml(), odf(), plain_zip(), TEXT]).flatmap(
            lambda b: st.binary(max_size=40).map(lambda tail: b + tail)
        ),
    ),
    name=st.one_of(
        st.text(max_size=30),
        st.sampled_from(sorted(EXTENSIONS)).map(lambda ext: f"file.{ext}"),
    ),
    allowed=st.sets(st.sampled_from(ALL), min_size=1),
)
def test_anything_is_a_listed_type_or_refused_in_words(
    data: bytes, name: str, allowed: set[str]
) -> None:
    try:
        kept, found = sniff(data, name, sorted(allowed))
    except BadFile as exc:
        assert exc.message
        return
    assert found.doc_type in allowed
    assert "/" not in kept and "\\" not in kept
    assert EXTENSIONS[kept.rpartition(".")[2].lower()] == found.doc_type


@settings(max_examples=300, deadline=None)
@given(name=st.text(min_size=1, max_size=60).map(lambda s: s + ".pdf"))
def test_the_download_header_carries_any_kept_name_safely(name: str) -> None:
    from urllib.parse import unquote

    from mentorhub.pairs.views.documents import content_disposition

    try:
        kept, _ = check_name(name)
    except BadFile:
        return
    header = content_disposition(kept)
    header.encode("latin-1")  # a header value Litestar can send
    assert header.startswith('attachment; filename="')
    fallback, _, encoded = header.partition("; filename*=UTF-8''")
    assert fallback.count('"') == 2 and "\r" not in header and "\n" not in header
    assert header.isascii()
    assert unquote(encoded, encoding="utf-8", errors="strict") == kept
