"""Turn a placement into the result: assignments, reasons, bound, stability and statistics."""

from __future__ import annotations

from typing import Any

import numpy as np

from solver.match.explain import explain_unassigned
from solver.match.index import Index
from solver.match.model import Assignment, MatchResult, Objective, Unassigned
from solver.match.placement import Placement
from solver.status import Status


def blocking_pairs(ix: Index, place: Placement) -> int:
    """Pairs that rank each other and both prefer each other to what they got (a host with a
    free seat prefers any visitor it ranked to the empty seat)."""
    n_h = max(ix.n_hosts, 1)
    host_rank: dict[int, int] = {}
    for hi, host in enumerate(ix.inst.hosts):
        for k, v in enumerate(host.ranking):
            host_rank[ix.vid[v] * n_h + hi] = k + 1
    if not host_rank or len(ix.ranked_code) == 0:
        return 0
    hcodes = np.fromiter(host_rank.keys(), dtype=np.int64, count=len(host_rank))
    hpos = np.fromiter(host_rank.values(), dtype=np.int64, count=len(host_rank))
    order = np.argsort(hcodes)
    hcodes, hpos = hcodes[order], hpos[order]
    mutual = np.isin(ix.ranked_code, hcodes)
    codes, vpos = ix.ranked_code[mutual], ix.ranked_pos[mutual]
    pos_h = hpos[np.searchsorted(hcodes, codes)]
    v, h = codes // n_h, codes % n_h
    big = np.iinfo(np.int64).max
    # The visitor's current rank (unplaced or unranked: worse than any ranked host).
    current = np.where((place.host >= 0) & (place.rank > 0), place.rank, big)
    # Each host's worst occupant by its own ranking (free seat or unranked occupant: big).
    worst = np.zeros(ix.n_hosts, dtype=np.int64)
    on = np.flatnonzero(place.host >= 0)
    if len(on):
        oc = on * n_h + place.host[on]
        found = np.minimum(np.searchsorted(hcodes, oc), len(hcodes) - 1)
        occ_rank = np.where(hcodes[found] == oc, hpos[found], big)
        np.maximum.at(worst, place.host[on], occ_rank)
    load = np.bincount(place.host[on], minlength=ix.n_hosts)
    worst = np.where(load < ix.cap, big, worst)
    return int(((vpos < current[v]) & (pos_h < worst[h])).sum())


def _stats(ix: Index, place: Placement) -> dict[str, Any]:
    on = np.flatnonzero(place.host >= 0)
    load = np.bincount(place.host[on], minlength=ix.n_hosts)
    hist: dict[str, int] = {}
    ranks = place.rank[on]
    for r, n in zip(*np.unique(ranks[ranks > 0], return_counts=True), strict=True):
        hist[str(int(r))] = int(n)
    hist["unranked"] = int((ranks == 0).sum())
    km = place.km[on]
    dist: dict[str, Any] = {"count": len(km)}
    if len(km):
        q = np.percentile(km, [0, 25, 50, 75, 90, 100])
        dist.update({k: float(x) for k, x in zip(("min", "p25", "median", "p75", "p90", "max"), q,
                                                  strict=True)}, mean=round(float(km.mean()), 2))
    return {"load": {h.id: int(n) for h, n in zip(ix.inst.hosts, load, strict=True)},
            "rank_histogram": hist, "km_distribution": dist}


def build_result(ix: Index, place: Placement, status: Status,
                 bound: Objective | None, stats: dict[str, Any], seconds: float) -> MatchResult:
    objective = place.objective(ix)
    if status == Status.OPTIMAL:
        bound = objective
    elif bound is None:  # nothing proven: the trivial lexicographic bound
        bound = Objective(placed=ix.n_visitors, rank_cost=0, total_km=0,
                          kept=None if objective.kept is None else len(ix.previous_code),
                          max_rank_cost=None if objective.max_rank_cost is None else 0)
    if objective.placed == 0 and bound.placed == 0:
        status = Status.INFEASIBLE
    weeks = ix.weeks
    assignments = tuple(
        Assignment(visitor=ix.inst.visitors[v].id, host=ix.inst.hosts[place.host[v]].id,
                   week=weeks[place.week[v]] if place.week[v] >= 0 else None,
                   rank=int(place.rank[v]) or None, km=int(place.km[v]))
        for v in np.flatnonzero(place.host >= 0).tolist())
    reasons = explain_unassigned(ix, place)
    unassigned = tuple(Unassigned(visitor=ix.inst.visitors[v].id, reasons=tuple(rs))
                       for v, rs in sorted(reasons.items()))
    out_stats = {"hosts": ix.n_hosts, "visitors": ix.n_visitors, **stats,
                 "seconds": round(seconds, 3), **_stats(ix, place)}
    return MatchResult(status=status, assignments=assignments, unassigned=unassigned,
                       objective=objective, bound=bound, blocking_pairs=blocking_pairs(ix, place),
                       stats=out_stats)
