"""Why the halves use HiGHS: CP-SAT and HiGHS on the same LP-priced half of a realistic instance.

    .venv/bin/python benchmarks/workshops_cpsat_vs_highs.py [GROUPS SESSIONS THRESHOLD SECONDS]

Takes the prep half of ``make_instance(GROUPS, SESSIONS)``, keeps the arcs whose reduced cost
is at most THRESHOLD km (what the solver's restriction does) and solves that GAP with CP-SAT
(2 workers, max_lp + default_lp subsolvers, as solver-facts.md recommends) and with HiGHS.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from ortools.sat.python import cp_model
from workshops_instances import make_instance

from solver.workshops.codec import parse_problem
from solver.workshops.cpsat import add_half
from solver.workshops.eligibility import build_arcs
from solver.workshops.lp import price
from solver.workshops.mip import solve_assignment


def main() -> None:
    groups, sessions, threshold, seconds = (int(a) for a in (sys.argv[1:] or ["600", "60", "30", "8"]))
    arcs = build_arcs(parse_problem(make_instance(groups, sessions)))
    half = arcs.halves["prep"]
    has = np.bincount(half.g, minlength=groups) > 0
    remap = np.full(groups, -1)
    remap[has] = np.arange(has.sum())
    g, n, sizes = remap[half.g], int(has.sum()), arcs.sizes[has]
    pricing = price(g, half.j, half.cost, sizes, half.capacity, n, 30)
    keep = pricing.rc <= threshold
    kg, kj, kc = g[keep], half.j[keep], half.cost[keep]
    print(f"prep half: {n} groups, {len(g)} arcs, {int(keep.sum())} within {threshold} km; "
          f"Lagrangian bound {pricing.exact:.1f}")
    model = cp_model.CpModel()
    hv = add_half(model, kg, kj, kc, sizes, half.capacity, half.min_fill)
    model.minimize(hv.cost)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers, solver.parameters.random_seed = 2, 0
    solver.parameters.subsolvers.extend(["max_lp", "default_lp"])
    solver.parameters.max_time_in_seconds = seconds
    started = time.monotonic()
    status = solver.solve(model)
    print(f"CP-SAT: {solver.status_name(status)} {solver.objective_value:.0f} "
          f"bound {solver.best_objective_bound:.0f} in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    out = solve_assignment(kg, kj, kc, sizes, half.capacity, half.min_fill, n, time.monotonic() + seconds)
    print(f"HiGHS:  {out.status} {out.value} bound {out.bound:.0f} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
