"""The baseline coordinators would do by hand: groups in input order, nearest session with room.

Used by the benchmarks as the comparison and by the solver as a floor: the solver never returns
fewer scheduled groups (or more km at equal count) than this.
"""

from __future__ import annotations

import numpy as np

from solver.workshops.eligibility import Arcs
from solver.workshops.model import FOLLOWUP, KINDS, PREP


def greedy_schedule(arcs: Arcs, honour_min_fill: bool = True) -> dict[str, np.ndarray]:
    """Local session per group and half (-1 = unscheduled); both halves or neither."""
    n = len(arcs.sizes)
    options = {}
    for kind in KINDS:
        half = arcs.halves[kind]
        order = np.lexsort((half.j, half.cost, half.g))
        options[kind] = (half, order, np.searchsorted(half.g[order], np.arange(n + 1)))
    load = {kind: np.zeros(len(arcs.halves[kind].capacity), dtype=np.int64) for kind in KINDS}
    choice = {kind: np.full(n, -1, dtype=np.int64) for kind in KINDS}
    for gi in range(n):
        picked = {}
        for kind in KINDS:
            half, order, start = options[kind]
            for k in order[start[gi] : start[gi + 1]]:
                if load[kind][half.j[k]] + arcs.sizes[gi] <= half.capacity[half.j[k]]:
                    picked[kind] = int(half.j[k])
                    break
        if len(picked) == 2:
            for kind, sj in picked.items():
                choice[kind][gi] = sj
                load[kind][sj] += arcs.sizes[gi]
    if honour_min_fill:
        _cancel_underfilled(arcs, choice, load)
    return choice


def _cancel_underfilled(arcs: Arcs, choice: dict[str, np.ndarray], load: dict[str, np.ndarray]) -> None:
    """Cancel sessions below their min_fill, unscheduling their groups, until none is left."""
    while True:
        dropped = False
        for kind in (PREP, FOLLOWUP):
            half = arcs.halves[kind]
            low = np.nonzero((load[kind] > 0) & (load[kind] < half.min_fill))[0]
            for sj in low:
                for gi in np.nonzero(choice[kind] == sj)[0]:
                    for k2 in KINDS:
                        load[k2][choice[k2][gi]] -= arcs.sizes[gi]
                        choice[k2][gi] = -1
                dropped = True
        if not dropped:
            return
