"""Node potentials of an optimal flow, and the reduced costs they give every visitor-host arc.

The relaxation is a circulation: S -> visitor (cap 1), visitor -> host (cap 1, folded cost
minus W_place), host -> T (cap = free seats), and a bypass S -> T for the unplaced. At the
lexicographic optimum its residual graph has no negative cycle, so shortest-path distances
from a virtual root (Bellman-Ford, vectorised) are feasible potentials ``d``: every residual
arc has reduced cost ``c + d[tail] - d[head] >= 0``. OR-Tools does not expose them, hence this.

Two uses, both exact:
* pricing: an omitted arc with reduced cost >= 0 cannot improve the relaxation, so when no
  omitted arc is negative the restricted optimum is the optimum over every arc;
* reduced-cost fixing: for any feasible flow x, F(x) - F* >= sum of the reduced costs of the
  arcs x uses that the optimum leaves empty, so an arc (or team unit) whose reduced cost
  exceeds F(incumbent) - F* is in no solution better than the incumbent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.match.arcs import Arcs
from solver.match.index import Index, in_sorted

MAX_SWEEPS = 3_000  # measured: 20-200 sweeps settle; None (no proof) beyond


@dataclass(frozen=True)
class Weights:
    """Lexicographic weights valid for every possible arc (from per-visitor caps, not from
    the arcs at hand), so restricted and full arc sets fold identically."""

    rank: int
    keep: int
    place: int

    def fold(self, ix: Index, arcs: Arcs) -> np.ndarray:
        cost = arcs.cost * self.rank + arcs.km
        if self.keep:
            cost = cost - in_sorted(ix.codes(arcs.v, arcs.h), ix.previous_code) * self.keep
        return cost - self.place


def weights(ix: Index) -> Weights:
    s = ix.inst.settings
    km_cap = np.floor(ix.v_maxkm + 0.5).astype(np.int64)  # whole km of any feasible arc
    longest = np.array([len(v.ranking) for v in ix.inst.visitors], dtype=np.int64)
    cost_cap = np.maximum(longest - 1, s.unranked_cost if s.allow_unranked else 0)
    w_rank = int(km_cap.sum()) + 1
    per_visitor = cost_cap * w_rank + km_cap
    w_keep = int(per_visitor.sum()) + 1 if s.keep_previous and len(ix.previous_code) else 0
    w_place = int(per_visitor.sum()) + w_keep * min(len(ix.previous_code), ix.n_visitors) + 1
    return Weights(rank=w_rank, keep=w_keep, place=w_place)


def potentials(n_v: int, n_h: int, arcs: Arcs, folded: np.ndarray, chosen: np.ndarray,
               caps: np.ndarray) -> np.ndarray | None:
    """Shortest-path potentials of the residual graph (nodes: S=0, visitors, hosts, T), or None
    when Bellman-Ford does not settle within MAX_SWEEPS sweeps."""
    s, t = 0, n_v + n_h + 1
    vnode, hnode = arcs.v + 1, arcs.h + n_v + 1
    placed = np.zeros(n_v, dtype=bool)
    placed[arcs.v[chosen]] = True
    load = np.bincount(arcs.h[chosen], minlength=n_h)
    vis = np.arange(1, n_v + 1)
    hosts = np.arange(n_v + 1, n_v + n_h + 1)
    tails = [np.where(chosen, hnode, vnode), np.where(placed, vis, s)]
    heads = [np.where(chosen, vnode, hnode), np.where(placed, s, vis)]
    costs = [np.where(chosen, -folded, folded), np.zeros(n_v, np.int64)]
    room, used = load < caps, load > 0
    tails += [hosts[room], np.full(int(used.sum()), t)]
    heads += [np.full(int(room.sum()), t), hosts[used]]
    costs += [np.zeros(int(room.sum()), np.int64), np.zeros(int(used.sum()), np.int64)]
    n_placed = int(placed.sum())
    if n_placed < n_v:  # bypass carries the unplaced: both directions open
        tails += [np.array([s, t])]
        heads += [np.array([t, s])]
        costs += [np.zeros(2, np.int64)]
    tail, head, cost = (np.concatenate(x).astype(np.int64) for x in (tails, heads, costs))
    d = np.zeros(n_v + n_h + 2, dtype=np.int64)
    for _ in range(MAX_SWEEPS):
        new = d.copy()
        np.minimum.at(new, head, d[tail] + cost)
        if np.array_equal(new, d):
            return d
        d = new
    return None


def reduced(d: np.ndarray, n_v: int, arcs: Arcs, folded: np.ndarray) -> np.ndarray:
    return folded + d[arcs.v + 1] - d[arcs.h + n_v + 1]
