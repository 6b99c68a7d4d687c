"""Independent checker: every hard constraint (1-8) and the claimed objective of a result.

It shares only the input decoder and the distance formula with the solver; everything else
is recomputed here in plain Python so that a solver bug cannot hide behind itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solver.errors import InvalidInput
from solver.geo import haversine_km_array
from solver.match.codec import RESULT_FORMAT, decode_instance
from solver.match.index import norm_org

KM_TOLERANCE = 1e-6  # float noise only; a real breach is far larger
STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE")


def _assignments(result: dict, out: list[str]) -> list[dict]:
    rows = result.get("assignments")
    if not isinstance(rows, list):
        out.append("assignments: must be a list")
        return []
    good = []
    for i, a in enumerate(rows):
        if not isinstance(a, dict) or not isinstance(a.get("visitor"), str) or not isinstance(a.get("host"), str):
            out.append(f"assignments[{i}]: must have string visitor and host")
        else:
            good.append({**a, "_i": i})
    return good


def check_match_json(instance: dict, result: dict) -> list[str]:
    """Problems found (empty = the result is valid and its objective is what it claims)."""
    inst = decode_instance(instance)  # raises InvalidInput for a bad instance
    if not isinstance(result, dict):
        raise InvalidInput(["$: the result must be a JSON object"])
    out: list[str] = []
    if result.get("format") != RESULT_FORMAT:
        out.append(f"format: must be {RESULT_FORMAT!r}")
    if result.get("status") not in STATUSES:
        out.append(f"status: must be one of {', '.join(STATUSES)}")
    s = inst.settings
    visitors = {v.id: v for v in inst.visitors}
    hosts = {h.id: h for h in inst.hosts}
    rows = _assignments(result, out)
    placed: dict[str, dict] = {}
    for a in rows:
        p = f"assignments[{a['_i']}]"
        if a["visitor"] not in visitors or a["host"] not in hosts:
            out.append(f"{p}: unknown visitor or host")
            continue
        if a["visitor"] in placed:
            out.append(f"{p}: visitor {a['visitor']!r} is placed twice (constraint 1)")
            continue
        placed[a["visitor"]] = a
    pairs = [(visitors[v], hosts[a["host"]], a) for v, a in placed.items()]
    km = haversine_km_array(np.array([v.lat for v, _, _ in pairs]), np.array([v.lon for v, _, _ in pairs]),
                            np.array([h.lat for _, h, _ in pairs]), np.array([h.lon for _, h, _ in pairs]))
    forbidden, previous = set(inst.forbidden), set(inst.previous)
    total = {"placed": 0, "rank_cost": 0, "total_km": 0, "kept": 0, "max_rank_cost": 0}
    load: dict[str, int] = {}
    team_weeks: dict[str, set[str]] = {}
    for v in inst.visitors:
        if v.team is not None and v.weeks:
            team_weeks.setdefault(v.team, set()).update(v.weeks)
    for (v, h, a), dist in zip(pairs, km.tolist(), strict=True):
        p = f"assignments[{a['_i']}]"
        if dist > v.max_km + KM_TOLERANCE:
            out.append(f"{p}: {dist:.3f} km exceeds max_km {v.max_km:g} (constraint 3)")
        if a.get("km") != int(np.floor(dist + 0.5)):
            out.append(f"{p}.km: is {a.get('km')!r}, the distance rounds to {int(np.floor(dist + 0.5))}")
        week = a.get("week")
        if not v.weeks and not h.weeks:
            # A team mate's weeks pin the whole team's week (constraint 7 needs one week).
            if week is not None and not (v.team in team_weeks and week in team_weeks[v.team]):
                out.append(f"{p}.week: must be null when neither side gives weeks (constraint 4)")
        elif week is None or (v.weeks and week not in v.weeks) or (h.weeks and week not in h.weeks):
            out.append(f"{p}.week: {week!r} is not a week of both visitor and host (constraint 4)")
        if norm_org(v.organisation) == norm_org(h.organisation):
            out.append(f"{p}: {h.id!r} is the visitor's own organisation (constraint 5)")
        if (v.id, h.id) in forbidden:
            out.append(f"{p}: [{v.id!r}, {h.id!r}] is forbidden (constraint 6)")
        rank = v.ranking.index(h.id) + 1 if h.id in v.ranking else None
        if rank is None and not s.allow_unranked:
            out.append(f"{p}: {h.id!r} is not in the visitor's ranking and allow_unranked is false (constraint 8)")
        if a.get("rank") != rank:
            out.append(f"{p}.rank: is {a.get('rank')!r}, should be {rank!r}")
        cost = rank - 1 if rank is not None else s.unranked_cost
        total["placed"] += 1
        total["rank_cost"] += cost
        total["total_km"] += int(np.floor(dist + 0.5))
        total["kept"] += (v.id, h.id) in previous
        total["max_rank_cost"] = max(total["max_rank_cost"], cost)
        load[h.id] = load.get(h.id, 0) + 1
    for h in inst.hosts:
        n = load.get(h.id, 0)
        if n > h.capacity:
            out.append(f"hosts[{h.id}]: {n} visitors exceed capacity {h.capacity} (constraint 2)")
        if 0 < n < h.min_visitors:
            out.append(f"hosts[{h.id}]: {n} visitors, fewer than min_visitors {h.min_visitors} (constraint 2)")
    for i, (v, h) in enumerate(inst.fixed):
        if placed.get(v, {}).get("host") != h:
            out.append(f"fixed[{i}]: {v!r} is not placed at {h!r} (constraint 6)")
    teams: dict[str, list[str]] = {}
    for v in inst.visitors:
        if v.team is not None:
            teams.setdefault(v.team, []).append(v.id)
    for name, members in teams.items():
        where = {(placed[m]["host"], placed[m].get("week")) if m in placed else None for m in members}
        if len(where) > 1:
            out.append(f"team {name!r}: members are not all placed at one host in one week (constraint 7)")
    _check_unassigned(result, visitors, placed, out)
    _check_objective(result, inst, total, out)
    return out


def _check_unassigned(result: dict, visitors: dict, placed: dict, out: list[str]) -> None:
    rows = result.get("unassigned")
    if not isinstance(rows, list):
        out.append("unassigned: must be a list")
        return
    listed = set()
    for i, u in enumerate(rows):
        vid = u.get("visitor") if isinstance(u, dict) else None
        if vid not in visitors or vid in placed:
            out.append(f"unassigned[{i}]: {vid!r} is not an unplaced visitor")
        elif not (isinstance(u.get("reasons"), list) and u["reasons"]
                  and all(isinstance(r, str) and r for r in u["reasons"])):
            out.append(f"unassigned[{i}].reasons: at least one reason is required")
        listed.add(vid)
    missing = [v for v in visitors if v not in placed and v not in listed]
    if missing:
        out.append(f"unassigned: {len(missing)} unplaced visitor(s) have no entry, e.g. {missing[0]!r}")


def _key(obj: dict[str, Any], names: list[str]) -> tuple:
    sign = {"placed": -1, "kept": -1}
    return tuple(sign.get(n, 1) * obj[n] for n in names)


def _check_objective(result: dict, inst, total: dict, out: list[str]) -> None:
    s = inst.settings
    names = ["placed"] + (["kept"] if s.keep_previous else [])
    names += (["max_rank_cost"] if s.objective == "minimax_rank" else []) + ["rank_cost", "total_km"]
    claimed, bound = result.get("objective"), result.get("bound")
    if not isinstance(claimed, dict) or not isinstance(bound, dict):
        out.append("objective/bound: must be objects")
        return
    for n in names:
        if claimed.get(n) != total[n]:
            out.append(f"objective.{n}: claims {claimed.get(n)!r}, the assignments give {total[n]}")
        if not isinstance(bound.get(n), int) or isinstance(bound.get(n), bool):
            out.append(f"bound.{n}: must be an integer")
            return
    if _key(bound, names) > _key(total, names):
        out.append(f"bound: {bound} is worse than the objective reached; it cannot be a bound")
    if result.get("status") == "OPTIMAL" and any(bound[n] != total[n] for n in names):
        out.append("status: OPTIMAL but the bound differs from the objective")
