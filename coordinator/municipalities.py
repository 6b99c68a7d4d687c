"""The 98 Danish municipalities (kommuner), shipped as package data.

Used to place applicants and host workplaces on the map and to generate
population-weighted demo data. Pure and stdlib-only (no Flask, no database), so the
solver, CLI tools and tests can import it without an application context.

The data lives in ``coordinator/data/municipalities.csv``: the official 3-digit
kommunekode, Danish and English name, region, WGS84 coordinates of the main town
(administrative seat) and an approximate recent population. Christiansø (code 411)
is deliberately absent: it is not a municipality but is administered by the state.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = [
    "DENMARK_BBOX",
    "REGIONS",
    "Municipality",
    "all_municipalities",
    "in_denmark",
    "municipality_by_code",
]

#: (min_lat, min_lon, max_lat, max_lon) in WGS84 degrees; generous enough to include
#: Bornholm and Skagen, tight enough to catch swapped lat/lon or a point in Germany's
#: interior. It is a sanity check, not a border test.
DENMARK_BBOX: tuple[float, float, float, float] = (54.5, 8.0, 57.8, 15.2)

#: The five administrative regions, spelled as they appear in the CSV.
REGIONS: tuple[str, ...] = (
    "Region Hovedstaden",
    "Region Sjælland",
    "Region Syddanmark",
    "Region Midtjylland",
    "Region Nordjylland",
)

_DATA_FILE = "municipalities.csv"


@dataclass(frozen=True, slots=True)
class Municipality:
    """One municipality. Frozen so the cached tuple can be shared safely."""

    code: str  # official kommunekode, 3 digits, zero-padded ("101", "147", "751")
    name: str  # Danish name as used by DAWA/Dataforsyningen ("København")
    name_en: str  # English name; identical to ``name`` except e.g. "Copenhagen"
    region: str  # one of REGIONS
    lat: float  # WGS84 latitude of the main town / town hall
    lon: float  # WGS84 longitude of the main town / town hall
    population: int  # approximate, recent; only for weighting demo data


def _normalise_code(code: str | int) -> str | None:
    """Turn 101, "101", "0101" or " 101 " into "101"; anything else into None.

    DAWA writes codes as 4 digits ("0101"), Danmarks Statistik as 3, and callers
    often have an int; all of them should find the same municipality.
    """
    if isinstance(code, bool):  # bool is an int subclass; True is not code 1
        return None
    if isinstance(code, int):
        number = code
    elif isinstance(code, str):
        text = code.strip()
        if not text.isascii() or not text.isdigit():
            return None
        number = int(text)
    else:
        return None
    if not 0 < number < 1000:
        return None
    return f"{number:03d}"


def _parse(text: str) -> tuple[Municipality, ...]:
    """Parse the CSV text; fail loudly on a malformed row rather than ship bad data."""
    rows = csv.DictReader(io.StringIO(text))
    result = []
    for row in rows:
        code = _normalise_code(row["code"])
        if code is None:
            raise ValueError(f"invalid municipality code in {_DATA_FILE}: {row['code']!r}")
        result.append(
            Municipality(
                code=code,
                name=row["name"],
                name_en=row["name_en"],
                region=row["region"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                population=int(row["population"]),
            )
        )
    return tuple(result)


@cache
def all_municipalities() -> tuple[Municipality, ...]:
    """All 98 municipalities, ordered by code.

    Read once via importlib.resources so it works from a wheel or zip as well as
    from a source checkout, then cached: the data never changes at runtime.
    """
    text = files("coordinator").joinpath("data").joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return tuple(sorted(_parse(text), key=lambda m: int(m.code)))


@cache
def _by_code() -> dict[str, Municipality]:
    return {m.code: m for m in all_municipalities()}


def municipality_by_code(code: str | int) -> Municipality | None:
    """Look a municipality up by kommunekode (101, "101" or "0101"); None if unknown."""
    key = _normalise_code(code)
    if key is None:
        return None
    return _by_code().get(key)


def in_denmark(lat: float, lon: float) -> bool:
    """True if the point lies inside :data:`DENMARK_BBOX` (edges included).

    A cheap plausibility check for user-entered or geocoded coordinates, e.g. to
    catch swapped latitude/longitude before they reach the solver.
    """
    min_lat, min_lon, max_lat, max_lon = DENMARK_BBOX
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon
