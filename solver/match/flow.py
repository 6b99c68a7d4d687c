"""Exact b-matching core by OR-Tools min-cost flow, the lexicographic objective folded in.

``solve_max_flow_with_min_cost`` maximises the flow (= visitors placed, level 1) and then
minimises cost among maximum flows, so only the later levels are folded into one integer cost:
``-kept * W_keep + rank_cost * W_rank + km`` where each weight exceeds the largest total the
levels below it can reach (:mod:`solver.match.duals`). OR-Tools' cost scaling multiplies costs
by (nodes + 1), so the fold is used only when that product fits int64; otherwise the caller
falls back to CP-SAT.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from solver.match.arcs import Arcs

INT64_SAFE = 2**62


class CostOverflow(Exception):
    """The folded lexicographic cost would not fit OR-Tools' int64 arithmetic."""


def check_range(cost: np.ndarray, n_nodes: int) -> None:
    worst = int(np.abs(cost).max(initial=0))
    if worst * (n_nodes + 1) >= INT64_SAFE:
        raise CostOverflow(f"folded cost {worst} too large for {n_nodes} nodes")


def max_flow_min_cost(n_visitors: int, n_hosts: int, av: np.ndarray, ah: np.ndarray,
                      caps: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Bool per arc: used by a maximum flow of minimum cost (visitors -> hosts, unit demand)."""
    return _assignment_flow(n_visitors, n_hosts, av, ah, caps, cost, optional=False)


def optional_flow(n_units: int, n_hosts: int, au: np.ndarray, ah: np.ndarray, caps: np.ndarray,
                  cost: np.ndarray) -> np.ndarray:
    """Bool per arc: a minimum-cost choice, each unit at most once, each host at most ``caps``
    units, a unit left out when every arc of it costs more than nothing (a bypass arc)."""
    check_range(cost, n_units + n_hosts + 2)
    return _assignment_flow(n_units, n_hosts, au, ah, caps, cost, optional=True)


def _assignment_flow(n_left: int, n_right: int, a_left: np.ndarray, a_right: np.ndarray,
                     caps: np.ndarray, cost: np.ndarray, optional: bool) -> np.ndarray:
    """Source -> each left node (1) -> its arcs -> right nodes (``caps``) -> sink. ``optional``:
    a zero-cost bypass from source to sink, and the least cost, not the most flow first."""
    if len(a_left) == 0:
        return np.zeros(0, dtype=bool)
    mcf = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, n_left + n_right + 1
    lefts = np.arange(1, n_left + 1, dtype=np.int64)
    rights = np.arange(n_left + 1, n_left + n_right + 1, dtype=np.int64)
    # The arcs first so that their ids are 0..len(a_left)-1.
    mcf.add_arcs_with_capacity_and_unit_cost(a_left + 1, a_right + n_left + 1,
                                             np.ones(len(a_left), np.int64), cost.astype(np.int64))
    mcf.add_arcs_with_capacity_and_unit_cost(np.zeros(n_left, np.int64), lefts,
                                             np.ones(n_left, np.int64), np.zeros(n_left, np.int64))
    mcf.add_arcs_with_capacity_and_unit_cost(rights, np.full(n_right, sink, np.int64),
                                             caps.astype(np.int64), np.zeros(n_right, np.int64))
    if optional:
        mcf.add_arcs_with_capacity_and_unit_cost(np.array([source]), np.array([sink]),
                                                 np.array([n_left]), np.array([0]))
    mcf.set_node_supply(source, n_left)
    mcf.set_node_supply(sink, -n_left)
    status = mcf.solve() if optional else mcf.solve_max_flow_with_min_cost()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    return mcf.flows(np.arange(len(a_left), dtype=np.int64)) > 0


def lex_flow(arcs: Arcs, cost: np.ndarray, n_visitors: int, caps: np.ndarray,
             allowed: np.ndarray | None = None) -> np.ndarray:
    """Lexicographically optimal arc selection: most placed, then least folded ``cost``
    (see :class:`solver.match.duals.Weights`); ``allowed`` masks arcs out (minimax)."""
    n_hosts = len(caps)
    check_range(cost, n_visitors + n_hosts + 2)
    sel = np.arange(len(arcs)) if allowed is None else np.flatnonzero(allowed)
    used = max_flow_min_cost(n_visitors, n_hosts, arcs.v[sel], arcs.h[sel], caps, cost[sel])
    chosen = np.zeros(len(arcs), dtype=bool)
    chosen[sel[used]] = True
    return chosen


def minimax_threshold(arcs: Arcs, cost: np.ndarray, n_visitors: int, caps: np.ndarray,
                      floor: int, w_keep: int) -> int:
    """Smallest worst rank cost t (>= ``floor``) such that arcs of rank cost <= t still reach the
    best (placed, kept): a monotone predicate, so binary search over the distinct costs."""
    # Only the keep level matters here: the remainder of ``cost`` is below one unit of w_keep.
    keep_cost = np.zeros(len(arcs), np.int64) if not w_keep else (cost // w_keep) * w_keep

    def level(mask: np.ndarray) -> tuple[int, int]:
        sel = np.flatnonzero(mask)
        used = max_flow_min_cost(n_visitors, len(caps), arcs.v[sel], arcs.h[sel], caps, keep_cost[sel])
        return int(used.sum()), int(keep_cost[sel][used].sum())

    best = level(np.ones(len(arcs), dtype=bool))
    values = np.unique(arcs.cost[arcs.cost >= floor])
    if len(values) == 0 or best[0] == 0:
        return floor
    lo, hi = 0, len(values) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if level(arcs.cost <= values[mid]) == best:
            hi = mid
        else:
            lo = mid + 1
    return max(floor, int(values[lo]))
