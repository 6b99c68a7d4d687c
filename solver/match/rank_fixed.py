"""Placed and rank cost proven by host patterns, then the km level on the few arcs left.

On complete arcs with side constraints (teams, minimum fills) the host-pattern LP
(:mod:`solver.match.patterns`) bounds rank cost as tightly as the proven optimum, and its duals
fix arcs: only the unit arcs whose patterns price within the incumbent's gap can appear in any
solution at the incumbent's placed and rank cost (:func:`rank_fixing`).
The km level then runs on those arcs alone, and a CP-SAT proof there is a proof everywhere.

Why: at 1k visitors (match_generate.py 1000 --teams 0.08 --min-visitors 0.15 --fixed 0.01
--forbidden 0.01, seeds 1-3) the pattern bound proves rank in 1.0-1.8 s and keeps 13-20k of
231-247k unit arcs, where the aggregated model (:mod:`solver.match.aggregate`) took 1.0-1.6 s
to prove rank and its seat-price km floor (0.6-2.4 s more) still kept 24-40k arcs for a proof
of 1.9-3.5 s (here 0.6-1.5 s). The aggregated path stays as the fallback (hosts with more than
``patterns.MAX_ROOM`` free seats, a rank the columns cannot reach, time).
"""

from __future__ import annotations

import math

import numpy as np

from solver.match.index import Index
from solver.match.km_cpsat import improve_km, pinned_km_cpsat
from solver.match.km_side import lagrange
from solver.match.model import Objective
from solver.match.pattern_lp import candidates, room_and_fill, unit_reduced
from solver.match.patterns import PatternBound, best_columns, pattern_bound
from solver.match.placement import Placement
from solver.match.relax import Relaxation
from solver.match.units import UnitArcs, place_units

# Of the time left: the pattern rounds (1k: 1.0-1.8 s idle; the aggregated path follows if
# they do not prove rank), then the improve step (as km_side's), then the proof.
PATTERN_SHARE, IMPROVE_SHARE, PROOF_SHARE = 0.4, 0.25, 0.95


def rank_by_patterns(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray,
                     place: Placement, clock, workers: int | None
                     ) -> tuple[np.ndarray | None, Placement]:
    """When the pattern bound proves ``place``'s rank cost at its number placed (which the
    caller has proven), or that of the best placement its columns make: (the unit arcs any
    solution at those two levels may use, that placement among them); else (None, the best
    placement). ``ua`` must hold every feasible unit arc."""
    fixed, found = base.objective(ix), place.objective(ix)
    chosen = ua.used_by(place)
    target = found.rank_cost - fixed.rank_cost
    placed = found.placed - fixed.placed
    bound = pattern_bound(ix, ua, base, fixed_load, placed, [chosen], clock,
                          clock.remaining() * PATTERN_SHARE, workers, complete=True,
                          place_it=False)
    if bound is None or bound.rank_bound is None:
        return None, place
    if bound.rank_bound < target:
        better = best_columns(ix, ua, base, bound, placed, target, workers,
                              max(0.5, clock.remaining() * PATTERN_SHARE))
        if better is not None and better.objective(ix).rank_cost < found.rank_cost:
            place, chosen = better, ua.used_by(better)
            target = better.objective(ix).rank_cost - fixed.rank_cost
    if bound.rank_bound < target:
        return None, place
    keep = rank_fixing(ix, ua, fixed_load, bound, target) | chosen
    clock.report("patterns rank proven", rounds=bound.rounds, columns=bound.columns,
                 kept=int(keep.sum()), unit_arcs=len(ua.u))
    return keep, place


def km_on_kept(ix: Index, ua: UnitArcs, rel: Relaxation, base: Placement,
               fixed_load: np.ndarray, keep: np.ndarray, place: Placement, clock,
               workers: int | None) -> tuple[Placement, Objective]:
    """The km level over the unit arcs ``keep`` (from :func:`rank_by_patterns`, holding every
    solution at ``place``'s placed and rank cost): a placement no worse than ``place`` and a
    bound on every solution at those levels."""
    fixed, found = base.objective(ix), place.objective(ix)
    placed, rank = found.placed - fixed.placed, found.rank_cost - fixed.rank_cost
    levels = Objective(placed=found.placed, rank_cost=found.rank_cost, total_km=0)
    # The Lagrangian flows on the kept arcs' members only: its bound holds (they hold every
    # solution at these levels) and the flows are ~8x smaller (1k: 0.6-0.9 s -> 0.07-0.2 s).
    members = np.zeros(len(ua.arcs.v), dtype=bool)
    kept = np.flatnonzero(keep)
    if len(kept):
        members[np.concatenate([ua.rows[i] for i in kept.tolist()])] = True
    with_km, _prices, unit_rc = lagrange(ix, levels, rel, base, fixed_load, True, clock, ua,
                                         arcs=ua.arcs.take(members))
    clock.report("km lagrange", objective=found, bound=with_km)
    chosen = ua.used_by(place)
    seed = ix.inst.settings.seed or 0
    if unit_rc is not None and clock.remaining() > 0.5:
        # A better km first (the proof's hint): each unit's arcs of least Lagrangian reduced
        # cost among the kept ones (1k: from the polished incumbent, the proof on 22k arcs
        # took 3.9-7.8 s; from the improved one 1.1-2.4 s).
        outside = np.iinfo(np.int64).max // 4
        rc = np.where(keep, unit_rc, outside)
        better, _ = improve_km(ix, ua, fixed_load, chosen, rc, placed, rank,
                               clock.remaining() * IMPROVE_SHARE, workers, seed, lp_worker=True)
        if int(ua.km[better].sum()) < int(ua.km[chosen].sum()):
            chosen = better
        place = place_units(ua, base, chosen)
        clock.report("km improve", objective=place.objective(ix), bound=with_km)
    if clock.remaining() > 0.5:
        chosen, km_bound = pinned_km_cpsat(ix, ua, keep, fixed_load, chosen, placed, rank,
                                           clock.remaining() * PROOF_SHARE, workers, seed,
                                           lp_worker=True)
        place = place_units(ua, base, chosen)
        if km_bound is not None and fixed.total_km + km_bound > with_km.total_km:
            # Over ``keep``, so over every solution at these placed and rank cost.
            with_km = Objective(placed=found.placed, rank_cost=found.rank_cost,
                                total_km=fixed.total_km + km_bound)
    return place, with_km


def rank_fixing(ix: Index, ua: UnitArcs, fixed_load: np.ndarray, found: PatternBound,
                rank: int) -> np.ndarray:
    """The unit arcs of ``ua`` (every feasible one: complete arcs) that a solution placing the
    bound's P free visitors at free rank cost <= ``rank`` may use.

    With the bound's duals, a solution's rank cost is >= LB + the sum over hosts of (its
    pattern's reduced cost - the host's best, min 0), each term >= 0. The best pattern at h
    holding u costs r[u, h] + the best completion by the other units (a knapsack by exact
    load over the host's few best units per size, load within the room u leaves and at least
    the minimum fill minus u's size), so a solution using (u, h) has rank cost >= LB + delta,
    delta = that - best_h, and none at <= ``rank`` uses an arc with delta > rank - LB.
    Measured at 1k (match_generate.py 1000 --teams 0.08 --min-visitors 0.15 --fixed 0.01
    --forbidden 0.01, seeds 1-3, rank - LB 0.13-0.36): 14-20k of 231-247k unit arcs kept
    (22-28k with the completion bounded by the host's most negative r, ignoring sizes)."""
    if found.duals is None:
        return np.ones(len(ua.u), dtype=bool)
    y, rho, value, lb = found.duals
    n_h = ix.n_hosts
    room, low = room_and_fill(ix, fixed_load)
    r = unit_reduced(ua, y, rho)
    top_room = int(room.max(initial=0))
    sizes = sorted(set(ua.size.tolist()))
    idx, top = candidates(ua, n_h, r, sizes, top_room)
    # by_load[h, load]: the least r of a set of units at h of exactly this load; without_*:
    # the same without one of its candidate units (whose own arcs need that one).
    by_load = np.full((n_h, top_room + 1), np.inf)
    without_key: list[int] = []
    without_row: list[list[float]] = []
    for h in np.flatnonzero(room > 0).tolist():
        items = [(float(r[i]), s, int(ua.u[i]))
                 for s in sizes for i in idx[s][top[s][h][top[s][h] >= 0]].tolist()]
        cap = int(room[h])
        by_load[h, :cap + 1] = _least_by_load([(rr, s) for rr, s, _ in items], cap)
        for k, (_r, _s, unit) in enumerate(items):
            rest = [(rr, s) for j, (rr, s, _u) in enumerate(items) if j != k]
            without_key.append(h * ua.n_units + unit)
            without_row.append(_least_by_load(rest, cap) + [math.inf] * (top_room - cap))
    least = by_load[ua.h]
    if without_key:
        keys = np.asarray(without_key, dtype=np.int64)
        order = np.argsort(keys)
        arc_keys = ua.h.astype(np.int64) * ua.n_units + ua.u
        at = np.minimum(np.searchsorted(keys[order], arc_keys), len(keys) - 1)
        hit = keys[order][at] == arc_keys
        least[hit] = np.asarray(without_row)[order[at[hit]]]
    loads = np.arange(top_room + 1)[None, :]
    allowed = (loads >= np.maximum(low[ua.h] - ua.size, 0)[:, None]) & \
        (loads <= (room[ua.h] - ua.size)[:, None])
    completion = np.where(allowed, least, np.inf).min(axis=1, initial=np.inf)
    delta = r + completion - value[ua.h]
    return delta <= rank - lb + 1e-6


def _least_by_load(items: list[tuple[float, int]], cap: int) -> list[float]:
    """Per load 0..cap, the least total r of a subset of ``items`` (r, size) of exactly that
    load (inf: none)."""
    least = [0.0] + [math.inf] * cap
    for r, size in items:
        for load in range(cap, size - 1, -1):
            if least[load - size] + r < least[load]:
                least[load] = least[load - size] + r
    return least
