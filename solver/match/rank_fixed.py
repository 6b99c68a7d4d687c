"""Placed and rank cost proven by host patterns, then the km level on the few arcs left.

On complete arcs with side constraints (teams, minimum fills) the host-pattern LP
(:mod:`solver.match.patterns`) bounds rank cost as tightly as the proven optimum, and its duals
fix arcs: only the unit arcs whose patterns price within the incumbent's gap can appear in any
solution at the incumbent's placed and rank cost (:func:`solver.match.patterns.rank_fixing`).
The km level then runs on those arcs alone, and a CP-SAT proof there is a proof everywhere.

Why: at 1k visitors (match_generate.py 1000 --teams 0.08 --min-visitors 0.15 --fixed 0.01
--forbidden 0.01, seeds 1-3) the pattern bound proves rank in 1.0-1.8 s and keeps 22-28k of
231-247k unit arcs, where the aggregated model (:mod:`solver.match.aggregate`) took 1.0-1.6 s
to prove rank and its seat-price km floor (0.6-2.4 s more) still kept 24-40k arcs for a proof
of 1.9-3.5 s.
"""

from __future__ import annotations

import numpy as np

from solver.match.index import Index
from solver.match.km_cpsat import improve_km, pinned_km_cpsat
from solver.match.km_side import lagrange
from solver.match.model import Objective
from solver.match.patterns import pattern_bound, rank_fixing
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
    bound = pattern_bound(ix, ua, base, fixed_load, found.placed - fixed.placed, [chosen], clock,
                          clock.remaining() * PATTERN_SHARE, workers, complete=True,
                          target=target, place_it=False)
    if bound is None or bound.rank_bound is None:
        return None, place
    if bound.rank_bound < target and bound.place is not None:
        better = bound.place.objective(ix)
        if (better.placed, -better.rank_cost) > (found.placed, -found.rank_cost):
            place, chosen = bound.place, ua.used_by(bound.place)
            target = better.rank_cost - fixed.rank_cost
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
