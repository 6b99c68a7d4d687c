"""A map of Denmark as inline SVG: the shipped coastline, hosts, visitors, one line per placement.

Pure (no Flask, no database): the view hands in points and links with their labels already
translated. The projection is equirectangular with longitude scaled by cos(56°), which keeps
Denmark's shape within a few per cent and needs no map library or tile server.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from markupsafe import Markup, escape

from coordinator.dashboard.svg import (
    RANK_COLOURS,
    TEXT_COLOUR,
    UNRANKED_COLOUR,
    rank_colour,
    svg_open,
)

Ring = list[tuple[float, float]]  # (lon, lat) pairs
LON_SCALE = math.cos(math.radians(56))
HOST_COLOUR = "#1a1a1a"
VISITOR_COLOUR = "#ffffff"


@dataclass(frozen=True)
class MapPoint:
    lat: float
    lon: float
    label: str


@dataclass(frozen=True)
class MapLink:
    """A placement: from the visitor's workplace to the host's."""

    visitor: MapPoint
    host: MapPoint
    rank: int | None
    label: str


@dataclass(frozen=True)
class MapLabels:
    title: str
    desc: str
    hosts: str
    visitors: str
    rank: str  # "Choice {rank}" with a {rank} placeholder
    unranked: str


@cache
def load_outline() -> tuple[Ring, ...]:
    """Denmark's coastline rings from coordinator/data/denmark_outline.json (see its README)."""
    text = files("coordinator").joinpath("data").joinpath("denmark_outline.json").read_text(
        encoding="utf-8")
    return tuple([(float(lon), float(lat)) for lon, lat in ring] for ring in json.loads(text))


@dataclass(frozen=True)
class Projection:
    min_lon: float
    max_lat: float
    pixels_per_degree: float
    margin: float

    @classmethod
    def fitting(cls, rings: Sequence[Ring], width: float, margin: float = 10) -> Projection:
        lons = [lon for ring in rings for lon, _ in ring]
        lats = [lat for ring in rings for _, lat in ring]
        span = (max(lons) - min(lons)) * LON_SCALE
        return cls(min(lons), max(lats), (width - 2 * margin) / span, margin)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        x = self.margin + (lon - self.min_lon) * LON_SCALE * self.pixels_per_degree
        y = self.margin + (self.max_lat - lat) * self.pixels_per_degree
        return round(x, 1), round(y, 1)

    def height_for(self, rings: Sequence[Ring]) -> float:
        min_lat = min(lat for ring in rings for _, lat in ring)
        return (self.max_lat - min_lat) * self.pixels_per_degree + 2 * self.margin


def outline_path(rings: Sequence[Ring], projection: Projection) -> str:
    """One path `d` for every ring (closed)."""
    parts = []
    for ring in rings:
        points = [projection.xy(lat, lon) for lon, lat in ring]
        parts.append("M" + "L".join(f"{x} {y}" for x, y in points) + "Z")
    return "".join(parts)


def denmark_map(hosts: Sequence[MapPoint], visitors: Sequence[MapPoint],
                links: Sequence[MapLink], labels: MapLabels, *, chart_id: str = "map",
                width: int = 640) -> Markup:
    """The map: land, one `<path class="placement">` per link (coloured by rank), the points
    (hosts as squares, visitors as circles) and a legend."""
    rings = load_outline()
    projection = Projection.fitting(rings, width)
    height = math.ceil(projection.height_for(rings))
    parts = [svg_open(width, height, chart_id, labels.title, labels.desc, "map"),
             f'<path class="land" d="{outline_path(rings, projection)}" fill="#eef1ec" '
             f'stroke="#6b6b6b" stroke-width="0.8" fill-rule="evenodd"/>',
             '<g class="placements">']
    for link in links:
        x1, y1 = projection.xy(link.visitor.lat, link.visitor.lon)
        x2, y2 = projection.xy(link.host.lat, link.host.lon)
        dash = ' stroke-dasharray="5 3"' if link.rank is None else ""
        parts.append(f'<path class="placement" data-rank="{link.rank or ""}" '
                     f'd="M{x1} {y1}L{x2} {y2}" stroke="{rank_colour(link.rank)}" '
                     f'stroke-width="2" fill="none"{dash}><title>{escape(link.label)}</title></path>')
    parts.append('</g><g class="visitors">')
    for point in visitors:
        x, y = projection.xy(point.lat, point.lon)
        parts.append(f'<circle cx="{x}" cy="{y}" r="3.5" fill="{VISITOR_COLOUR}" '
                     f'stroke="{HOST_COLOUR}" stroke-width="1.2"><title>{escape(point.label)}'
                     f'</title></circle>')
    parts.append('</g><g class="hosts">')
    for point in hosts:
        x, y = projection.xy(point.lat, point.lon)
        parts.append(f'<rect x="{x - 4}" y="{y - 4}" width="8" height="8" fill="{HOST_COLOUR}">'
                     f'<title>{escape(point.label)}</title></rect>')
    parts.append("</g>")
    # The Kattegat corner (north-east) is open sea at every width: room for the legend.
    parts.append(_legend(labels, width - 200, 10))
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704 - every text piece above went through escape()


def _legend(labels: MapLabels, left: float, top: float) -> str:
    items = [f'<rect x="{left + 6}" y="{top + 6}" width="10" height="10" fill="{HOST_COLOUR}"/>'
             f'<text x="{left + 26}" y="{top + 15}" font-size="13" fill="{TEXT_COLOUR}">'
             f'{escape(labels.hosts)}</text>',
             f'<circle cx="{left + 11}" cy="{top + 37}" r="4.5" fill="{VISITOR_COLOUR}" '
             f'stroke="{HOST_COLOUR}" stroke-width="1.2"/>'
             f'<text x="{left + 26}" y="{top + 41}" font-size="13" fill="{TEXT_COLOUR}">'
             f'{escape(labels.visitors)}</text>']
    row = top + 52
    for rank, colour in RANK_COLOURS.items():
        items.append(_legend_line(left, row, colour, labels.rank.format(rank=rank)))
        row += 26
    items.append(_legend_line(left, row, UNRANKED_COLOUR, labels.unranked, dashed=True))
    return '<g class="legend">' + "".join(items) + "</g>"


def _legend_line(left: float, y: float, colour: str, text: str, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    return (f'<line x1="{left}" x2="{left + 22}" y1="{y + 10}" y2="{y + 10}" stroke="{colour}" '
            f'stroke-width="3"{dash}/><text x="{left + 26}" y="{y + 15}" font-size="13" '
            f'fill="{TEXT_COLOUR}">{escape(text)}</text>')
