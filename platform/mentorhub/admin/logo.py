"""What the tenant admin's settings check before anything is stored (pure: no database, no
web): an uploaded logo and the association's colours.

A logo is accepted by what its bytes are, never by its name or the browser's content type:
a PNG (its 8-byte signature, then the IHDR chunk with its width and height) or a JPEG (its
SOI marker, then a start-of-frame segment with its height and width). The dimensions are
read from the header alone (nothing is decoded), and must be within `MIN_SIDE`..`MAX_SIDE`
pixels: enough for a sharp header logo, and no "decompression bomb" for whoever renders it
later (a PDF, an e-mail client). At most `MAX_BYTES` (1 MiB, as the table's check says).

The colours are `#rrggbb`. The layout draws white text on the primary colour (buttons, the
brand mark, the current page's pill) and uses it for links on the page's background; e-mails
draw white text on the accent colour (their buttons). Each must reach WCAG 2.x AA for normal
text, a contrast ratio of at least 4.5:1, against what is drawn with it.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

__all__ = [
    "AA_NORMAL",
    "MAX_BYTES",
    "MAX_SIDE",
    "MIN_SIDE",
    "LogoProblem",
    "SniffedLogo",
    "colour_problem",
    "contrast_ratio",
    "dimensions",
    "relative_luminance",
    "sniff",
    "sniff_logo",
]

MAX_BYTES = 1024 * 1024
MIN_SIDE = 16
MAX_SIDE = 4000
AA_NORMAL = 4.5

PNG = "image/png"
JPEG = "image/jpeg"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SOI = b"\xff\xd8\xff"
#: Start-of-frame markers (baseline, progressive, lossless...): not DHT (C4), JPG (C8), DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
#: Markers that stand alone, without a length: TEM, RST0-7, SOI, EOI.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})

_HEX = re.compile(r"#[0-9a-fA-F]{6}")

WHITE = "#ffffff"
#: The page's background (`--wash` in templates/static/app.css), where links are drawn.
PAGE_BACKGROUND = "#f4f6f9"


class LogoProblem(ValueError):
    """Why an upload is not accepted as a logo, in words for the form."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SniffedLogo:
    content_type: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The image type the bytes are (`image/png`, `image/jpeg`), or None."""
    if data.startswith(_PNG_SIGNATURE):
        return PNG
    if data.startswith(_JPEG_SOI):
        return JPEG
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    # signature (8), then the first chunk: length (4) = 13, type (4) = IHDR, width, height.
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    (length,) = struct.unpack(">I", data[8:12])
    if length != 13:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2  # after SOI
    n = len(data)
    while i < n:
        if data[i] != 0xFF:
            return None  # not at a marker: not a JPEG we can read
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker in _STANDALONE:
            continue
        if marker == 0xD9 or marker == 0xDA:  # end of image, or the scan: no frame header
            return None
        if i + 2 > n:
            return None
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2:
            return None
        if marker in _SOF:
            if length < 7 or i + 7 > n:
                return None
            height, width = struct.unpack(">HH", data[i + 3 : i + 7])
            return int(width), int(height)
        i += length
    return None


def dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from the image's header, or None when it cannot be read."""
    kind = sniff(data)
    if kind == PNG:
        return _png_size(data)
    if kind == JPEG:
        return _jpeg_size(data)
    return None


def sniff_logo(data: bytes) -> SniffedLogo:
    """The upload as a logo, or LogoProblem saying why not (nothing else is checked after
    the first problem: each one alone refuses the file)."""
    if not data:
        raise LogoProblem("Choose a logo to upload: the file is empty")
    if len(data) > MAX_BYTES:
        raise LogoProblem("The logo must be 1 MB or smaller")
    kind = sniff(data)
    if kind is None:
        raise LogoProblem(
            "The logo must be a PNG or JPEG image: this file is not one, whatever its name says"
        )
    size = dimensions(data)
    if size is None:
        raise LogoProblem(
            f"The logo's {'PNG' if kind == PNG else 'JPEG'} header cannot be read: "
            "the file is damaged or cut short"
        )
    width, height = size
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise LogoProblem(
            f"The logo is {width} × {height} pixels: each side must be from {MIN_SIDE} "
            f"to {MAX_SIDE:,} pixels"
        )
    return SniffedLogo(kind, width, height)


# --- colours --------------------------------------------------------------------------------


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of `#rrggbb` (0: black, 1: white)."""
    if not _HEX.fullmatch(colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two `#rrggbb` colours, from 1 to 21."""
    la, lb = relative_luminance(a), relative_luminance(b)
    light, dark = max(la, lb), min(la, lb)
    return (light + 0.05) / (dark + 0.05)


def _ratio(value: float) -> str:
    # Rounded down, so a colour just under 4.5:1 is never shown as "4.5:1" and refused.
    return f"{int(value * 10) / 10:.1f}:1"


#: What each colour carries: (what is drawn, against which colour) pairs.
_DRAWN = {
    "primary_color": (
        ("white text on it (buttons, the brand mark)", WHITE),
        ("links in it on the page's light grey background", PAGE_BACKGROUND),
    ),
    "accent_color": (("white text on it (the buttons in e-mails)", WHITE),),
}
_NAMES = {"primary_color": "Primary colour", "accent_color": "Accent colour"}


def colour_problem(key: str, colour: str) -> str | None:
    """Why `colour` cannot be the `key` colour (primary_color, accent_color), or None."""
    label = _NAMES[key]
    if not _HEX.fullmatch(colour):
        return f"{label} must be a colour like #1f4e79 (# and six hexadecimal digits)"
    for what, against in _DRAWN[key]:
        ratio = contrast_ratio(colour, against)
        if ratio < AA_NORMAL:
            return (
                f"{label} {colour.lower()} is too light: {what} would have a contrast of "
                f"{_ratio(ratio)}, and WCAG AA needs at least 4.5:1 so everyone can read it. "
                "Choose a darker colour"
            )
    return None
