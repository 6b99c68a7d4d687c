"""Side constraints with priced unranked arcs (``allow_unranked`` on a large instance).

The flow relaxation (:func:`solver.match.relax.relax`) was proven over every arc by pricing,
but only ~600k of the ~20M visitor-host pairs exist as arcs. Here:

* repair the relaxation into a feasible incumbent, re-solve its lone visitors by exact flow;
* the host patterns (:mod:`solver.match.patterns`): a rank bound with teams whole and minimum
  fills exact, and the placement its LP points at (10k: bound 27927 -> 27993, placement
  28007); when that placement is the better one the next two steps are skipped;
* rounds of teams placed whole at seat prices with the lone visitors re-solved by exact flow
  around them (:mod:`solver.match.team_prices`; 10k: 9028 / 28396 -> 9030 / ~28100);
* CP-SAT on the unit arcs of least reduced cost (the relaxation's potentials), placed and rank
  cost as one level, for a short share of the time (the km level is left to the flow polish:
  measured at 10k, CP-SAT's own km level spent 15 s for less than the polish gains in one);
* the lone visitors re-solved by exact flow around CP-SAT's teams and minimum fills;
* a large-neighbourhood search with the rest of the time: ~250 nearby hosts at a time, their
  units re-decided exactly by a small CP-SAT model on each unit's 6 cheapest arcs (10k, 25 s at
  load 5-9: rank cost 28396 -> 28149; the global model alone ends near 28200), then the polish.

The bound is the flow relaxation's (proven by pricing) or the host patterns' where higher, so
``OPTIMAL`` only when the incumbent reaches it. What this replaces: the generic fixing rounds re-priced every omitted arc below
the incumbent's gap after CP-SAT; at 10k with a gap of ~130 rank units that is nearly every
pair (measured: 9.4 GB and 188 s wall under a 60 s limit).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from solver.match.cpsat import (
    LEVEL_SHARE,
    build_model,
    placed_rank_coefficients,
    set_params,
    solve_levels,
)
from solver.match.duals import Weights
from solver.match.index import Index
from solver.match.model import Objective
from solver.match.patterns import pattern_bound
from solver.match.placement import Placement, lex_key
from solver.match.polish import polish
from solver.match.relax import Relaxation, unit_vectors
from solver.match.side import fills_ok, unit_reduced_costs
from solver.match.team_prices import place_by_seat_prices
from solver.match.units import UnitArcs, build_units, place_units, repair
from solver.status import Status

# Unit arcs per unit handed to CP-SAT, cheapest reduced cost first (ties: rank cost). The
# incumbent's arcs are always in.
ARCS_PER_UNIT = 3
# Seconds kept back after CP-SAT for the last flow polish, the reasons and the JSON (10k:
# polish ~1 s, reports and output ~1.5 s; 5 s at load 6.8).
RESERVE_S = 6.0
# Neighbourhood search after the global CP-SAT: the hosts nearest a random centre, every unit
# placed there or unplaced with an arc there re-decided exactly, the rest frozen.
NEIGHBOUR_HOSTS = 250
# Unit arcs a neighbourhood may use (besides the current ones): the cheapest by reduced cost per
# unit. 10k, 25 s of search from the repaired relaxation at load 5-9: all arcs and 120 hosts
# 28227 (78 neighbourhoods), 6 per unit 28166 (187), 3 per unit 28179 (239); 6 per unit and
# 250 hosts 28149 (100), 500 hosts 28164 (35).
NEIGHBOUR_ARCS_PER_UNIT = 6
NEIGHBOUR_SECONDS = 1.5  # per neighbourhood, most prove in far less
# Of the time left: the global model first, then the neighbourhoods (10k, 30 s: 0.5 and 0.15
# ended alike, 28190 and 28177; all neighbourhoods 28208).
GLOBAL_SHARE = 0.15
# Of the time left after the repair: the seat-price rounds, then the neighbourhoods (10k, 29 s
# after the relaxation, load 4-5: 0.5 28081 (10 rounds, the search stalled 2.5 s early), 0.75
# 28072 (16 rounds, best at the 11th); the neighbourhoods alone 28151 twice).
SEAT_PRICE_SHARE = 0.75
# Of the time left after the repair: the host-pattern LP and its completion (10k: 30 s of
# column generation ends the LP; the seat prices and neighbourhoods get the rest).
PATTERN_SHARE = 0.8


class _Reserved:
    """The solver clock with ``reserve`` seconds held back at the end."""

    def __init__(self, clock: Any, reserve: float) -> None:
        self.clock, self.reserve = clock, reserve

    def remaining(self) -> float:
        return max(0.0, self.clock.remaining() - self.reserve)

    def elapsed(self) -> float:
        return self.clock.elapsed()

    def report(self, *args: Any, **kwargs: Any) -> None:
        self.clock.report(*args, **kwargs)


def solve_priced_side(ix: Index, rel: Relaxation, base: Placement, fixed_load: np.ndarray,
                      w: Weights, clock: Any, workers: int | None
                      ) -> tuple[Placement, Status, Objective | None, dict]:
    """Teams and minimum fills on a priced arc set: the best placement found, its status,
    the bound (the relaxation's when it was proven by pricing) and run statistics."""
    ua = build_units(ix, rel.arcs, base)
    chosen = repair(ix, ua, rel.place, fixed_load)
    place = place_units(ua, base, chosen)
    if fills_ok(ix, place):
        place = polish(ix, rel.arcs, place, w)
        chosen = ua.used_by(place)
    bound = rel.place.objective(ix) if rel.proven else None
    clock.report("repair", objective=place.objective(ix), bound=bound)
    info: dict = {"unit_arcs": len(ua.u), "fixing": "priced"}
    if bound is not None and lex_key(place.objective(ix)) == lex_key(bound) and fills_ok(ix, place):
        return place, Status.OPTIMAL, bound, info
    reserved = _Reserved(clock, RESERVE_S)
    by_patterns = False
    if bound is not None and fills_ok(ix, place):
        repaired = place
        place, bound = _by_patterns(ix, ua, base, fixed_load, rel, w, place, bound, reserved,
                                    workers, info)
        chosen = ua.used_by(place)
        by_patterns = place is not repaired
        if lex_key(place.objective(ix))[:2] == lex_key(bound)[:2]:
            # Placed and rank cost proven; km by the flow polish (done), not proven here.
            status = Status.OPTIMAL if place.objective(ix) == bound else Status.FEASIBLE
            return place, status, bound, info
    seated = by_patterns
    if not by_patterns:
        # Teams placed at seat prices (:mod:`solver.match.team_prices`): a far better start
        # than the repair when the relaxation splits many teams (the pattern LP's placement
        # is better still: 10k, 28007 against 28137-28148 from the seat prices after it).
        seat = place_by_seat_prices(ix, rel, ua, base, fixed_load, w, clock,
                                    SEAT_PRICE_SHARE * reserved.remaining())
        seated = seat is not None and lex_key(seat.objective(ix)) < lex_key(place.objective(ix))
        if seated:
            place = seat
            chosen = ua.used_by(place)
    order = (np.lexsort((ua.cost, unit_reduced_costs(ix, ua, w, rel))) if rel.duals is not None
             else np.lexsort((ua.km, ua.cost)))  # cheapest first
    if not seated:
        # The global model, from the repair only: after the seat prices it found nothing better
        # in 4 of 4 runs at 10k (2.8-5 s each); its time goes to the neighbourhoods then.
        place = _global_model(ix, ua, base, fixed_load, place, chosen, order, reserved, workers,
                              info, clock, bound)
    if fills_ok(ix, place):
        if not seated:  # the seat prices' lone visitors come from the exact flow already
            place = polish(ix, rel.arcs, place, w)
            clock.report("polish", objective=place.objective(ix), bound=bound)
        allowed = np.zeros(len(ua.u), dtype=bool)
        allowed[order[:NEIGHBOUR_ARCS_PER_UNIT * ua.n_units]] = True
        chosen, tried = improve_by_neighbourhoods(ix, ua, fixed_load, ua.used_by(place), clock,
                                                  reserved.remaining(), workers,
                                                  ix.inst.settings.seed or 0, rel.place.host,
                                                  allowed)
        better = place_units(ua, base, chosen)
        if lex_key(better.objective(ix)) < lex_key(place.objective(ix)):
            place = polish(ix, rel.arcs, better, w)
        info.update(neighbourhoods=tried)
        clock.report("neighbourhoods", objective=place.objective(ix), bound=bound, tried=tried)
    status = (Status.OPTIMAL if bound is not None and lex_key(place.objective(ix)) == lex_key(bound)
              else Status.FEASIBLE)
    return place, status, bound, info


def _by_patterns(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray,
                 rel: Relaxation, w: Weights, place: Placement, bound: Objective,
                 reserved: _Reserved, workers: int | None, info: dict
                 ) -> tuple[Placement, Objective]:
    """The host-pattern bound and its completed LP placement (:mod:`solver.match.patterns`),
    for ``PATTERN_SHARE`` of the time left: (the better placement, the tighter bound)."""
    s = ix.inst.settings
    if s.objective != "canonical" or s.keep_previous:
        return place, bound
    fixed = base.objective(ix)
    found = pattern_bound(ix, ua, base, fixed_load, bound.placed - fixed.placed,
                          [ua.used_by(place), ua.used_by(rel.place)], reserved,
                          PATTERN_SHARE * reserved.remaining(),
                          workers, complete=False)
    if found is None:
        return place, bound
    info.update(pattern_rounds=found.rounds, pattern_columns=found.columns,
                pattern_seconds=round(found.seconds, 2))
    if found.place is not None and fills_ok(ix, found.place):
        better = polish(ix, rel.arcs, found.place, w)
        if lex_key(better.objective(ix)) < lex_key(place.objective(ix)):
            place = better
    rank = fixed.rank_cost + (found.rank_bound or 0)
    if found.rank_bound is not None and rank > bound.rank_cost:
        # A km bound at the higher rank cost is not the relaxation's: the fixed pairs' km
        # is all that is sure.
        bound = Objective(placed=bound.placed, rank_cost=rank, total_km=fixed.total_km)
    reserved.report("patterns", objective=place.objective(ix), bound=bound)
    return place, bound


def _global_model(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray,
                  place: Placement, chosen: np.ndarray, order: np.ndarray, reserved: _Reserved,
                  workers: int | None, info: dict, clock: Any, bound: Objective | None
                  ) -> Placement:
    """CP-SAT on each unit's ``ARCS_PER_UNIT`` cheapest unit arcs (``order``) and the ones in
    use, for ``GLOBAL_SHARE`` of the time left; every arc when a host is under-filled."""
    if not fills_ok(ix, place):
        # Fixed pairs leave a host under-filled: CP-SAT on every arc has to find the fill.
        sub = np.ones(len(ua.u), dtype=bool)
    else:
        sub = chosen.copy()
        sub[order[:ARCS_PER_UNIT * ua.n_units]] = True
    info.update(unit_arcs=int(sub.sum()))
    clock.report("fixing", objective=place.objective(ix), bound=bound, unit_arcs=int(sub.sum()))
    found, _proven, _cp_bound = solve_levels(ix, ua.subset(sub), base, fixed_load, chosen[sub],
                                             reserved, workers,
                                             share=GLOBAL_SHARE / LEVEL_SHARE["placed"],
                                             skip_km=True)
    # CP-SAT's proof covers the subset only: its bound says nothing about the other arcs.
    return found if lex_key(found.objective(ix)) < lex_key(place.objective(ix)) else place


def improve_by_neighbourhoods(ix: Index, ua: UnitArcs, fixed_load: np.ndarray,
                              chosen: np.ndarray, clock: Any, seconds: float, workers: int | None,
                              seed: int, relaxed: np.ndarray | None = None,
                              allowed: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Large-neighbourhood search: repeatedly take the ``NEIGHBOUR_HOSTS`` hosts nearest a random
    host, free every unit placed there and every unplaced unit with an arc there (only arcs in
    ``allowed`` or in use, when given), and solve that part exactly (placed and rank cost; km by
    the flow polish after) with everything else frozen. A neighbourhood's solution replaces the current one only when it is better, so the result is
    feasible and lexicographically no worse. With ``relaxed`` (the relaxation's host per
    visitor), every other centre is a host where the current placement differs from it: that
    is where the rank cost above the bound was paid. Returns the choice and the
    neighbourhoods tried."""
    if ix.n_hosts == 0 or len(ua.u) == 0:
        return chosen, 0
    rng = np.random.default_rng(seed)
    xyz = unit_vectors(ix.h_lat, ix.h_lon)
    by_host = np.argsort(ua.h, kind="stable")
    host_start = np.searchsorted(ua.h[by_host], np.arange(ix.n_hosts + 1))
    k = min(NEIGHBOUR_HOSTS, ix.n_hosts)
    deadline = clock.elapsed() + seconds
    chosen = chosen.copy()
    tried = stall = 0
    # Stop once about every host has been in a neighbourhood twice with nothing to improve.
    enough = 1 if k == ix.n_hosts else 2 * -(-ix.n_hosts // k)
    while clock.elapsed() + 0.2 < deadline and stall < enough:
        centre = int(rng.integers(ix.n_hosts))
        if relaxed is not None and tried % 2 == 0:
            now_host = place_units(ua, Placement.empty(ix.n_visitors), chosen).host
            moved = np.flatnonzero((now_host != relaxed) & (ua.unit_of >= 0))
            hosts = np.concatenate([now_host[moved], relaxed[moved]])
            hosts = hosts[hosts >= 0]
            if len(hosts):
                centre = int(hosts[rng.integers(len(hosts))])
        near = np.argpartition(-(xyz @ xyz[centre]), k - 1)[:k] if k < ix.n_hosts else np.arange(k)
        in_hood = np.zeros(ix.n_hosts, dtype=bool)
        in_hood[near] = True
        placed_unit = np.zeros(ua.n_units, dtype=bool)
        placed_unit[ua.u[chosen]] = True
        rows = np.concatenate([by_host[host_start[h]:host_start[h + 1]] for h in near.tolist()])
        movable = np.zeros(ua.n_units, dtype=bool)
        movable[ua.u[rows][~placed_unit[ua.u[rows]]]] = True
        movable[ua.u[chosen & in_hood[ua.h]]] = True
        rows = rows[movable[ua.u[rows]]]
        if allowed is not None:
            rows = rows[allowed[rows] | chosen[rows]]
        tried += 1
        if len(rows) == 0:
            stall += 1
            continue
        part = ua.subset(np.isin(np.arange(len(ua.u)), rows))
        rows = np.sort(rows)
        model, x, opens = build_model(ix, part, fixed_load)
        coef = placed_rank_coefficients(ix, part)
        model.maximize(cp_model.LinearExpr.weighted_sum(x, coef.tolist()))
        now = chosen[rows]
        for var, val in zip(x, now.tolist(), strict=True):
            model.add_hint(var, val)
        used = set(ua.h[rows[now]].tolist())
        for h, var in opens.items():
            model.add_hint(var, h in used)
        solver = cp_model.CpSolver()
        set_params(solver, min(NEIGHBOUR_SECONDS, deadline - clock.elapsed()), workers or 2, seed)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        found = np.array([solver.boolean_value(v) for v in x], dtype=bool)
        if int(coef[found].sum()) > int(coef[now].sum()):
            chosen[rows] = found
            stall = 0
        elif status == cp_model.OPTIMAL:
            stall += 1
    return chosen, tried
