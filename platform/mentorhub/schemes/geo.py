"""Places without the network: a UK postcode or a Canadian city → coordinates.

Two small tables ship in ``geodata/`` (their origin, licences and how they were derived are in
``geodata/README.md``):

- ``uk_outcodes.tsv``: every UK postcode district (outward code, e.g. ``SW1A``) of Great
  Britain, the Channel Islands excepted, with the mean position of its postcodes. A full
  postcode is placed at its district's centroid: close enough for "within a short travelling
  distance" (a district spans a few kilometres) and it keeps the table at 3,000 rows.
  Northern Ireland (``BT``) is not in the source data set, so it is refused with its own
  message rather than placed wrongly.
- ``ca_places.tsv``: Canadian populated places of 500 people or more (GeoNames), with their
  province, Alberta's towns and villages among them.

Pure: stdlib only; the tables are read once, on first use.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = ["PROVINCES", "Place", "find_ca_city", "find_uk_postcode"]


@dataclass(frozen=True, slots=True)
class Place:
    """Where an answer puts someone: the text as written back, a label, and coordinates."""

    text: str
    label: str
    lat: float
    lon: float


#: Canadian provinces and territories: code → name (both accepted after a comma).
PROVINCES: dict[str, str] = {
    "AB": "Alberta",
    "BC": "British Columbia",
    "MB": "Manitoba",
    "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador",
    "NS": "Nova Scotia",
    "NT": "Northwest Territories",
    "NU": "Nunavut",
    "ON": "Ontario",
    "PE": "Prince Edward Island",
    "QC": "Quebec",
    "SK": "Saskatchewan",
    "YT": "Yukon",
}

_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_POSTCODE = re.compile(rf"^(?P<out>{_OUTWARD})(?P<in>[0-9][A-Z]{{2}})?$")


def _rows(name: str) -> list[list[str]]:
    text = files("mentorhub.schemes").joinpath("geodata", name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def _outcodes() -> dict[str, tuple[float, float]]:
    return {row[0]: (float(row[1]), float(row[2])) for row in _rows("uk_outcodes.tsv")}


def _fold(text: str) -> str:
    """Case, accents, punctuation and spacing do not matter: "Montréal" is "montreal",
    "St. Albert" is "st albert"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


@cache
def _ca_places() -> dict[str, list[tuple[str, str, float, float]]]:
    by_name: dict[str, list[tuple[str, str, float, float]]] = {}
    for name, province, lat, lon in _rows("ca_places.tsv"):
        by_name.setdefault(_fold(name), []).append((name, province, float(lat), float(lon)))
    return by_name


@cache
def _province_codes() -> dict[str, str]:
    codes = {_fold(code): code for code in PROVINCES}
    codes.update({_fold(name): code for code, name in PROVINCES.items()})
    return codes


def find_uk_postcode(text: str) -> Place | str:
    """A UK postcode (full, e.g. ``"SW1A 1AA"``, or its district, ``"SW1A"``) → its
    district's centroid; else what is wrong, in words for the person who typed it."""
    compact = "".join(text.split()).upper()
    match = _POSTCODE.match(compact)
    if match is None:
        return "Enter a UK postcode, for example SW1A 1AA"
    outward, inward = match.group("out"), match.group("in")
    written = f"{outward} {inward}" if inward else outward
    if outward.startswith("BT"):
        return (
            "Northern Ireland postcodes cannot be placed yet: enter the postcode of the "
            "nearest place in Great Britain you can travel to, or contact the coordinator"
        )
    where = _outcodes().get(outward)
    if where is None:
        return f"We could not find the postcode district {outward}: check the postcode"
    return Place(text=written, label=f"Postcode district {outward}", lat=where[0], lon=where[1])


def find_ca_city(text: str) -> Place | str:
    """A Canadian city, town or village, optionally with its province (``"Red Deer"``,
    ``"Red Deer, AB"``, ``"Red Deer, Alberta"``) → its coordinates; else what is wrong."""
    name, _, province_text = text.partition(",")
    key = _fold(name)
    if not key:
        return "Enter a Canadian city or town, for example Red Deer, AB"
    province: str | None = None
    if province_text.strip():
        province = _province_codes().get(_fold(province_text))
        if province is None:
            return f"{province_text.strip()!r} is not a Canadian province or territory"
    found = [p for p in _ca_places().get(key, []) if province is None or p[1] == province]
    if not found:
        where = f" in {PROVINCES[province]}" if province else " in Canada"
        return (
            f"We could not find {name.strip()!r}{where}: check the spelling, or enter "
            "the nearest town"
        )
    if len(found) > 1:
        options = ", ".join(f"{p[0]}, {p[1]}" for p in found[:5])
        return f"There are several places called {name.strip()!r}: add the province ({options})"
    place_name, code, lat, lon = found[0]
    return Place(
        text=f"{place_name}, {code}", label=f"{place_name}, {PROVINCES[code]}", lat=lat, lon=lon
    )
