"""One half (all preps, or all follow-ups) with every given group required: price, restrict, prove.

Given the set of groups to schedule, the two halves are independent generalised assignment
problems. Per half, GLOP's capacity duals give a rigorous Lagrangian bound L and a reduced cost
rc >= 0 per arc (:mod:`solver.workshops.lp`): any solution using an arc costs at least L + rc.
HiGHS (:mod:`solver.workshops.mip`) solves the half restricted to the arcs with rc <= T. If its optimum U satisfies
U <= L + (smallest rc left out), no solution using a left-out arc can beat it, so U is the
optimum of the whole half; otherwise T grows to U - L and the MIP runs again. The LP of a GAP has
few fractional groups, so T stays small and the MIP sees a few arcs per group.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver.workshops.cpsat import add_half, found, make_solver
from solver.workshops.lp import price
from solver.workshops.mip import solve_assignment
from solver.workshops.pooled import make_pools, solve_pooled

_SEARCH_GAP = 0.0  # relative MIP gap of search rounds (1e-4 measured no faster: more rounds)
_ARCS_PER_GROUP = 2  # first restriction: about this many cheapest-in-reduced-cost arcs per group


@dataclass(frozen=True)
class HalfSolution:
    status: str  # OPTIMAL, FEASIBLE (bound below cost), INFEASIBLE, UNKNOWN (nothing found)
    choice: np.ndarray  # local session per required group (-1 when not found)
    cost: int
    bound: int
    arcs: int  # arcs of the last CP-SAT model
    method: str


def _round(x, g, j, cost, sizes, capacity, min_fill, n, max_open) -> np.ndarray | None:
    """LP rounding: keep integral choices, send the rest to the cheapest session with room."""
    choice = np.full(n, -1, dtype=np.int64)
    whole = x > 0.999
    choice[g[whole]] = j[whole]
    load = np.zeros(len(capacity), dtype=np.int64)
    np.add.at(load, choice[choice >= 0], sizes[np.nonzero(choice >= 0)[0]])
    for gi in np.nonzero(choice < 0)[0]:
        ks = np.nonzero(g == gi)[0]
        for k in ks[np.argsort(cost[ks], kind="stable")]:
            if load[j[k]] + sizes[gi] <= capacity[j[k]]:
                choice[gi] = j[k]
                load[j[k]] += sizes[gi]
                break
        else:
            return None
    closed = np.zeros(len(capacity), dtype=bool)
    while True:  # close the emptiest under-filled session and move its groups, until none is left
        thin = np.nonzero((load > 0) & (load < min_fill))[0]
        if not len(thin):
            break
        sj = thin[np.argmin(load[thin])]
        closed[sj] = True
        for gi in np.nonzero(choice == sj)[0]:
            load[sj] -= sizes[gi]
            ks = np.nonzero((g == gi) & ~closed[j])[0]
            ks = ks[load[j[ks]] + sizes[gi] <= capacity[j[ks]]]
            if not len(ks):
                return None
            k = ks[np.lexsort((cost[ks], load[j[ks]] == 0))][0]  # prefer sessions already running
            choice[gi] = j[k]
            load[j[k]] += sizes[gi]
    if max_open is not None and (load > 0).sum() > max_open:
        return None
    return choice


def _cpsat_rescue(g, j, cost, sizes, capacity, min_fill, n, deadline, max_open, hint=None):
    """A solution of the whole half from CP-SAT (anytime, from ``hint`` if any), with its bound."""
    model = cp_model.CpModel()
    hv = add_half(model, g, j, cost, sizes, capacity, min_fill, max_open=max_open)
    model.minimize(hv.cost)
    if hint is not None:
        for k, var in enumerate(hv.x):
            model.add_hint(var, bool(hint[g[k]] == j[k]))
    solver = make_solver(deadline, 2, 0)
    status = solver.solve(model)
    bound = math.ceil(solver.best_objective_bound - 1e-6) if status != cp_model.INFEASIBLE else 0
    if not found(status):
        return None, None, bound
    on = np.array([solver.boolean_value(v) for v in hv.x], dtype=bool)
    choice = np.full(n, -1, dtype=np.int64)
    choice[g[on]] = j[on]
    return choice, int(cost[on].sum()), bound


def solve_half(
    g: np.ndarray, j: np.ndarray, cost: np.ndarray, sizes: np.ndarray, capacity: np.ndarray,
    min_fill: np.ndarray, n: int, deadline: float, max_open: int | None = None,
    start: np.ndarray | None = None, place: np.ndarray | None = None,
) -> HalfSolution:
    """Schedule all n groups (arcs g sorted ascending, every group with an arc) at least cost.

    ``start`` is a known feasible choice (local session per group): the result is never worse.
    ``place`` labels sessions at one location alike: their sessions are pooled first
    (:mod:`solver.workshops.pooled`); the session-level rounds below only run if that is not
    proven in its share of the time, starting from its bound and schedule.
    """
    if n == 0:
        return HalfSolution("OPTIMAL", np.zeros(0, dtype=np.int64), 0, 0, 0, "empty")
    pools = make_pools(g, j, cost, place) if place is not None else None
    pooled_bound, pooled_method = 0, ""
    if pools is not None:
        # Most of the time: the pooled model is far stronger than the session-level rounds
        # below, and a HiGHS round cut short returns nothing (at load 11 a 600-group round
        # took 2.7 s of a 3 s share). With min_fill its first round is the pooled model
        # without it (fast, a relaxation); venues that cannot then be seated within min_fill
        # get open flags, one pattern of open sessions at a time (pooled.py).
        now = time.monotonic()
        pooled = solve_pooled(g, j, cost, sizes, capacity, min_fill, n, pools,
                              now + 0.85 * max(0.0, deadline - now), max_open, start)
        if pooled.status in ("OPTIMAL", "INFEASIBLE"):
            return HalfSolution(pooled.status, pooled.choice if pooled.choice is not None else np.full(n, -1),
                                pooled.value, max(pooled.bound, pooled_bound) if pooled.status == "OPTIMAL" else 0,
                                0, pooled.method)
        pooled_bound, pooled_method = max(pooled_bound, pooled.bound), pooled.method + "; then "
        if pooled.choice is not None:
            start = pooled.choice
    final_deadline = deadline
    # HiGHS returns nothing on timeout: while no solution is known, keep a quarter of the time
    # for an anytime CP-SAT rescue.
    reserved = time.monotonic() + 0.75 * max(0.0, deadline - time.monotonic())
    pricing = price(g, j, cost, sizes, capacity, n, reserved - time.monotonic())
    if not pricing.feasible:
        return HalfSolution("INFEASIBLE", np.full(n, -1), 0, 0, 0, "LP relaxation infeasible")
    best = _round(pricing.x, g, j, cost, sizes, capacity, min_fill, n, max_open)
    if start is not None and (best is None or cost[start[g] == j].sum() < cost[best[g] == j].sum()):
        best = start
    upper = int(cost[best[g] == j].sum()) if best is not None else None
    lower = max(pricing.bound, pooled_bound)
    rc = pricing.rc
    k = min(len(rc) - 1, _ARCS_PER_GROUP * n)
    threshold = float(np.partition(rc, k)[k])
    if upper is not None:
        threshold = min(threshold, upper - pricing.exact)
    rounds, arcs, retry = 0, 0, False
    while True:
        rounds += 1
        deadline = final_deadline if best is not None else reserved
        keep = rc <= threshold + 1e-9
        if best is not None:
            keep |= best[g] == j
        left_out = rc[~keep]
        # Any solution using a left-out arc costs at least this much:
        floor_out = math.ceil(pricing.exact + float(left_out.min())) if len(left_out) else math.inf
        # Proving round: every arc that could improve on `upper` is in. Otherwise a short
        # search round whose only job is a good `upper`, which then shrinks the arc set.
        proving = upper is not None and floor_out > upper - 1
        now = time.monotonic()
        if proving:  # a solution exists, so no rescue is needed: use all the time
            limit = final_deadline
        else:
            limit = deadline if retry else now + 0.5 * max(0.0, deadline - now)
        arcs = int(keep.sum())
        # Search rounds only need a good U, not a proof; a relative gap there was measured
        # (1e-4) and saved nothing, so _SEARCH_GAP stays 0 but the hook remains.
        out = solve_assignment(
            g[keep], j[keep], cost[keep], sizes, capacity, min_fill, n, limit, max_open,
            rel_gap=0.0 if proving else _SEARCH_GAP,
        )
        status, value = out.status, out.value
        if out.choice is not None and (upper is None or value < upper):
            best, upper = out.choice, value
        if status == "OPTIMAL":
            lower = max(lower, min(value, floor_out))
        elif status == "FEASIBLE" and not proving:  # a search round within its gap
            lower = max(lower, min(math.ceil(out.bound - 1e-6), floor_out))
        elif status == "INFEASIBLE":
            if not len(left_out):
                return HalfSolution("INFEASIBLE", np.full(n, -1), 0, 0, arcs, "MIP infeasible")
            lower = max(lower, floor_out)
        elif proving or retry or time.monotonic() >= deadline - 0.05:
            if math.isfinite(out.bound):
                lower = max(lower, min(math.ceil(out.bound - 1e-6), floor_out))
            break  # out of time
        else:
            # HiGHS returns nothing when its time runs out: rerun the same arcs with all the
            # time left rather than a bigger model that would fare worse.
            retry = True
            continue
        if (upper is not None and upper <= lower) or time.monotonic() >= deadline - 0.05:
            break
        # Grow T geometrically towards U - L: each round's optimum lowers U, so the proving
        # round usually needs far fewer arcs than the first U - L would suggest.
        grown = 2 * max(threshold, 1.0)
        threshold = grown if upper is None else min(upper - pricing.exact, grown)
    method = f"{pooled_method}LP-priced HiGHS MIP, {rounds} round(s), {arcs}/{len(g)} arcs"
    if (best is None or upper > lower) and time.monotonic() < final_deadline - 0.1:
        found, value, cp_lower = _cpsat_rescue(
            g, j, cost, sizes, capacity, min_fill, n, final_deadline, max_open, best
        )
        if found is not None and (best is None or value < upper):
            best, upper = found, value
        lower = max(lower, cp_lower)
        method += "; CP-SAT rescue"
    if best is None:
        return HalfSolution("UNKNOWN", np.full(n, -1), 0, min(lower, 10**15), arcs, method)
    lower = min(lower, upper)
    return HalfSolution("OPTIMAL" if upper <= lower else "FEASIBLE", best, upper, lower, arcs, method)
