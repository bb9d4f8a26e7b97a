"""`admin.logo` (pure): a logo is what its bytes are — real PNG and JPEG files made by Pillow
(fpdf2's own image library) are read with their true dimensions, a GIF, HTML, SVG or a cut
header is refused whatever it is called; the size and dimension limits; and the WCAG
contrast rules for the colours, checked against the published figures and as properties
(any colour: a ratio from 1 to 21, the same either way round; a colour is accepted exactly
when its ratio with what is drawn on it reaches 4.5:1)."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from mentorhub.admin.logo import (
    MAX_BYTES,
    MAX_SIDE,
    PAGE_BACKGROUND,
    WHITE,
    LogoProblem,
    colour_problem,
    contrast_ratio,
    dimensions,
    relative_luminance,
    sniff,
    sniff_logo,
)


def image(kind: str, width: int, height: int, **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (31, 78, 121)).save(out, kind, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "content_type", "options"),
    [
        ("PNG", "image/png", {}),
        ("JPEG", "image/jpeg", {}),
        ("JPEG", "image/jpeg", {"progressive": True}),
        ("JPEG", "image/jpeg", {"exif": b"Exif\x00\x00" + b"\x00" * 64}),  # APP1 before SOF
    ],
)
def test_real_images_are_read_with_their_dimensions(
    kind: str, content_type: str, options: dict[str, object]
) -> None:
    data = image(kind, 320, 80, **options)
    assert sniff(data) == content_type
    assert dimensions(data) == (320, 80)
    found = sniff_logo(data)
    assert (found.content_type, found.width, found.height) == (content_type, 320, 80)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (image("GIF", 64, 64), "not one, whatever its name says"),
        (b"<!doctype html><script>alert(1)</script>", "not one"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "not one"),
        (image("WEBP", 64, 64), "not one"),
        (image("PNG", 64, 64)[:20], "header cannot be read"),  # cut inside IHDR
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "header cannot be read"),  # no frame
        (b"", "empty"),
        (image("PNG", 8, 64), "8 × 64 pixels"),
        (image("PNG", MAX_SIDE + 1, 16), "each side must be from 16 to 4,000"),
    ],
)
def test_anything_else_is_refused_with_the_reason(data: bytes, says: str) -> None:
    with pytest.raises(LogoProblem, match=says):
        sniff_logo(data)


def test_a_file_over_one_megabyte_is_refused_before_anything_else() -> None:
    data = image("PNG", 64, 64) + b"\x00" * MAX_BYTES
    with pytest.raises(LogoProblem, match="1 MB or smaller"):
        sniff_logo(data)


@given(st.binary(max_size=512))
def test_no_bytes_make_the_header_reader_fail(data: bytes) -> None:
    size = dimensions(data)
    assert size is None or all(isinstance(n, int) and n >= 0 for n in size)
    with contextlib.suppress(LogoProblem):  # refused with a reason, never another error
        sniff_logo(data)


@given(st.integers(1, 2000), st.integers(1, 2000), st.sampled_from(["PNG", "JPEG"]))
def test_dimensions_agree_with_pillow(width: int, height: int, kind: str) -> None:
    out = io.BytesIO()
    Image.new("L", (width, height)).save(out, kind)
    assert dimensions(out.getvalue()) == (width, height)


# --- contrast ---------------------------------------------------------------------------------

colours = st.tuples(*[st.integers(0, 255)] * 3).map(lambda c: "#{:02x}{:02x}{:02x}".format(*c))


def test_the_published_figures() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just fails
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # just passes
    assert relative_luminance("#ffffff") == pytest.approx(1.0)


@given(colours, colours)
def test_the_ratio_is_from_1_to_21_and_symmetric(a: str, b: str) -> None:
    ratio = contrast_ratio(a, b)
    assert 1.0 <= ratio <= 21.0 + 1e-9
    assert ratio == pytest.approx(contrast_ratio(b, a))
    assert contrast_ratio(a, a) == pytest.approx(1.0)


@given(colours)
def test_a_colour_is_refused_exactly_when_below_aa(colour: str) -> None:
    primary_ok = min(contrast_ratio(colour, WHITE), contrast_ratio(colour, PAGE_BACKGROUND)) >= 4.5
    assert (colour_problem("primary_color", colour) is None) == primary_ok
    assert (colour_problem("accent_color", colour) is None) == (
        contrast_ratio(colour, WHITE) >= 4.5
    )


def test_the_refusal_says_which_colour_and_why() -> None:
    message = colour_problem("primary_color", "#FFCC00")
    assert message is not None
    assert message.startswith("Primary colour #ffcc00 is too light: white text on it")
    assert "contrast of 1.5:1" in message and "WCAG AA needs at least 4.5:1" in message
    # Only the page's background fails: #767676 passes on white, not on the grey.
    grey = colour_problem("primary_color", "#767676")
    assert grey is not None and "links in it on the page's light grey background" in grey
    assert colour_problem("accent_color", "#767676") is None
    for bad in ("1f4e79", "#1f4e7", "#1f4e79ff", "#zzzzzz", "navy"):
        found = colour_problem("accent_color", bad)
        assert found is not None and "must be a colour like #1f4e79" in found
