"""Teams placed at seat prices, lone visitors by exact flow around them (a primal heuristic).

With teams fixed, the lone visitors are a plain min-cost flow, exact and fast; what is hard is
where the teams go. The flow relaxation splits teams (10k side + unranked: 149 of 400), and
the repair that empties and re-inserts them greedily ends far from the bound. Here teams are
chosen as whole units by their own min-cost flow, each seat priced at what it is worth to the
lone visitors (the host potential of the lone flow), and the lone flow is then re-solved on the
seats the teams leave. The prices are averaged with the last ones between rounds (without it
they jump between team plans); the best feasible round is kept.

Measured at 10k side + unranked from the priced relaxation: 9030 / 28485 after one round (the
repair: 9028 / 28396), 28061-28121 within 20 rounds (~1.4 s each), where the neighbourhood
search alone settles near 28150 in 25 s and 28118 in 150 s. The flow relaxation's bound is
unchanged: this only finds solutions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solver.match.duals import Weights, potentials
from solver.match.flow import max_flow_min_cost, optional_flow
from solver.match.index import Index
from solver.match.placement import Placement, lex_key
from solver.match.relax import Relaxation
from solver.match.side import fills_ok
from solver.match.units import UnitArcs, place_units, repair

MAX_ROUNDS = 30
SAME_PLAN_ROUNDS = 3  # stop when the team plan stayed the same this many rounds in a row
# Weight of the previous prices in the next round's (0: the lone flow's prices as they are),
# growing by PRICE_MEMORY_STEP a round up to PRICE_MEMORY_MAX. 10k, 20 rounds, fixed weights:
# 0.7 28133 by round 7, best 28098; 0.5 best 28101; 0.3 oscillates (best 28159, 28209 at round
# 20); growing from 0.7 by 0.03: best 28061 (round 11), from 0.5: 28085.
PRICE_MEMORY, PRICE_MEMORY_STEP, PRICE_MEMORY_MAX = 0.7, 0.03, 0.95


def _fit_teams(ua: UnitArcs, rows: np.ndarray, cost: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Drop the dearest teams of hosts whose seats they overfill (mixed team sizes only: the
    flow counts teams, ``room // smallest size`` a host)."""
    load = np.bincount(ua.h[rows], weights=ua.size[rows], minlength=len(room)).astype(np.int64)
    if (load <= room).all():
        return rows
    keep = np.ones(len(rows), dtype=bool)
    for k in np.argsort(-cost).tolist():
        h = int(ua.h[rows[k]])
        if load[h] > room[h]:
            keep[k] = False
            load[h] -= int(ua.size[rows[k]])
    return rows[keep]


def place_by_seat_prices(ix: Index, rel: Relaxation, ua: UnitArcs, base: Placement,
                         fixed_load: np.ndarray, w: Weights, clock: Any, seconds: float
                         ) -> Placement | None:
    """The best feasible placement of the rounds run within ``seconds`` (None when no round
    gave one): teams by :func:`optional_flow` at the seat prices, then the lone visitors by
    exact flow on ``rel.arcs`` over the seats left, then the prices from that lone flow."""
    if rel.duals is None or not ix.teams:
        return None
    n_v, n_h = ix.n_visitors, ix.n_hosts
    room = np.maximum(ix.cap - fixed_load, 0)
    team_rows = np.flatnonzero(ua.size > 1)
    if len(team_rows) == 0:
        return None
    team_cost = ua.per_unit_arc(w.fold(ix, ua.arcs))[team_rows]
    t_u, t_h, t_size = ua.u[team_rows], ua.h[team_rows], ua.size[team_rows]
    lone_rows = np.flatnonzero(ix.team_of[rel.arcs.v] < 0)
    lone = rel.arcs.take(lone_rows)
    lone_cost = rel.folded[lone_rows]
    d = rel.duals
    price = np.maximum(0, d[n_v + n_h + 1] - d[n_v + 1:n_v + n_h + 1]).astype(np.float64)
    per_host = room // int(t_size.min())
    deadline = clock.elapsed() + seconds
    best: Placement | None = None
    last, same = None, 0
    for _round in range(MAX_ROUNDS):
        if clock.elapsed() >= deadline or same >= SAME_PLAN_ROUNDS:
            break
        cost = team_cost + np.round(t_size * price[t_h]).astype(np.int64)
        picked = np.flatnonzero(optional_flow(ua.n_units, n_h, t_u, t_h, per_host, cost))
        picked = _fit_teams(ua, team_rows[picked], cost[picked], room)
        same = same + 1 if last is not None and np.array_equal(picked, last) else 0
        last = picked
        left = room - np.bincount(ua.h[picked], weights=ua.size[picked],
                                  minlength=n_h).astype(np.int64)
        used = max_flow_min_cost(n_v, n_h, lone.v, lone.h, left, lone_cost + w.place)
        chosen = np.zeros(len(ua.u), dtype=bool)
        chosen[picked] = True
        place = place_units(ua, base, chosen)
        place.put(lone, np.flatnonzero(used))
        if not fills_ok(ix, place):
            place = place_units(ua, base, repair(ix, ua, place, fixed_load))
        if fills_ok(ix, place) and (best is None or lex_key(place.objective(ix))
                                     < lex_key(best.objective(ix))):
            best = place
        clock.report("seat prices", objective=place.objective(ix), round=_round + 1,
                     teams=len(picked))
        dl = potentials(n_v, n_h, lone, lone_cost, used, left)
        if dl is None:
            break
        lone_price = np.maximum(0, dl[n_v + n_h + 1] - dl[n_v + 1:n_v + n_h + 1])
        memory = min(PRICE_MEMORY_MAX, PRICE_MEMORY + PRICE_MEMORY_STEP * _round)
        price = memory * price + (1 - memory) * lone_price
    return best
