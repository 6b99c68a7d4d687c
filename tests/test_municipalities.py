"""The shipped municipality list: complete, consistent and geographically plausible."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from coordinator.municipalities import (
    DENMARK_BBOX,
    REGIONS,
    Municipality,
    all_municipalities,
    in_denmark,
    municipality_by_code,
)
from solver.geo import haversine_km


def test_exactly_98_municipalities_with_unique_codes() -> None:
    munis = all_municipalities()
    assert len(munis) == 98
    codes = [m.code for m in munis]
    assert len(set(codes)) == 98
    assert all(len(c) == 3 and c.isdigit() for c in codes)
    assert codes == sorted(codes, key=int)


def test_christianso_is_not_a_municipality() -> None:
    assert municipality_by_code(411) is None
    assert "411" not in {m.code for m in all_municipalities()}


def test_region_counts() -> None:
    counts = Counter(m.region for m in all_municipalities())
    assert counts == {
        "Region Hovedstaden": 29,
        "Region Sjælland": 17,
        "Region Syddanmark": 22,
        "Region Midtjylland": 19,
        "Region Nordjylland": 11,
    }
    assert set(counts) == set(REGIONS)


def test_every_point_inside_denmark_bbox() -> None:
    for m in all_municipalities():
        assert in_denmark(m.lat, m.lon), m


def test_fields_are_sane() -> None:
    names = set()
    for m in all_municipalities():
        assert m.name and m.name_en
        assert m.population > 1000, m
        names.add(m.name)
    assert len(names) == 98
    total = sum(m.population for m in all_municipalities())
    assert 5_700_000 < total < 6_300_000


def test_english_name_differs_only_for_copenhagen() -> None:
    differing = {m.code: m.name_en for m in all_municipalities() if m.name != m.name_en}
    assert differing == {"101": "Copenhagen"}


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("101", "København"),
        (101, "København"),
        ("0101", "København"),
        (" 101 ", "København"),
        (147, "Frederiksberg"),
        ("0157", "Gentofte"),
        (400, "Bornholm"),
        ("461", "Odense"),
        (630, "Vejle"),
        ("0751", "Aarhus"),
        (851, "Aalborg"),
        ("860", "Hjørring"),
    ],
)
def test_lookup_by_code_forms(code: str | int, name: str) -> None:
    m = municipality_by_code(code)
    assert m is not None
    assert m.name == name


@pytest.mark.parametrize("code", ["", "abc", "999", 0, -101, 1101, "10 1", "١٠١", True, 1.5])
def test_lookup_unknown_or_malformed_returns_none(code: object) -> None:
    assert municipality_by_code(code) is None  # type: ignore[arg-type]


# Independent reference points (city centres / Hellerup for Gentofte).
@pytest.mark.parametrize(
    ("code", "lat", "lon"),
    [
        ("751", 56.1629, 10.2039),  # Aarhus
        ("630", 55.7113, 9.5364),  # Vejle
        ("157", 55.7310, 12.5700),  # Hellerup, in Gentofte
        ("101", 55.6761, 12.5683),  # København
        ("851", 57.0488, 9.9217),  # Aalborg
        ("461", 55.4038, 10.4024),  # Odense
    ],
)
def test_known_coordinates_within_15_km(code: str, lat: float, lon: float) -> None:
    m = municipality_by_code(code)
    assert m is not None
    assert haversine_km(m.lat, m.lon, lat, lon) < 15.0


def test_bbox_and_in_denmark() -> None:
    assert DENMARK_BBOX == (54.5, 8.0, 57.8, 15.2)
    assert in_denmark(55.6761, 12.5683)
    assert not in_denmark(12.5683, 55.6761)  # swapped lat/lon
    assert not in_denmark(53.5511, 9.9937)  # Hamburg
    assert not in_denmark(59.3293, 18.0686)  # Stockholm


def test_cached_and_frozen() -> None:
    assert all_municipalities() is all_municipalities()
    m = all_municipalities()[0]
    assert isinstance(m, Municipality)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.name = "x"  # type: ignore[misc]
