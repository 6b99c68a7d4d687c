"""Shared helpers for the matching tests: random tiny instances and a brute-force optimum.

The brute force re-derives every hard constraint on its own (it does not use the solver's
arc builder), so agreement with it means something.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np

from solver.geo import haversine_km_array

ORGS = ["Aarhus Kommune", "Odense Kommune", "Region Syd", "aarhus  kommune", "Styrelsen"]
WEEKS = ["2027-W37", "2027-W38"]


def random_instance(seed: int, *, n_visitors: int = 6, n_hosts: int = 3, teams: bool = True,
                    min_visitors: bool = True, extras: bool = True) -> dict[str, Any]:
    rng = random.Random(seed)

    def point() -> tuple[float, float]:
        return round(rng.uniform(55.0, 56.5), 4), round(rng.uniform(9.0, 11.0), 4)

    hosts = []
    for i in range(n_hosts):
        lat, lon = point()
        cap = rng.randint(1, 3)
        hosts.append({"id": f"h{i}", "organisation": rng.choice(ORGS), "lat": lat, "lon": lon,
                      "capacity": cap,
                      "min_visitors": rng.randint(0, cap) if min_visitors and rng.random() < 0.4 else 0,
                      "weeks": rng.sample(WEEKS, rng.randint(0, 2)),
                      "ranking": [f"v{j}" for j in rng.sample(range(n_visitors), rng.randint(0, n_visitors))]})
    visitors = []
    for j in range(n_visitors):
        lat, lon = point()
        team = None
        if teams and rng.random() < 0.35:
            team = f"t{rng.randint(0, 1)}"
        visitors.append({"id": f"v{j}", "organisation": rng.choice(ORGS), "lat": lat, "lon": lon,
                         "max_km": rng.choice([40, 90, 150, 300]),
                         "weeks": rng.sample(WEEKS, rng.randint(0, 2)),
                         "ranking": [f"h{i}" for i in rng.sample(range(n_hosts), rng.randint(0, n_hosts))],
                         "team": team})
    doc: dict[str, Any] = {"format": "internship-match/1", "hosts": hosts, "visitors": visitors,
                           "settings": {"allow_unranked": rng.random() < 0.6,
                                        "unranked_cost": rng.choice([0, 2, 10]),
                                        "workers": 1, "seed": 1, "time_limit_s": 10}}
    if extras:
        pairs = [[f"v{j}", f"h{i}"] for j in range(n_visitors) for i in range(n_hosts)]
        doc["forbidden"] = rng.sample(pairs, min(len(pairs), rng.randint(0, 2)))
        doc["previous"] = rng.sample(pairs, min(len(pairs), rng.randint(0, 3)))
        doc["settings"]["keep_previous"] = rng.random() < 0.3
        doc["settings"]["objective"] = rng.choice(["canonical", "canonical", "minimax_rank"])
    return doc


def _norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def _km(v: dict, h: dict) -> float:
    return float(haversine_km_array(np.array([v["lat"]]), np.array([v["lon"]]),
                                    np.array([h["lat"]]), np.array([h["lon"]]))[0])


def _weeks(x: dict) -> set[str] | None:
    return set(x["weeks"]) if x.get("weeks") else None  # None = any week


def _share(*sets: set[str] | None) -> bool:
    given = [s for s in sets if s is not None]
    return not given or bool(set.intersection(*given))


def brute_force(doc: dict) -> tuple[int, ...] | None:
    """Best lexicographic key (as solver.match.placement.lex_key) over all feasible solutions,
    or None when no solution satisfies the fixed pairs."""
    return min((key for _combo, key in feasible_solutions(doc)), default=None)


def feasible_solutions(doc: dict):
    """Every feasible solution: (per visitor, its host's index or None; its lexicographic key
    as solver.match.placement.lex_key)."""
    s = doc.get("settings", {})
    allow = s.get("allow_unranked", True)
    ucost = s.get("unranked_cost", 10)
    keep = s.get("keep_previous", False)
    minimax = s.get("objective") == "minimax_rank"
    forbidden = {tuple(p) for p in doc.get("forbidden", [])}
    previous = {tuple(p) for p in doc.get("previous", [])}
    fixed = {v: h for v, h in doc.get("fixed", [])}
    hosts, visitors = doc["hosts"], doc["visitors"]
    options = []
    for v in visitors:
        opts: list[int | None] = [None] if v["id"] not in fixed else []
        for i, h in enumerate(hosts):
            if fixed.get(v["id"], h["id"]) != h["id"]:
                continue
            ok = (_km(v, h) <= v.get("max_km", s.get("default_max_km", 250))
                  and _share(_weeks(v), _weeks(h))
                  and _norm(v["organisation"]) != _norm(h["organisation"])
                  and (v["id"], h["id"]) not in forbidden
                  and (allow or h["id"] in v["ranking"]))
            if ok:
                opts.append(i)
        options.append(opts)
    for combo in itertools.product(*options):
        load = [0] * len(hosts)
        for i in combo:
            if i is not None:
                load[i] += 1
        if any(n > h["capacity"] or 0 < n < h.get("min_visitors", 0) for n, h in zip(load, hosts, strict=True)):
            continue
        teams: dict[str, list[int]] = {}
        for j, v in enumerate(visitors):
            if v.get("team"):
                teams.setdefault(v["team"], []).append(j)
        good = True
        for members in teams.values():
            if len(members) < 2:
                continue
            where = {combo[j] for j in members}
            if len(where) > 1:
                good = False
            elif combo[members[0]] is not None:
                h = hosts[combo[members[0]]]
                good &= _share(_weeks(h), *(_weeks(visitors[j]) for j in members))
        if not good:
            continue
        placed = kept = rank = km = worst = 0
        for j, i in enumerate(combo):
            if i is None:
                continue
            v, h = visitors[j], hosts[i]
            cost = v["ranking"].index(h["id"]) if h["id"] in v["ranking"] else ucost
            placed += 1
            kept += (v["id"], h["id"]) in previous
            rank += cost
            km += int(np.floor(_km(v, h) + 0.5))
            worst = max(worst, cost)
        key = [-placed] + ([-kept] if keep else []) + ([worst] if minimax else []) + [rank, km]
        yield combo, tuple(key)


def result_key(result: dict, doc: dict, part: str = "objective") -> tuple[int, ...]:
    s = doc.get("settings", {})
    o = result[part]
    key = [-o["placed"]] + ([-o["kept"]] if s.get("keep_previous") else [])
    key += [o["max_rank_cost"]] if s.get("objective") == "minimax_rank" else []
    return (*key, o["rank_cost"], o["total_km"])
