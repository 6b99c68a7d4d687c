"""Baselines the benchmark compares against: the flow relaxation (floor), greedy and stable
matching (visitor-proposing deferred acceptance), all made feasible the same way."""

from __future__ import annotations

import heapq

import numpy as np

from solver.match import arcs as arcs_mod
from solver.match.api import FULL_SCAN_PAIRS, fixed_placement
from solver.match.duals import weights
from solver.match.index import Index
from solver.match.placement import Placement
from solver.match.relax import initial_candidates, relax
from solver.match.units import build_units, place_units, repair


def candidate_arcs(ix: Index, base: Placement):
    s = ix.inst.settings
    if s.allow_unranked and ix.n_visitors * ix.n_hosts > FULL_SCAN_PAIRS:
        return initial_candidates(ix, base)  # ranked + the nearest unranked hosts
    return arcs_mod.all_arcs(ix)


def floor(ix: Index) -> Placement:
    """Min-cost flow on the relaxation (teams split, minimum fills dropped): not feasible in
    general, the bound every method is measured against."""
    base, load = fixed_placement(ix)
    s = ix.inst.settings
    priced = s.allow_unranked and ix.n_visitors * ix.n_hosts > FULL_SCAN_PAIRS
    return relax(ix, candidate_arcs(ix, base), base, load, weights(ix), priced=priced).place


def greedy(ix: Index) -> Placement:
    """Visitors (or whole teams) in list order take their cheapest host with room; a host that
    needs a minimum fill opens only when the arriving unit reaches it."""
    base, load = fixed_placement(ix)
    ua = build_units(ix, candidate_arcs(ix, base), base)
    return place_units(ua, base, repair(ix, ua, None, load))


def stable(ix: Index) -> Placement:
    """Deferred acceptance over each visitor's feasible hosts (ranked ones by rank, then
    unranked by distance); hosts prefer visitors they ranked, in order, then visitors who
    ranked them higher, then nearer ones. Split teams and under-filled hosts are then emptied."""
    base, load = fixed_placement(ix)
    a = candidate_arcs(ix, base)
    a = a.take(base.host[a.v] < 0)
    n_h = max(ix.n_hosts, 1)
    host_rank: dict[int, int] = {}
    for hi, host in enumerate(ix.inst.hosts):
        for k, v in enumerate(host.ranking):
            host_rank[ix.vid[v] * n_h + hi] = k
    codes = ix.codes(a.v, a.h)
    hpref = np.array([host_rank.get(c, 10**6) for c in codes.tolist()], dtype=np.int64)
    host_key = hpref * 10**7 + a.cost * 10**4 + a.km  # smaller = host likes the visitor more
    order = np.lexsort((a.km, a.cost, a.v))
    starts = np.searchsorted(a.v[order], np.arange(ix.n_visitors + 1))
    nxt = starts[:-1].copy()
    room = np.maximum(ix.cap - load, 0)
    held: list[list[tuple[int, int, int]]] = [[] for _ in range(ix.n_hosts)]  # (-key, v, arc)
    free = [v for v in range(ix.n_visitors) if base.host[v] < 0][::-1]
    while free:
        v = free.pop()
        if nxt[v] >= starts[v + 1]:
            continue
        i = int(order[nxt[v]])
        nxt[v] += 1
        h = int(a.h[i])
        heapq.heappush(held[h], (-int(host_key[i]), v, i))
        if len(held[h]) > room[h]:
            _, loser, _ = heapq.heappop(held[h])
            free.append(loser)
    rows = np.array([i for hs in held for _, _, i in hs], dtype=np.int64)
    place = base.copy()
    place.put(a, rows)
    for members in ix.teams:  # a split team is no placement at all
        hs = place.host[members]
        if len(set(hs.tolist())) > 1 or (hs < 0).any():
            free_members = members[(base.host[members] < 0)]
            place.drop(free_members)
    placed_load = np.bincount(place.host[place.host >= 0], minlength=ix.n_hosts)
    under = (placed_load > 0) & (placed_load < ix.min_visitors) & (load == 0)
    place.drop(np.flatnonzero((place.host >= 0) & under[np.maximum(place.host, 0)]))
    place.fix_team_weeks(ix)
    return place
