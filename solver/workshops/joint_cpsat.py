"""The joint model of :mod:`solver.workshops.joint` in CP-SAT: the anytime fallback.

HiGHS (through OR-Tools) returns no solution at all when its time limit hits, so when the
joint MIP is not solved in its share of the time, CP-SAT continues from the best schedule
known (as a hint) and always has something to return. Lexicographic levels are solved one
after another, each fixing the level above at the value found.
Bounds stay honest: a level's bound is reported only when the levels above it are proven (or,
for km, when the constraint it was proven under contains the lexicographic optimum).
"""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from solver.workshops.cpsat import add_half, found, make_solver
from solver.workshops.eligibility import Arcs
from solver.workshops.joint import JointSolution, LevelBounds
from solver.workshops.model import FOLLOWUP, KINDS, PREP


def solve_joint_cpsat(
    arcs: Arcs, candidates: np.ndarray, previous: dict[int, tuple[int, int]] | None,
    hint: dict[str, np.ndarray], deadline: float, workers: int, seed: int,
) -> JointSolution:
    n = len(arcs.sizes)
    model = cp_model.CpModel()
    attend = {int(gi): model.new_bool_var(f"y{gi}") for gi in candidates}
    halves, masks = {}, {}
    for kind in KINDS:
        half = arcs.halves[kind]
        masks[kind] = np.isin(half.g, candidates)
        h = half.g[masks[kind]], half.j[masks[kind]], half.cost[masks[kind]]
        halves[kind] = (h, add_half(model, *h, arcs.sizes, half.capacity, half.min_fill, attend=attend))
    kept = []
    for gi, (p, f) in (previous or {}).items():
        lits = []
        for kind, sj in ((PREP, p), (FOLLOWUP, f)):
            (g, j, _), hv = halves[kind]
            hit = np.nonzero((g == gi) & (j == sj))[0]
            if len(hit):
                lits.append(hv.x[int(hit[0])])
        if len(lits) == 2:
            k = model.new_bool_var(f"kept{gi}")
            model.add_implication(k, lits[0])
            model.add_implication(k, lits[1])
            kept.append(k)
    scheduled = sum(attend.values())

    def set_hint(choice: dict[str, np.ndarray]) -> None:
        model.clear_hints()
        for gi, lit in attend.items():
            model.add_hint(lit, bool(choice[PREP][gi] >= 0))
        for kind in KINDS:
            (g, j, _), hv = halves[kind]
            for k, var in enumerate(hv.x):
                model.add_hint(var, bool(choice[kind][g[k]] == j[k]))

    def read(solver: cp_model.CpSolver) -> dict[str, np.ndarray]:
        out = {kind: np.full(n, -1, dtype=np.int64) for kind in KINDS}
        for kind in KINDS:
            (g, j, _), hv = halves[kind]
            on = np.array([solver.boolean_value(v) for v in hv.x], dtype=bool)
            out[kind][g[on]] = j[on]
        return out

    levels = [("scheduled", scheduled, True)]
    if kept:
        levels.append(("kept", sum(kept), True))
    levels.append(("km", halves[PREP][1].cost + halves[FOLLOWUP][1].cost, False))
    choice = hint
    # km's bound is dropped under any previous schedule, kept level or not (conservative).
    bounds = LevelBounds(len(levels), len(candidates), len(kept), previous is not None,
                         km_under_kept=previous is not None)
    for index, (name, expr, maximise) in enumerate(levels):
        set_hint(choice)
        model.clear_objective()
        if maximise:
            model.maximize(expr)
        else:
            model.minimize(expr)
        now = time.monotonic()
        share = (deadline - now) * (0.4 if index < len(levels) - 1 else 1.0)
        solver = make_solver(now + share, workers, seed + index)
        status = solver.solve(model)
        if not found(status):
            bounds.unsolved()
            break
        choice = read(solver)
        value = int(round(solver.objective_value))
        bounds.record(name, solver.best_objective_bound, maximise, status == cp_model.OPTIMAL)
        model.add(expr >= value if maximise else expr <= value)
    return bounds.solution(choice)
