"""The SVG builders: pure functions, checked by parsing what they draw."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from coordinator.dashboard.svg import (
    Bar,
    Load,
    bar_chart,
    histogram,
    histogram_bins,
    load_chart,
    nice_ceiling,
    rank_colour,
)
from coordinator.dashboard.svg_map import (
    MapLabels,
    MapLink,
    MapPoint,
    Projection,
    denmark_map,
    load_outline,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
LABELS = MapLabels("Kort", "Placeringer", "Værter", "Besøgende", "Valg {rank}", "Ikke valgt")


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_histogram_bins_keep_empty_bins_and_count_every_value() -> None:
    bins = histogram_bins([0, 49, 50, 260], 50)
    assert [(b.start, b.end, b.count) for b in bins] == [
        (0, 50, 2), (50, 100, 1), (100, 150, 0), (150, 200, 0), (200, 250, 0), (250, 300, 1)]
    assert histogram_bins([], 50) == []
    with pytest.raises(ValueError):
        histogram_bins([1], 0)


def test_charts_have_title_desc_and_one_bar_per_category() -> None:
    svg = _parse(bar_chart([Bar("1", 3), Bar("2", 1), Bar("<3>", 0)], chart_id="ranks",
                           title="Rangering", desc="Hvor mange fik hvilket valg", y_label="n"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "ranks-title ranks-desc"
    assert svg.find("svg:title", NS).text == "Rangering"
    assert svg.find("svg:desc", NS).text == "Hvor mange fik hvilket valg"
    assert len(svg.findall(".//svg:rect[@class='bar']", NS)) == 3
    markup, bins = histogram([10, 20, 130], bin_width=50, chart_id="km", title="km", desc="d",
                             y_label="n")
    assert len(_parse(markup).findall(".//svg:rect[@class='bar']", NS)) == len(bins) == 3


def test_load_chart_marks_overbooked_sessions() -> None:
    svg = _parse(load_chart([Load("Aarhus", 5, 10), Load("Odense", 12, 10)], chart_id="w",
                            title="t", desc="d"))
    bars = svg.findall(".//svg:rect[@class='bar']", NS)
    assert [b.get("fill") for b in bars] == ["#0b4f8a", "#a00000"]


def test_nice_ceiling_and_colours() -> None:
    assert [nice_ceiling(v) for v in (0, 3, 7, 12, 180)] == [1, 5, 10, 20, 200]
    assert rank_colour(1) != rank_colour(2) != rank_colour(None)


def test_map_has_one_path_per_placement_and_escapes_labels() -> None:
    odense, aarhus = MapPoint(55.3959, 10.3883, "Odense"), MapPoint(56.1567, 10.2108, "Aarhus")
    links = [MapLink(odense, aarhus, 1, "<b>Mads</b> → Aarhus"),
             MapLink(odense, aarhus, None, "Ida → Aarhus")]
    svg = _parse(denmark_map([aarhus], [odense, odense], links, LABELS))
    paths = svg.findall(".//svg:path[@class='placement']", NS)
    assert len(paths) == 2
    assert paths[0].find("svg:title", NS).text == "<b>Mads</b> → Aarhus"
    assert paths[1].get("stroke-dasharray")  # unranked placements are dashed, not only grey
    assert len(svg.findall(".//svg:g[@class='visitors']/svg:circle", NS)) == 2
    assert svg.find(".//svg:path[@class='land']", NS).get("d").count("Z") == len(load_outline())


def test_projection_keeps_denmark_inside_the_picture() -> None:
    rings = load_outline()
    projection = Projection.fitting(rings, 640)
    height = projection.height_for(rings)
    for lat, lon in ((57.75, 10.6), (54.56, 11.9), (55.1, 15.15), (55.5, 8.07)):
        x, y = projection.xy(lat, lon)
        assert 0 <= x <= 640 and 0 <= y <= height
    # Skagen is north of Gedser: smaller y.
    assert projection.xy(57.75, 10.6)[1] < projection.xy(54.56, 11.9)[1]
