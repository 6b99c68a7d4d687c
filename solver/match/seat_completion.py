"""Completing a solution of the aggregated model (:mod:`solver.match.aggregate`) to a real
placement, and the Hall cut when it cannot be completed.

The aggregated model counts how many units of each size a host takes unranked (``y``) and
which units are placed unranked (``w``), but not who goes where. The completion matches those
units to the counted seats by min-cost flow (least km), one unit size at a time. When some unit
finds no seat, the units reachable from it by alternating paths (``S``) and their hosts
(``N(S)``, all full) violate Hall's condition, and ``sum(w[S]) <= sum(y[N(S)])``, valid for
every real solution, cuts that model solution off. Used by the rank bound and the km level
(:mod:`solver.match.aggregate_km`) alike.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.match.flow import max_flow_min_cost
from solver.match.index import Index
from solver.match.placement import Placement
from solver.match.units import UnitArcs, place_units


def add_hall_cut(model: cp_model.CpModel, w: dict, y: dict, size: int, units: list[int],
                 hosts: list[int]) -> None:
    model.add(cp_model.LinearExpr.sum([w[u] for u in units])
              <= cp_model.LinearExpr.sum([y[size, h] for h in hosts if (size, h) in y]))


def closed_units(ua: UnitArcs, agg: np.ndarray, size: int, hosts: list[int], units: list[int]
                 ) -> list[int]:
    """Every unit of ``size`` whose unranked hosts all lie in ``hosts``: the Hall cut for
    this larger set has the same right-hand side, so it is stronger (fewer rounds)."""
    sel = agg & (ua.size == size)
    outside = sel & ~np.isin(ua.h, np.array(hosts, dtype=np.int64))
    inside = np.setdiff1d(np.unique(ua.u[sel]), np.unique(ua.u[outside]))
    return sorted(set(units) | set(inside.tolist()))


def complete_seats(ix: Index, ua: UnitArcs, base: Placement, agg: np.ndarray,
                   unit_size: np.ndarray, explicit: np.ndarray, units: set[int],
                   seats: dict[tuple[int, int], int]
                   ) -> tuple[Placement | None, tuple[int, list[int], list[int]] | None]:
    """Match the aggregated units to their counted seats (min km), per unit size. When some
    unit finds no seat: (None, (size, S, N(S))) with S the units reachable from an unmatched
    one by alternating paths and N(S) their hosts, all full (Koenig): |S| > seats of N(S)."""
    chosen = np.zeros(len(ua.u), dtype=bool)
    chosen[explicit] = True
    if units:
        picked = np.array(sorted(units), dtype=np.int64)
        cand = np.flatnonzero(agg & np.isin(ua.u, picked))
        for size in sorted(set(unit_size[picked].tolist())):
            sel = cand[ua.size[cand] == size]
            want = picked[unit_size[picked] == size]
            caps = np.zeros(ix.n_hosts, dtype=np.int64)
            for (sz, h), n in seats.items():
                if sz == size:
                    caps[h] = n
            lonely = sorted(set(want.tolist()) - set(ua.u[sel].tolist()))
            if lonely:  # no unranked host at all among the arcs at hand
                return None, (size, lonely, [])
            local = {u: k for k, u in enumerate(want.tolist())}
            av = np.array([local[int(u)] for u in ua.u[sel].tolist()], dtype=np.int64)
            used = max_flow_min_cost(len(local), ix.n_hosts, av, ua.h[sel], caps, ua.km[sel])
            if int(used.sum()) < len(want):
                return None, (size, *_hall(ua, sel, used, want))
            chosen[sel[used]] = True
    return place_units(ua, base, chosen), None


def _hall(ua: UnitArcs, sel: np.ndarray, used: np.ndarray, want: np.ndarray
          ) -> tuple[list[int], list[int]]:
    """Units reachable from an unmatched unit by alternating paths, and their hosts."""
    hosts_of: dict[int, list[int]] = {}
    for u, h in zip(ua.u[sel].tolist(), ua.h[sel].tolist(), strict=True):
        hosts_of.setdefault(u, []).append(h)
    users: dict[int, list[int]] = {}
    matched = set()
    for u, h in zip(ua.u[sel[used]].tolist(), ua.h[sel[used]].tolist(), strict=True):
        users.setdefault(h, []).append(u)
        matched.add(u)
    todo = [u for u in want.tolist() if u not in matched]
    seen_u, seen_h = set(todo), set()
    while todo:
        u = todo.pop()
        for h in hosts_of.get(u, []):
            if h in seen_h:
                continue
            seen_h.add(h)
            for m in users.get(h, []):
                if m not in seen_u:
                    seen_u.add(m)
                    todo.append(m)
    return sorted(seen_u), sorted(seen_h)
