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

import math
import time

import numpy as np

from solver.workshops.eligibility import Arcs
from solver.workshops.greedy import _cancel_underfilled
from solver.workshops.joint import JointSolution
from solver.workshops.min_fill_patterns import flagged_rows
from solver.workshops.mip import LinearModel
from solver.workshops.model import KINDS
from solver.workshops.pooled import Pools, hall_rows, make_pools
from solver.workshops.seating import seat_all


def _build(arcs: Arcs, candidates: np.ndarray, pools: dict[str, Pools], nogoods: dict[str, list],
           sel: dict[str, np.ndarray] | None = None, relaxed: bool = False, dual_simplex: bool = True):
    """The pooled joint model over the pairs ``sel`` (all when None); the LP (``relaxed``) keeps
    plain Hall rows (min_fill relaxed away). Returns (model, y, z per kind over sel, sel, Hall
    rows per kind as (row index, pairs, seats))."""
    n = len(arcs.sizes)
    lm = LinearModel(relaxed=relaxed, dual_simplex=dual_simplex)
    y = np.full(n, -1, dtype=np.int64)
    y[candidates] = lm.add_binaries(len(candidates))
    z, chosen, hall = {}, {}, {}
    for kind in KINDS:
        pl, half = pools[kind], arcs.halves[kind]
        every = np.arange(len(pl.pair_g)) if sel is None else np.nonzero(sel[kind])[0]
        chosen[kind] = every
        z[kind] = lm.add_binaries(len(every))
        position = np.full(len(pl.pair_g), -1, dtype=np.int64)
        position[every] = np.arange(len(every))
        pg = pl.pair_g[every]
        order = np.argsort(pg, kind="stable")
        start = np.searchsorted(pg[order], candidates)
        stop = np.searchsorted(pg[order], candidates, side="right")
        for gi, a, b in zip(candidates.tolist(), start.tolist(), stop.tolist(), strict=True):
            lm.add_row([*z[kind][order[a:b]], y[gi]], [*np.ones(b - a), -1.0], 0.0, 0.0)
        hall[kind] = []
        if np.any(half.min_fill > 0) and not relaxed:
            flagged_rows(lm, z[kind], pl, every, arcs.sizes, half.capacity, half.min_fill)
        else:
            weight = arcs.sizes[pl.pair_g].astype(float)
            for pairs, seats in hall_rows(pl, every, arcs.sizes, half.capacity):
                hall[kind].append((len(lm.model.constraint), pairs, seats))
                lm.add_row(z[kind][position[pairs]], weight[pairs], upper=seats)
        for on, off in nogoods[kind] if not relaxed else ():
            if np.all(position[on] >= 0):
                off = off[position[off] >= 0]
                lm.add_row([*z[kind][position[on]], *z[kind][position[off]]],
                           [*np.ones(len(on)), *-np.ones(len(off))], upper=len(on) - 1)
    return lm, y, z, chosen, hall


_GRID = 1024.0
# No-good rows (sets a venue cannot seat) after which the pooled joint model gives up: with
# small sessions and mixed group sizes the Hall rows say little about seating, and the
# no-goods then come one set at a time (30 groups in 5-12 seat sessions: 49 no-goods in 9.5 s,
# 18 of 20 groups, where the session-level chain proves 20 in well under a second).
_MAX_NOGOODS = 20


def _round(arcs: Arcs, candidates: np.ndarray, pools: dict[str, Pools], z: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A feasible schedule from the pooled km LP: groups it sends integrally to one venue per
    half take a session there with room, then the rest (smallest first) the cheapest sessions
    with room in both halves; sessions below min_fill are then cancelled, as greedy does."""
    n = len(arcs.sizes)
    choice = {kind: np.full(n, -1, dtype=np.int64) for kind in KINDS}
    load = {kind: np.zeros(len(arcs.halves[kind].capacity), dtype=np.int64) for kind in KINDS}
    venue_of = {}
    for kind in KINDS:
        pl = pools[kind]
        whole = z[kind] > 0.999
        venue_of[kind] = dict(zip(pl.pair_g[whole].tolist(), pl.pair_v[whole].tolist(), strict=True))

    def place(gi: int, venues: dict[str, int] | None) -> None:
        picked = {}
        for kind in KINDS:
            half = arcs.halves[kind]
            ks = np.nonzero(half.g == gi)[0]
            if venues is not None:
                ks = ks[pools[kind].venue[half.j[ks]] == venues[kind]]
            ks = ks[load[kind][half.j[ks]] + arcs.sizes[gi] <= half.capacity[half.j[ks]]]
            if not len(ks):
                return
            picked[kind] = int(half.j[ks[np.lexsort((-(half.capacity[half.j[ks]] - load[kind][half.j[ks]]), half.cost[ks]))[0]]])
        for kind, sj in picked.items():
            choice[kind][gi] = sj
            load[kind][sj] += arcs.sizes[gi]

    for gi in candidates.tolist():
        if all(gi in venue_of[kind] for kind in KINDS):
            place(gi, {kind: venue_of[kind][gi] for kind in KINDS})
    for gi in sorted(candidates.tolist(), key=lambda k: (arcs.sizes[k], k)):
        if choice[KINDS[0]][gi] < 0:
            place(gi, None)
    _cancel_underfilled(arcs, choice, load)
    return choice  # multipliers on this grid keep every sum exact in binary floating point


def _price_km(arcs, candidates, pools, scheduled, deadline):
    """(Lagrangian bound on km with >= ``scheduled`` groups, reduced cost per pair, the LP's
    rounding as a fallback schedule), or None when the LP is not solved.

    Multipliers u >= 0 on the Hall rows and lam >= 0 on the count row: with r_p = c_p + w_p *
    (sum of u over rows of p) and a_g = min_P r + min_F r - lam, every schedule costs at least
    L = sum_g min(0, a_g) + lam * scheduled - sum_r u_r seats_r, and one using pair p of group g
    at least L + (r_p - min r of g in that half) + max(0, a_g).
    """
    lm, y, z, _, hall = _build(arcs, candidates, pools, {kind: [] for kind in KINDS}, relaxed=True)
    count_row = len(lm.model.constraint)
    lm.add_row(y[candidates], np.ones(len(candidates)), lower=scheduled)
    lm.set_objective(np.concatenate([z[k] for k in KINDS]),
                     np.concatenate([pools[k].pair_cost for k in KINDS]).astype(float), maximize=False)
    run = lm.solve(deadline)
    if run.status != "OPTIMAL" or run.duals is None:
        return None
    rounded = _round(arcs, candidates, pools, {kind: run.values[z[kind]] for kind in KINDS})
    lam = np.floor(max(0.0, float(run.duals[count_row])) * _GRID) / _GRID
    n = len(arcs.sizes)
    reduced, low, bound = {}, {}, lam * scheduled
    for kind in KINDS:
        pl = pools[kind]
        penalty = np.zeros(len(pl.pair_g))
        for row, pairs, seats in hall[kind]:
            u = np.ceil(max(0.0, -float(run.duals[row])) * _GRID) / _GRID
            penalty[pairs] += u
            bound -= u * seats
        reduced[kind] = pl.pair_cost + arcs.sizes[pl.pair_g] * penalty
        low[kind] = np.full(n, np.inf)
        np.minimum.at(low[kind], pl.pair_g, reduced[kind])
    a = low[KINDS[0]][candidates] + low[KINDS[1]][candidates] - lam
    bound += float(np.minimum(a, 0.0).sum())
    extra = np.zeros(n)
    extra[candidates] = np.maximum(a, 0.0)
    rc = {kind: reduced[kind] - low[kind][pools[kind].pair_g] + extra[pools[kind].pair_g] for kind in KINDS}
    return bound, rc, rounded


def _least_km(arcs, candidates, pools, nogoods, scheduled, deadline):
    """(status, schedule, km, km bound, LP rounding or None) with >= ``scheduled`` groups:
    OPTIMAL, FEASIBLE, INFEASIBLE (no seated schedule reaches that level) or UNKNOWN."""
    n = len(arcs.sizes)
    now = time.monotonic()
    priced = _price_km(arcs, candidates, pools, scheduled, now + 0.3 * max(0.0, deadline - now))
    if priced is None:  # no pricing: every pair, L = 0
        priced = 0.0, {kind: np.zeros(len(pools[kind].pair_g)) for kind in KINDS}, None
    exact, rc, rounded = priced
    everything = np.concatenate([rc[k] for k in KINDS])
    k = min(len(everything) - 1, 4 * len(candidates))
    # A small first round (about two pairs per group and half) secures a seated schedule fast;
    # HiGHS returns nothing on a time-out, so a first round sized to prove at once (0.1 % of L,
    # ~8,000 pairs at 600 groups) was measured to leave nothing at all under load.
    threshold = float(np.partition(everything, k)[k])
    best, upper, lower = None, math.inf, math.ceil(exact - 1e-9)
    incumbent = {kind: np.zeros(len(rc[kind]), dtype=bool) for kind in KINDS}
    while time.monotonic() < deadline - 0.05:
        sel = {kind: (rc[kind] <= threshold + 1e-9) | incumbent[kind] for kind in KINDS}
        out = np.concatenate([rc[kind][~sel[kind]] for kind in KINDS])
        floor_out = math.ceil(exact + float(out.min()) - 1e-9) if len(out) else math.inf
        lm, y, z, chosen, _ = _build(arcs, candidates, pools, nogoods, sel)
        lm.add_row(y[candidates], np.ones(len(candidates)), lower=scheduled)
        km_cost = np.concatenate([pools[k].pair_cost[chosen[k]] for k in KINDS]).astype(float)
        km_index = np.concatenate([z[k] for k in KINDS])
        lm.set_objective(km_index, km_cost, maximize=False)
        # With a schedule known, HiGHS only looks below it (its objective_bound option prunes
        # every node that cannot beat it: tight seed 2's proving round 7.1 s -> 1.7-2.7 s).
        cutoff = upper - 0.5 if best is not None else None
        run = lm.solve(deadline, cutoff=cutoff)
        if cutoff is not None and (run.status == "INFEASIBLE" or (
                run.status == "OPTIMAL" and run.values is not None
                and float(km_cost @ run.values[km_index]) > cutoff)):
            # Nothing below `upper` with these pairs (HiGHS returns what it found above the
            # cut-off, or nothing): with the floor of the pairs left out, `upper` is proven.
            lower = max(lower, min(upper, floor_out))
            if upper <= lower:
                return "OPTIMAL", best, upper, upper, rounded
            threshold = upper - exact
            continue
        if run.status == "INFEASIBLE":
            if not len(out):
                return "INFEASIBLE", None, 0, 0, rounded
            lower = max(lower, floor_out)
            threshold = 2 * max(threshold, 1.0)
            continue
        if run.status != "OPTIMAL" or run.values is None:
            break
        value = int(round(float(km_cost @ run.values[km_index])))
        lower = max(lower, min(value, floor_out))
        choice, on_pairs, failed = {}, {}, False
        for kind in KINDS:
            half, pl = arcs.halves[kind], pools[kind]
            on = np.zeros(len(pl.pair_g), dtype=bool)
            on[chosen[kind][run.values[z[kind]]]] = True
            seated, bad, timed_out = seat_all(pl, on, half.g, half.j, arcs.sizes, half.capacity,
                                              half.min_fill, n, deadline)
            if timed_out:
                return ("FEASIBLE" if best is not None else "UNKNOWN"), best, upper, lower, rounded
            nogoods[kind].extend(bad)
            failed = failed or bool(bad)
            choice[kind], on_pairs[kind] = seated, on
        if sum(len(v) for v in nogoods.values()) > _MAX_NOGOODS:
            return ("FEASIBLE" if best is not None else "UNKNOWN"), best, upper, lower, None
        if failed:
            continue  # the same pairs without the sets a venue cannot seat
        if value < upper:
            best, upper, incumbent = choice, value, on_pairs
        if upper <= lower:
            return "OPTIMAL", best, upper, upper, rounded
        threshold = upper - exact
    return ("FEASIBLE" if best is not None else "UNKNOWN"), best, upper, lower, rounded


def solve_joint_pooled(arcs: Arcs, candidates: np.ndarray, deadline: float) -> tuple[JointSolution | None, int]:
    """(the best seated schedule at the proven scheduled level, or None; a bound on that level).

    Proven means both levels optimal on the pooled model and every venue seating its groups.
    """
    pools = {}
    for kind in KINDS:
        half = arcs.halves[kind]
        mask = np.isin(half.g, candidates)
        place = half.place if half.place is not None else np.arange(len(half.capacity))
        pools[kind] = make_pools(half.g[mask], half.j[mask], half.cost[mask], place, always=True)
    if any(pl is None for pl in pools.values()):
        return None, len(candidates)
    nogoods: dict[str, list] = {kind: [] for kind in KINDS}
    # Level 1 first from the LP: its floor bounds the scheduled level, and usually the km level
    # below reaches it, which proves it without the level-1 MIP (slow to find that many).
    lm, y, _, _, _ = _build(arcs, candidates, pools, nogoods, relaxed=True, dual_simplex=False)
    lm.set_objective(y[candidates], np.ones(len(candidates)), maximize=True)
    now = time.monotonic()
    run = lm.solve(now + 0.2 * (deadline - now))
    bound_scheduled = len(candidates)
    if run.status == "OPTIMAL":
        bound_scheduled = min(bound_scheduled, math.floor(run.bound + 1e-6))
    from_lp = run.status == "OPTIMAL"
    while time.monotonic() < deadline - 0.05 and sum(len(v) for v in nogoods.values()) <= _MAX_NOGOODS:
        if from_lp:
            scheduled, from_lp = bound_scheduled, False
        else:
            lm, y, _, _, _ = _build(arcs, candidates, pools, nogoods)
            lm.set_objective(y[candidates], np.ones(len(candidates)), maximize=True)
            now = time.monotonic()
            run = lm.solve(now + 0.5 * (deadline - now))
            if run.status != "OPTIMAL" or run.values is None:
                break
            scheduled = int(run.values[y[candidates]].sum())
            bound_scheduled = min(bound_scheduled, scheduled)  # relaxation plus valid no-goods
        status, choice, km, km_bound, rounded = _least_km(arcs, candidates, pools, nogoods, scheduled, deadline)
        if status == "INFEASIBLE":
            continue  # no-goods found on the way rule this level out: level 1 again
        if choice is None:
            if rounded is not None:  # nothing seated at that level in time: the LP rounding
                return JointSolution(rounded, False, bound_scheduled, None, 0), bound_scheduled
            break
        # The schedule seats `scheduled` groups, the pooled bound on that level: it is attained,
        # so the km bound found under it bounds the lexicographic optimum too.
        return JointSolution(choice, status == "OPTIMAL", scheduled, None, km_bound), scheduled
    return None, bound_scheduled
