"""Disaggregation of a pooled solution: seating each venue's chosen groups in its sessions.

The pooled models (:mod:`solver.workshops.pooled` for one half, :mod:`solver.workshops.joint_pooled`
for the coupled case) choose a venue per group; ``seat_all`` turns that choice back into one
session per group (first fit, else a small MIP per venue) and names the venues proven unable
to take their groups, for the callers' no-good rows. It is separate from the pooled model
because both pooled solvers share it and it works at session level, not on pools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from solver.workshops.mip import solve_assignment

if TYPE_CHECKING:
    from solver.workshops.pooled import Pools


def _seat(pools: Pools, venue_groups: np.ndarray, v: int, g, j, sizes, capacity, min_fill,
          deadline: float) -> tuple[str, np.ndarray | None]:
    """("OPTIMAL", session per listed group) when venue v can seat exactly these groups,
    ("INFEASIBLE", None) when proven impossible, ("UNKNOWN", None) when out of time."""
    sessions = pools.members[v]
    quick = _first_fit(pools, venue_groups, v, sizes, capacity, min_fill)
    if quick is not None:
        return "OPTIMAL", quick
    local = np.full(len(sizes), -1, dtype=np.int64)
    local[venue_groups] = np.arange(len(venue_groups))
    keep = (local[g] >= 0) & (pools.venue[j] == v)
    remap = np.full(len(capacity), -1, dtype=np.int64)
    remap[sessions] = np.arange(len(sessions))
    out = solve_assignment(local[g[keep]], remap[j[keep]], np.zeros(int(keep.sum()), dtype=np.int64),
                           sizes[venue_groups], capacity[sessions], min_fill[sessions], len(venue_groups), deadline)
    if out.choice is not None:
        return "OPTIMAL", sessions[out.choice]
    return ("INFEASIBLE" if out.status == "INFEASIBLE" else "UNKNOWN"), None


def _first_fit(pools: Pools, venue_groups: np.ndarray, v: int, sizes, capacity, min_fill) -> np.ndarray | None:
    """Most-constrained group first, into its eligible session with the most seats left; None
    when that does not seat everyone within capacity and min_fill (the MIP decides then)."""
    sessions = pools.members[v]
    ks = np.nonzero(pools.pair_v == v)[0]
    mask_of = dict(zip(pools.pair_g[ks].tolist(), pools.pair_mask[ks].tolist(), strict=True))
    masks = np.array([mask_of[gi] for gi in venue_groups.tolist()], dtype=np.int64)
    options = np.array([bin(m).count("1") for m in masks.tolist()])
    room = capacity[sessions].astype(np.int64).copy()
    out = np.full(len(venue_groups), -1, dtype=np.int64)
    for k in np.lexsort((-sizes[venue_groups], options)).tolist():
        size = int(sizes[venue_groups[k]])
        fits = [b for b in range(len(sessions)) if (masks[k] >> b) & 1 and room[b] >= size]
        if not fits:
            return None
        b = max(fits, key=lambda b: (room[b], -b))
        room[b] -= size
        out[k] = sessions[b]
    load = capacity[sessions] - room
    if np.any((load > 0) & (load < min_fill[sessions])):
        return None
    return out


def seat_all(pools: Pools, on: np.ndarray, g: np.ndarray, j: np.ndarray, sizes: np.ndarray, capacity: np.ndarray,
             min_fill: np.ndarray, n: int, deadline: float
             ) -> tuple[np.ndarray | None, list[tuple[np.ndarray, np.ndarray]], bool]:
    """(choice or None, no-goods for venues proven unable to take their groups, out of time?)."""
    choice = np.full(n, -1, dtype=np.int64)
    failed = []
    for v in range(len(pools.members)):
        at_v = pools.pair_v == v
        venue_groups = pools.pair_g[on & at_v]
        if not len(venue_groups):
            continue
        status, seated = _seat(pools, venue_groups, v, g, j, sizes, capacity, min_fill, deadline)
        if seated is not None:
            choice[venue_groups] = seated
        elif status == "INFEASIBLE":
            failed.append((np.nonzero(on & at_v)[0], np.nonzero(~on & at_v)[0]))
        else:
            return None, failed, True
    return (None if failed else choice), failed, False
