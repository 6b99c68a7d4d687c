"""Host patterns (Dantzig-Wolfe): a rank bound that keeps teams whole and minimum fills exact,
and the placement its LP points at.

A *pattern* is what one host receives: a set of units (lone visitors or whole teams) of total
size 0 or between the host's minimum fill and its free seats. The master LP picks at most one
pattern per host and covers each unit at most once, places the relaxation's number of visitors
``P`` (a row, not a weight: the LP stays well scaled) and minimises rank cost. Columns come from
pricing each host against the LP duals (a small knapsack: the host's few best units per size).

Why: the flow relaxation splits teams and ignores minimum fills, and at 10k visitors with 8 %
teams and 15 % minimum-fill hosts its bound (27927) sat 0.5 % under the best placement found
(28072); the pattern LP gives 27994.5, and its integral columns completed exactly give 27995:
proven optimal rank cost (measured on benchmarks/match_generate.py 10000 --teams 0.08
--min-visitors 0.15 --fixed 0.01 --forbidden 0.01; 1k: 2437, the proven optimum, where the flow
gives 2428).

The bound is the Lagrangian one, valid for ANY duals y <= 0 (units), rho in [0, M] (the placed
row): every solution placing P has rank >= sum y + rho P + sum over hosts of
min(0, best pattern's sum of (cost - y_u - rho size_u)). So the LP only has to be roughly
solved (PDLP, loose tolerance: 0.8-1.7 s where simplex took 6-9 s at 10k), and the bound holds
after any round. On a priced arc set the pricing behind the bound also offers every unit as an
unranked candidate at every host (a superset of the arcs not built; unranked cost does not
depend on the host), so it covers every feasible arc.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from solver.match.cpsat import add_hints, build_model, placed_rank_coefficients, set_params
from solver.match.index import Index
from solver.match.pattern_lp import Master, price_hosts, room_and_fill, unit_reduced
from solver.match.placement import Placement
from solver.match.units import UnitArcs, place_units

MAX_ROUNDS = 40
# The pricing's knapsack is by exact load, per host, in Python: free seats up to this keep a
# round near 0.1 s at 5k hosts. Larger hosts (the programme's take 1-3) skip the stage; there
# the flow relaxation's split teams and fills weigh little anyway.
MAX_ROOM = 8
# Rounds in a row whose bound rose by less than STALL_GAIN (rank cost) end the PDLP rounds
# (10k: the rough duals' bound sat 1.5 under the LP for 8 rounds, 1.5 s each).
STALL_ROUNDS, STALL_GAIN = 3, 0.25
# Stop once the bound is within this share of the LP value (a tenth of the 0.1 % target).
CLOSE = 1e-4
# Of ``seconds``, kept for CP-SAT on what the LP leaves open (10k: 2 s idle, 5 s at load 2-3).
COMPLETION_RESERVE_S = 6.0


@dataclass
class PatternBound:
    rank_bound: int | None  # rank cost of the free units, at P placed; None: no bound
    place: Placement | None  # the LP's integral patterns, completed exactly
    rounds: int
    columns: int
    seconds: float
    # The duals of the best bound: per unit y, the placed row's rho, per host its best
    # pattern's reduced cost (min 0), and the bound itself (unrounded): what
    # rank_fixed.rank_fixing needs.
    duals: tuple[np.ndarray, float, np.ndarray, float] | None = None
    master: Master | None = field(default=None, repr=False)  # its columns: best_columns


def pattern_bound(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray, placed: int,
                  seeds: list[np.ndarray], clock, seconds: float, workers: int | None,
                  complete: bool, place_it: bool = True) -> PatternBound | None:
    """Column generation on the host patterns of ``ua`` for ``seconds``: the rank bound of the
    free units at ``placed`` (free) visitors placed, and (``place_it``) the LP's integral
    patterns completed by CP-SAT. ``seeds`` (unit arc choices: the incumbent, the relaxation)
    give the first columns, each host's part of them that a solution may use. (The rounds do
    not stop once the bound proves the incumbent's rank: 1k seed 1, one round more, 0.1 s, and
    rank_fixing keeps 14.5k arcs instead of 22.7k, the km proof 0.4 s faster.) None when a host
    is left under-filled by fixed pairs (its empty pattern would not be allowed) or has more
    than ``MAX_ROOM`` free seats."""
    start = time.monotonic()
    n_h = ix.n_hosts
    room, low = room_and_fill(ix, fixed_load)
    if ((fixed_load > 0) & (fixed_load < ix.min_visitors)).any() or ua.n_units == 0 \
            or int(room.max(initial=0)) > MAX_ROOM:
        return None
    unit_size = np.bincount(ua.unit_of[ua.unit_of >= 0], minlength=ua.n_units)
    sizes = sorted(set(unit_size.tolist()) - {0})  # every unit's, with arcs here or not
    unranked = ix.inst.settings.unranked_cost if ix.inst.settings.allow_unranked else None
    master = Master(ua.n_units, n_h, placed)
    for chosen in seeds:
        rows = np.flatnonzero(chosen)
        rows = rows[np.argsort(ua.h[rows], kind="stable")]
        for part in np.split(rows, np.flatnonzero(np.diff(ua.h[rows])) + 1) if len(rows) else []:
            h = int(ua.h[part[0]])
            if low[h] <= int(ua.size[part].sum()) <= room[h] and \
                    len(set(ua.u[part].tolist())) == len(part):
                master.add(ua, h, part.tolist())
    deadline = start + seconds
    best, lp_value, rounds, since = -math.inf, math.inf, 0, 0
    duals: tuple[np.ndarray, float, np.ndarray, float] | None = None
    virtual_of = (lambda y, rho: None) if complete or unranked is None else (
        lambda y, rho: (unranked * unit_size - y - rho * unit_size, unit_size))

    def price(y: np.ndarray, rho: float) -> int:
        """Bound from these duals, new columns; returns how many were added."""
        nonlocal best, since, duals
        value, picks = price_hosts(ua, n_h, room, low, y, rho, sizes, virtual_of(y, rho))
        found = float(y.sum() + rho * placed + value.sum())
        since = 0 if found > best + STALL_GAIN else since + 1
        if found > best:
            best, duals = found, (y, rho, value, found)
        return sum(master.add(ua, h, arcs) for h in range(n_h) for arcs in picks[h])

    # Rounds while the bound rises, until it is within CLOSE of the LP (the bound a further
    # round could give), leaving COMPLETION_RESERVE_S for the completion.
    values: list[float] = []
    end = deadline - (COMPLETION_RESERVE_S if place_it else 0.0)
    while rounds < MAX_ROUNDS and time.monotonic() < end and since < STALL_ROUNDS:
        solved = master.solve(end - time.monotonic())
        if solved is None:
            break
        rounds += 1
        lp_value = master.objective.Value()
        values = [var.solution_value() for var in master.vars]
        added = price(*solved)
        clock.report("patterns", round=rounds, columns=len(master.columns),
                     lp=round(lp_value, 2), rank_bound=round(best, 2))
        if added == 0 or best >= lp_value - max(0.5, CLOSE * abs(lp_value)):
            break
    if best == -math.inf:
        return None
    place = None
    if place_it:
        place = _complete(ix, ua, base, fixed_load, master, values, clock, workers,
                          max(1.0, deadline - time.monotonic()), seeds[0] if seeds else None)
    return PatternBound(rank_bound=math.ceil(best - 1e-6), place=place, rounds=rounds,
                        columns=len(master.columns), seconds=time.monotonic() - start,
                        duals=duals, master=master)


def best_columns(ix: Index, ua: UnitArcs, base: Placement, found: PatternBound, placed: int,
                 target: int, workers: int | None, seconds: float) -> Placement | None:
    """The best placement the master's columns make below rank cost ``target`` (an integer
    program over them: at most one per host and per unit, ``placed`` placed, least rank
    cost), or None. The columns of the last rounds price near zero, so they often hold the
    optimum (1k seed 3: the incumbent's rank cost 2498, the bound 2492, the columns 2492).
    With the bound's duals, a solution holding a column has rank cost >= LB + the column's
    reduced cost over its host's best, so only columns within target - 1 - LB of it enter
    (1k seed 3: 3523 columns -> 2742; 0.5-0.6 s -> 0.4 s)."""
    if found.master is None:
        return None
    columns = found.master.columns
    if found.duals is not None:
        y, rho, value, lb = found.duals
        r = unit_reduced(ua, y, rho)
        columns = [(h, arcs) for h, arcs in columns
                   if float(r[list(arcs)].sum()) - value[h] <= target - 1 - lb + 1e-6]
    if not columns:
        return None
    model = cp_model.CpModel()
    pick = [model.new_bool_var("") for _ in columns]
    by_unit: dict[int, list] = {}
    by_host: dict[int, list] = {}
    sizes, costs = [], []
    for var, (h, arcs) in zip(pick, columns, strict=True):
        by_host.setdefault(h, []).append(var)
        for i in arcs:
            by_unit.setdefault(int(ua.u[i]), []).append(var)
        sizes.append(int(ua.size[list(arcs)].sum()))
        costs.append(int(ua.cost[list(arcs)].sum()))
    for group in [*by_unit.values(), *by_host.values()]:
        if len(group) > 1:
            model.add_at_most_one(group)
    model.add(cp_model.LinearExpr.weighted_sum(pick, sizes) >= placed)
    model.minimize(cp_model.LinearExpr.weighted_sum(pick, costs))
    solver = cp_model.CpSolver()
    set_params(solver, seconds, workers or 2, ix.inst.settings.seed or 0)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    chosen = np.zeros(len(ua.u), dtype=bool)
    for var, (_h, arcs) in zip(pick, columns, strict=True):
        if solver.boolean_value(var):
            chosen[list(arcs)] = True
    return place_units(ua, base, chosen)


def _complete(ix: Index, ua: UnitArcs, base: Placement, fixed_load: np.ndarray,
              master: Master, values: list[float], clock, workers: int | None,
              seconds: float, hint: np.ndarray | None = None) -> Placement | None:
    """Keep the patterns the LP takes more than half of and place what is left exactly:
    CP-SAT on the units not covered and the hosts not taken (10k, from a simplex vertex: 4775
    columns at 1, 361 fractional; CP-SAT on 1274 units and 225 hosts, 1.5 s)."""
    chosen = np.zeros(len(ua.u), dtype=bool)
    host_done = np.zeros(ix.n_hosts, dtype=bool)
    unit_done = np.zeros(ua.n_units, dtype=bool)
    # Above one half no two columns can share a unit or host (rows <= 1); PDLP's solution is
    # only near-feasible, so the larger value wins any clash.
    for j in np.argsort(-np.asarray(values), kind="stable").tolist():
        if values[j] <= 0.5:
            break
        h, arcs = master.columns[j]
        units = ua.u[list(arcs)]
        if host_done[h] or unit_done[units].any():
            continue
        chosen[list(arcs)] = True
        host_done[h] = True
        unit_done[units] = True
    rest = ~unit_done[ua.u] & ~host_done[ua.h]
    sub = ua.subset(rest)
    model, x, opens = build_model(ix, sub, fixed_load)
    if hint is not None:  # the incumbent's part: a start when the LP leaves much open
        add_hints(model, x, hint[rest].tolist())
        used = set(sub.h[hint[rest]].tolist())
        for h, var in opens.items():
            model.add_hint(var, h in used)
    coef = placed_rank_coefficients(ix, sub)
    model.maximize(cp_model.LinearExpr.weighted_sum(x, coef.tolist()))
    solver = cp_model.CpSolver()
    set_params(solver, seconds, workers or 2, ix.inst.settings.seed or 0)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    pick = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    chosen[np.flatnonzero(rest)[pick]] = True
    clock.report("patterns completed", fixed_columns=int(host_done.sum()),
                 open_units=int((~unit_done).sum()), status=solver.status_name(status))
    return place_units(ua, base, chosen)
