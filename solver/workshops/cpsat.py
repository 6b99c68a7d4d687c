"""CP-SAT building blocks shared by the half, joint and proposal models."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model


@dataclass(frozen=True)
class HalfVars:
    """Variables of one half: one Boolean per arc, the open flag per session where needed."""

    x: list[cp_model.IntVar]
    cost: cp_model.LinearExpr
    opened: dict[int, cp_model.IntVar]


def add_half(
    model: cp_model.CpModel,
    g: np.ndarray,
    j: np.ndarray,
    cost: np.ndarray,
    sizes: np.ndarray,
    capacity: np.ndarray,
    min_fill: np.ndarray,
    attend: list | None = None,
    max_open: int | None = None,
) -> HalfVars:
    """Assignment of groups to sessions over the given arcs.

    ``attend[g]`` (a literal) says whether group g takes part; None means every group with an
    arc must. ``min_fill`` > 0 and ``max_open`` need an open flag per session; other sessions
    get a plain capacity row, which keeps the LP relaxation of the common case lean.
    """
    x = [model.new_bool_var(f"x{k}") for k in range(len(g))]
    by_group: dict[int, list] = {}
    by_session: dict[int, list[int]] = {}
    for k, (gi, sj) in enumerate(zip(g.tolist(), j.tolist(), strict=True)):
        by_group.setdefault(gi, []).append(x[k])
        by_session.setdefault(sj, []).append(k)
    for gi, lits in by_group.items():
        if attend is None:
            model.add_exactly_one(lits)
        else:
            model.add(sum(lits) == attend[gi])
    opened: dict[int, cp_model.IntVar] = {}
    for sj, ks in by_session.items():
        load = cp_model.LinearExpr.weighted_sum([x[k] for k in ks], [int(sizes[g[k]]) for k in ks])
        cap = int(capacity[sj])
        if min_fill[sj] > 0 or max_open is not None:
            flag = model.new_bool_var(f"open{sj}")
            opened[sj] = flag
            model.add(load <= cap * flag)
            model.add(load >= int(min_fill[sj]) * flag)
            for k in ks:
                model.add_implication(x[k], flag)
        else:
            model.add(load <= cap)
    if max_open is not None:
        model.add(sum(opened.values()) <= max_open)
    total = cp_model.LinearExpr.weighted_sum(x, [int(c) for c in cost.tolist()])
    return HalfVars(x, total, opened)


def make_solver(deadline: float, workers: int, seed: int) -> cp_model.CpSolver:
    """A pinned solver: the LP-heavy subsolvers prove GAP bounds 20-100x faster here."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, deadline - time.monotonic())
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if workers > 1:
        solver.parameters.subsolvers.extend(["max_lp", "default_lp"])
    else:
        solver.parameters.linearization_level = 2
    return solver


def found(status: int) -> bool:
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
