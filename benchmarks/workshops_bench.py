"""Workshop scheduling: the solver against the greedy baseline on the same instances, one run.

    .venv/bin/python benchmarks/workshops_bench.py                 # all rows below (~3 min)
    .venv/bin/python benchmarks/workshops_bench.py --only 600x60   # rows whose name contains it

Prints a Markdown table for docs/performance.md. Every solver result is verified by the
independent checker (feasibility, km, objective, bound sense) before it is reported.
"""

from __future__ import annotations

import argparse
import os
import time

from workshops_instances import make_instance

from solver.workshops.api import solve_workshops_json
from solver.workshops.check import check_workshops_json
from solver.workshops.codec import parse_problem
from solver.workshops.eligibility import build_arcs
from solver.workshops.greedy import greedy_schedule
from solver.workshops.solve import _levels

# name, groups, sessions, seats per person and half, min_fill, seed, time limit (s)
ROWS = [
    ("600x60", 600, 60, 1.15, 0, 0, 10),
    ("600x60 seed1", 600, 60, 1.15, 0, 1, 10),
    ("600x60 seed2", 600, 60, 1.15, 0, 2, 10),
    ("600x20 snug", 600, 20, 1.03, 0, 0, 10),
    ("600x60 min_fill=40", 600, 60, 1.15, 40, 0, 10),
    ("600x60 min_fill=40 seed3", 600, 60, 1.15, 40, 3, 10),
    ("600x60 tight", 600, 60, 0.95, 0, 0, 10),
    ("600x60 tight seed1", 600, 60, 0.95, 0, 1, 10),
    ("600x60 tight seed2", 600, 60, 0.95, 0, 2, 10),
    ("2000x40", 2000, 40, 1.15, 0, 0, 30),
    ("5000x60", 5000, 60, 1.15, 0, 0, 55),  # 55 s solver limit: parsing etc. fit in 60 s
    ("5000x60 seed1", 5000, 60, 1.15, 0, 1, 55),
]


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the halves' processes): on a shared
    machine this, not the wall clock, says what the solver itself costs."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_row(name, groups, sessions, slack, min_fill, seed, limit, workers) -> str:
    instance = make_instance(groups, sessions, seed=seed, slack=slack, min_fill=min_fill)
    started = time.monotonic()
    arcs = build_arcs(parse_problem(instance))
    greedy_levels = _levels(arcs, greedy_schedule(arcs), None)
    greedy_s = time.monotonic() - started
    started, cpu_started = time.monotonic(), _cpu()
    result = solve_workshops_json(instance, time_limit_s=limit, workers=workers)
    seconds, cpu = time.monotonic() - started, _cpu() - cpu_started
    problems = check_workshops_json(instance, result)
    assert not problems, problems[:5]
    obj, bound = result["objective"], result["bound"]
    gap = "n/a"
    if obj["scheduled"] == bound["scheduled"] and bound["total_km"] > 0:
        gap = f"{100 * (obj['total_km'] - bound['total_km']) / bound['total_km']:.3f} %"
    ratio = obj["total_km"] / greedy_levels[1] if greedy_levels[1] else float("nan")
    per_group = (obj["total_km"] / max(1, obj["scheduled"])) / (greedy_levels[1] / max(1, greedy_levels[0]))
    assert obj["scheduled"] >= greedy_levels[0], "fewer groups than greedy"
    return (
        f"| {name} | {result['status']} | {obj['scheduled']} / {bound['scheduled']} | {greedy_levels[0]} "
        f"| {obj['total_km']} | {bound['total_km']} | {gap} | {greedy_levels[1]} | {ratio:.3f} "
        f"| {per_group:.3f} | {seconds:.1f} | {cpu:.1f} | {greedy_s:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=float, default=None, help="time limit for every row (ad-hoc runs)")
    args = parser.parse_args()
    print("| instance | status | scheduled / bound | greedy scheduled | km | km bound | gap to bound "
          "| greedy km | km / greedy km | km per group / greedy's | seconds | CPU s | greedy s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in ROWS:
        if args.only in row[0]:
            limit = row[-1] if args.limit is None else args.limit
            print(run_row(*row[:-1], limit, workers=args.workers), flush=True)


if __name__ == "__main__":
    main()
