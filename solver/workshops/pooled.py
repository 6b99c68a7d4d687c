"""One half with the sessions of each venue pooled: the symmetry-free relaxation, then disaggregation.

Sessions at the same place (one venue on several dates) cost every group the same km, so a
half's travel depends only on which *venue* each group goes to; which of the venue's sessions
it takes only has to be feasible. The session-level MIP cannot see that: it branches through
the many equal-cost ways of spreading groups over a venue's dates. Here each venue is one pool:
a binary z per (group, venue) and, per venue and subset T of its sessions, the Hall row

    sum of size * z over groups whose eligible sessions of the venue all lie in T  <=  seats(T)

(with ``min_fill`` or ``max_open``, an open flag per session, seats(T) counting only open ones,
and the matching lower rows: :mod:`solver.workshops.min_fill_patterns`). These rows are necessary for any session-level schedule, so the
pooled optimum is a lower bound. Disaggregation then seats each venue's groups in its sessions
(a small MIP per venue: :mod:`solver.workshops.seating`); when every venue succeeds the pooled
optimum is attained, hence the optimum of the half. A venue that fails gets a no-good row and
the pooled model runs again.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from solver.workshops.min_fill_patterns import MAX_PATTERNS, flagged_rows, solve_by_patterns
from solver.workshops.mip import LinearModel
from solver.workshops.seating import seat_all

_MAX_POOL = 10  # sessions per pooled venue: 2**10 subset rows at most; larger venues are split


@dataclass(frozen=True)
class Pools:
    """Venue per session and the (group, venue) pairs of a half."""

    venue: np.ndarray  # pool index per local session
    pair_g: np.ndarray  # group per pair
    pair_v: np.ndarray  # venue per pair
    pair_cost: np.ndarray
    pair_mask: np.ndarray  # bit k set: the group may take the venue's k-th session
    members: list[np.ndarray]  # local sessions of each venue, in bit order


def make_pools(g: np.ndarray, j: np.ndarray, cost: np.ndarray, place: np.ndarray, always: bool = False) -> Pools | None:
    """Pool sessions of the same ``place`` whose km agree for every group; None if nothing pools
    (unless ``always``: then single sessions are pools of one)."""
    m = len(place)
    if m == 0 or len(g) == 0:
        return None
    venue = np.asarray(place, dtype=np.int64).copy()
    # A place whose sessions disagree on some group's km (it cannot, for one location, but the
    # caller's labels are not trusted) is split into single sessions.
    key = g * (m + 1) + venue[j]
    order = np.lexsort((cost, key))
    k_sorted, c_sorted = key[order], cost[order]
    first = np.r_[True, k_sorted[1:] != k_sorted[:-1]]
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    bad_places = np.unique(venue[j[order][c_sorted != c_sorted[run_start]]])
    next_label = int(venue.max(initial=-1)) + 1
    for p in bad_places.tolist():
        for sj in np.nonzero(venue == p)[0][1:]:
            venue[sj], next_label = next_label, next_label + 1
    for p in np.unique(venue).tolist():  # oversized places: split into chunks of _MAX_POOL
        sessions = np.nonzero(venue == p)[0]
        for chunk in range(1, math.ceil(len(sessions) / _MAX_POOL)):
            venue[sessions[chunk * _MAX_POOL : (chunk + 1) * _MAX_POOL]] = next_label
            next_label += 1
    _, venue = np.unique(venue, return_inverse=True)
    if venue.max(initial=-1) + 1 == m and not always:
        return None  # every session alone: pooling would be the session-level model again
    members = [np.nonzero(venue == v)[0] for v in range(int(venue.max()) + 1)]
    bit = np.zeros(m, dtype=np.int64)
    for sessions in members:
        bit[sessions] = 1 << np.arange(len(sessions))
    key = g * len(members) + venue[j]
    pair_key, first_arc, inverse = np.unique(key, return_index=True, return_inverse=True)
    mask = np.zeros(len(pair_key), dtype=np.int64)
    np.bitwise_or.at(mask, inverse, bit[j])
    return Pools(venue, pair_key // len(members), pair_key % len(members), cost[first_arc], mask, members)


@dataclass(frozen=True)
class PooledOutcome:
    status: str  # OPTIMAL (seated and proven), FEASIBLE (seated, bound below), INFEASIBLE, UNKNOWN
    choice: np.ndarray | None  # local session per group, when seated
    value: int
    bound: int  # a valid lower bound on the half
    method: str


def hall_rows(pools: Pools, sel: np.ndarray, sizes: np.ndarray, capacity: np.ndarray,
              skip: frozenset[int] = frozenset()) -> list[tuple[np.ndarray, float]]:
    """(pairs, seats) per venue (but those in ``skip``) and subset T of its sessions that can
    bind; of rows holding the same pairs only the one with the fewest seats (it implies the others)."""
    weight = sizes[pools.pair_g].astype(float)
    rows = []
    for v, sessions in enumerate(pools.members):
        ks = sel[pools.pair_v[sel] == v]
        if not len(ks) or v in skip:
            continue
        masks = pools.pair_mask[ks]
        tightest: dict[bytes, tuple[float, np.ndarray]] = {}
        for subset in range(1, 1 << len(sessions)):
            inside = sessions[[(subset >> b) & 1 == 1 for b in range(len(sessions))]]
            within = (masks & ~subset) == 0  # every eligible session of the venue lies in T
            seats = float(capacity[inside].sum())
            if weight[ks[within]].sum() <= seats:
                continue
            tag = np.packbits(within).tobytes()
            if seats < tightest.get(tag, (math.inf,))[0]:
                tightest[tag] = (seats, ks[within])
        rows.extend((pairs, seats) for seats, pairs in tightest.values())
    return rows


def _model(pools: Pools, sel: np.ndarray, sizes, capacity, min_fill, n, max_open, nogoods, relaxed=False,
           flagged: frozenset[int] | None = None, flags_of: dict[int, np.ndarray] | None = None):
    """The pooled model over the pairs ``sel``; returns (model, z per selected pair, Hall rows).

    With ``min_fill``, only the ``flagged`` venues (all if None) get open flags and min_fill
    rows; the others keep plain Hall rows, a relaxation of theirs (min_fill dropped)."""
    lm = LinearModel(relaxed=relaxed)
    z = lm.add_binaries(len(sel))
    order = np.argsort(pools.pair_g[sel], kind="stable")
    start = np.searchsorted(pools.pair_g[sel][order], np.arange(n + 1))
    for gi in range(n):
        lm.add_row(z[order[start[gi] : start[gi + 1]]], np.ones(int(start[gi + 1] - start[gi])), 1.0, 1.0)
    position = np.full(len(pools.pair_g), -1, dtype=np.int64)
    position[sel] = np.arange(len(sel))
    rows = []
    if relaxed or not (np.any(min_fill > 0) or max_open is not None):
        flagged = frozenset()
    elif max_open is not None or flagged is None:
        flagged = frozenset(range(len(pools.members)))
    if flagged:
        opens = flagged_rows(lm, z, pools, sel, sizes, capacity, min_fill, flagged, flags_of)
        if max_open is not None and opens:
            lm.add_row(opens, np.ones(len(opens)), upper=max_open)
    if len(flagged) < len(pools.members):
        rows = hall_rows(pools, sel, sizes, capacity, flagged)
        weight = sizes[pools.pair_g].astype(float)
        for pairs, seats in rows:
            lm.add_row(z[position[pairs]], weight[pairs], upper=seats)
    for on, off in nogoods:  # a venue cannot take exactly the groups `on`
        if np.all(position[on] >= 0):
            off = off[position[off] >= 0]
            lm.add_row([*z[position[on]], *z[position[off]]], [*np.ones(len(on)), *-np.ones(len(off))],
                       upper=len(on) - 1)
    lm.set_objective(z, pools.pair_cost[sel].astype(float), maximize=False)
    return lm, z, rows


_GRID = 1024.0  # multipliers on this grid keep every sum exact in binary floating point


def _price(pools: Pools, sizes, capacity, n, deadline) -> tuple[bool, float, np.ndarray]:
    """(feasible, Lagrangian bound L, reduced cost per pair) from the pooled LP's Hall-row duals.

    For multipliers u >= 0 on the Hall rows, L(u) = sum_g min_p (c_p + w_p * sum_{rows r of p}
    u_r) - sum_r u_r seats_r bounds every schedule (min_fill and max_open only add rows), and a
    schedule using pair p costs at least L(u) + rc_p.
    """
    every = np.arange(len(pools.pair_g))
    lm, _, rows = _model(pools, every, sizes, capacity, np.zeros_like(capacity), n, None, [], relaxed=True)
    run = lm.solve(deadline)
    if run.status == "INFEASIBLE":
        return False, 0.0, np.zeros(len(every))
    duals = run.duals[n:] if run.duals is not None and run.status == "OPTIMAL" else np.zeros(len(rows))
    u = np.ceil(np.maximum(-np.nan_to_num(duals), 0.0) * _GRID) / _GRID
    penalty = np.zeros(len(every))
    for (pairs, _), ur in zip(rows, u.tolist(), strict=True):
        penalty[pairs] += ur
    reduced = pools.pair_cost + sizes[pools.pair_g] * penalty
    group_min = np.full(n, np.inf)
    np.minimum.at(group_min, pools.pair_g, reduced)
    bound = float(group_min.sum()) - float(sum(ur * seats for (_, seats), ur in zip(rows, u.tolist(), strict=True)))
    return True, bound, reduced - group_min[pools.pair_g]


_MAX_NOGOODS = 20  # as in joint_pooled: beyond this many, no-goods come one set at a time


def solve_pooled(
    g: np.ndarray, j: np.ndarray, cost: np.ndarray, sizes: np.ndarray, capacity: np.ndarray,
    min_fill: np.ndarray, n: int, pools: Pools, deadline: float, max_open: int | None = None,
    start: np.ndarray | None = None,
) -> PooledOutcome:
    """Least-cost schedule of all n groups through the pooled model, LP-priced like :mod:`half`.

    Pairs with reduced cost <= T form a restricted pooled MIP; its seated optimum U is the
    optimum of the half once U <= L + (smallest reduced cost left out); otherwise T = U - L.
    """
    feasible, exact, rc = _price(pools, sizes, capacity, n, deadline)
    if not feasible:
        return PooledOutcome("INFEASIBLE", None, 0, 0, "pooled LP infeasible")
    lower = math.ceil(exact - 1e-9)
    best, upper = None, math.inf
    incumbent = np.zeros(len(rc), dtype=bool)
    if start is not None:
        venue_of = pools.venue[start]
        incumbent = venue_of[pools.pair_g] == pools.pair_v
        best, upper = start, int(pools.pair_cost[incumbent].sum())
    threshold = float(np.partition(rc, min(len(rc) - 1, 2 * n))[min(len(rc) - 1, 2 * n)])
    threshold = min(threshold, upper - exact)
    nogoods: list[tuple[np.ndarray, np.ndarray]] = []
    # Open flags only where min_fill bites: a venue gets them when its groups cannot be seated
    # without them (flags on every venue made HiGHS take 5-10 s per round at 600 groups; the
    # disjunction "one session or two" usually concerns one venue or two).
    thin_ok = np.array([not np.any(min_fill[sessions] > 0) for sessions in pools.members])
    flagged: frozenset[int] | None = None if max_open is not None else frozenset()
    rounds, kept, patterned = 0, 0, 0
    while time.monotonic() < deadline - 0.05:
        rounds += 1
        keep = (rc <= threshold + 1e-9) | incumbent
        sel = np.nonzero(keep)[0]
        kept = len(sel)
        left_out = rc[~keep]
        floor_out = math.ceil(exact + float(left_out.min()) - 1e-9) if len(left_out) else math.inf
        flags_of: dict[int, np.ndarray] = {}
        # With a schedule known, HiGHS only looks below it (objective_bound prunes)
        cutoff = upper - 0.5 if best is not None else None
        lm, z, _ = _model(pools, sel, sizes, capacity, min_fill, n, max_open, nogoods, flagged=flagged,
                          flags_of=flags_of)
        patterns = math.prod(1 << len(flags) for flags in flags_of.values())
        if max_open is None and flags_of and patterns <= MAX_PATTERNS:
            run = solve_by_patterns(lm, list(flags_of.values()), z, pools.pair_cost[sel], deadline,
                                     cutoff if cutoff is not None else math.inf)
            patterned = len(flags_of)
        else:
            run = lm.solve(deadline, cutoff=cutoff)
        if cutoff is not None and (run.status == "INFEASIBLE" or (
                run.status == "OPTIMAL" and run.values is not None
                and float(pools.pair_cost[sel] @ run.values[z]) > cutoff)):
            # Nothing below the known schedule with these pairs (see joint_pooled._least_km)
            lower = max(lower, min(upper, floor_out))
            if upper <= lower:
                break
            threshold = upper - exact
            continue
        if run.status == "INFEASIBLE":
            if not len(left_out):
                return PooledOutcome("INFEASIBLE", None, 0, 0, "pooled MIP infeasible")
            lower = max(lower, floor_out)
        elif run.status != "OPTIMAL" or run.values is None:
            break  # out of time (HiGHS returns nothing then)
        else:
            on = np.zeros(len(rc), dtype=bool)
            on[sel[run.values[z]]] = True
            value = int(pools.pair_cost[on].sum())
            lower = max(lower, min(value, floor_out))
            choice, failed, timed_out = seat_all(pools, on, g, j, sizes, capacity, min_fill, n, deadline)
            if timed_out:
                break
            if failed:
                for on_v, off_v in failed:
                    v = int(pools.pair_v[on_v[0]])
                    if flagged is not None and v not in flagged and not thin_ok[v]:
                        flagged = flagged | {v}  # min_fill at v, modelled from now on
                    else:
                        nogoods.append((on_v, off_v))
                if len(nogoods) > _MAX_NOGOODS:
                    break  # the Hall rows say little about seating here: session-level rounds
                continue  # same pairs, without the sets that cannot be seated
            if value < upper:
                best, upper, incumbent = choice, value, on
        if upper <= lower:
            break
        threshold = max(2 * max(threshold, 1.0), 0.0) if not math.isfinite(upper) else upper - exact
    method = f"pooled venues, LP-priced HiGHS MIP, {rounds} round(s), {kept}/{len(rc)} pairs"
    if patterned:
        method += f", open sessions of {patterned} venue(s) by pattern"
    if best is None:
        return PooledOutcome("UNKNOWN", None, 0, lower, method)
    lower = min(lower, upper)
    return PooledOutcome("OPTIMAL" if upper <= lower else "FEASIBLE", best, int(upper), int(lower), method)
