"""Side constraints (teams, minimum fills): repair the relaxation, fix arcs, run CP-SAT.

The repaired relaxation is the incumbent. If it reaches the relaxation's objective it is
optimal at once. Otherwise reduced-cost fixing (:mod:`solver.match.duals`) keeps only the
(unit) arcs that can appear in a better solution, which is what makes CP-SAT fast: a proof on
the kept arcs is a proof on all of them.
"""

from __future__ import annotations

import numpy as np

from solver.match.aggregate import aggregate_bound
from solver.match.aggregate_km import aggregated_km, aggregated_km_floor
from solver.match.arcs import Arcs
from solver.match.cpsat import solve_levels
from solver.match.duals import Weights, potentials, reduced
from solver.match.flow import lex_flow
from solver.match.index import Index
from solver.match.kmlp import improve_km, km_level, pinned_km_cpsat
from solver.match.model import Objective
from solver.match.placement import Placement, lex_key
from solver.match.polish import polish
from solver.match.relax import Relaxation, scan
from solver.match.units import UnitArcs, build_units, place_units, repair
from solver.status import Status

TARGET_PER_UNIT = 3  # first round: about this many unit arcs per unit, cheapest reduced cost
EXACT_UNIT_ARCS = 60_000  # below this, CP-SAT gets every arc that could matter at once
# km per unit of rank cost, the search range of the Lagrange multiplier of the km bound: a
# rank step is worth at most a few hundred km (max travel) and usually far less.
KM_LAMBDA_MAX = 256
AGGREGATE_SHARE = 0.9  # of the time left after the fixing rounds (the rest: the km polish)
# of the whole limit, kept for the km level (1k, load ~5: ~8-10 s from the Lagrangian flows to
# the proof; 30 s limit: 7.5 s at least)
KM_RESERVE_SHARE = 0.25
IMPROVE_SHARE = 0.25  # of the time left once placed and rank are proven: a better km
AGGREGATE_KM_SHARE = 0.8  # of the time left then: the aggregated km bound
# km fixing: of the time left, its bound model (1k: ~1 s) and its CP-SAT on the kept arcs
# (1k: ~4-5 s to a proof at load 4-6, without CP-SAT's presolve)
KM_BOUND_SHARE, KM_FIXING_SHARE = 0.3, 0.95
KM_FIXED_ARCS = 40_000  # the km fixing keeps at most this many unit arcs (1k: 36k at the gap of 61 km)
# When the incumbent's gap would keep more: a first round on at most this many, for this share
# of the time left (1k seed 3: 42552 found, 62.6k arcs at its gap, 40k kept (T = 61) took
# 3.4-5.7 s to find and prove 42448 = LB + 26)
KM_FIRST_ARCS, KM_FIRST_SHARE = 20_000, 0.3
KM_LEVEL_SHARE = 0.9  # of what the aggregated km level leaves
# CP-SAT's share of the time in a fixing round; less when the aggregated bound and the km level
# follow, and then without its own km level (measured at 1k under load: that spent 17 s on the
# fixing subset for a km 1.5 % above what the km level below finds in 5 s of CPU).
FIXING_SHARE, FIXING_SHARE_BEFORE_AGGREGATE = 0.6, 0.15


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
        with_km, prices, unit_rc = _lagrange(ix, agg.bound, rel, base, fixed_load, complete,
                                             clock, ua)
        clock.report("km lagrange", objective=place.objective(ix), bound=with_km)
        if two and unit_rc is not None and clock.remaining() > 0.5:
            # A better km first, on the arcs of least Lagrangian reduced cost (a better hint
            # and a tighter first Benders cut for the aggregated km level below).
            fixed, found = base.objective(ix), place.objective(ix)
            better, _ = improve_km(ix, ua, fixed_load, ua.used_by(place), unit_rc,
                                   found.placed - fixed.placed, found.rank_cost - fixed.rank_cost,
                                   clock.remaining() * IMPROVE_SHARE, workers,
                                   ix.inst.settings.seed or 0)
            candidate = place_units(ua, base, better)
            if candidate.objective(ix).total_km < found.total_km:
                place = candidate
            clock.report("km improve", objective=place.objective(ix), bound=with_km)
        if two and prices is not None and clock.remaining() > 0.5:
            place, fixed_km = _km_by_fixing(ix, ua, base, fixed_load, agg,
                                            prices.astype(np.int64), place, clock, workers)
            if fixed_km is not None and fixed_km > with_km.total_km:
                with_km = Objective(placed=with_km.placed, rank_cost=with_km.rank_cost,
                                    total_km=fixed_km)
        if two and prices is not None and with_km.total_km < place.objective(ix).total_km \
                and clock.remaining() > 0.5:
            # Teams whole, minimum fills, placed and rank pinned: the aggregated model's km
            # bound, seat prices first from the Lagrangian flow, then Benders cuts (1k: the
            # bound 37462 -> 38777 against 38838 found).
            place, agg_km = aggregated_km(ix, ua, base, agg, prices.astype(np.int64), place,
                                          clock, clock.remaining() * AGGREGATE_KM_SHARE, workers,
                                          ix.inst.settings.seed or 0)
            if agg_km is not None and agg_km > with_km.total_km:
                with_km = Objective(placed=with_km.placed, rank_cost=with_km.rank_cost,
                                    total_km=agg_km)
        if two and with_km.total_km < place.objective(ix).total_km and clock.remaining() > 0.5:
            # What is left: a better km on the LP's cheapest reduced-cost arcs (and its bound,
            # exact when the gap is small).
            place, lp_km = _km_level(ix, ua, base, fixed_load, place, clock, workers)
            if lp_km is not None and lp_km.total_km > with_km.total_km:
                with_km = lp_km
        bound = _tighter(bound, with_km)
        if bound is not None and lex_key(bound) == lex_key(place.objective(ix)):
            status = Status.OPTIMAL
        clock.report("aggregated", objective=place.objective(ix), bound=bound)
    return place, status, bound, info


def _km_by_fixing(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray, agg,
                  prices: np.ndarray, place: Placement, clock, workers: int | None
                  ) -> tuple[Placement, int | None]:
    """The aggregated km bound LB with the seat prices, then CP-SAT on the explicit arcs and
    the unranked arcs of reduced cost rc <= T (:func:`aggregated_km_floor`): every solution
    using an arc with rc > T has km >= LB + T + 1, so min(CP-SAT's bound over the kept arcs,
    LB + T + 1) bounds them all. T is the incumbent's gap when that keeps few enough arcs
    (then the kept arcs hold every better solution), else the largest T that does: the
    CP-SAT run then also finds the better incumbent (1k: 38838 km with T = 60, the gap of
    the polished incumbent being ~600)."""
    seed = ix.inst.settings.seed or 0
    floor = aggregated_km_floor(ix, ua, base, agg, prices, place, clock,
                                clock.remaining() * KM_BOUND_SHARE, workers, seed)
    if floor is None:
        return place, None
    lb, rc = floor
    fixed = base.objective(ix)
    unranked = agg.parts.agg
    by_rc = np.sort(rc[unranked])
    n_explicit = int((~unranked).sum())
    bound = lb
    # When the incumbent's gap keeps more than KM_FIXED_ARCS, a first round on fewer arcs
    # (a smaller T): cheap, and the better incumbent it finds narrows the gap for the next.
    first = KM_FIRST_ARCS if _kept_at(by_rc, place.objective(ix).total_km - 1 - lb) \
        + n_explicit > KM_FIXED_ARCS else KM_FIXED_ARCS
    for cap, share in ((first, KM_FIRST_SHARE), (KM_FIXED_ARCS, KM_FIXING_SHARE)):
        found = place.objective(ix)
        if lb >= found.total_km or clock.remaining() < 0.5:
            return place, min(bound, found.total_km)
        room = cap - n_explicit
        top = found.total_km - 1 - lb
        if room <= 0:
            return place, bound
        if room < len(by_rc) and by_rc[room] <= top:
            top = int(by_rc[room]) - 1  # ties at by_rc[room] would overflow the room
        keep = ~unranked | (rc <= top) | ua.used_by(place)
        clock.report("km fixing", km_bound=lb, rc_max=top, kept=int(keep.sum()))
        chosen, cp_bound = pinned_km_cpsat(ix, ua, keep, fixed_load, ua.used_by(place),
                                           found.placed - fixed.placed,
                                           found.rank_cost - fixed.rank_cost,
                                           clock.remaining() * share, workers, seed)
        better = place_units(ua, base, chosen)
        if better.objective(ix).total_km < found.total_km:
            place = better
        value = place.objective(ix).total_km
        if cp_bound is None:
            return place, bound
        # A solution inside the kept arcs has km >= cp_bound; outside, >= lb + top + 1.
        bound = max(bound, min(value, max(lb, min(fixed.total_km + cp_bound, lb + top + 1))))
        if bound >= value or cap >= KM_FIXED_ARCS:
            return place, bound
    return place, bound


def _kept_at(by_rc: np.ndarray, top: int) -> int:
    """How many of the sorted reduced costs ``by_rc`` are <= ``top``."""
    return int(np.searchsorted(by_rc, top, side="right"))


def _km_level(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray,
              place: Placement, clock, workers: int | None) -> tuple[Placement, Objective | None]:
    """Placed and rank cost proven: the km level by its LP (bound, arcs to improve on, exact
    fixing when the gap is small): the better placement and the bound it proves."""
    fixed, found = base.objective(ix), place.objective(ix)
    level = km_level(ix, ua, fixed_load, ua.used_by(place), found.placed - fixed.placed,
                     found.rank_cost - fixed.rank_cost, clock, workers, ix.inst.settings.seed or 0,
                     clock.remaining() * KM_LEVEL_SHARE)
    if level is None:
        return place, None
    better = place_units(ua, base, level.chosen)
    if better.objective(ix).total_km < found.total_km:
        place = better
    return place, Objective(placed=found.placed, rank_cost=found.rank_cost,
                            total_km=fixed.total_km + level.bound)


def _with_km_bound(ix: Index, bound: Objective, rel: Relaxation, base: Placement,
                   fixed_load: np.ndarray, complete: bool, clock) -> Objective:
    """Add a km level to a placed/rank bound, by Lagrange on the rank level (:func:`_lagrange`)."""
    return _lagrange(ix, bound, rel, base, fixed_load, complete, clock)[0]


def _lagrange(ix: Index, bound: Objective, rel: Relaxation, base: Placement,
              fixed_load: np.ndarray, complete: bool, clock, ua: UnitArcs | None = None
              ) -> tuple[Objective, np.ndarray | None, np.ndarray | None]:
    """For every real solution x with ``bound.placed`` placed and rank cost
    ``R = bound.rank_cost``, km(x) = km(x) + lam * (rank(x) - R) >= L(lam) - lam * R, where
    L(lam) is the least km + lam * rank over flow-relaxed solutions placing as many (the
    relaxation places no more, else the bound is the trivial 0). L(lam) - lam * R is concave in
    lam: a few flows of a golden-section search, while time is left. Also, from the best lam's
    flow potentials: the host potentials (seat prices for :func:`aggregated_km`) and the
    reduced cost of each unit arc of ``ua`` (which arcs a km improvement should try), or None."""
    if not complete or rel.place.objective(ix).placed != bound.placed:
        return Objective(placed=bound.placed, rank_cost=bound.rank_cost, total_km=0), None, None
    a = rel.arcs
    caps = np.maximum(ix.cap - fixed_load, 0)
    fixed = base.objective(ix)

    def value(lam: int) -> int:
        chosen = lex_flow(a, a.km + lam * a.cost, ix.n_visitors, caps)
        return (fixed.total_km + int(a.km[chosen].sum())
                + lam * (fixed.rank_cost + int(a.cost[chosen].sum()) - bound.rank_cost))

    # Fibonacci search, one new flow per step (1k: 13 flows, 1.1 s; the ternary search before
    # took two per step): L(lam) - lam * R is concave, so its maximum stays in the interval.
    seen: dict[int, int] = {0: value(0)}
    fib = [1, 2]
    while fib[-1] < KM_LAMBDA_MAX:
        fib.append(fib[-1] + fib[-2])
    lo, k = 0, len(fib) - 1
    while k >= 2 and clock.remaining() > 1.0:
        m1, m2 = lo + fib[k - 2], lo + fib[k - 1]
        for m in (m1, m2):
            if m not in seen:
                seen[m] = value(m)
        if seen[m1] < seen[m2]:
            lo = m1  # the maximum lies in [m1, lo + fib[k]]: span fib[k - 1]
        k -= 1
    lam = max(seen, key=lambda k: seen[k])
    km = Objective(placed=bound.placed, rank_cost=bound.rank_cost, total_km=max(0, seen[lam]))
    # Potentials need placing to pay (else dropping a placement is a negative cycle): fold in
    # a placement weight above any augmenting path's cost, as the relaxation's weights do.
    weight = int((a.km + lam * a.cost).max(initial=0) + 1) * (ix.n_visitors + 1)
    cost = a.km + lam * a.cost
    d = potentials(ix.n_visitors, ix.n_hosts, a, cost - weight,
                   lex_flow(a, cost, ix.n_visitors, caps), caps)
    if d is None:
        return km, None, None
    prices = d[ix.n_visitors + 1:ix.n_visitors + 1 + ix.n_hosts]
    unit_rc = None
    if ua is not None and len(ua.u):
        m = ua.arcs
        unit_rc = ua.per_unit_arc(reduced(d, ix.n_visitors, m, m.km + lam * m.cost - weight))
    return km, prices - prices.min(initial=0), unit_rc  # a shift changes no bound (sum w = sum y)


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
