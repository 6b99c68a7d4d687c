"""Small, pure builders of accessible SVG charts (no Flask, no database).

Every chart is one `<svg role="img">` with a `<title>` and a `<desc>` it is labelled by; the page
shows the same numbers in a table next to it, so nobody has to read the picture. Colours are
SVG presentation attributes, not `style=""`, so a strict Content-Security-Policy allows them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Okabe-Ito / Tol colours that stay apart for the common colour-vision deficiencies, picked dark
# enough for 3:1 against white (WCAG 1.4.11); rank 1 is the "best" blue.
RANK_COLOURS: dict[int, str] = {1: "#0072B2", 2: "#009E73", 3: "#D55E00", 4: "#AA3377",
                                5: "#882255"}
UNRANKED_COLOUR = "#595959"
BAR_COLOUR = "#0b4f8a"
OVER_COLOUR = "#a00000"
TEXT_COLOUR = "#1a1a1a"


def rank_colour(rank: int | None) -> str:
    """The line/bar colour of a placement at the visitor's `rank`-th choice (None: unranked)."""
    if rank is None:
        return UNRANKED_COLOUR
    return RANK_COLOURS.get(rank, UNRANKED_COLOUR)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = BAR_COLOUR


@dataclass(frozen=True)
class Bin:
    start: int
    end: int  # exclusive
    count: int


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def svg_open(width: int, height: int, chart_id: str, title: str, desc: str,
             css_class: str = "chart") -> str:
    """The opening tag, title and description that every chart shares."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">'
            f'<title id="{chart_id}-title">{escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>')


def nice_ceiling(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 x 10^k)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str, y_label: str,
              width: int = 640, height: int = 280) -> Markup:
    """Vertical bars, one per category, with the value written above each bar."""
    left, right, top, bottom = 48, 12, 16, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    # At least 4 so that counts get whole-number ticks.
    top_value = max(nice_ceiling(max((b.value for b in bars), default=0)), 4)
    parts = [svg_open(width, height, chart_id, title, desc), _y_axis(left, top, plot_w, plot_h,
                                                                     top_value, y_label)]
    slot = plot_w / max(len(bars), 1)
    for index, bar in enumerate(bars):
        bar_h = plot_h * bar.value / top_value
        x = left + index * slot + slot * 0.15
        y = top + plot_h - bar_h
        parts.append(f'<rect class="bar" x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(slot * 0.7)}" '
                     f'height="{_fmt(bar_h)}" fill="{escape(bar.colour)}">'
                     f'<title>{escape(bar.label)}: {_fmt(bar.value)}</title></rect>')
        centre = x + slot * 0.35
        parts.append(f'<text x="{_fmt(centre)}" y="{_fmt(y - 4)}" text-anchor="middle" '
                     f'font-size="12" fill="{TEXT_COLOUR}">{_fmt(bar.value)}</text>')
        parts.append(f'<text x="{_fmt(centre)}" y="{_fmt(top + plot_h + 18)}" '
                     f'text-anchor="middle" font-size="12" fill="{TEXT_COLOUR}">'
                     f'{escape(bar.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704 - every text piece above went through escape()


def _y_axis(left: float, top: float, plot_w: float, plot_h: float, top_value: float,
            label: str) -> str:
    ticks = []
    for step in range(5):
        value = top_value * step / 4
        y = top + plot_h - plot_h * step / 4
        ticks.append(f'<line x1="{left}" x2="{_fmt(left + plot_w)}" y1="{_fmt(y)}" '
                     f'y2="{_fmt(y)}" stroke="#d0d0d0" stroke-width="1"/>'
                     f'<text x="{left - 6}" y="{_fmt(y + 4)}" text-anchor="end" font-size="11" '
                     f'fill="{TEXT_COLOUR}">{_fmt(value)}</text>')
    axis = (f'<line x1="{left}" x2="{left}" y1="{top}" y2="{_fmt(top + plot_h)}" '
            f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
            f'<text x="12" y="{_fmt(top + plot_h / 2)}" font-size="12" fill="{TEXT_COLOUR}" '
            f'text-anchor="middle" transform="rotate(-90 12 {_fmt(top + plot_h / 2)})">'
            f'{escape(label)}</text>')
    return '<g class="axis" aria-hidden="true">' + "".join(ticks) + axis + "</g>"


def histogram_bins(values: Sequence[float], bin_width: int) -> list[Bin]:
    """Counts of `values` in [0, w), [w, 2w), ... up to the largest value; empty bins kept."""
    if bin_width <= 0:
        raise ValueError("bin_width must be positive")
    if not values:
        return []
    last = int(max(values) // bin_width)
    counts = [0] * (last + 1)
    for value in values:
        counts[int(max(value, 0) // bin_width)] += 1
    return [Bin(i * bin_width, (i + 1) * bin_width, c) for i, c in enumerate(counts)]


def histogram(values: Sequence[float], *, bin_width: int, chart_id: str, title: str, desc: str,
              y_label: str) -> tuple[Markup, list[Bin]]:
    """A histogram as bars labelled by their range; returns the bins for the data table too."""
    bins = histogram_bins(values, bin_width)
    bars = [Bar(f"{b.start}–{b.end}", b.count) for b in bins]
    return bar_chart(bars, chart_id=chart_id, title=title, desc=desc, y_label=y_label), bins


@dataclass(frozen=True)
class Load:
    label: str
    load: int
    capacity: int


def load_chart(loads: Sequence[Load], *, chart_id: str, title: str, desc: str,
               width: int = 640) -> Markup:
    """Horizontal bars of people per session against the session's capacity (outlined)."""
    # Wide enough for "Forberedelse 2027-08-23 København" at 12 px: no label is cut off.
    row, left, right, top = 30, 260, 70, 10
    height = top * 2 + row * max(len(loads), 1)
    plot_w = width - left - right
    scale = max([max(x.capacity, x.load) for x in loads] or [1]) or 1
    parts = [svg_open(width, height, chart_id, title, desc)]
    for index, item in enumerate(loads):
        y = top + index * row
        colour = OVER_COLOUR if item.load > item.capacity else BAR_COLOUR
        parts.append(f'<text x="{left - 8}" y="{y + 19}" text-anchor="end" font-size="12" '
                     f'fill="{TEXT_COLOUR}">{escape(item.label)}</text>'
                     f'<rect class="capacity" x="{left}" y="{y + 4}" '
                     f'width="{_fmt(plot_w * item.capacity / scale)}" height="20" fill="none" '
                     f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
                     f'<rect class="bar" x="{left}" y="{y + 4}" '
                     f'width="{_fmt(plot_w * item.load / scale)}" height="20" fill="{colour}">'
                     f'<title>{escape(item.label)}: {item.load} / {item.capacity}</title></rect>'
                     f'<text x="{_fmt(left + plot_w * max(item.capacity, item.load) / scale + 6)}" '
                     f'y="{y + 19}" font-size="12" fill="{TEXT_COLOUR}">'
                     f'{item.load} / {item.capacity}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704 - every text piece above went through escape()
