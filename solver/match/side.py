"""Side constraints (teams, minimum fills): repair the relaxation, fix arcs, run CP-SAT.

The repaired relaxation is the incumbent. If it reaches the relaxation's objective it is
optimal at once. Otherwise reduced-cost fixing (:mod:`solver.match.duals`) keeps only the
(unit) arcs that can appear in a better solution, which is what makes CP-SAT fast: a proof on
the kept arcs is a proof on all of them.
"""

from __future__ import annotations

import numpy as np

from solver.match.aggregate import aggregate_bound
from solver.match.arcs import Arcs
from solver.match.cpsat import solve_levels
from solver.match.duals import Weights, reduced
from solver.match.index import Index
from solver.match.km_side import km_after_rank
from solver.match.model import Objective
from solver.match.placement import Placement, lex_key
from solver.match.polish import polish
from solver.match.rank_fixed import km_on_kept, rank_by_patterns
from solver.match.relax import Relaxation, scan
from solver.match.units import UnitArcs, build_units, place_units, repair
from solver.status import Status

TARGET_PER_UNIT = 3  # first round: about this many unit arcs per unit, cheapest reduced cost
EXACT_UNIT_ARCS = 60_000  # below this, CP-SAT gets every arc that could matter at once
AGGREGATE_SHARE = 0.9  # of the time left after the fixing rounds (the rest: the km polish)
# of the whole limit, kept for the km level (1k, load ~5: ~8-10 s from the Lagrangian flows to
# the proof; 30 s limit: 7.5 s at least)
KM_RESERVE_SHARE = 0.25
# CP-SAT's share of the time in a fixing round; less when the aggregated bound and the km level
# follow, and then without its own km level (measured at 1k under load: that spent 17 s on the
# fixing subset for a km 1.5 % above what the km level below finds in 5 s of CPU).
FIXING_SHARE, FIXING_SHARE_BEFORE_AGGREGATE = 0.6, 0.15
# Above this many unit arcs the pattern path (:mod:`solver.match.rank_fixed`) is skipped for the
# aggregated one. 2500 visitors with side constraints (1.45M unit arcs, --time-limit 60): its
# rounds took 7.5 s, their bound (6873.94) stayed under the optimum 6875 (an LP gap, no proof),
# and the aggregated path, left with less time, ended 2.0 % above its km bound (0.54 % without
# the detour). 1k: 230-250k.
PATTERN_MAX_UNIT_ARCS = 600_000


def unit_reduced_costs(ix: Index, ua: UnitArcs, w: Weights, rel: Relaxation) -> np.ndarray:
    """Sum over a unit arc's members of the reduced costs of arcs the relaxation leaves empty
    (the arcs it uses have reduced cost <= 0 and do not enter the inequality)."""
    a = ua.arcs
    rc = reduced(rel.duals, ix.n_visitors, a, w.fold(ix, a))
    rc = np.where(rel.place.host[a.v] == a.h, 0, rc)
    return ua.per_unit_arc(rc)


def _folded(ix: Index, w: Weights, ua: UnitArcs, chosen: np.ndarray) -> int:
    rows = [ua.rows[i] for i in np.flatnonzero(chosen).tolist()]
    if not rows:
        return 0
    return int(w.fold(ix, ua.arcs.take(np.concatenate(rows))).sum())


def solve_side(ix: Index, arcs: Arcs, rel: Relaxation | None, base: Placement,
               fixed_load: np.ndarray, w: Weights, clock, workers: int | None, *, complete: bool
               ) -> tuple[Placement, Status, Objective | None, dict]:
    """``complete``: ``arcs`` holds every feasible arc (not a priced subset)."""
    domain = rel.arcs if rel is not None else arcs
    ua = build_units(ix, domain, base)
    chosen = repair(ix, ua, rel.place if rel is not None else None, fixed_load)
    hint = place_units(ua, base, chosen)
    if rel is not None and fills_ok(ix, hint):
        # The lone visitors re-solved by exact flow around the repaired teams and minimum-fill
        # hosts: a better first hint for CP-SAT (measured at 10k: the repair alone left 56
        # fewer placed than the relaxation, and a starved CP-SAT did not recover them all).
        polished = polish(ix, rel.arcs, hint, w)
        if polished is not hint:
            hint, chosen = polished, ua.used_by(polished)
    rel_bound = rel.place.objective(ix) if rel is not None and rel.proven else None
    clock.report("repair", objective=hint.objective(ix), bound=rel_bound)
    info: dict = {"unit_arcs": len(ua.u)}
    if rel_bound is not None and lex_key(hint.objective(ix)) == lex_key(rel_bound) and fills_ok(ix, hint):
        return hint, Status.OPTIMAL, rel_bound, info
    feasible = fills_ok(ix, hint)  # false only when fixed pairs leave a host under-filled
    if rel is None or rel.duals is None or not rel.proven or not feasible:
        # No usable duals (minimax, overflow): CP-SAT on every arc we have.
        place, proven, cp_bound = solve_levels(ix, ua, base, fixed_load, chosen, clock, workers)
        bound = _tighter(cp_bound if complete else None, rel_bound)
        return place, Status.OPTIMAL if proven and complete else Status.FEASIBLE, bound, info
    place, status, bound, info = _fixing_rounds(ix, ua, chosen, rel, base, fixed_load, w, clock,
                                                workers, complete, rel_bound, info)
    if status == Status.OPTIMAL:
        return place, status, bound, info
    s = ix.inst.settings
    if complete and s.objective == "canonical" and not s.keep_previous and \
            len(ua.u) <= PATTERN_MAX_UNIT_ARCS and place.objective(ix).placed == rel_bound.placed:
        # Placed is proven (the relaxation's) and rank cost is the next level: the host
        # patterns may prove it and leave few arcs for the km level (:mod:`solver.match.rank_fixed`).
        place = polish(ix, rel.arcs, place, w)
        found = place
        keep, place = rank_by_patterns(ix, ua, base, fixed_load, place, clock, workers)
        if place is not found:  # the columns' better rank: its lone visitors by exact flow
            place = polish(ix, rel.arcs, place, w)
        if keep is not None:
            place, bound = km_on_kept(ix, ua, rel, base, fixed_load, keep, place, clock, workers)
            proven = lex_key(bound) == lex_key(place.objective(ix))
            info.update(rank_proof="patterns", kept_unit_arcs=int(keep.sum()))
            clock.report("patterns km", objective=place.objective(ix), bound=bound)
            return place, Status.OPTIMAL if proven else Status.FEASIBLE, bound, info
    # Second, with the best incumbent as its hint: a bound on placed and rank cost that keeps
    # teams whole and minimum fills (measured at 1k under load: run first, it left the
    # fixing rounds too little time and the incumbent was worse).
    # The km level keeps a share of the whole limit (measured at 1k, seed 2, load 4: Hall
    # rounds in the aggregated bound took the time and the km level was left 8 % above it).
    agg_seconds = min(clock.remaining() * AGGREGATE_SHARE,
                      clock.remaining() - KM_RESERVE_SHARE * clock.limit_s)
    agg = aggregate_bound(ix, ua, base, fixed_load, ua.used_by(place), clock, workers,
                          complete=complete, seconds=max(agg_seconds, 0.0))
    if agg is not None:
        info.update(aggregated_bound=agg.bound.as_dict(), aggregated_proven=agg.proven)
        if agg.place is not None and lex_key(agg.place.objective(ix)) < lex_key(place.objective(ix)):
            place = agg.place
        # Placed and rank cost proven (and reached): the km level.
        two = agg.proven and lex_key(agg.bound)[:2] == lex_key(place.objective(ix))[:2]
        # The lone visitors re-solved by exact flow first: a far better start for the km level
        # (1k: 40732 -> 39390 km at the same placed and rank cost), and, when the bound is
        # not proven, a better km to return (polish never worsens a level).
        place = polish(ix, rel.arcs, place, w)
        place, with_km = km_after_rank(ix, ua, rel, base, fixed_load, agg, place, two,
                                       complete, clock, workers)
        bound = _tighter(bound, with_km)
        if bound is not None and lex_key(bound) == lex_key(place.objective(ix)):
            status = Status.OPTIMAL
        clock.report("aggregated", objective=place.objective(ix), bound=bound)
    return place, status, bound, info


def _tighter(a: Objective | None, b: Objective | None) -> Objective | None:
    if a is None or b is None:
        return a or b
    return a if lex_key(a) > lex_key(b) else b


def _fixing_rounds(ix: Index, ua: UnitArcs, chosen: np.ndarray, rel: Relaxation,
                   base: Placement, fixed_load: np.ndarray, w: Weights, clock, workers: int | None,
                   complete: bool, rel_bound: Objective | None, info: dict
                   ) -> tuple[Placement, Status, Objective | None, dict]:
    """CP-SAT on a subset of unit arcs: the cheapest by reduced cost (ties by rank cost), or all
    with reduced cost <= the incumbent's gap when that is small enough. A solution ``found``
    above the relaxation can only be beaten by unit arcs of reduced cost <= that gap; when the
    subset holds all of them, the CP-SAT proof is a proof over every arc. Otherwise they are
    added and CP-SAT runs again, while the subset stays tractable."""
    n_h = max(ix.n_hosts, 1)
    target = max(EXACT_UNIT_ARCS, TARGET_PER_UNIT * ua.n_units)
    urc = unit_reduced_costs(ix, ua, w, rel)
    gap = _folded(ix, w, ua, chosen) - rel.value
    if complete and int((urc <= gap).sum()) <= target:
        sub = (urc <= gap) | chosen
    else:  # a small first round finds a good incumbent fast; the proof may need more
        sub = chosen.copy()
        sub[np.lexsort((ua.cost, urc))[:TARGET_PER_UNIT * ua.n_units]] = True
    place = place_units(ua, base, chosen)
    s = ix.inst.settings
    aggregate_follows = (complete and s.allow_unranked and s.objective == "canonical"
                         and not s.keep_previous)
    share = FIXING_SHARE_BEFORE_AGGREGATE if aggregate_follows else FIXING_SHARE
    for _round in range(3):
        keys = ua.u * n_h + ua.h
        info.update(gap=gap, unit_arcs=int(sub.sum()), fixing="reduced cost", rounds=_round + 1)
        clock.report("fixing", objective=place.objective(ix), bound=rel_bound, unit_arcs=int(sub.sum()))
        place, proven, cp_bound = solve_levels(ix, ua.subset(sub), base, fixed_load, chosen[sub],
                                               clock, workers, share=share,
                                               skip_km=aggregate_follows)
        chosen = _same_choice(ua, place)
        found = _folded(ix, w, ua, chosen) - rel.value
        if not complete and (found >= w.place or clock.remaining() < 1.0):
            # Fewer placed than the relaxation: every arc "could" matter; no proof to be had.
            return place, Status.FEASIBLE, rel_bound, info
        if not complete:  # priced-out arcs that could beat ``found``
            extra = scan(ix, base, w, rel.duals, found + 1, ua.arcs)
            if len(extra):
                old = np.sort(keys[sub])
                ua = build_units(ix, Arcs.concat([ua.arcs, extra]), base)
                urc, chosen = unit_reduced_costs(ix, ua, w, rel), _same_choice(ua, place)
                keys = ua.u * n_h + ua.h
                sub = np.isin(keys, old) | chosen
        needed = urc <= found
        if proven and not (needed & ~sub).any():
            return place, Status.OPTIMAL, place.objective(ix), info
        # The CP-SAT bound holds globally only if the subset had every arc that could beat
        # the incumbent it started from.
        exact = complete and not ((urc <= gap) & ~sub).any()
        if not proven or clock.remaining() < 0.5 or int((sub | needed).sum()) > 2 * target:
            return place, Status.FEASIBLE, _tighter(cp_bound if exact else None, rel_bound), info
        sub, gap = sub | needed, found
    return place, Status.FEASIBLE, rel_bound, info


def fills_ok(ix: Index, place: Placement) -> bool:
    """The repair never under-fills a host unless fixed pairs sit there; check those."""
    load = np.bincount(place.host[place.host >= 0], minlength=ix.n_hosts)
    return not ((load > 0) & (load < ix.min_visitors)).any()


def _same_choice(ua: UnitArcs, place: Placement) -> np.ndarray:
    return ua.used_by(place)
