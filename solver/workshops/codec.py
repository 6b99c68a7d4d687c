"""Decode and validate an ``internship-workshops/1`` instance; encode the result.

Every fault is collected with its JSON path (``groups[3].people[0].lat: ...``) and raised once
as :class:`solver.errors.InvalidInput`, so a coordinator fixes the whole file in one go.
Settings keys are documented in :mod:`solver.workshops`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from solver.errors import Problems
from solver.weeks import week_monday, week_sunday
from solver.workshops.model import (
    KINDS,
    Group,
    Person,
    Previous,
    Session,
    Settings,
    WorkshopProblem,
    WorkshopResult,
)

FORMAT = "internship-workshops/1"
RESULT_FORMAT = "internship-workshops-result/1"
SETTINGS_KEYS = frozenset(
    {"min_days_before", "min_days_after", "time_limit_s", "workers", "seed", "max_km", "min_fill", "keep"}
)
_MISSING = object()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _string(obj: dict, key: str, path: str, bad: Problems, *, required: bool = True) -> str | None:
    value = obj.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            bad.add(f"{path}.{key}", "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        bad.add(f"{path}.{key}", "must be a non-empty string")
        return None
    return value


def _coordinate(obj: dict, key: str, limit: float, path: str, bad: Problems) -> float:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        bad.add(f"{path}.{key}", "is required")
    elif not _is_number(value):
        bad.add(f"{path}.{key}", "must be a finite number")
    elif not -limit <= value <= limit:
        bad.add(f"{path}.{key}", f"must be between -{limit:g} and {limit:g}")
    else:
        return float(value)
    return 0.0


def _date(value: Any, path: str, bad: Problems) -> dt.date | None:
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    bad.add(path, f"{value!r} is not a date like 2027-08-26")
    return None


def _language(obj: dict, path: str, bad: Problems) -> str | None:
    value = obj.get("language")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        bad.add(f"{path}.language", "must be a non-empty string or null")
        return None
    return value.strip().casefold()


def _optional_max_km(obj: dict, path: str, bad: Problems) -> float | None:
    value = obj.get("max_km")
    if value is None:
        return None
    if not _is_number(value) or value <= 0:
        bad.add(f"{path}.max_km", "must be a positive number or null")
        return None
    return float(value)


def _person(raw: Any, path: str, bad: Problems) -> Person | None:
    if not isinstance(raw, dict):
        bad.add(path, "must be an object")
        return None
    pid = _string(raw, "id", path, bad)
    lat = _coordinate(raw, "lat", 90, path, bad)
    lon = _coordinate(raw, "lon", 180, path, bad)
    dates: set[dt.date] = set()
    unavailable = raw.get("unavailable", [])
    if unavailable is None:
        unavailable = []
    if not isinstance(unavailable, list):
        bad.add(f"{path}.unavailable", "must be a list of dates")
        unavailable = []
    for k, text in enumerate(unavailable):
        day = _date(text, f"{path}.unavailable[{k}]", bad)
        if day is not None:
            dates.add(day)
    max_km = _optional_max_km(raw, path, bad)
    return None if pid is None else Person(pid, lat, lon, frozenset(dates), max_km)


def _group(raw: Any, path: str, bad: Problems) -> Group | None:
    if not isinstance(raw, dict):
        bad.add(path, "must be an object")
        return None
    gid = _string(raw, "id", path, bad)
    host = raw.get("host")
    if host is not None and not isinstance(host, str):
        bad.add(f"{path}.host", "must be a string or null")
        host = None
    week = _string(raw, "week", path, bad)
    monday = sunday = None
    if week is not None:
        try:
            monday, sunday = week_monday(week), week_sunday(week)
        except ValueError as exc:
            bad.add(f"{path}.week", str(exc))
    people_raw = raw.get("people")
    people: list[Person] = []
    if not isinstance(people_raw, list) or not people_raw:
        bad.add(f"{path}.people", "must be a non-empty list")
    else:
        seen: set[str] = set()
        for k, item in enumerate(people_raw):
            person = _person(item, f"{path}.people[{k}]", bad)
            if person is None:
                continue
            if person.id in seen:
                bad.add(f"{path}.people[{k}].id", f"duplicate person id {person.id!r} in this group")
            seen.add(person.id)
            people.append(person)
    language = _language(raw, path, bad)
    if gid is None or monday is None or sunday is None or not people:
        return None
    return Group(gid, host, week, monday, sunday, tuple(people), language)


def _session(raw: Any, path: str, bad: Problems, default_min_fill: int) -> Session | None:
    if not isinstance(raw, dict):
        bad.add(path, "must be an object")
        return None
    sid = _string(raw, "id", path, bad)
    kind = raw.get("kind")
    if kind not in KINDS:
        bad.add(f"{path}.kind", f"must be 'prep' or 'followup', got {kind!r}")
    day = _date(raw.get("date"), f"{path}.date", bad) if "date" in raw else None
    if "date" not in raw:
        bad.add(f"{path}.date", "is required")
    lat = _coordinate(raw, "lat", 90, path, bad)
    lon = _coordinate(raw, "lon", 180, path, bad)
    capacity = raw.get("capacity", _MISSING)
    if capacity is _MISSING:
        bad.add(f"{path}.capacity", "is required")
        capacity = None
    elif not _is_int(capacity) or capacity < 0:
        bad.add(f"{path}.capacity", "must be an integer >= 0")
        capacity = None
    min_fill = raw.get("min_fill", default_min_fill)
    if min_fill is None:
        min_fill = default_min_fill
    if not _is_int(min_fill) or min_fill < 0:
        bad.add(f"{path}.min_fill", "must be an integer >= 0")
        min_fill = 0
    elif capacity is not None and min_fill > capacity and "min_fill" in raw:
        bad.add(f"{path}.min_fill", f"must be at most capacity ({capacity})")
    language = _language(raw, path, bad)
    if sid is None or kind not in KINDS or day is None or capacity is None:
        return None
    return Session(sid, kind, day, lat, lon, capacity, language, min_fill)


def _settings(raw: Any, bad: Problems) -> Settings:
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        bad.add("settings", "must be an object")
        return Settings()
    for key in sorted(set(raw) - SETTINGS_KEYS):
        bad.add(f"settings.{key}", f"unknown setting (known: {', '.join(sorted(SETTINGS_KEYS))})")
    out: dict[str, Any] = {}
    for key in ("min_days_before", "min_days_after", "seed", "min_fill"):
        if key in raw:
            if not _is_int(raw[key]) or raw[key] < 0:
                bad.add(f"settings.{key}", "must be an integer >= 0")
            else:
                out[key] = raw[key]
    if "workers" in raw:
        if not _is_int(raw["workers"]) or not 1 <= raw["workers"] <= 64:
            bad.add("settings.workers", "must be an integer between 1 and 64")
        else:
            out["workers"] = raw["workers"]
    if "time_limit_s" in raw:
        if not _is_number(raw["time_limit_s"]) or raw["time_limit_s"] <= 0:
            bad.add("settings.time_limit_s", "must be a positive number")
        else:
            out["time_limit_s"] = float(raw["time_limit_s"])
    if "max_km" in raw:
        out["max_km"] = _optional_max_km(raw, "settings", bad)
    if "keep" in raw:
        if not isinstance(raw["keep"], bool):
            bad.add("settings.keep", "must be true or false")
        else:
            out["keep"] = raw["keep"]
    return Settings(**out)


def _previous(raw: Any, bad: Problems) -> tuple[Previous, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        bad.add("previous", "must be a list of {group, prep, followup} objects")
        return ()
    out = []
    for k, item in enumerate(raw):
        path = f"previous[{k}]"
        if not isinstance(item, dict):
            bad.add(path, "must be an object with group, prep and followup")
            continue
        values = [_string(item, key, path, bad) for key in ("group", "prep", "followup")]
        if all(v is not None for v in values):
            out.append(Previous(*values))
    return tuple(out)


def _unique(items: list, label: str, bad: Problems) -> None:
    seen: set[str] = set()
    for k, item in enumerate(items):
        if item is None:
            continue
        if item.id in seen:
            bad.add(f"{label}[{k}].id", f"duplicate id {item.id!r}")
        seen.add(item.id)


def parse_problem(instance: Any) -> WorkshopProblem:
    """Validate ``instance`` (a decoded JSON document); raise InvalidInput naming every fault."""
    bad = Problems()
    if not isinstance(instance, dict):
        bad.add("$", "must be a JSON object")
        bad.raise_if_any()
    if instance.get("format") != FORMAT:
        bad.add("format", f"must be {FORMAT!r}, got {instance.get('format')!r}")
    settings = _settings(instance.get("settings"), bad)
    lists = {}
    for key in ("groups", "sessions"):
        lists[key] = instance.get(key)
        if not isinstance(lists[key], list):
            bad.add(key, "must be a list")
            lists[key] = []
    groups = [_group(raw, f"groups[{k}]", bad) for k, raw in enumerate(lists["groups"])]
    sessions = [
        _session(raw, f"sessions[{k}]", bad, settings.min_fill) for k, raw in enumerate(lists["sessions"])
    ]
    _unique(groups, "groups", bad)
    _unique(sessions, "sessions", bad)
    previous = _previous(instance.get("previous"), bad)
    bad.raise_if_any()
    return WorkshopProblem(tuple(groups), tuple(sessions), settings, previous)


def result_to_json(result: WorkshopResult) -> dict[str, Any]:
    """The ``internship-workshops-result/1`` document of spec section 2 (plus ``cancelled``)."""
    return {
        "format": RESULT_FORMAT,
        "status": result.status,
        "schedule": [
            {"group": s.group, "prep": s.prep, "followup": s.followup, "km": s.km} for s in result.schedule
        ],
        "unscheduled": [{"group": u.group, "reasons": list(u.reasons)} for u in result.unscheduled],
        "objective": result.objective.as_dict(),
        "bound": result.bound.as_dict(),
        "load": dict(result.load),
        "cancelled": list(result.cancelled),
        "stats": dict(result.stats),
    }
