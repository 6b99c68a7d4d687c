"""The host-pattern master LP and its pricing (:mod:`solver.match.patterns` runs the rounds).

The master picks at most one pattern per host, covers each unit at most once and places P;
pricing a host against the duals is a small knapsack by exact load over its few best units of
each size (``candidates``), and its least reduced cost gives the Lagrangian bound's host term.
"""

from __future__ import annotations

import numpy as np
from ortools.linear_solver import pywraplp

from solver.match.index import Index
from solver.match.units import UnitArcs

# Rank cost per seat of the artificial column that keeps the master feasible before the
# columns can place P (any value > 0 keeps the bound valid; rho is clipped to it).
ARTIFICIAL_COST = 30.0
# New columns per host and round: its best pattern of each load with a negative reduced cost
# (10k under load 2-3: 3 -> 35k columns after 11 rounds, bound 27985, completed 27997; 1 ->
# 24k columns, 27991, but a completion no better than the repair, 28293 in the end).
COLUMNS_PER_HOST = 3
# PDLP's relative and absolute optimality tolerance: duals good enough to price with (the
# bound is exact whatever they are); 1e-4: 1.7 s on the 10k final master, 1e-6: 2.5-3.5 s.
PDLP_TOLERANCE = 1e-4


class Master:
    """The restricted master LP: one column per (host, pattern)."""

    def __init__(self, n_units: int, n_hosts: int, placed: int) -> None:
        self.lp = pywraplp.Solver.CreateSolver("PDLP")
        tol = PDLP_TOLERANCE
        self.lp.SetSolverSpecificParametersAsString(
            "termination_criteria { simple_optimality_criteria { "
            f"eps_optimal_relative: {tol} eps_optimal_absolute: {tol} }} }}")
        inf = self.lp.infinity()
        self.units = [self.lp.Constraint(-inf, 1) for _ in range(n_units)]
        self.hosts = [self.lp.Constraint(-inf, 1) for _ in range(n_hosts)]
        self.placed = self.lp.Constraint(placed, inf)
        self.objective = self.lp.Objective()
        art = self.lp.NumVar(0, inf, "artificial")
        self.placed.SetCoefficient(art, 1)
        self.objective.SetCoefficient(art, ARTIFICIAL_COST)
        self.seen: set[tuple[int, tuple[int, ...]]] = set()
        self.columns: list[tuple[int, tuple[int, ...]]] = []
        self.vars: list = []

    def add(self, ua: UnitArcs, h: int, arcs: list[int]) -> bool:
        key = (h, tuple(sorted(arcs)))
        if key in self.seen or not arcs:
            return False
        self.seen.add(key)
        var = self.lp.NumVar(0, self.lp.infinity(), "")
        self.objective.SetCoefficient(var, float(ua.cost[arcs].sum()))
        self.hosts[h].SetCoefficient(var, 1)
        self.placed.SetCoefficient(var, float(ua.size[arcs].sum()))
        for i in arcs:
            self.units[int(ua.u[i])].SetCoefficient(var, 1)
        self.columns.append(key)
        self.vars.append(var)
        return True

    def solve(self, seconds: float) -> tuple[np.ndarray, float] | None:
        self.lp.SetTimeLimit(max(1, int(seconds * 1000)))
        status = self.lp.Solve()
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None
        y = np.minimum(np.array([c.dual_value() for c in self.units]), 0.0)
        rho = min(max(self.placed.dual_value(), 0.0), ARTIFICIAL_COST)
        return y, rho


def room_and_fill(ix: Index, fixed_load: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per host, its free seats and the least load its free pattern needs (0, or the
    minimum fill the fixed pairs leave; an empty pattern is always allowed)."""
    room = np.maximum(ix.cap - fixed_load, 0)
    low = np.where((ix.min_visitors <= 1) | (fixed_load >= ix.min_visitors), 0,
                   ix.min_visitors - fixed_load)
    return room, low


def unit_reduced(ua: UnitArcs, y: np.ndarray, rho: float) -> np.ndarray:
    """Per unit arc, its reduced cost in a pattern at the master's duals (y, rho)."""
    return ua.cost - y[ua.u] - rho * ua.size


def best_per_host(n_h: int, h: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """Per host, the indices (into ``h``/``r``) of its ``k`` least ``r``; -1 pads (the
    candidates of a host's knapsack: a pattern never needs more of one size)."""
    out = np.full((n_h, k), -1, dtype=np.int64)
    if len(h) == 0 or k == 0:
        return out
    order = np.lexsort((r, h))
    hh = h[order]
    pos = np.arange(len(order)) - np.searchsorted(hh, hh)
    sel = pos < k
    out[hh[sel], pos[sel]] = order[sel]
    return out


def _cheapest(items: list[tuple[float, int, int]], low: int, room: int
              ) -> tuple[float, list[list[int]]]:
    """The least total r over sets of items (r, size, unit; one item per unit) of total size 0
    or in [low, room] (a 0/1 knapsack over the few candidates of one host, by exact load), and
    the best set of each allowed load with a negative total, best first."""
    best: dict[int, tuple[float, tuple[int, ...]]] = {0: (0.0, ())}
    for r, size, unit in sorted(items):
        for load, (val, units) in list(best.items()):
            new = load + size
            if new <= room and (new not in best or val + r < best[new][0]):
                best[new] = (val + r, units + (unit,))
    found = sorted((val, units) for load, (val, units) in best.items()
                   if load >= max(low, 1) and val < 0)
    return (found[0][0] if found else 0.0), [list(units) for _, units in found]


def candidates(ua: UnitArcs, n_h: int, r: np.ndarray, sizes: list[int], top_room: int
               ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Per size s, the unit arcs of that size (``idx[s]``) and each host's ``top_room // s``
    of least r among them (``built[s]``: rows of positions into ``idx[s]``, -1 pads), as
    :func:`best_per_host` over every arc of the size would pick them.

    Where a host has at least that many negative arcs of a size, its least are among those;
    elsewhere every arc of the size stays. Same candidates, a sort over fewer arcs (1k: 28-50 %
    of them; the sort was most of the pricing)."""
    negative = r < 0
    idx, built = {}, {}
    for s in sizes:
        of_size = ua.size == s
        few = np.bincount(ua.h[of_size & negative], minlength=n_h) < top_room // s
        idx[s] = np.flatnonzero(of_size & (negative | few[ua.h]))
        built[s] = best_per_host(n_h, ua.h[idx[s]], r[idx[s]], top_room // s)
    return idx, built


def price_hosts(ua: UnitArcs, n_h: int, room: np.ndarray, low: np.ndarray, y: np.ndarray, rho: float,
           sizes: list[int], virtual: np.ndarray | None
           ) -> tuple[np.ndarray, list[list[list[int]]]]:
    """Per host: min(0, its best pattern's reduced cost) and the unit arcs of its best patterns
    with a negative reduced cost, one per load (built arcs only). ``virtual`` (per unit: reduced cost at any host, unranked) adds every unit as
    a candidate everywhere for the value (not for the columns)."""
    r = unit_reduced(ua, y, rho)
    top_room = int(room.max(initial=0))
    idx, built = candidates(ua, n_h, r, sizes, top_room)
    extra: list[tuple[float, int, int]] = []  # (r, size, unit): every unit, anywhere
    if virtual is not None:
        for s in sizes:
            units = np.flatnonzero(virtual[1] == s)
            keep = units[np.argsort(virtual[0][units], kind="stable")[:top_room // s]]
            extra += [(float(virtual[0][u]), s, int(u)) for u in keep.tolist()]
    value = np.zeros(n_h)
    picks: list[list[list[int]]] = [[] for _ in range(n_h)]
    for h in range(n_h):
        if room[h] <= 0:
            continue
        items: dict[int, tuple[float, int, int]] = {}  # unit -> (r, size, unit arc)
        for s in sizes:
            rows = built[s][h]
            for j in rows[rows >= 0].tolist():
                i = int(idx[s][j])
                items[int(ua.u[i])] = (float(r[i]), s, i)
        val, sets = _cheapest([(rr, s, u) for u, (rr, s, _) in items.items()],
                              int(low[h]), int(room[h]))
        picks[h] = [[items[u][2] for u in units] for units in sets[:COLUMNS_PER_HOST]]
        if extra:
            merged = {u: (rr, s) for u, (rr, s, _) in items.items()}
            for rr, s, u in extra:
                if u not in merged or rr < merged[u][0]:
                    merged[u] = (rr, s)
            val = min(val, _cheapest([(rr, s, u) for u, (rr, s) in merged.items()],
                                     int(low[h]), int(room[h]))[0])
        value[h] = min(0.0, val)
    return value, picks
