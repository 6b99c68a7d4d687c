"""Assignment MIPs for HiGHS, built as OR-Tools linear-solver protos straight from numpy.

Measured on the realistic instances (several sessions per venue, hence many equal-cost choices):
CP-SAT stalls at the LP bound because it cannot break that symmetry, while HiGHS' branch and cut
closes the last few km in about a second (docs/performance.md). HiGHS runs single-threaded and
deterministically; the gap tolerances below prove integer optimality exactly; it prints nothing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import linear_solver_pb2 as pb
from ortools.linear_solver import pywraplp

# Absolute gap below 1 proves optimality of an integer objective; HiGHS' default is 1e-4 relative.
_HIGHS = "mip_rel_gap = {rel}\nmip_abs_gap = 0.5\noutput_flag = false\nlog_to_console = false\n"


@dataclass(frozen=True)
class MipRun:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    values: np.ndarray | None
    bound: float
    duals: np.ndarray | None = None  # per row, LP (relaxed) solves only


class LinearModel:
    """Binary variables and linear rows; the objective can be replaced between solves."""

    def __init__(self, relaxed: bool = False, dual_simplex: bool = True) -> None:
        """``relaxed``: the LP relaxation, solved by GLOP (variables in [0, 1]), with its dual
        simplex (8x faster on the pooled km LPs) or its default primal one (7x faster on the
        max-scheduled LP, whose 0/1 objective is very degenerate)."""
        self.relaxed = relaxed
        self.dual_simplex = dual_simplex
        self.request = pb.MPModelRequest()
        self.request.solver_type = (
            pb.MPModelRequest.GLOP_LINEAR_PROGRAMMING if relaxed
            else pb.MPModelRequest.HIGHS_MIXED_INTEGER_PROGRAMMING
        )
        self.model = self.request.model

    def add_binaries(self, count: int) -> np.ndarray:
        first = len(self.model.variable)
        for _ in range(count):
            var = self.model.variable.add()
            var.lower_bound, var.upper_bound, var.is_integer = 0.0, 1.0, not self.relaxed
        return np.arange(first, first + count)

    def add_row(self, index, coef, lower: float = -math.inf, upper: float = math.inf) -> None:
        row = self.model.constraint.add()
        row.lower_bound, row.upper_bound = float(lower), float(upper)
        row.var_index.extend(np.asarray(index, dtype=np.int64).tolist())
        row.coefficient.extend(np.asarray(coef, dtype=float).tolist())

    def set_objective(self, index: np.ndarray, coef: np.ndarray, maximize: bool) -> None:
        for var in self.model.variable:
            var.objective_coefficient = 0.0
        for k, c in zip(index.tolist(), coef.tolist(), strict=True):
            self.model.variable[k].objective_coefficient = float(c)
        self.model.maximize = maximize

    def solve(self, deadline: float, rel_gap: float = 0.0, cutoff: float | None = None) -> MipRun:
        """``rel_gap`` > 0 stops early: OPTIMAL then means within that gap, see ``bound``.
        ``cutoff`` (minimising): only solutions below it are sought (HiGHS' objective_bound
        option, not a row); INFEASIBLE then means none exists."""
        self.request.solver_time_limit_seconds = max(0.05, deadline - time.monotonic())
        if not self.relaxed:
            self.request.solver_specific_parameters = _HIGHS.format(rel=rel_gap) + (
                f"objective_bound = {cutoff!r}\n" if cutoff is not None else "")
        elif self.dual_simplex:
            self.request.solver_specific_parameters = "use_dual_simplex: true"
        # No solution hints: HiGHS crashed (segfault) on hinted models in OR-Tools 9.15 here.
        response = pb.MPSolutionResponse()
        pywraplp.Solver.SolveWithProto(self.request, response)
        if response.status == pb.MPSOLVER_INFEASIBLE:
            return MipRun("INFEASIBLE", None, math.nan)
        values = np.array(response.variable_value, dtype=float)
        if response.status not in (pb.MPSOLVER_OPTIMAL, pb.MPSOLVER_FEASIBLE) or len(values) != len(
            self.model.variable
        ):
            return MipRun("UNKNOWN", None, math.nan)
        status = "OPTIMAL" if response.status == pb.MPSOLVER_OPTIMAL else "FEASIBLE"
        bound = response.objective_value if status == "OPTIMAL" and not rel_gap else response.best_objective_bound
        if rel_gap:
            status = "FEASIBLE"  # a solution within the gap, not a proof
        if self.relaxed:
            duals = np.array(response.dual_value, dtype=float)
            return MipRun(status, values, bound, duals if len(duals) == len(self.model.constraint) else None)
        return MipRun(status, values > 0.5, bound)


def add_sessions(
    lm: LinearModel, x: np.ndarray, g: np.ndarray, j: np.ndarray, sizes: np.ndarray,
    capacity: np.ndarray, min_fill: np.ndarray, max_open: int | None = None,
) -> None:
    """Capacity rows; sessions with min_fill (or under max_open) get an open flag."""
    by_session = np.argsort(j, kind="stable")
    start = np.searchsorted(j[by_session], np.arange(len(capacity) + 1))
    weight = sizes[g].astype(float)
    opens = []
    for sj in range(len(capacity)):
        ks = by_session[start[sj] : start[sj + 1]]
        if not len(ks):
            continue
        if min_fill[sj] <= 0 and max_open is None:
            lm.add_row(x[ks], weight[ks], upper=capacity[sj])
            continue
        flag = int(lm.add_binaries(1)[0])
        opens.append(flag)  # load <= capacity * open, load >= min_fill * open, x <= open
        lm.add_row([*x[ks], flag], [*weight[ks], -float(capacity[sj])], upper=0.0)
        lm.add_row([*x[ks], flag], [*weight[ks], -float(min_fill[sj])], lower=0.0)
        for k in ks.tolist():
            lm.add_row([x[k], flag], [1.0, -1.0], upper=0.0)
    if max_open is not None and opens:
        lm.add_row(opens, np.ones(len(opens)), upper=max_open)


def valid(on, g, j, sizes, capacity, min_fill, n, max_open=None, attend=None) -> bool:
    """Re-check a rounded MIP solution exactly (the MIP works with float tolerances)."""
    per_group = np.bincount(g[on], minlength=n)
    need = np.zeros(n, dtype=np.int64)
    need[np.unique(g)] = 1
    if attend is not None:
        need = need * attend
    if np.any(per_group != need):
        return False
    load = np.zeros(len(capacity), dtype=np.int64)
    np.add.at(load, j[on], sizes[g[on]])
    opened = load > 0
    if np.any(load > capacity) or np.any(opened & (load < min_fill)):
        return False
    return max_open is None or int(opened.sum()) <= max_open


@dataclass(frozen=True)
class MipOutcome:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    choice: np.ndarray | None  # local session per group (-1 none)
    value: int
    bound: float


def solve_assignment(
    g: np.ndarray, j: np.ndarray, cost: np.ndarray, sizes: np.ndarray, capacity: np.ndarray,
    min_fill: np.ndarray, n: int, deadline: float, max_open: int | None = None, rel_gap: float = 0.0,
) -> MipOutcome:
    """Every group with an arc attends exactly one session; minimise the summed cost."""
    lm = LinearModel()
    x = lm.add_binaries(len(g))
    order = np.argsort(g, kind="stable")
    start = np.searchsorted(g[order], np.arange(n + 1))
    for gi in range(n):
        ks = order[start[gi] : start[gi + 1]]
        if len(ks):
            lm.add_row(x[ks], np.ones(len(ks)), 1.0, 1.0)
    add_sessions(lm, x, g, j, sizes, capacity, min_fill, max_open)
    lm.set_objective(x, cost, maximize=False)
    run = lm.solve(deadline, rel_gap)
    if run.status == "INFEASIBLE":
        return MipOutcome("INFEASIBLE", None, 0, math.inf)
    if run.values is None or not valid(run.values[x], g, j, sizes, capacity, min_fill, n, max_open):
        return MipOutcome("UNKNOWN", None, 0, -math.inf)
    on = run.values[x]
    choice = np.full(n, -1, dtype=np.int64)
    choice[g[on]] = j[on]
    value = int(cost[on].sum())  # recomputed: never trust a float objective
    return MipOutcome(run.status, choice, value, value if run.status == "OPTIMAL" else run.bound)
