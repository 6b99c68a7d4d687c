"""The km level once placed and rank cost are proven: an LP bound, reduced-cost fixing, CP-SAT.

With placed = P and rank cost = R known optimal, the km level is

    min sum km_j x_j  over unit arcs j (a lone visitor or a whole team at a host)
    s.t. one arc per unit; host capacity; minimum fills with an ``open`` switch per host,
         disaggregated (x_j <= open_h); sum size_j x_j >= P; sum cost_j x_j <= R.

Its LP (GLOP, column generation over the unit arcs: the restricted LP starts from a few cheap
arcs per unit and takes the arcs whose reduced cost is negative) keeps teams whole, minimum
fills and the rank budget, which the Lagrangian bound over the split flow relaxation does not.

Soundness does not rest on GLOP's tolerances: the duals are rounded, sign-feasible, to multiples
of 1/1024 (every sum below is then exact in binary floating point) and the bound is the dual
objective of the *full* LP (every unit arc, not just the restricted ones; a column outside the
restricted LP gets dual 0 on its own x_j <= open_h row):

    LB = sum_rows y_i b_i + sum_j min(0, d_j) + sum_h min(0, d_open_h)   (x, open in [0, 1])

and for every feasible x, km(x) >= LB + sum over used arcs with d_j > 0 of d_j. So a solution
with km <= U - 1 uses no arc with d_j > U - 1 - LB: CP-SAT on the rest (with P and R pinned)
proves the km level over every arc.

The pipeline (:mod:`solver.match.side`) first uses :func:`solver.match.km_cpsat.improve_km`
and :func:`solver.match.km_cpsat.pinned_km_cpsat` with the Lagrangian flow's reduced costs and
the aggregated km bound (:func:`solver.match.aggregate_km.aggregated_km_floor`), which is
far tighter here; this LP runs after them when they leave the level unproven.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import linear_solver_pb2 as pb
from ortools.linear_solver.python import model_builder_helper as mbh

from solver.match.index import Index, first_in_groups
from solver.match.km_cpsat import IMPROVE_PER_UNIT, cheapest_per_unit, pinned_km_cpsat
from solver.match.units import UnitArcs

_GRID = 1024.0
START_PER_UNIT = 8  # restricted LP: the cheapest arcs of each unit by km, plus the incumbent's
ADD_PER_UNIT = 4  # pricing round: the most negative arcs of each unit
MAX_ROUNDS = 3  # measured at 1k: the bound stalls near the Lagrangian one; the arcs suffice
LP_SHARE = 0.3  # of the km level's time: the LP rounds
LP_IMPROVE_SHARE = 0.6  # of what is left after them: the improvement run
MAX_FIXED_ARCS = 40_000  # above this the kept arcs are not worth a CP-SAT run


@dataclass
class KmLevel:
    bound: int  # km of the free units >= this for every solution with placed P, rank R
    chosen: np.ndarray  # best unit-arc choice found (the incumbent if nothing better)
    proven: bool  # chosen's km equals the bound
    kept: int  # unit arcs left after reduced-cost fixing (0: CP-SAT not run)
    rounds: int  # column generation rounds


@dataclass
class _Rows:
    """Row layout of the LP over the free units and hosts."""

    open_h: np.ndarray  # hosts with an open switch (minimum fill, nothing fixed there)
    partial: np.ndarray  # hosts with a fixed load below their minimum fill
    room: np.ndarray
    low: np.ndarray


def _layout(ix: Index, fixed_load: np.ndarray) -> _Rows:
    low = ix.min_visitors.astype(np.int64)
    needs = low >= 2
    return _Rows(open_h=np.flatnonzero(needs & (fixed_load == 0)),
                 partial=np.flatnonzero(needs & (fixed_load > 0) & (fixed_load < low)),
                 room=np.maximum(ix.cap - fixed_load, 0).astype(np.int64),
                 low=np.where(fixed_load > 0, low - fixed_load, low).astype(np.int64))


def _solve_lp(ix: Index, ua: UnitArcs, cols: np.ndarray, rows: _Rows, placed: int, rank: int,
              seconds: float) -> tuple[int, dict[str, np.ndarray]]:
    """GLOP on the restricted columns ``cols``; the duals by row group (raw, unrounded)."""
    n_u, n_h = ua.n_units, ix.n_hosts
    request = pb.MPModelRequest()
    request.solver_type = pb.MPModelRequest.GLOP_LINEAR_PROGRAMMING
    request.solver_time_limit_seconds = max(0.1, seconds)
    lp = request.model
    for c in ua.km[cols].tolist():
        var = lp.variable.add()
        var.lower_bound, var.upper_bound, var.objective_coefficient = 0.0, 1.0, float(c)
    n_x = len(cols)
    open_var = {int(h): n_x + k for k, h in enumerate(rows.open_h.tolist())}
    for _ in open_var:
        var = lp.variable.add()
        var.lower_bound, var.upper_bound = 0.0, 1.0
    u, h, size = ua.u[cols], ua.h[cols], ua.size[cols].astype(float)

    def groups(keys: np.ndarray, n: int):
        order = np.argsort(keys, kind="stable")
        bounds = np.searchsorted(keys[order], np.arange(n + 1))
        return [order[bounds[i]:bounds[i + 1]] for i in range(n)]

    for ks in groups(u, n_u):  # unit rows
        row = lp.constraint.add()
        row.lower_bound, row.upper_bound = -math.inf, 1.0
        row.var_index.extend(ks.tolist())
        row.coefficient.extend([1.0] * len(ks))
    by_host = groups(h, n_h)

    def load_row(hi: int, limit: np.ndarray, upper: bool) -> None:
        """load(hi) <= limit (``upper``) or >= limit; for a host with an open switch the
        limit is scaled by it (limit * open) and the constant side becomes 0."""
        row = lp.constraint.add()
        ks = by_host[hi]
        row.var_index.extend(ks.tolist())
        row.coefficient.extend(size[ks].tolist())
        bound = float(limit[hi])
        if hi in open_var:
            row.var_index.append(open_var[hi])
            row.coefficient.append(-bound)
            bound = 0.0
        row.lower_bound, row.upper_bound = (-math.inf, bound) if upper else (bound, math.inf)

    for hi in range(n_h):  # capacity rows
        load_row(hi, rows.room, upper=True)
    for hi in np.concatenate([rows.open_h, rows.partial]).tolist():  # minimum fill rows
        load_row(hi, rows.low, upper=False)
    row = lp.constraint.add()  # placed
    row.lower_bound, row.upper_bound = float(placed), math.inf
    row.var_index.extend(range(n_x))
    row.coefficient.extend(size.tolist())
    row = lp.constraint.add()  # rank budget
    row.lower_bound, row.upper_bound = -math.inf, float(rank)
    row.var_index.extend(range(n_x))
    row.coefficient.extend(ua.cost[cols].astype(float).tolist())
    dis = np.flatnonzero(np.isin(h, rows.open_h))
    for k in dis.tolist():  # x_j <= open_h
        row = lp.constraint.add()
        row.lower_bound, row.upper_bound = -math.inf, 0.0
        row.var_index.extend([k, open_var[int(h[k])]])
        row.coefficient.extend([1.0, -1.0])
    response = pb.MPSolutionResponse()
    response.ParseFromString(mbh.ModelSolverHelper("glop").solve_serialized_request(
        request.SerializeToString()))
    y = np.array(response.dual_value, dtype=float)
    if response.status != pb.MPSOLVER_OPTIMAL or len(y) != len(lp.constraint):
        return response.status, {}
    k = 0
    out: dict[str, np.ndarray] = {}
    for name, n in (("unit", n_u), ("cap", n_h), ("fill", len(rows.open_h) + len(rows.partial)),
                    ("placed", 1), ("rank", 1), ("dis", len(dis))):
        out[name] = y[k:k + n]
        k += n
    out["dis_cols"] = cols[dis]
    return response.status, out


def _grid_le(y: np.ndarray) -> np.ndarray:
    """Dual of a <= row in a minimisation: <= 0, on the 1/1024 grid."""
    return -np.ceil(np.maximum(-np.nan_to_num(y), 0.0) * _GRID) / _GRID


def _grid_ge(y: np.ndarray) -> np.ndarray:
    return np.floor(np.maximum(np.nan_to_num(y), 0.0) * _GRID) / _GRID


def _dual_bound(ix: Index, ua: UnitArcs, rows: _Rows, placed: int, rank: int,
                raw: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    """Sign-feasible grid duals -> (the full LP's dual objective, reduced cost of every arc).
    Exact: every term is a multiple of 1/1024 far below 2**53 / 1024."""
    alpha = _grid_le(raw["unit"])
    beta = _grid_le(raw["cap"])
    fill = _grid_ge(raw["fill"])
    gamma = np.zeros(ix.n_hosts)
    gamma[np.concatenate([rows.open_h, rows.partial])] = fill
    pi = float(_grid_ge(raw["placed"])[0])
    rho = float(_grid_le(raw["rank"])[0])
    delta = np.zeros(len(ua.u))
    delta[raw["dis_cols"]] = _grid_le(raw["dis"])
    d = (ua.km - alpha[ua.u] - ua.size * (beta[ua.h] + gamma[ua.h] + pi) - ua.cost * rho
         - delta)
    is_open = np.zeros(ix.n_hosts, dtype=bool)
    is_open[rows.open_h] = True
    d_open = rows.room * beta + rows.low * gamma
    np.add.at(d_open, ua.h, delta)
    rhs_cap = np.where(is_open, 0, rows.room)
    rhs_fill = np.zeros(ix.n_hosts)
    rhs_fill[rows.partial] = rows.low[rows.partial]
    bound = (alpha.sum() + (beta * rhs_cap).sum() + (gamma * rhs_fill).sum() + pi * placed
             + rho * rank + np.minimum(d, 0).sum() + np.minimum(d_open[is_open], 0).sum())
    return float(bound), d


def _start_columns(ua: UnitArcs, chosen: np.ndarray) -> np.ndarray:
    cols = np.zeros(len(ua.u), dtype=bool)
    cols[first_in_groups(ua.u, (ua.km,), START_PER_UNIT)] = True
    # The cheapest by rank cost too, or the rank budget leaves the first LP infeasible.
    cols[first_in_groups(ua.u, (ua.km, ua.cost), START_PER_UNIT // 2)] = True
    return np.flatnonzero(cols | chosen)


def km_level(ix: Index, ua: UnitArcs, fixed_load: np.ndarray, chosen: np.ndarray, placed: int,
             rank: int, clock, workers: int | None, seed: int, seconds: float) -> KmLevel | None:
    """Bound (and, when the gap allows, prove) the least km over unit-arc choices of the free
    units placing ``placed`` seats at rank cost <= ``rank`` (both proven optimal), and improve
    the incumbent ``chosen`` on the arcs of least reduced cost."""
    if len(ua.u) == 0:
        return None
    deadline = clock.elapsed() + seconds
    rows = _layout(ix, fixed_load)
    cols = _start_columns(ua, chosen)
    best, d, rounds = -math.inf, None, 0
    lp_deadline = clock.elapsed() + seconds * LP_SHARE
    while rounds < MAX_ROUNDS and clock.elapsed() < lp_deadline:
        rounds += 1
        _status, raw = _solve_lp(ix, ua, cols, rows, placed, rank, lp_deadline - clock.elapsed())
        if not raw:
            break
        bound, d_now = _dual_bound(ix, ua, rows, placed, rank, raw)
        if bound > best:
            best, d = bound, d_now
        clock.report("km lp", round=rounds, columns=len(cols), lp_bound=round(bound, 2))
        # Pricing: the most negative new arcs of each unit enter the restricted LP.
        priced = np.where(d_now < -1e-6, d_now, np.inf)
        priced[cols] = np.inf
        if not np.isfinite(priced).any():
            break
        cols = np.union1d(cols, np.flatnonzero(cheapest_per_unit(priced, ua, ADD_PER_UNIT)
                                               & np.isfinite(priced)))
    if d is None:
        return None
    lb = math.ceil(best - 1e-9)
    # Improvement: the few arcs of least reduced cost per unit (measured at 1k: 5 per unit,
    # 4.7k arcs, solved to optimality in 3.6 s of CPU, 3 % below the fixing rounds' km).
    keep = cheapest_per_unit(d, ua, IMPROVE_PER_UNIT) | chosen
    chosen, _ = pinned_km_cpsat(ix, ua, keep, fixed_load, chosen, placed, rank,
                                (deadline - clock.elapsed()) * LP_IMPROVE_SHARE, workers, seed)
    found = int(ua.km[chosen].sum())
    clock.report("km improve", kept=int(keep.sum()), found=found, lp_bound=lb)
    if lb >= found:
        return KmLevel(bound=found, chosen=chosen, proven=True, kept=0, rounds=rounds)
    # Exact: every solution below ``found`` uses only arcs with d <= found - 1 - LB.
    keep = (d <= found - 1 - best) | chosen
    n_keep = int(keep.sum())
    clock.report("km fixing", kept=n_keep, lp_bound=lb, found=found)
    if n_keep > MAX_FIXED_ARCS or deadline - clock.elapsed() < 0.2:
        return KmLevel(bound=lb, chosen=chosen, proven=False, kept=0, rounds=rounds)
    out, cp_bound = pinned_km_cpsat(ix, ua, keep, fixed_load, chosen, placed, rank,
                                    deadline - clock.elapsed(), workers, seed)
    value = int(ua.km[out].sum())
    # Every solution better than ``found`` lies in the kept arcs, so min(found, cp_bound)
    # bounds them all.
    bound = lb if cp_bound is None else min(value, max(lb, min(found, cp_bound)))
    return KmLevel(bound=bound, chosen=out, proven=bound == value, kept=n_keep, rounds=rounds)
