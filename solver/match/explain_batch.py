"""Reasons for unplaced visitors without a team, computed for all of them at once.

Same reasons and wording as :mod:`solver.match.explain` (which handles teams one by one), but
every (visitor, candidate host) pair is evaluated in one numpy pass: at 100k visitors the
one-by-one version took 3 s.
"""

from __future__ import annotations

import math

import numpy as np

from solver.match.arcs import BLOCK_PAIRS, common_week, pair_km
from solver.match.explain import hosts_phrase, ordinal, ranked_only_reasons
from solver.match.index import Index, in_sorted, lookup_rank


def _pairs(ix: Index, vs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate hosts of each visitor: ranked ones, or every host when unranked is allowed."""
    if ix.inst.settings.allow_unranked:
        step = max(1, BLOCK_PAIRS // max(ix.n_hosts, 1))
        if len(vs) > step:  # callers pass blocks; this keeps memory bounded regardless
            raise ValueError("block too large")
        return np.repeat(vs, ix.n_hosts), np.tile(np.arange(ix.n_hosts, dtype=np.int64), len(vs))
    n_h = max(ix.n_hosts, 1)
    rv = ix.ranked_code // n_h
    sel = np.isin(rv, vs)
    return rv[sel], ix.ranked_code[sel] % n_h


def _per(pos: np.ndarray, n: int, mask: np.ndarray) -> np.ndarray:
    return np.bincount(pos[mask], minlength=n)


def explain_singles(ix: Index, vs: np.ndarray, load: np.ndarray, worst_cost: np.ndarray
                    ) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if ix.inst.settings.allow_unranked:
        step = max(1, BLOCK_PAIRS // max(ix.n_hosts, 1))
        for start in range(0, len(vs), step):
            out.update(_explain_block(ix, vs[start:start + step], load, worst_cost))
        return out
    return _explain_block(ix, vs, load, worst_cost)


def _explain_block(ix: Index, vs: np.ndarray, load: np.ndarray, worst_cost: np.ndarray
                   ) -> dict[int, list[str]]:
    s = ix.inst.settings
    scope = "" if s.allow_unranked else " ranked"
    pv, ph = _pairs(ix, vs)
    local = np.full(ix.n_visitors, -1, dtype=np.int64)
    local[vs] = np.arange(len(vs))
    pos, n = local[pv], len(vs)
    km = pair_km(ix, pv, ph)
    reach = km <= ix.v_maxkm[pv]
    week = common_week(ix, pv, ph) != -1
    other = ix.v_org[pv] != ix.h_org[ph]
    allowed = ~in_sorted(ix.codes(pv, ph), ix.forbidden_code)
    usable = reach & week & other & allowed
    opener = week & other & allowed & ~reach
    # The smallest wider reach that opens a host, and how many hosts it opens.
    nearest = np.full(n, np.inf)
    np.minimum.at(nearest, pos[opener], km[opener])
    need = np.where(np.isfinite(nearest), np.ceil(nearest), np.inf)
    opened = _per(pos, n, opener & (km <= need[pos]))
    n_usable, n_reach = _per(pos, n, usable), _per(pos, n, reach)
    n_rw, n_rwo = _per(pos, n, reach & week), _per(pos, n, reach & week & other)
    # Capacity: usable hosts that are full, closed (minimum fill) or still have room.
    rank = lookup_rank(ix, ix.codes(pv, ph))
    cost = np.where(rank > 0, rank - 1, s.unranked_cost)
    full = usable & (ix.cap[ph] - load[ph] < 1)
    closed = usable & ~full & (load[ph] == 0) & (ix.min_visitors[ph] > 1)
    room = usable & ~full & ~closed
    n_full, n_closed, n_room = _per(pos, n, full), _per(pos, n, closed), _per(pos, n, room)
    n_better = _per(pos, n, full & (worst_cost[ph] <= cost))
    need_fill = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(need_fill, pos[closed], ix.min_visitors[ph[closed]])
    order = np.lexsort((ph, cost, ~full, pos))  # per visitor: full hosts first, cheapest first
    first = order[np.minimum(np.searchsorted(pos[order], np.arange(n)), max(len(order) - 1, 0))] \
        if len(order) else order
    out: dict[int, list[str]] = {}
    for i, v in enumerate(vs.tolist()):
        visitor = ix.inst.visitors[v]
        mk = f"{visitor.max_km:g}"
        if not s.allow_unranked and not visitor.ranking:
            out[v] = ["ranked no host, and allow_unranked is false"]
            continue
        if n_usable[i] == 0:
            what = ""
            if n_reach[i] == 0:
                reasons = [f"no{scope} host within {mk} km (max travel)"]
            elif n_rw[i] == 0:
                reasons = [f"no{scope} host within {mk} km shares a week with the visitor"]
                what = " that share a week"
            elif n_rwo[i] == 0:
                reasons = [f"the only{scope} hosts within {mk} km that share a week are the "
                           f"visitor's own organisation ({visitor.organisation})"]
                what = " of another organisation"
            else:
                ranked_only = ranked_only_reasons(ix, v)
                if ranked_only:
                    out[v] = ranked_only
                    continue
                reasons = [f"every{scope} host within {mk} km that shares a week is forbidden for "
                           "the visitor"]
                need[i] = math.inf
            if math.isfinite(need[i]):
                reasons.append(f"a max travel of {int(need[i])} km would open "
                               f"{hosts_phrase(int(opened[i]))}{what}")
            out[v] = reasons
            continue
        reasons = []
        if n_full[i]:
            where = "hosts the visitor ranked and can use" if not s.allow_unranked else "usable hosts"
            if n_better[i] == n_full[i]:
                reasons.append(f"all {n_full[i]} {where} are full with visitors who ranked them "
                               "at least as high")
            else:
                reasons.append(f"all {n_full[i]} {where} are full ({n_better[i]} with visitors who "
                               "ranked them at least as high; moving the others would place fewer "
                               "or cost more)")
        if n_closed[i]:
            reasons.append(f"{hosts_phrase(int(n_closed[i]))} with free seats "
                           f"{'stays' if n_closed[i] == 1 else 'stay'} closed: each needs at least "
                           f"{need_fill[i]} visitors and not enough others can go there")
        if n_room[i]:
            reasons.append(f"{hosts_phrase(int(n_room[i]))} still had room; placing the visitor "
                           "there would break another hard constraint or was not found within the "
                           "time limit")
        if n_full[i]:
            j = first[i]
            which = f"their {ordinal(int(rank[j]))} choice" if rank[j] else "unranked"
            reasons.append(f"one more seat at {ix.inst.hosts[int(ph[j])].id} ({which}) would place them")
        out[v] = reasons
    return out
