"""The km level of the side-constraint pipeline (:mod:`solver.match.side`), once the aggregated
model (:mod:`solver.match.aggregate`) has proven placed and rank cost: a Lagrangian flow bound
and seat prices, an improve step, the km floor with reduced-cost fixing and a CP-SAT proof on
the kept arcs, then the aggregated km level (Benders) and the km LP for what is left.
"""

from __future__ import annotations

import math

import numpy as np

from solver.match.aggregate import Aggregated
from solver.match.aggregate_km import aggregated_km, aggregated_km_floor
from solver.match.arcs import Arcs
from solver.match.duals import potentials, reduced
from solver.match.flow import lex_flow
from solver.match.index import Index
from solver.match.km_cpsat import improve_km, pinned_km_cpsat
from solver.match.kmlp import km_level
from solver.match.model import Objective
from solver.match.placement import Placement
from solver.match.relax import Relaxation
from solver.match.units import UnitArcs, place_units

# km per unit of rank cost, the search range of the Lagrange multiplier of the km bound: a
# rank step is worth at most a few hundred km (max travel) and usually far less.
KM_LAMBDA_MAX = 256
# The first multiplier tried (1k: the best is 115-150, the slopes at 0 and 256 are ~6000 and
# ~-9, so a bracket from 0 creeps up from below: 8-10 flows; from 64, 4-6).
KM_LAMBDA_FIRST = 64
IMPROVE_SHARE = 0.25  # of the time left once placed and rank are proven: a better km
AGGREGATE_KM_SHARE = 0.8  # of the time left then: the aggregated km bound
# km fixing: of the time left, its bound model (1k: 0.4-1.6 deterministic s, 0.9-5.5 s of CPU
# by random seed alone) and its CP-SAT on the kept arcs (1k: ~4-5 s to a proof at load 4-6,
# without CP-SAT's presolve). A cap, not a reservation: a floor stopped at its cap keeps its
# root LP's bound (1k: ~900 km low), and the proof on what that keeps does not finish, so the
# floor may take half of what is left.
KM_BOUND_SHARE, KM_FIXING_SHARE = 0.5, 0.95
KM_FIXED_ARCS = 40_000  # the km fixing keeps at most this many unit arcs (1k: 36k at the gap of 61 km)
# When the incumbent's gap would keep more: a first round on at most this many, for this share
# of the time left. 1k seed 3 (42552 found, 62.6k arcs at its gap; 40k kept at T = 61 took
# 3.4-5.7 s to find and prove 42448 = LB + 25): 12k (the ~8.9k explicit arcs and ~2.8k
# unranked, T = 3) finds 42449 in 0.8 s, then the second round keeps 24.1k arcs: km phases
# 5.1-6.7 s against 6.1-7.4 s with 20k (T = 16, 1.7 s); 15k: 6.2-6.4 s; 10k (T = -1, no
# unranked arc) finds nothing: 7.1-7.6 s.
KM_FIRST_ARCS, KM_FIRST_SHARE = 12_000, 0.3
KM_LEVEL_SHARE = 0.9  # of what the aggregated km level leaves


def km_after_rank(ix: Index, ua: UnitArcs, rel: Relaxation, base: Placement,
                  fixed_load: np.ndarray, agg: Aggregated, place: Placement, two: bool,
                  complete: bool, clock, workers: int | None) -> tuple[Placement, Objective]:
    """The km level from ``place`` (already polished): (a placement no worse, a bound on every
    solution at ``agg``'s placed/rank bound). ``two``: placed and rank cost are proven and
    ``place`` reaches them; without it only the Lagrangian bound is computed."""
    with_km, prices, unit_rc = lagrange(ix, agg.bound, rel, base, fixed_load, complete, clock, ua)
    clock.report("km lagrange", objective=place.objective(ix), bound=with_km)
    seed = ix.inst.settings.seed or 0
    if two and unit_rc is not None and clock.remaining() > 0.5:
        # A better km first, on the arcs of least Lagrangian reduced cost (a better hint
        # and a tighter first Benders cut for the aggregated km level below).
        fixed, found = base.objective(ix), place.objective(ix)
        better, _ = improve_km(ix, ua, fixed_load, ua.used_by(place), unit_rc,
                               found.placed - fixed.placed, found.rank_cost - fixed.rank_cost,
                               clock.remaining() * IMPROVE_SHARE, workers, seed, lp_worker=True)
        candidate = place_units(ua, base, better)
        if candidate.objective(ix).total_km < found.total_km:
            place = candidate
        clock.report("km improve", objective=place.objective(ix), bound=with_km)
    if two and prices is not None and clock.remaining() > 0.5:
        place, fixed_km = km_by_fixing(ix, ua, base, fixed_load, agg, prices.astype(np.int64),
                                       place, clock, workers)
        with_km = _raised(with_km, fixed_km)
    if two and prices is not None and with_km.total_km < place.objective(ix).total_km \
            and clock.remaining() > 0.5:
        # Teams whole, minimum fills, placed and rank pinned: the aggregated model's km
        # bound, seat prices first from the Lagrangian flow, then Benders cuts (1k: the
        # bound 37462 -> 38777 against 38838 found).
        place, agg_km = aggregated_km(ix, ua, base, agg, prices.astype(np.int64), place, clock,
                                      clock.remaining() * AGGREGATE_KM_SHARE, workers, seed)
        with_km = _raised(with_km, agg_km)
    if two and with_km.total_km < place.objective(ix).total_km and clock.remaining() > 0.5:
        # What is left: a better km on the LP's cheapest reduced-cost arcs (and its bound,
        # exact when the gap is small).
        place, lp_km = _km_level(ix, ua, base, fixed_load, place, clock, workers)
        if lp_km is not None and lp_km.total_km > with_km.total_km:
            with_km = lp_km
    return place, with_km


def _raised(bound: Objective, km: int | None) -> Objective:
    if km is None or km <= bound.total_km:
        return bound
    return Objective(placed=bound.placed, rank_cost=bound.rank_cost, total_km=km)


def km_by_fixing(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray,
                 agg: Aggregated, prices: np.ndarray, place: Placement, clock,
                 workers: int | None) -> tuple[Placement, int | None]:
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
    # A single round gets the whole fixing share (with the first round's share, 1k seed 2 at
    # load 6 stopped FEASIBLE after 4.9 s on 29.6k arcs that take 1.5-2.3 s wall alone).
    rounds = [(KM_FIXED_ARCS, KM_FIXING_SHARE)]
    if _kept_at(by_rc, place.objective(ix).total_km - 1 - lb) + n_explicit > KM_FIXED_ARCS:
        rounds.insert(0, (KM_FIRST_ARCS, KM_FIRST_SHARE))
    for cap, share in rounds:
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
                                           clock.remaining() * share, workers, seed,
                                           lp_worker=True)
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


def with_km_bound(ix: Index, bound: Objective, rel: Relaxation, base: Placement,
                  fixed_load: np.ndarray, complete: bool, clock) -> Objective:
    """Add a km level to a placed/rank bound, by Lagrange on the rank level (:func:`lagrange`)."""
    return lagrange(ix, bound, rel, base, fixed_load, complete, clock)[0]


def lagrange(ix: Index, bound: Objective, rel: Relaxation, base: Placement,
             fixed_load: np.ndarray, complete: bool, clock, ua: UnitArcs | None = None,
             arcs: Arcs | None = None
             ) -> tuple[Objective, np.ndarray | None, np.ndarray | None]:
    """For every real solution x with ``bound.placed`` placed and rank cost
    ``R = bound.rank_cost``, km(x) = km(x) + lam * (rank(x) - R) >= L(lam) - lam * R, where
    L(lam) is the least km + lam * rank over flow-relaxed solutions placing as many (the
    relaxation places no more, else the bound is the trivial 0). Also, from the best lam's
    flow potentials: the host potentials (seat prices for :func:`aggregated_km_floor` and
    :func:`aggregated_km`) and the reduced cost of each unit arc of ``ua`` (which arcs a km
    improvement should try), or None. ``arcs`` (instead of the relaxation's): a subset that
    holds every solution at ``bound``'s placed and rank cost."""
    if not complete or rel.place.objective(ix).placed != bound.placed:
        return Objective(placed=bound.placed, rank_cost=bound.rank_cost, total_km=0), None, None
    a = rel.arcs if arcs is None else arcs
    caps = np.maximum(ix.cap - fixed_load, 0)
    fixed = base.objective(ix)
    flows: dict[int, np.ndarray] = {}
    seen: dict[int, tuple[int, int]] = {}  # lam -> (L(lam) - lam * R, its slope)

    def value(lam: int) -> tuple[int, int]:
        chosen = flows[lam] = lex_flow(a, a.km + lam * a.cost, ix.n_visitors, caps)
        slope = fixed.rank_cost + int(a.cost[chosen].sum()) - bound.rank_cost
        seen[lam] = fixed.total_km + int(a.km[chosen].sum()) + lam * slope, slope
        return seen[lam]

    # Cutting planes in one dimension (1k: 4-6 flows, where a Fibonacci search took 13): the
    # function is concave and piecewise linear, each flow gives its value and a supergradient
    # (the flow's rank cost - R), and the maximum lies where the tangents at the two ends of the
    # bracket meet. Any lam >= 0 gives a valid bound; this one is the best.
    lo, hi = KM_LAMBDA_FIRST, KM_LAMBDA_MAX
    if value(lo)[1] <= 0:
        lo, hi = 0, lo
        value(lo)
    if seen[lo][1] > 0 and hi not in seen:
        value(hi)
    while seen[lo][1] > 0 and seen[hi][1] < 0 and hi - lo > 1 and clock.remaining() > 1.0:
        (v_lo, s_lo), (v_hi, s_hi) = seen[lo], seen[hi]
        meet = (v_hi - v_lo + s_lo * lo - s_hi * hi) / (s_lo - s_hi)
        top = v_lo + s_lo * (meet - lo)  # the tangents' bound on the maximum
        mid = min(max(int(meet), lo + 1), hi - 1)
        v_mid, s_mid = value(mid)
        if v_mid >= math.floor(top):
            break  # the maximum over integers is reached
        if s_mid > 0:
            lo = mid
        elif s_mid < 0:
            hi = mid
        else:
            break
    lam = max(seen, key=lambda k: seen[k][0])
    clock.report("km lagrange search", lam=lam, flows=len(flows))
    km = Objective(placed=bound.placed, rank_cost=bound.rank_cost, total_km=max(0, seen[lam][0]))
    d = _potentials(ix, a, lam, flows[lam], caps)
    if d is None:
        return km, None, None
    unit_rc = None
    if ua is not None and len(ua.u):
        m = ua.arcs
        unit_rc = ua.per_unit_arc(reduced(d, ix.n_visitors, m, m.km + lam * m.cost
                                          - _weight(ix, a, lam)))
    prices = d[ix.n_visitors + 1:ix.n_visitors + 1 + ix.n_hosts]
    return km, prices - prices.min(initial=0), unit_rc  # a shift changes no bound (sum w = sum y)


def _weight(ix: Index, a: Arcs, lam: int) -> int:
    """Potentials need placing to pay (else dropping a placement is a negative cycle): a
    placement weight above any augmenting path's cost, as the relaxation's weights fold in."""
    return int((a.km + lam * a.cost).max(initial=0) + 1) * (ix.n_visitors + 1)


def _potentials(ix: Index, a: Arcs, lam: int, chosen: np.ndarray, caps: np.ndarray
                ) -> np.ndarray | None:
    return potentials(ix.n_visitors, ix.n_hosts, a, a.km + lam * a.cost - _weight(ix, a, lam),
                      chosen, caps)
