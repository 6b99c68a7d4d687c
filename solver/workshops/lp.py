"""LP pricing of one half: a Lagrangian bound and reduced costs from GLOP's capacity duals.

Relaxing the capacity rows with multipliers v_j <= 0 gives, for ANY such v, the bound

    L(v) = sum_g min_j (c_gj - s_g v_j) + sum_j v_j C_j  <=  cost of every feasible assignment,

and a solution that sends group g to session j costs at least L(v) + rc_gj, where
rc_gj = (c_gj - s_g v_j) - min_j' (c_gj' - s_g v_j'). GLOP supplies a near-optimal v; rounding
it to multiples of 1/1024 keeps every sum exact in binary floating point, so the bound and the
pruning below are rigorous whatever GLOP's tolerances (min_fill and max_open are relaxed away,
which only weakens the bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import linear_solver_pb2 as pb
from ortools.linear_solver.python import model_builder_helper as mbh

_GRID = 1024.0


@dataclass(frozen=True)
class Pricing:
    feasible: bool  # False: the LP relaxation is infeasible, hence so is the assignment
    bound: int  # ceil(L(v)), a valid lower bound on the half's cost
    exact: float  # L(v) itself (a multiple of 1/1024, exact)
    rc: np.ndarray  # per arc, >= 0, exact (see module docstring)
    x: np.ndarray  # LP value per arc (for rounding to a first solution)


def _glop(g, j, cost, sizes, capacity, n, m, time_limit_s) -> tuple[int, np.ndarray, np.ndarray]:
    request = pb.MPModelRequest()
    request.solver_type = pb.MPModelRequest.GLOP_LINEAR_PROGRAMMING
    request.solver_time_limit_seconds = max(0.1, time_limit_s)
    request.solver_specific_parameters = "use_dual_simplex: true"  # measured several times faster here
    lp = request.model
    for c in cost.tolist():
        var = lp.variable.add()
        var.lower_bound, var.upper_bound = 0.0, 1.0
        var.objective_coefficient = float(c)
    group_start = np.searchsorted(g, np.arange(n + 1))  # arcs come sorted by group
    for gi in range(n):
        row = lp.constraint.add()
        row.lower_bound = row.upper_bound = 1.0
        row.var_index.extend(range(group_start[gi], group_start[gi + 1]))
        row.coefficient.extend([1.0] * int(group_start[gi + 1] - group_start[gi]))
    order = np.argsort(j, kind="stable")
    session_start = np.searchsorted(j[order], np.arange(m + 1))
    weights = sizes[g].astype(float)
    for sj in range(m):
        ks = order[session_start[sj] : session_start[sj + 1]]
        row = lp.constraint.add()
        row.lower_bound = -math.inf
        row.upper_bound = float(capacity[sj])
        row.var_index.extend(ks.tolist())
        row.coefficient.extend(weights[ks].tolist())
    response = pb.MPSolutionResponse()
    response.ParseFromString(mbh.ModelSolverHelper("glop").solve_serialized_request(request.SerializeToString()))
    duals = np.array(response.dual_value, dtype=float)
    x = np.array(response.variable_value, dtype=float)
    return response.status, duals[n:] if len(duals) == n + m else np.zeros(m), x if len(x) == len(g) else np.zeros(len(g))


def price(
    g: np.ndarray, j: np.ndarray, cost: np.ndarray, sizes: np.ndarray, capacity: np.ndarray,
    n: int, time_limit_s: float,
) -> Pricing:
    """Price the half with arcs (g, j, cost), g sorted ascending and covering 0..n-1."""
    m = len(capacity)
    status, duals, x = _glop(g, j, cost, sizes, capacity, n, m, time_limit_s)
    if status == pb.MPSOLVER_INFEASIBLE:
        return Pricing(False, 0, 0.0, np.zeros(len(g)), x)
    if status not in (pb.MPSOLVER_OPTIMAL, pb.MPSOLVER_FEASIBLE):
        duals = np.zeros(m)  # v = 0 is still a valid multiplier: the nearest-session bound
    v = -np.ceil(np.maximum(-duals, 0.0) * _GRID) / _GRID
    v = np.where(np.isfinite(v), v, 0.0)
    reduced = cost.astype(float) - sizes[g] * v[j]
    group_min = np.full(n, np.inf)
    np.minimum.at(group_min, g, reduced)
    bound = float(group_min.sum()) + float((v * capacity).sum())
    return Pricing(True, math.ceil(bound), bound, reduced - group_min[g], x)
