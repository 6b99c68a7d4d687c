"""Teams and minimum fills: CP-SAT on unit arcs, lexicographic levels solved in turn.

Each level is optimised with the previous solution as a complete hint, then pinned (== when
proven, >= / <= otherwise) before the next. The first hint is the flow relaxation, repaired
(:mod:`solver.match.side`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from solver.errors import InvalidInput
from solver.match.index import Index
from solver.match.model import Objective
from solver.match.placement import Placement
from solver.match.units import UnitArcs, place_units

FOLD_KM_LIMIT = 2**48  # keeps the LP's doubles exact with room to spare
# Measured: folding km helped ranked-only instances (1k: 1.3 s instead of 3-6 s) but hurt
# when unranked hosts tie on rank cost (1k: not proven in 12 s instead of 2 s), and found
# nothing in 15 s on 60k unit arcs.
FOLD_KM_ARCS = 20_000
LEVEL_SHARE = {"placed": 0.7, "worst": 0.4, "rank": 0.6, "km": 1.0}


def set_params(solver: cp_model.CpSolver, seconds: float, workers: int, seed: int) -> None:
    p = solver.parameters
    p.max_time_in_seconds = max(0.05, seconds)
    p.num_workers = workers
    p.random_seed = seed
    # Measured on 10k units: default presolve (probing, repeated passes) took 14 s of 15.
    p.cp_model_probing_level = 0
    p.max_presolve_iterations = 1
    p.symmetry_level = 0
    if workers == 1:
        p.linearization_level = 2
    else:
        # The default 2-worker portfolio has no full-LP worker and its bound stalls (facts).
        p.subsolvers.extend(["max_lp", "default_lp"])


def lp_worker_params(solver: cp_model.CpSolver, seconds: float, seed: int) -> None:
    """One CP-SAT worker, the ``max_lp`` subsolver (linearization level 2, LP-guided search).

    Measured on the km level's models at 1k (seeds 1-3, another engineer's job on one of the
    two cores): the proof on 19-39k kept arcs took 1.1-2.2 s of CPU this way against 3.1-4.3 s
    with the two-worker portfolio (its second worker runs LNS, useless once the hint is near
    the optimum), and the km floor 0.6-1.4 s against 1.6-3.0 s. A plain single worker with
    linearization level 2 (what was measured slower before) is not this: it first spends ~7 s
    in a "hint search" on the 39k-arc proof (8.5 s in all)."""
    set_params(solver, seconds, 1, seed)
    solver.parameters.subsolvers.append("max_lp")


def add_hints(model: cp_model.CpModel, variables: list, values: list) -> None:
    """Hint many Boolean (positive) variables at once: ``add_hint`` one by one cost ~0.3 s
    for the ~66k hinted arcs of a 1k side-constraint run."""
    if len(variables) != len(values):
        raise ValueError(f"{len(variables)} variables, {len(values)} hint values")
    hint = model.proto.solution_hint
    hint.vars.extend([var.index for var in variables])
    hint.values.extend([int(val) for val in values])


def build_model(ix: Index, ua: UnitArcs, fixed_load: np.ndarray):
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(ua.u))]
    opens: dict[int, cp_model.IntVar] = {}
    by_unit = np.argsort(ua.u, kind="stable")
    starts = np.flatnonzero(np.diff(ua.u[by_unit])) + 1
    for group in np.split(by_unit, starts) if len(by_unit) else []:
        model.add_at_most_one([x[i] for i in group.tolist()])
    by_host = np.argsort(ua.h, kind="stable")
    starts = np.flatnonzero(np.diff(ua.h[by_host])) + 1
    for group in np.split(by_host, starts) if len(by_host) else []:
        h = int(ua.h[group[0]])
        load = cp_model.LinearExpr.weighted_sum([x[i] for i in group.tolist()], ua.size[group].tolist())
        room, low, fixed = int(ix.cap[h] - fixed_load[h]), int(ix.min_visitors[h]), int(fixed_load[h])
        if low <= 1 or fixed >= low:
            model.add(load <= room)
        elif fixed > 0:
            model.add(load <= room)
            model.add(load >= low - fixed)
        else:
            is_open = opens[h] = model.new_bool_var(f"open{h}")
            model.add(load <= room * is_open)
            model.add(load >= low * is_open)
            for i in group.tolist():  # disaggregated: a much tighter LP than the sums alone
                model.add_implication(x[i], is_open)
    return model, x, opens


def _expr(x: list, coeffs: np.ndarray):
    nz = np.flatnonzero(coeffs)
    return cp_model.LinearExpr.weighted_sum([x[i] for i in nz.tolist()], coeffs[nz].tolist())


@dataclass
class Level:
    name: str
    sense: int  # +1 maximise, -1 minimise
    expr: Any
    coeffs: np.ndarray | None  # per unit arc; None for the minimax variable


def _levels(ix: Index, ua: UnitArcs, x: list, model: cp_model.CpModel, fixed_worst: int
            ) -> tuple[list[Level], int, int | None]:
    """The lexicographic levels in order. Without minimax the first level folds rank cost in
    as a tie-break, ``(placed[, kept]) * (R + 1) - rank`` with R the largest possible total
    rank cost: one exact level instead of two, and a first solution that is not careless about
    rank (measured: solving placed alone left 60 % more rank cost for the next level to undo)."""
    s = ix.inst.settings
    n_prev = len(ix.previous_code)
    inner = ua.size * (n_prev + 1) + ua.kept if s.keep_previous else ua.size
    minimax = s.objective == "minimax_rank"
    r_max = _rank_cap(ua)
    first = inner if minimax else inner * (r_max + 1) - ua.cost
    k_max = best_total(ua, ua.km)
    fold_km = (not minimax and not s.allow_unranked and len(ua.u) <= FOLD_KM_ARCS
               and int(np.abs(first).sum() + 1) * (k_max + 1) < FOLD_KM_LIMIT)
    if fold_km:
        first = first * (k_max + 1) - ua.km
    levels = [Level("placed", 1, _expr(x, first), first)]
    if minimax:
        top = int(max(ua.worst.max(initial=0), fixed_worst))
        z = model.new_int_var(fixed_worst, top, "worst")
        for i in np.flatnonzero(ua.worst > fixed_worst).tolist():
            model.add(z >= int(ua.worst[i])).only_enforce_if(x[i])
        levels.append(Level("worst", -1, z, None))
        levels.append(Level("rank", -1, _expr(x, ua.cost), ua.cost))
    if not fold_km:
        levels.append(Level("km", -1, _expr(x, ua.km), ua.km))
    return levels, r_max, (k_max if fold_km else None)


def placed_rank_coefficients(ix: Index, ua: UnitArcs) -> np.ndarray:
    """``inner * (R+1) - rank`` per unit arc, ``inner`` the size (with ``keep_previous``:
    ``size * (P+1) + kept``, P previous pairs): placed (and kept), then rank cost, as one exact
    level (R the largest total the arcs can reach), as :func:`_levels`' first level. km is left
    to the flow polish (the neighbourhoods, the pattern completion): folded in too, a 100-host
    neighbourhood at 200 visitors was not proven in 1.5 s (without: ~0.05 s)."""
    inner = ua.size
    if ix.inst.settings.keep_previous:
        inner = inner * (len(ix.previous_code) + 1) + ua.kept
    rank_cap = int(ua.cost.max(initial=0)) * len(ua.u) + 1
    return inner * (rank_cap + 1) - ua.cost


def _rank_cap(ua: UnitArcs) -> int:
    return best_total(ua, ua.cost)


def best_total(ua: UnitArcs, values: np.ndarray) -> int:
    """Largest total of ``values`` any solution can reach: each unit's largest, summed."""
    if len(ua.u) == 0:
        return 0
    return int(np.maximum.reduceat(values[np.argsort(ua.u, kind="stable")],
                                   np.unique(np.sort(ua.u), return_index=True)[1]).sum())


def bound_from(ix: Index, proven: dict[str, float], r_max: int, k_max: int | None,
               base: Objective, fixed: Objective) -> Objective:
    """The lexicographic bound the CP-SAT levels prove (trivial beyond the first open level)."""
    n_prev = len(ix.previous_code)
    minimax = base.max_rank_cost is not None
    placed, kept = ix.n_visitors, n_prev if base.kept is not None else None
    worst = 0 if minimax else None
    rank = km = 0
    if "placed" in proven:
        b = int(math.floor(proven["placed"] + 1e-6))
        if k_max is not None:  # b >= y * (K + 1) - km with 0 <= km <= K
            y = (b + k_max) // (k_max + 1)
            km = fixed.total_km + max(0, y * (k_max + 1) - b)
            b = y
        inner = b
        if not minimax:  # b >= inner * (R + 1) - rank with 0 <= rank <= R
            inner = (b + r_max) // (r_max + 1)
            rank = fixed.rank_cost + max(0, inner * (r_max + 1) - b)
        placed = fixed.placed + (inner // (n_prev + 1) if kept is not None else inner)
        if kept is not None:
            kept = (fixed.kept or 0) + inner % (n_prev + 1)
    if "worst" in proven:
        worst = int(math.ceil(proven["worst"] - 1e-6))
    if "rank" in proven:
        rank = fixed.rank_cost + int(math.ceil(proven["rank"] - 1e-6))
    if "km" in proven:
        km = fixed.total_km + int(math.ceil(proven["km"] - 1e-6))
    return Objective(placed=placed, rank_cost=rank, total_km=km, kept=kept, max_rank_cost=worst)


def solve_levels(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray,
                 chosen: np.ndarray, clock, workers: int | None, *, share: float = 1.0,
                 skip_km: bool = False) -> tuple[Placement, bool, Objective]:
    """Optimise the levels in turn from the feasible hint ``chosen``; return the placement,
    whether every level was proven, and the lexicographic bound proven over ``ua``.
    (Measured: adding the relaxation's value as a cut on the first level made CP-SAT slower.)"""
    s = ix.inst.settings
    model, x, opens = build_model(ix, ua, fixed_load)
    fixed_obj = base.objective(ix)
    fixed_worst = int(fixed_obj.max_rank_cost or 0)
    levels, r_max, k_max = _levels(ix, ua, x, model, fixed_worst)
    proven: dict[str, float] = {}
    all_proven = True
    skipped = skip_km and levels[-1].name == "km"
    if skipped:  # a later stage does km: never a full proof here then
        levels = levels[:-1]
    for level in levels:
        name, sense, expr = level.name, level.sense, level.expr
        model.clear_hints()
        add_hints(model, x, chosen.tolist())
        used = set(ua.h[chosen].tolist())
        for h, var in opens.items():  # a complete hint: CP-SAT starts from it at once
            model.add_hint(var, h in used)
        if sense > 0:
            model.maximize(expr)
        else:
            model.minimize(expr)
        solver = cp_model.CpSolver()
        set_params(solver, clock.remaining() * share * LEVEL_SHARE[name], workers or 2, s.seed or 0)
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:  # the all-empty choice is feasible unless fixed
            raise InvalidInput(["fixed: the fixed pairs cannot be completed to a solution that "
                                "meets every host's min_visitors"])
        before = _value(level, ua, chosen, fixed_worst)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = np.array([solver.boolean_value(v) for v in x], dtype=bool)
            after = _value(level, ua, found, fixed_worst)
            if (after - before) * sense >= 0:  # never trade the hint for something worse
                chosen = found
        # else nothing came back in time: keep the hint, prove nothing more.
        value = _value(level, ua, chosen, fixed_worst)
        if all_proven and status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proven[name] = solver.best_objective_bound
        if status == cp_model.OPTIMAL:
            model.add(expr == value)
        else:
            all_proven = False
            model.add(expr >= value if sense > 0 else expr <= value)
        clock.report(f"cp-sat {name}", objective=place_units(ua, base, chosen).objective(ix),
                     status=solver.status_name(status))
    place = place_units(ua, base, chosen)
    bound = bound_from(ix, {k: v for k, v in proven.items() if math.isfinite(v)}, r_max, k_max,
                        place.objective(ix), fixed_obj)
    return place, all_proven and not skipped, bound


def _value(level: Level, ua: UnitArcs, chosen: np.ndarray, fixed_worst: int) -> int:
    """The level's value at ``chosen`` (the same expression the model optimises)."""
    if level.coeffs is None:
        return int(max(ua.worst[chosen].max(initial=0), fixed_worst))
    return int(level.coeffs[chosen].sum())
