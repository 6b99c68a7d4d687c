"""A stronger bound on placed and rank cost: unranked arcs aggregated per host.

At the placed and rank levels every unranked arc of a unit (a lone visitor, or a team whose
members all did not rank the host) costs the same, ``size * unranked_cost``: only *how many*
such units a host takes matters, not which. So the model here keeps every arc with a ranked
member explicitly (and the teams' unranked arcs too while they are few: the Hall cuts were
mostly for teams) and replaces the other unranked ones by

* ``w[u]``: unit ``u`` is placed at some host it did not rank (cost ``size * unranked_cost``);
* ``y[s, h]``: how many units of size ``s`` host ``h`` takes that way (``s * y`` seats);
* ``sum(w[u] for u of size s) == sum(y[s, h] over h)``.

Every real solution maps to a solution of this model with the same placed and rank cost
(capacities, minimum fills and whole teams stay exact), so its CP-SAT bound is a valid bound on
the first two levels; it keeps what the flow relaxation drops (teams whole, minimum fills), and
with ~5 explicit arcs per visitor it is small where the full model has ~250. It forgets which
unit can reach which host, so a solution of it is checked by completing it: the aggregated
units are matched to the counted seats by min-cost flow (each team to ``s`` seats of one
host). When that places them all, the completion has the model's placed and rank cost, and a
proof over the model is a proof over the real problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver.match.cpsat import add_hints, best_total, bound_from, set_params
from solver.match.index import Index
from solver.match.model import Objective
from solver.match.placement import Placement
from solver.match.seat_completion import add_hall_cut, closed_units, complete_seats
from solver.match.units import UnitArcs

MAX_CUT_ROUNDS = 8  # Hall cuts added when a solution's counted seats cannot be matched
FEW_HOSTS = 20  # units that reach at most this many hosts unranked get their cut up front
EXPLICIT_TEAM_ARCS = 20_000  # up to this many, teams' unranked arcs stay explicit (1k: ~6k)


@dataclass
class Aggregated:
    proven: bool  # the model's optimum is proven (``bound`` equals its value)
    bound: Objective  # placed / rank cost bound over every solution; total_km trivial
    place: Placement | None  # the completed solution at the model's value, if found
    value: tuple[int, int]  # (placed, rank cost) of the model's best solution
    # The model and its variables, kept for the km level (:mod:`solver.match.aggregate_km`).
    model: cp_model.CpModel | None = None
    parts: AggregateParts | None = None


@dataclass
class AggregateParts:
    """The aggregated model's variables, as the km phase needs them."""

    x: list  # explicit unit arcs ``ex``
    w: dict  # unit -> placed unranked somewhere
    y: dict  # (size, host) -> units of that size placed unranked there
    opens: dict  # host -> open switch (minimum fills)
    obj: cp_model.LinearExpr  # placed * (R + 1) - rank
    r_max: int
    ex: np.ndarray
    agg: np.ndarray  # per unit arc: every member unranked there
    unit_size: np.ndarray


def _all_unranked(ua: UnitArcs) -> np.ndarray:
    return ua.per_unit_arc(ua.arcs.rank == 0, "all")


def aggregate_bound(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray,
                    chosen: np.ndarray, clock, workers: int | None, *, complete: bool,
                    seconds: float) -> Aggregated | None:
    """Solve the aggregated model from the incumbent ``chosen`` (unit arcs of ``ua``), adding
    Hall cuts while its solution cannot be completed and time is left. Needs ``complete``:
    ``ua`` holds every feasible unit arc (which hosts a unit can reach unranked)."""
    s = ix.inst.settings
    if s.objective != "canonical" or s.keep_previous or not s.allow_unranked or ua.n_units == 0:
        return None
    if not complete:
        # Measured at 10k with priced arcs (so every unit allowed at every host, to stay a
        # relaxation): 47k variables, the root LP not done in 90 s, the bound far above the
        # flow relaxation's. Not worth it.
        return None
    uc = int(s.unranked_cost)
    agg = _all_unranked(ua)
    if int((agg & (ua.size > 1)).sum()) <= EXPLICIT_TEAM_ARCS:
        # Teams' unranked arcs explicit (measured at 1k, seed 2: 6k more arcs, the bound in
        # one round instead of four, three of its Hall cuts for teams: 7 s -> 1.4 s; and a
        # tighter km floor, 38780 -> 38788 on seed 1).
        agg &= ua.size == 1
    ex = np.flatnonzero(~agg)
    unit_size = np.zeros(ua.n_units, dtype=np.int64)
    unit_size[ua.u] = ua.size
    for members in ix.teams:  # units without any arc still have a size
        u = int(ua.unit_of[members[0]])
        if u >= 0:
            unit_size[u] = len(members)
    unit_size[unit_size == 0] = 1
    room = np.maximum(ix.cap - fixed_load, 0)
    sizes = sorted(set(unit_size.tolist()))

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(ex))]
    # Which units may take aggregated seats, and how many units of each size reach a host.
    can_unit = np.zeros(ua.n_units, dtype=bool)
    can_unit[ua.u[agg]] = True
    reach = {size: np.bincount(ua.h[agg & (ua.size == size)], minlength=ix.n_hosts)
             for size in sizes}
    w = {u: model.new_bool_var(f"w{u}") for u in np.flatnonzero(can_unit).tolist()}
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    y_top: dict[tuple[int, int], int] = {}
    for size in sizes:
        top = np.minimum(room // size, reach[size])
        for h in np.flatnonzero(top > 0).tolist():
            y_top[size, h] = int(top[h])
            y[size, h] = model.new_int_var(0, int(top[h]), f"y{size}_{h}")
        units = [w[u] for u in np.flatnonzero(can_unit & (unit_size == size)).tolist()]
        model.add(cp_model.LinearExpr.sum(units)
                  == cp_model.LinearExpr.sum([v for (sz, _), v in y.items() if sz == size]))
    # Hall's condition for single units that reach few hosts (the first cuts measured at 1k
    # were mostly these: a unit counted among seats it cannot reach); cheap, so up front.
    for size in sizes:
        sel = np.flatnonzero(agg & (ua.size == size))
        order = sel[np.argsort(ua.u[sel], kind="stable")]
        starts = np.flatnonzero(np.diff(ua.u[order])) + 1 if len(order) else order
        for group in np.split(order, starts) if len(order) else []:
            if len(group) <= FEW_HOSTS:
                hosts = [y[size, h] for h in ua.h[group].tolist() if (size, h) in y]
                model.add(w[int(ua.u[group[0]])] <= cp_model.LinearExpr.sum(hosts))
    # One placement per unit.
    per_unit: dict[int, list] = {}
    for k, i in enumerate(ex.tolist()):
        per_unit.setdefault(int(ua.u[i]), []).append(x[k])
    for u, var in w.items():
        per_unit.setdefault(u, []).append(var)
    for lits in per_unit.values():
        if len(lits) > 1:
            model.add_at_most_one(lits)
    # Hosts: capacity and minimum fill (disaggregated, as in cpsat.build_model).
    terms: dict[int, list] = {}
    for k, i in enumerate(ex.tolist()):
        terms.setdefault(int(ua.h[i]), []).append((x[k], int(ua.size[i]), 1))
    for (size, h), var in y.items():
        terms.setdefault(h, []).append((var, size, y_top[size, h]))
    opens = {}
    for h, items in terms.items():
        load = cp_model.LinearExpr.weighted_sum([v for v, _, _ in items], [c for _, c, _ in items])
        low, fixed = int(ix.min_visitors[h]), int(fixed_load[h])
        model.add(load <= int(room[h]))
        if low <= 1 or fixed >= low:
            continue
        if fixed > 0:
            model.add(load >= low - fixed)
            continue
        is_open = opens[h] = model.new_bool_var(f"open{h}")
        model.add(load <= int(room[h]) * is_open)
        model.add(load >= low * is_open)
        for v, _, top in items:
            model.add(v <= top * is_open)
    # Objective: placed * (R + 1) - rank, as the first level of cpsat._levels.
    r_max = best_total(ua, ua.cost)
    r_max = max(r_max, int((unit_size * uc).sum()))
    coef_x = ua.size[ex] * (r_max + 1) - ua.cost[ex]
    coef_w = {u: int(unit_size[u]) * (r_max + 1 - uc) for u in w}
    obj = cp_model.LinearExpr.weighted_sum(x + list(w.values()),
                                           coef_x.tolist() + list(coef_w.values()))
    model.maximize(obj)
    # Hint: the incumbent.
    used = chosen[ex]
    add_hints(model, x, used.tolist())
    inc_agg = np.flatnonzero(chosen & agg)
    on_w = set(ua.u[inc_agg].tolist())
    for u, var in w.items():
        model.add_hint(var, u in on_w)
    counts: dict[tuple[int, int], int] = {}
    for i in inc_agg.tolist():
        key = (int(ua.size[i]), int(ua.h[i]))
        counts[key] = counts.get(key, 0) + 1
    for key, var in y.items():
        model.add_hint(var, counts.get(key, 0))
    hosts_used = set(ua.h[chosen].tolist())
    for h, var in opens.items():
        model.add_hint(var, h in hosts_used)

    fixed_obj = base.objective(ix)
    deadline = clock.elapsed() + seconds
    best: Aggregated | None = None
    for _round in range(MAX_CUT_ROUNDS):
        solver = cp_model.CpSolver()
        set_params(solver, deadline - clock.elapsed(), workers or 2, s.seed or 0)
        # Measured at 1k: presolve's dominance rules spent 3.4 s adding 100k implications
        # among the interchangeable arcs and the root LP then stalled (not proven in 10 s);
        # without presolve the model is proven in 3.5 s.
        solver.parameters.cp_model_presolve = False
        status = solver.solve(model)
        clock.report("aggregated bound", status=solver.status_name(status), unit_arcs=len(ex),
                     units=len(w), seats=len(y), round=_round + 1)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) \
                or not math.isfinite(solver.best_objective_bound):
            break
        bound = bound_from(ix, {"placed": solver.best_objective_bound}, r_max, None,
                           fixed_obj, fixed_obj)
        if best is not None and _key(best.bound) > _key(bound):
            bound = best.bound  # cuts only tighten the model: an earlier bound still holds
        pick_x = np.array([solver.boolean_value(v) for v in x], dtype=bool)
        pick_w = {u for u, var in w.items() if solver.boolean_value(var)}
        seats = {key: int(solver.value(var)) for key, var in y.items()}
        placed = int(ua.size[ex][pick_x].sum() + sum(int(unit_size[u]) for u in pick_w))
        rank = int(ua.cost[ex][pick_x].sum() + sum(int(unit_size[u]) * uc for u in pick_w))
        value = (fixed_obj.placed + placed, fixed_obj.rank_cost + rank)
        place, hall = complete_seats(ix, ua, base, agg, unit_size, ex[pick_x], pick_w, seats)
        best = Aggregated(proven=status == cp_model.OPTIMAL and place is not None
                          and _key(bound) == (-value[0], value[1]),
                          bound=bound, place=place, value=value)
        if place is not None or hall is None or clock.elapsed() >= deadline:
            break
        # A set of units with fewer counted seats among the hosts they can reach than units
        # placed: every real solution obeys sum(w[S]) <= sum(y[N(S)]) (Hall), this one not.
        size, units_s, hosts_n = hall
        units_s = closed_units(ua, agg, size, hosts_n, units_s)
        clock.report("hall cut", size=size, units=len(units_s), hosts=len(hosts_n),
                     seats=sum(seats.get((size, h), 0) for h in hosts_n))
        add_hall_cut(model, w, y, size, units_s, hosts_n)
    if best is not None:
        best.model = model
        best.parts = AggregateParts(x=x, w=w, y=y, opens=opens, obj=obj, r_max=r_max, ex=ex,
                                    agg=agg, unit_size=unit_size)
    return best


def _key(obj: Objective) -> tuple[int, int]:
    return (-obj.placed, obj.rank_cost)
