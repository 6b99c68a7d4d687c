"""A placement as per-visitor arrays, and the objective it reaches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.match.arcs import Arcs, team_week
from solver.match.index import Index, in_sorted
from solver.match.model import Objective


@dataclass
class Placement:
    host: np.ndarray  # host index per visitor, -1 = unplaced
    week: np.ndarray  # week index, -1 = null (or unplaced)
    rank: np.ndarray  # 1-based, 0 = unranked
    cost: np.ndarray  # rank cost
    km: np.ndarray  # whole km

    @staticmethod
    def empty(n: int) -> Placement:
        return Placement(*(np.full(n, -1 if i < 2 else 0, dtype=np.int64) for i in range(5)))

    def copy(self) -> Placement:
        return Placement(self.host.copy(), self.week.copy(), self.rank.copy(), self.cost.copy(),
                         self.km.copy())

    def put(self, arcs: Arcs, rows: np.ndarray) -> None:
        v = arcs.v[rows]
        self.host[v], self.week[v] = arcs.h[rows], arcs.week[rows]
        self.rank[v], self.cost[v], self.km[v] = arcs.rank[rows], arcs.cost[rows], arcs.km[rows]

    def drop(self, visitors: np.ndarray) -> None:
        self.host[visitors] = -1
        self.week[visitors] = -1

    def fix_team_weeks(self, ix: Index) -> None:
        """Members of a team share the earliest week common to all of them and their host."""
        for t, members in enumerate(ix.teams):
            h = int(self.host[members[0]])
            if h >= 0:
                self.week[members] = max(int(team_week(ix, t, np.array([h]))[0]), -1)

    def objective(self, ix: Index) -> Objective:
        s = ix.inst.settings
        on = self.host >= 0
        kept = None
        if s.keep_previous:
            vs = np.flatnonzero(on)
            kept = int(in_sorted(ix.codes(vs, self.host[vs]), ix.previous_code).sum())
        worst = None
        if s.objective == "minimax_rank":
            worst = int(self.cost[on].max(initial=0))
        return Objective(placed=int(on.sum()), rank_cost=int(self.cost[on].sum()),
                         total_km=int(self.km[on].sum()), kept=kept, max_rank_cost=worst)


def lex_key(obj: Objective) -> tuple[int, ...]:
    """Smaller is better, in the order the levels are optimised."""
    key: list[int] = [-obj.placed]
    if obj.kept is not None:
        key.append(-obj.kept)
    if obj.max_rank_cost is not None:
        key.append(obj.max_rank_cost)
    return (*key, obj.rank_cost, obj.total_km)
