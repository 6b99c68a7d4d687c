"""JSON codec for ``internship-match/1``: decode with every problem named by JSON path."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from solver.errors import Problems
from solver.match.model import OBJECTIVES, Host, MatchInstance, MatchResult, Settings, Visitor
from solver.weeks import parse_iso_week

FORMAT = "internship-match/1"
RESULT_FORMAT = "internship-match-result/1"
SETTINGS_KEYS = {
    "default_max_km", "allow_unranked", "unranked_cost", "time_limit_s", "workers", "seed",
    "objective", "keep_previous",
}


def _is_number(value: Any) -> bool:
    # bool is an int in Python; the spec wants numbers, so True must not pass as 1.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value) and value.is_integer()
    )


def _number(obj: dict, key: str, path: str, p: Problems, *, lo: float, hi: float,
            lo_open: bool = False, default: Any = None, required: bool = True) -> Any:
    if key not in obj or (obj[key] is None and not required):
        if required and default is None:
            p.add(f"{path}.{key}", "is required")
        return default
    value = obj[key]
    if not _is_number(value):
        p.add(f"{path}.{key}", f"must be a number, got {type(value).__name__}")
        return default
    if not math.isfinite(value):
        p.add(f"{path}.{key}", "must be a finite number")
        return default
    if value < lo or value > hi or (lo_open and value == lo):
        lo_txt = f"> {lo:g}" if lo_open else f">= {lo:g}"
        what = f"must be {lo_txt}" if hi == math.inf else f"must be between {lo:g} and {hi:g}"
        p.add(f"{path}.{key}", what)
        return default
    return value


def _integer(obj: dict, key: str, path: str, p: Problems, *, lo: int, default: int | None,
             required: bool = False) -> int | None:
    if key not in obj or obj[key] is None:
        if required:
            p.add(f"{path}.{key}", "is required")
        return default
    value = obj[key]
    if not _is_int(value):
        p.add(f"{path}.{key}", f"must be a whole number, got {value!r}")
        return default
    if value < lo:
        p.add(f"{path}.{key}", f"must be >= {lo}")
        return default
    return int(value)


def _string(obj: dict, key: str, path: str, p: Problems, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            p.add(f"{path}.{key}", "is required")
        return None
    if not isinstance(value, str):
        p.add(f"{path}.{key}", f"must be a string, got {type(value).__name__}")
        return None
    if required and not value.strip():
        p.add(f"{path}.{key}", "must not be empty")
    return value


@lru_cache(maxsize=4096)
def _week_problem(week: Any) -> str | None:
    # Instances repeat a handful of week strings 100k times: parse each once.
    try:
        parse_iso_week(week)
    except ValueError as exc:
        return str(exc)
    return None


def _weeks(obj: dict, path: str, p: Problems) -> tuple[str, ...]:
    value = obj.get("weeks")
    if value is None:
        return ()
    if not isinstance(value, list):
        p.add(f"{path}.weeks", "must be a list of ISO weeks like 2027-W37")
        return ()
    good = []
    for i, week in enumerate(value):
        problem = _week_problem(week) if isinstance(week, str) else f"{week!r} is not an ISO week like 2027-W37"
        if problem:
            p.add(f"{path}.weeks[{i}]", problem)
        else:
            good.append(week)
    return tuple(sorted(set(good)))


def _ranking(obj: dict, path: str, p: Problems, known: dict[str, int], other: str) -> tuple[str, ...]:
    value = obj.get("ranking")
    if value is None:
        return ()
    if not isinstance(value, list):
        p.add(f"{path}.ranking", f"must be a list of {other} ids")
        return ()
    seen: set[str] = set()
    out = []
    for i, ref in enumerate(value):
        if not isinstance(ref, str):
            p.add(f"{path}.ranking[{i}]", f"must be a {other} id string")
        elif ref not in known:
            p.add(f"{path}.ranking[{i}]", f"unknown {other} id {ref!r}")
        elif ref in seen:
            p.add(f"{path}.ranking[{i}]", f"{ref!r} is ranked twice")
        else:
            seen.add(ref)
            out.append(ref)
    return tuple(out)


def _ids(items: list, name: str, p: Problems) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            p.add(f"{name}[{i}]", "must be an object")
            continue
        ident = item.get("id")
        if not isinstance(ident, str) or not ident:
            p.add(f"{name}[{i}].id", "must be a non-empty string")
        elif ident in index:
            p.add(f"{name}[{i}].id", f"duplicate id {ident!r} (first at {name}[{index[ident]}])")
        else:
            index[ident] = i
    return index


def _settings(raw: Any, p: Problems) -> Settings:
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        p.add("settings", "must be an object")
        return Settings()
    for key in sorted(set(raw) - SETTINGS_KEYS):
        p.add(f"settings.{key}", f"unknown setting (known: {', '.join(sorted(SETTINGS_KEYS))})")
    base = Settings()
    flags = {}
    for key in ("allow_unranked", "keep_previous"):
        value = raw.get(key, getattr(base, key))
        if not isinstance(value, bool):
            p.add(f"settings.{key}", "must be true or false")
            value = getattr(base, key)
        flags[key] = value
    objective = raw.get("objective", base.objective)
    if objective not in OBJECTIVES:
        p.add("settings.objective", f"must be one of {', '.join(OBJECTIVES)}")
        objective = base.objective
    return Settings(
        default_max_km=_number(raw, "default_max_km", "settings", p, lo=0, hi=math.inf,
                               lo_open=True, default=base.default_max_km),
        unranked_cost=_integer(raw, "unranked_cost", "settings", p, lo=0, default=base.unranked_cost),
        time_limit_s=_number(raw, "time_limit_s", "settings", p, lo=0, hi=math.inf, lo_open=True,
                             default=None, required=False),
        workers=_integer(raw, "workers", "settings", p, lo=1, default=None),
        seed=_integer(raw, "seed", "settings", p, lo=0, default=None),
        objective=objective, **flags,
    )


def _pairs(raw: Any, name: str, p: Problems, vidx: dict, hidx: dict) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        p.add(name, "must be a list of [visitor, host] pairs")
        return ()
    out = []
    for i, pair in enumerate(raw):
        if not (isinstance(pair, list) and len(pair) == 2):
            p.add(f"{name}[{i}]", "must be a [visitor, host] pair")
            continue
        ok = True
        for j, (ref, known, what) in enumerate(((pair[0], vidx, "visitor"), (pair[1], hidx, "host"))):
            if not isinstance(ref, str) or ref not in known:
                p.add(f"{name}[{i}][{j}]", f"unknown {what} id {ref!r}")
                ok = False
        if ok:
            out.append((pair[0], pair[1]))
    return tuple(out)


# Fast paths: a record that is valid in every field is decoded with a few type and range
# checks; any doubt falls back to the field-by-field path below, which names each problem.
# (100k visitors: the field-by-field path took 1.6 s of the 7 s CLI run.)

def _within(value: Any, lo: float, hi: float) -> bool:
    return (type(value) is float or type(value) is int) and lo <= value <= hi  # NaN: False


def _entries(value: Any) -> set | None:
    """A JSON list's entries as a set; None when it is no list or holds a list or an object."""
    if type(value) is not list:
        return None
    try:
        return set(value)
    except TypeError:
        return None


def _ids_fast(value: Any, known: dict[str, int]) -> tuple[str, ...] | None:
    if value is None:
        return ()
    refs = _entries(value)
    # The keys are strings, so anything else (a number, null) is not among them.
    if refs is None or len(refs) != len(value) or not known.keys() >= refs:
        return None
    return tuple(value)


_GOOD_WEEKS: set[str] = set()  # week strings already found valid


def _weeks_fast(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    weeks = _entries(value)
    if weeks is None:
        return None
    for week in weeks - _GOOD_WEEKS:
        if type(week) is not str or _week_problem(week) is not None:
            return None
        _GOOD_WEEKS.add(week)
    return tuple(sorted(weeks))


def _optional_string(value: Any) -> bool:
    return value is None or type(value) is str


def _common_fast(raw: dict, known: dict[str, int]) -> dict[str, Any] | None:
    """The fields hosts and visitors share (id, organisation, place, weeks, ranking,
    org_level) of a record valid in all of them, or None."""
    get = raw.get
    org, lat, lon, level = get("organisation"), get("lat"), get("lon"), get("org_level")
    if not (type(org) is str and org.strip() and _within(lat, -90, 90)
            and _within(lon, -180, 180) and _optional_string(level)):
        return None
    weeks, ranking = _weeks_fast(get("weeks")), _ids_fast(get("ranking"), known)
    if weeks is None or ranking is None:
        return None
    return {"id": get("id", ""), "organisation": org, "lat": lat, "lon": lon, "weeks": weeks,
            "ranking": ranking, "org_level": level}


def _host_fast(raw: dict, vidx: dict[str, int]) -> Host | None:
    cap, low = raw.get("capacity"), raw.get("min_visitors")
    if not (type(cap) is int and cap >= 1 and (low is None or (type(low) is int and 0 <= low <= cap))):
        return None
    common = _common_fast(raw, vidx)
    return None if common is None else Host(capacity=cap, min_visitors=low or 0, **common)


def _visitor_fast(raw: dict, hidx: dict[str, int], default_km: float) -> Visitor | None:
    max_km = raw.get("max_km", default_km)  # present but null: the checked path says so
    team = raw.get("team")
    if not (_within(max_km, 0, math.inf) and 0 < max_km < math.inf and _optional_string(team)):
        return None
    common = _common_fast(raw, hidx)
    return None if common is None else Visitor(max_km=max_km, team=team, **common)


def _host(raw: dict, path: str, p: Problems, vidx: dict) -> Host | None:
    return _host_fast(raw, vidx) or _host_checked(raw, path, p, vidx)


def _host_checked(raw: dict, path: str, p: Problems, vidx: dict) -> Host | None:
    before = len(p.items)
    cap = _integer(raw, "capacity", path, p, lo=1, default=1, required=True)
    low = _integer(raw, "min_visitors", path, p, lo=0, default=0)
    if cap is not None and low is not None and low > cap:
        p.add(f"{path}.min_visitors", f"must be <= capacity ({cap})")
    host = Host(
        id=raw.get("id", ""), organisation=_string(raw, "organisation", path, p, required=True) or "",
        lat=_number(raw, "lat", path, p, lo=-90, hi=90), lon=_number(raw, "lon", path, p, lo=-180, hi=180),
        capacity=cap or 1, min_visitors=low or 0, weeks=_weeks(raw, path, p),
        ranking=_ranking(raw, path, p, vidx, "visitor"),
        org_level=_string(raw, "org_level", path, p, required=False),
    )
    return host if len(p.items) == before else None


def _visitor(raw: dict, path: str, p: Problems, hidx: dict, default_km: float) -> Visitor | None:
    return _visitor_fast(raw, hidx, default_km) or _visitor_checked(raw, path, p, hidx, default_km)


def _visitor_checked(raw: dict, path: str, p: Problems, hidx: dict, default_km: float
                     ) -> Visitor | None:
    before = len(p.items)
    team = raw.get("team")
    if team is not None and not isinstance(team, str):
        p.add(f"{path}.team", "must be a string or null")
    visitor = Visitor(
        id=raw.get("id", ""), organisation=_string(raw, "organisation", path, p, required=True) or "",
        lat=_number(raw, "lat", path, p, lo=-90, hi=90), lon=_number(raw, "lon", path, p, lo=-180, hi=180),
        max_km=_number(raw, "max_km", path, p, lo=0, hi=math.inf, lo_open=True, default=default_km),
        weeks=_weeks(raw, path, p), ranking=_ranking(raw, path, p, hidx, "host"),
        team=team if isinstance(team, str) else None,
        org_level=_string(raw, "org_level", path, p, required=False),
    )
    return visitor if len(p.items) == before else None


def decode_instance(doc: Any) -> MatchInstance:
    """Validate and decode; raise InvalidInput naming every problem (structure only:
    the hard-constraint checks of fixed pairs live in :func:`solver.match.arcs.check_fixed`)."""
    p = Problems()
    if not isinstance(doc, dict):
        p.add("$", "must be a JSON object")
        p.raise_if_any()
    if doc.get("format") != FORMAT:
        p.add("format", f"must be {FORMAT!r}, got {doc.get('format')!r}")
    lists = {}
    for name in ("hosts", "visitors"):
        lists[name] = doc.get(name)
        if not isinstance(lists[name], list):
            p.add(name, "must be a list")
            lists[name] = []
    hidx, vidx = _ids(lists["hosts"], "hosts", p), _ids(lists["visitors"], "visitors", p)
    settings = _settings(doc.get("settings"), p)
    hosts = [_host(raw, f"hosts[{i}]", p, vidx) for i, raw in enumerate(lists["hosts"])
             if isinstance(raw, dict)]
    visitors = [_visitor(raw, f"visitors[{i}]", p, hidx, settings.default_max_km)
                for i, raw in enumerate(lists["visitors"]) if isinstance(raw, dict)]
    forbidden = _pairs(doc.get("forbidden"), "forbidden", p, vidx, hidx)
    fixed = _pairs(doc.get("fixed"), "fixed", p, vidx, hidx)
    previous = _pairs(doc.get("previous"), "previous", p, vidx, hidx)
    first_fixed: dict[str, int] = {}
    for i, (v, _h) in enumerate(fixed):
        if v in first_fixed:
            p.add(f"fixed[{i}]", f"visitor {v!r} is already fixed at fixed[{first_fixed[v]}]")
        first_fixed.setdefault(v, i)
    p.raise_if_any()
    return MatchInstance(
        hosts=tuple(h for h in hosts if h), visitors=tuple(v for v in visitors if v),
        forbidden=forbidden, fixed=tuple(dict.fromkeys(fixed)), previous=previous, settings=settings,
    )


def encode_result(result: MatchResult) -> dict[str, Any]:
    """The result JSON of the spec; extra reports live under ``stats``."""
    return {
        "format": RESULT_FORMAT,
        "status": str(result.status),
        "assignments": [
            {"visitor": a.visitor, "host": a.host, "week": a.week, "rank": a.rank, "km": a.km}
            for a in result.assignments
        ],
        "unassigned": [{"visitor": u.visitor, "reasons": list(u.reasons)} for u in result.unassigned],
        "objective": result.objective.as_dict(),
        "bound": result.bound.as_dict(),
        "stability": {"blocking_pairs": result.blocking_pairs},
        "stats": result.stats,
    }
