"""The coupled case (not every candidate fits in both halves) on pooled venues.

Same pooling as :mod:`solver.workshops.pooled`, now with a y per candidate group shared by both
halves: level 1 maximises the scheduled groups, level 2 minimises km with that many scheduled.
The pooled model is a relaxation of the session-level one, so its level-1 optimum bounds the
scheduled level and, once that level is attained, its level-2 optimum bounds the km. Each half's
venues then seat their groups (small MIPs); a venue that cannot gets a no-good row (exactly that
set of groups at that venue) and the levels run again. Without ``keep`` only: keeping a previous
choice is about sessions, which pooling does not see.
"""

from __future__ import annotations

import time

import numpy as np

from solver.workshops.eligibility import Arcs
from solver.workshops.joint import JointSolution
from solver.workshops.mip import LinearModel
from solver.workshops.model import KINDS
from solver.workshops.pooled import Pools, _flagged_rows, _hall_rows, _seat_all, make_pools


def _build(arcs: Arcs, candidates: np.ndarray, pools: dict[str, Pools], nogoods: dict[str, list]):
    n = len(arcs.sizes)
    lm = LinearModel()
    y = np.full(n, -1, dtype=np.int64)
    y[candidates] = lm.add_binaries(len(candidates))
    z = {}
    for kind in KINDS:
        pl, half = pools[kind], arcs.halves[kind]
        every = np.arange(len(pl.pair_g))
        z[kind] = lm.add_binaries(len(every))
        order = np.argsort(pl.pair_g, kind="stable")
        start = np.searchsorted(pl.pair_g[order], candidates)
        stop = np.searchsorted(pl.pair_g[order], candidates, side="right")
        for gi, a, b in zip(candidates.tolist(), start.tolist(), stop.tolist(), strict=True):
            lm.add_row([*z[kind][order[a:b]], y[gi]], [*np.ones(b - a), -1.0], 0.0, 0.0)
        if np.any(half.min_fill > 0):
            _flagged_rows(lm, z[kind], pl, every, arcs.sizes, half.capacity, half.min_fill)
        else:
            weight = arcs.sizes[pl.pair_g].astype(float)
            for pairs, seats in _hall_rows(pl, every, arcs.sizes, half.capacity):
                lm.add_row(z[kind][pairs], weight[pairs], upper=seats)
        for on, off in nogoods[kind]:
            lm.add_row([*z[kind][on], *z[kind][off]], [*np.ones(len(on)), *-np.ones(len(off))], upper=len(on) - 1)
    return lm, y, z


def solve_joint_pooled(arcs: Arcs, candidates: np.ndarray, deadline: float) -> tuple[JointSolution | None, int]:
    """(the proven lexicographic optimum or None, a valid bound on the scheduled level).

    Proven means both levels optimal on the pooled model and every venue seating its groups.
    """
    n = len(arcs.sizes)
    pools = {}
    for kind in KINDS:
        half = arcs.halves[kind]
        mask = np.isin(half.g, candidates)
        place = half.place if half.place is not None else np.arange(len(half.capacity))
        pools[kind] = make_pools(half.g[mask], half.j[mask], half.cost[mask], place, always=True)
    nogoods: dict[str, list] = {kind: [] for kind in KINDS}
    bound_scheduled = len(candidates)
    while time.monotonic() < deadline - 0.05:
        lm, y, z = _build(arcs, candidates, pools, nogoods)
        lm.set_objective(y[candidates], np.ones(len(candidates)), maximize=True)
        now = time.monotonic()
        run = lm.solve(now + 0.5 * (deadline - now))
        if run.status != "OPTIMAL" or run.values is None:
            break
        scheduled = int(run.values[y[candidates]].sum())
        bound_scheduled = min(bound_scheduled, scheduled)  # relaxation plus valid no-goods
        lm.add_row(y[candidates], np.ones(len(candidates)), lower=scheduled)
        km_index = np.concatenate([z[kind] for kind in KINDS])
        km_cost = np.concatenate([pools[kind].pair_cost for kind in KINDS]).astype(float)
        lm.set_objective(km_index, km_cost, maximize=False)
        run = lm.solve(deadline)
        if run.status != "OPTIMAL" or run.values is None:
            break
        km = int(round(float(km_cost @ run.values[km_index])))
        choice, failed = {}, False
        for kind in KINDS:
            half, pl = arcs.halves[kind], pools[kind]
            on = run.values[z[kind]]
            seated, bad, timed_out = _seat_all(pl, on, half.g, half.j, arcs.sizes, half.capacity,
                                               half.min_fill, n, deadline)
            if timed_out:
                return None, bound_scheduled
            if bad:
                nogoods[kind].extend(bad)
                failed = True
            choice[kind] = seated
        if failed:
            continue
        # Every venue seats its groups: both pooled optima are attained, hence optimal.
        return JointSolution(choice, True, scheduled, None, km), scheduled
    return None, bound_scheduled
