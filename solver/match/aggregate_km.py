"""The km level over the aggregated model (:mod:`solver.match.aggregate`), once placed and
rank cost are proven: seat prices turn the aggregated units' transport into a lower bound on km
(a floor, with every unit arc's reduced cost for fixing), and Benders cuts tighten it.

Split from :mod:`solver.match.aggregate` (which builds and solves the model for placed and rank
cost, and still answers for these names).
"""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solver.match.aggregate import Aggregated, AggregateParts
from solver.match.arcs import Arcs
from solver.match.cpsat import add_hints, lp_worker_params, set_params
from solver.match.duals import potentials
from solver.match.index import Index
from solver.match.placement import Placement
from solver.match.seat_completion import add_hall_cut, closed_units, complete_seats
from solver.match.units import UnitArcs

MAX_KM_ROUNDS = 30  # Benders and Hall cuts


def aggregated_km(ix: Index, ua: UnitArcs, base: Placement, agg: Aggregated, prices: np.ndarray,
                  place: Placement, clock, seconds: float, workers: int | None, seed: int
                  ) -> tuple[Placement, int | None]:
    """A km bound over the aggregated model with placed and rank cost pinned at ``agg``'s
    proven values, and a placement no worse than ``place`` (which reaches them).

    Explicit arcs count their own km. The units of size s placed unranked fill the counted
    seats exactly (sum w = sum y), a transportation problem; for ANY seat prices ``b`` and
    ``a[u] = min over u's unranked hosts h of (km[u, h] - b[h])`` (dual feasible), its least
    km is >= sum a[u] w[u] + sum b[h] y[s, h] (weak duality). Each such cut bounds a variable
    ``z[s]``, and the model minimises km(x) + sum z: its CP-SAT bound bounds the km of every
    real solution at the proven placed and rank cost, whatever the prices. The first prices
    are the Lagrangian flow's host potentials; then (Benders) the optimal duals of each
    solution's completion, a cut tight at that solution, until the model's bound meets the
    best completed km."""
    model, p = agg.model, agg.parts
    if model is None or p is None or not agg.proven:
        return place, None
    fixed = base.objective(ix)
    model.add(p.obj == (agg.value[0] - fixed.placed) * (p.r_max + 1)
              - (agg.value[1] - fixed.rank_cost))
    sizes = sorted({size for size, _ in p.y})
    z = {}
    for size in sizes:
        sel = p.agg & (ua.size == size)
        z[size] = model.new_int_var(0, int(ua.km[sel].max(initial=0)) * int(sel.sum()), f"z{size}")
        _benders_cut(model, ua, p, size, z[size], prices * size)
    # A cut tight at the incumbent too: the model then values its hint at the real km.
    used = ua.used_by(place) & p.agg
    counts: dict[tuple[int, int], int] = {}
    for i in np.flatnonzero(used).tolist():
        key = (int(ua.size[i]), int(ua.h[i]))
        counts[key] = counts.get(key, 0) + 1
    for size in sizes:
        duals = _transport_prices(ix, ua, p.agg & (ua.size == size), used, counts, size)
        if duals is not None:
            _benders_cut(model, ua, p, size, z[size], duals)
    model.minimize(cp_model.LinearExpr.weighted_sum(p.x, ua.km[p.ex].tolist())
                   + cp_model.LinearExpr.sum(list(z.values())))
    km_bound = None
    deadline = clock.elapsed() + seconds
    best_km = place.objective(ix).total_km
    for _round in range(MAX_KM_ROUNDS):
        _hint(model, ua, p, place)
        solver = cp_model.CpSolver()
        set_params(solver, deadline - clock.elapsed(), workers or 2, seed)
        solver.parameters.cp_model_presolve = False
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) \
                or not math.isfinite(solver.best_objective_bound):
            break
        # Cuts only tighten the model: an earlier round's bound still holds.
        found = fixed.total_km + math.ceil(solver.best_objective_bound - 1e-6)
        km_bound = found if km_bound is None else max(km_bound, found)
        pick_x = np.array([solver.boolean_value(v) for v in p.x], dtype=bool)
        pick_w = {u for u, var in p.w.items() if solver.boolean_value(var)}
        seats = {key: int(solver.value(var)) for key, var in p.y.items()}
        completed, hall = complete_seats(ix, ua, base, p.agg, p.unit_size, p.ex[pick_x], pick_w,
                                         seats)
        if completed is not None and completed.objective(ix).total_km < best_km:
            place, best_km = completed, completed.objective(ix).total_km
        clock.report("aggregated km", status=solver.status_name(status), round=_round + 1,
                     km_bound=km_bound, found=best_km)
        if km_bound >= best_km or clock.elapsed() >= deadline:
            break
        if hall is not None:
            size, units_s, hosts_n = hall
            add_hall_cut(model, p.w, p.y, size, closed_units(ua, p.agg, size, hosts_n, units_s),
                         hosts_n)
            continue
        if completed is None:
            break
        used = ua.used_by(completed) & p.agg
        for size in sizes:
            duals = _transport_prices(ix, ua, p.agg & (ua.size == size), used, seats, size)
            if duals is not None:
                _benders_cut(model, ua, p, size, z[size], duals)
    return place, km_bound


def aggregated_km_fixing(ix: Index, ua: UnitArcs, base: Placement, agg: Aggregated,
                         prices: np.ndarray, place: Placement, clock, seconds: float,
                         workers: int | None, seed: int) -> tuple[int, np.ndarray] | None:
    """A km bound LB with one price vector, and the arcs a better solution may use: a
    solution below ``place``'s km uses only unranked arcs with rc <= km(place) - 1 - LB
    (see :func:`aggregated_km_floor`). Returns (LB, per unit arc: may be used), or None."""
    floor = aggregated_km_floor(ix, ua, base, agg, prices, place, clock, seconds, workers, seed)
    if floor is None:
        return None
    lb, rc = floor
    gap = place.objective(ix).total_km - 1 - lb
    return lb, ~agg.parts.agg | (rc <= gap) | ua.used_by(place)


def aggregated_km_floor(ix: Index, ua: UnitArcs, base: Placement, agg: Aggregated,
                        prices: np.ndarray, place: Placement, clock, seconds: float,
                        workers: int | None, seed: int) -> tuple[int, np.ndarray] | None:
    """A km bound LB with one price vector, and the reduced cost ``rc`` of every unit arc.

    Prices b: ``prices`` per seat (the Lagrangian flow's host potentials) times the unit
    size; a[u] = min_h (km[u, h] - b[h]). (Measured at 1k: the duals of the incumbent's own
    completion price the hosts it leaves empty arbitrarily; the bound fell to 17460.) Every
    real solution x at the proven placed and rank cost maps into the aggregated model, so
    km(x) = km_explicit(x) + a.w + b.y + sum over its unranked arcs of rc[u, h]
    >= LB + sum rc, with rc = km - a[u] - b[h] >= 0 (0 on explicit arcs). ``place`` (at the
    proven placed and rank cost) is the hint. None: no model, no proof of placed and rank,
    or nothing back in time."""
    model, p = agg.model, agg.parts
    if model is None or p is None or not agg.proven:
        return None
    fixed = base.objective(ix)
    model.add(p.obj == (agg.value[0] - fixed.placed) * (p.r_max + 1)
              - (agg.value[1] - fixed.rank_cost))
    rc = np.zeros(len(ua.u), dtype=np.int64)  # explicit arcs: always kept
    terms, coeffs = list(p.x), ua.km[p.ex].tolist()
    for size in sorted({size for size, _ in p.y}):
        sel = p.agg & (ua.size == size)
        b = prices * size
        a = np.full(ua.n_units, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(a, ua.u[sel], ua.km[sel] - b[ua.h[sel]])
        rc[sel] = ua.km[sel] - a[ua.u[sel]] - b[ua.h[sel]]
        units = [u for u in p.w if p.unit_size[u] == size]
        keys = [key for key in p.y if key[0] == size]
        terms += [p.w[u] for u in units] + [p.y[key] for key in keys]
        coeffs += [int(a[u]) for u in units] + [int(b[h]) for _, h in keys]
    model.minimize(cp_model.LinearExpr.weighted_sum(terms, coeffs))
    _hint(model, ua, p, place)
    solver = cp_model.CpSolver()
    lp_worker_params(solver, seconds, seed)  # 1k: half the CPU of two workers, no slower
    solver.parameters.cp_model_presolve = False
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) \
            or not math.isfinite(solver.best_objective_bound):
        return None
    lb = fixed.total_km + math.ceil(solver.best_objective_bound - 1e-6)
    gap = place.objective(ix).total_km - 1 - lb
    clock.report("aggregated km fixing", status=solver.status_name(status), km_bound=lb,
                 kept=int((~p.agg | (rc <= gap) | ua.used_by(place)).sum()))
    return lb, rc


def _benders_cut(model: cp_model.CpModel, ua: UnitArcs, p: AggregateParts, size: int, z,
                 b: np.ndarray) -> None:
    """z >= sum a[u] w[u] + sum b[h] y[size, h], a[u] = min over u's unranked arcs of
    km - b[h]: valid for any integer prices ``b`` (per unit seat of this size)."""
    sel = np.flatnonzero(p.agg & (ua.size == size))
    a = np.full(ua.n_units, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(a, ua.u[sel], ua.km[sel] - b[ua.h[sel]])
    units = [u for u in p.w if p.unit_size[u] == size]
    keys = [key for key in p.y if key[0] == size]
    model.add(z >= cp_model.LinearExpr.weighted_sum(
        [p.w[u] for u in units] + [p.y[key] for key in keys],
        [int(a[u]) for u in units] + [int(b[h]) for _, h in keys]))


def _transport_prices(ix: Index, ua: UnitArcs, sel_mask: np.ndarray, used: np.ndarray,
                      seats: dict[tuple[int, int], int], size: int) -> np.ndarray | None:
    """Optimal seat prices of a completion (units of ``size`` -> counted seats): the host
    potentials of its residual graph (complementary slackness makes the cut tight)."""
    sel = np.flatnonzero(sel_mask)
    on = used[sel]
    units = np.unique(ua.u[sel[on]])
    if len(units) == 0:
        return None
    sel = sel[np.isin(ua.u[sel], units)]
    local = np.searchsorted(units, ua.u[sel])
    caps = np.zeros(ix.n_hosts, dtype=np.int64)
    for (sz, h), n in seats.items():
        if sz == size:
            caps[h] = n
    km = ua.km[sel]
    zeros = np.zeros(len(sel), dtype=np.int64)
    arcs = Arcs(v=local, h=ua.h[sel], rank=zeros, cost=zeros, km=km, week=zeros)
    folded = km - int(km.max(initial=0) + 1) * (len(units) + 1)
    d = potentials(len(units), ix.n_hosts, arcs, folded, used[sel], caps)
    if d is None:
        return None
    prices = d[len(units) + 1:len(units) + 1 + ix.n_hosts]
    return prices - prices.min(initial=0)


def _hint(model: cp_model.CpModel, ua: UnitArcs, p: AggregateParts, place: Placement) -> None:
    """A complete hint from a real placement."""
    chosen = ua.used_by(place)
    model.clear_hints()
    add_hints(model, p.x, chosen[p.ex].tolist())
    on = chosen & p.agg
    on_w = set(ua.u[on].tolist())
    for u, var in p.w.items():
        model.add_hint(var, u in on_w)
    counts: dict[tuple[int, int], int] = {}
    for i in np.flatnonzero(on).tolist():
        key = (int(ua.size[i]), int(ua.h[i]))
        counts[key] = counts.get(key, 0) + 1
    for key, var in p.y.items():
        model.add_hint(var, counts.get(key, 0))
    hosts_used = set(ua.h[chosen].tolist())
    for h, var in p.opens.items():
        model.add_hint(var, h in hosts_used)
