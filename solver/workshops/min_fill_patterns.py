"""min_fill in the pooled models: an open flag per session, and the open/closed patterns.

A session with ``min_fill`` is either closed or holds at least that many people, a disjunction
the pooled Hall rows cannot state alone: ``flagged_rows`` gives each session of a venue an
open flag, counts only open sessions' seats and asks an open subset for its min_fill. With
few flags, ``solve_by_patterns`` solves every open/closed pattern as its own model (the LP
bound of a fixed pattern is tight where the free flags' LP says little). Used by
:mod:`solver.workshops.pooled` (one half) and :mod:`solver.workshops.joint_pooled`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from solver.workshops.mip import LinearModel, MipRun

if TYPE_CHECKING:
    from solver.workshops.pooled import Pools


def flagged_rows(lm: LinearModel, z: np.ndarray, pools: Pools, sel: np.ndarray, sizes, capacity,
                 min_fill, venues: frozenset[int] | None = None,
                 flags_of: dict[int, np.ndarray] | None = None) -> list[int]:
    """Hall rows with an open flag per session (min_fill or max_open) of the ``venues`` (all if
    None); returns the flags (and puts each venue's in ``flags_of``)."""
    weight = sizes[pools.pair_g].astype(float)
    opens = []
    for v, sessions in enumerate(pools.members):
        at_v = pools.pair_v[sel] == v
        ks, zs = sel[at_v], z[at_v]
        if not len(ks) or (venues is not None and v not in venues):
            continue
        masks = pools.pair_mask[ks]
        flags = lm.add_binaries(len(sessions))
        opens.extend(flags.tolist())
        if flags_of is not None:
            flags_of[v] = flags
        for subset in range(1, 1 << len(sessions)):
            bits = np.array([b for b in range(len(sessions)) if (subset >> b) & 1])
            inside = sessions[bits]
            within = (masks & ~subset) == 0
            # seats of T count only its open sessions; an open T needs min_fill(T) people from
            # the groups that may go to T
            lm.add_row([*zs[within], *flags[bits]], [*weight[ks[within]], *(-capacity[inside]).astype(float)], upper=0.0)
            if np.any(min_fill[inside] > 0):
                touching = (masks & subset) != 0
                lm.add_row([*zs[touching], *flags[bits]],
                           [*weight[ks[touching]], *(-min_fill[inside]).astype(float)], lower=0.0)
    return opens


MAX_PATTERNS = 64  # open/closed patterns of the flagged venues solved one by one, at most


def solve_by_patterns(lm: LinearModel, flags: list[np.ndarray], z: np.ndarray, cost: np.ndarray,
                      deadline: float, cutoff: float = math.inf) -> MipRun:
    """The model's optimum as the best over every open/closed pattern of the flagged sessions.

    With its flags free, HiGHS needed 5-12 s on one venue's "one session or two" (the LP opens
    sessions fractionally, so its bound says little). With the flags fixed, each pattern's LP
    (GLOP, fast) bounds it; patterns are solved as MIPs in order of that bound until the best
    found is no worse than the next bound. A venue has few sessions: 2**k patterns, exact.
    Only solutions below ``cutoff`` are sought: INFEASIBLE when there is none.
    """
    every = np.concatenate(flags).tolist()
    relaxation = LinearModel(relaxed=True)
    relaxation.model.CopyFrom(lm.model)
    for var in relaxation.model.variable:
        var.is_integer = False

    def fix(model, pattern: int) -> None:
        for b, var in enumerate(every):
            model.variable[var].lower_bound = model.variable[var].upper_bound = float((pattern >> b) & 1)

    bounds = []
    for pattern in range(1 << len(every)):
        fix(relaxation.model, pattern)
        run = relaxation.solve(deadline)
        if run.status == "OPTIMAL":
            bounds.append((math.ceil(float(cost @ run.values[z]) - 1e-6), pattern))
        elif run.status != "INFEASIBLE":
            return MipRun("UNKNOWN", None, math.nan)
    best: MipRun | None = None
    best_value = cutoff
    for bound, pattern in sorted(bounds):
        if bound >= best_value:
            break  # this pattern and every later one cannot beat the best found
        fix(lm.model, pattern)
        run = lm.solve(deadline, cutoff=best_value if math.isfinite(best_value) else None)
        if run.status == "INFEASIBLE" or (run.values is not None and float(cost @ run.values[z]) > best_value):
            continue  # nothing below the cut-off in this pattern
        if run.status != "OPTIMAL" or run.values is None:
            return MipRun("UNKNOWN", None, math.nan)  # a pattern left unsolved: no optimum known
        value = float(cost @ run.values[z])
        if value < best_value:
            best, best_value = run, value
    return best if best is not None else MipRun("INFEASIBLE", None, math.nan)
