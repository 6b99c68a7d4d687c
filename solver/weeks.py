"""ISO week strings ("2027-W37") and the dates they span."""

from __future__ import annotations

import datetime as dt
import re

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_iso_week(text: str) -> tuple[int, int]:
    """Return (year, week) or raise ValueError with a human message."""
    m = _WEEK.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"{text!r} is not an ISO week like 2027-W37")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a week of {year}") from exc
    return year, week


def week_monday(text: str) -> dt.date:
    year, week = parse_iso_week(text)
    return dt.date.fromisocalendar(year, week, 1)


def week_sunday(text: str) -> dt.date:
    year, week = parse_iso_week(text)
    return dt.date.fromisocalendar(year, week, 7)
