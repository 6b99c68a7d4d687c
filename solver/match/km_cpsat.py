"""CP-SAT on the km level with placed and rank cost pinned: on a kept subset of unit arcs
(the proof behind reduced-cost fixing, :mod:`solver.match.km_side` and :mod:`solver.match.kmlp`)
or on each unit's cheapest arcs by a reduced cost (the improve step, a heuristic).

Split from :mod:`solver.match.kmlp`, which keeps the km LP (GLOP column generation) and uses
these for its own fixing.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solver.match.cpsat import add_hints, build_model, lp_worker_params, set_params
from solver.match.index import Index, first_in_groups
from solver.match.units import UnitArcs

IMPROVE_PER_UNIT = 5


def pinned_km_cpsat(ix: Index, ua: UnitArcs, keep: np.ndarray, fixed_load: np.ndarray,
                    chosen: np.ndarray, placed: int, rank: int, seconds: float,
                    workers: int | None, seed: int, lp_worker: bool = False
                    ) -> tuple[np.ndarray, int | None]:
    """CP-SAT on the unit arcs ``keep`` (which hold ``chosen``) with placed and rank cost
    pinned, minimising km: (the better of its solution and ``chosen``, its proven bound over
    ``keep`` or None). ``lp_worker``: a single ``max_lp`` worker (:func:`solver.match.cpsat.lp_worker_params`)
    instead of ``workers``.

    (Measured at 1k: the aggregated floor km >= LB + sum rc as an extra row here made the
    proof slower, 8.0 s against 3.8 s wall: the max_lp worker's cuts reach LB anyway.)"""
    sub = ua.subset(keep)
    model, x, opens = build_model(ix, sub, fixed_load)
    # The pinned rows and the objective straight into the proto: through LinearExpr they took
    # 0.3 s of Python on the 39k kept arcs of the 1k proof (0.002 s this way).
    index = np.array([var.index for var in x], dtype=np.int64)
    _add_linear(model, index, sub.size, placed, cp_model.INT_MAX)
    _add_linear(model, index, sub.cost, cp_model.INT_MIN, rank)
    objective = model.proto.objective
    objective.vars.extend(index.tolist())
    objective.coeffs.extend(sub.km.tolist())
    objective.scaling_factor = 1.0
    hint = chosen[keep]
    add_hints(model, x, hint.tolist())
    used = set(sub.h[hint].tolist())
    for h, var in opens.items():
        model.add_hint(var, h in used)
    solver = cp_model.CpSolver()
    if lp_worker:
        lp_worker_params(solver, seconds, seed)
    else:
        set_params(solver, seconds, workers or 2, seed)
    # Measured at 1k (36k kept arcs): presolve took 2.4 s before the search began, and the
    # proof needed ~30 % more CPU with it.
    solver.parameters.cp_model_presolve = False
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return chosen, None
    pick = np.asarray(solver.response_proto.solution, dtype=np.int64)[index] > 0
    out = chosen
    if int(sub.km[pick].sum()) < int(ua.km[chosen].sum()):
        out = np.zeros(len(ua.u), dtype=bool)
        out[np.flatnonzero(keep)[pick]] = True
    if status == cp_model.OPTIMAL:
        return out, int(ua.km[out].sum())
    return out, math.ceil(solver.best_objective_bound - 1e-6)


def _add_linear(model: cp_model.CpModel, index: np.ndarray, coeffs: np.ndarray, low: int,
                high: int) -> None:
    """low <= sum coeffs * var[index] <= high, zero coefficients left out."""
    nz = np.flatnonzero(coeffs)
    row = model.proto.constraints.add().linear
    row.vars.extend(index[nz].tolist())
    row.coeffs.extend(coeffs[nz].astype(np.int64).tolist())
    row.domain.extend([int(low), int(high)])


def cheapest_per_unit(values: np.ndarray, ua: UnitArcs, per_unit: int) -> np.ndarray:
    """Per unit arc: among the ``per_unit`` of least ``values`` of its unit."""
    keep = np.zeros(len(ua.u), dtype=bool)
    keep[first_in_groups(ua.u, (values,), per_unit)] = True
    return keep


def improve_km(ix: Index, ua: UnitArcs, fixed_load: np.ndarray, chosen: np.ndarray,
               unit_rc: np.ndarray, placed: int, rank: int, seconds: float, workers: int | None,
               seed: int, lp_worker: bool = False) -> tuple[np.ndarray, int | None]:
    """CP-SAT with placed and rank pinned on the ``IMPROVE_PER_UNIT`` arcs of least reduced
    cost ``unit_rc`` of each unit (and the incumbent ``chosen``): a heuristic, its bound holds
    over those arcs only."""
    keep = cheapest_per_unit(unit_rc, ua, IMPROVE_PER_UNIT) | chosen
    return pinned_km_cpsat(ix, ua, keep, fixed_load, chosen, placed, rank, seconds, workers, seed,
                           lp_worker)
