"""Feasible visitor-host pairs (hard constraints 3, 4, 5, 6, 8) as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.geo import haversine_km_array
from solver.match.index import Index, first_week, in_sorted, lookup_rank

# Pairs evaluated per numpy block when scanning every visitor-host combination.
BLOCK_PAIRS = 2_000_000


@dataclass
class Arcs:
    """One row per feasible (visitor, host) pair; ``week`` indexes ``Index.weeks`` (-1 = null)."""

    v: np.ndarray
    h: np.ndarray
    rank: np.ndarray  # 1-based, 0 = unranked
    cost: np.ndarray  # rank cost of the pair
    km: np.ndarray  # whole km (objective units)
    week: np.ndarray

    def __len__(self) -> int:
        return len(self.v)

    def take(self, keep: np.ndarray) -> Arcs:
        return Arcs(*(getattr(self, f)[keep] for f in ("v", "h", "rank", "cost", "km", "week")))

    @staticmethod
    def concat(parts: list[Arcs]) -> Arcs:
        return Arcs(*(np.concatenate([getattr(p, f) for p in parts])
                      for f in ("v", "h", "rank", "cost", "km", "week")))


def pair_km(ix: Index, v: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Float great-circle km of each pair (the one formula both solver and checker use)."""
    return haversine_km_array(ix.v_lat[v], ix.v_lon[v], ix.h_lat[h], ix.h_lon[h])


def whole(km: np.ndarray) -> np.ndarray:
    """Round half up to whole km, as :func:`solver.geo.whole_km`."""
    return np.floor(km + 0.5).astype(np.int64)


def common_week(ix: Index, v: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Earliest shared week index, -1 when none; -2 when neither side names weeks (null week)."""
    week = first_week(ix.v_mask[v] & ix.h_mask[h])
    return np.where(ix.v_any_week[v] & ix.h_any_week[h], -2, week)


def evaluate(ix: Index, v: np.ndarray, h: np.ndarray, *, ranked_only: bool | None = None) -> Arcs:
    """Keep the feasible pairs among candidate arrays ``v``, ``h``."""
    s = ix.inst.settings
    ranked_only = (not s.allow_unranked) if ranked_only is None else ranked_only
    km = pair_km(ix, v, h)
    ok = km <= ix.v_maxkm[v]
    ok &= ix.v_org[v] != ix.h_org[h]
    week = common_week(ix, v, h)
    ok &= week != -1
    codes = ix.codes(v, h)
    ok &= ~in_sorted(codes, ix.forbidden_code)
    rank = lookup_rank(ix, codes)
    if ranked_only:
        ok &= rank > 0
    rank = rank[ok]
    return Arcs(v=v[ok], h=h[ok], rank=rank,
                cost=np.where(rank > 0, rank - 1, s.unranked_cost).astype(np.int64),
                km=whole(km[ok]), week=np.maximum(week[ok], -1))


def ranked_arcs(ix: Index) -> Arcs:
    """Feasible arcs among the visitors' rankings only."""
    codes = ix.ranked_code
    n_h = max(ix.n_hosts, 1)
    return evaluate(ix, codes // n_h, codes % n_h, ranked_only=True)


def _blocks(ix: Index):
    n_v, n_h = ix.n_visitors, ix.n_hosts
    step = max(1, BLOCK_PAIRS // max(n_h, 1))
    hosts = np.arange(n_h, dtype=np.int64)
    for start in range(0, n_v, step):
        vs = np.arange(start, min(n_v, start + step), dtype=np.int64)
        yield np.repeat(vs, n_h), np.tile(hosts, len(vs))


def all_arcs(ix: Index) -> Arcs:
    """Every feasible pair (what ``allow_unranked`` means), scanned block by block."""
    if not ix.inst.settings.allow_unranked:
        return ranked_arcs(ix)
    parts = [evaluate(ix, v, h) for v, h in _blocks(ix)]
    return Arcs.concat(parts) if parts else ranked_arcs(ix).take(np.zeros(0, dtype=np.int64))


def restrict_to_teams(ix: Index, arcs: Arcs) -> Arcs:
    """Drop member arcs to hosts the whole team cannot use together (needed in any solution,
    so the flow relaxation stays a valid bound and gets tighter)."""
    if not ix.teams:
        return arcs
    keep = np.ones(len(arcs), dtype=bool)
    sel_all = np.flatnonzero(ix.team_of[arcs.v] >= 0)
    order = sel_all[np.argsort(ix.team_of[arcs.v[sel_all]], kind="stable")]
    teams_sorted = ix.team_of[arcs.v[order]]
    bounds = np.flatnonzero(np.diff(teams_sorted)) + 1
    for sel in np.split(order, bounds):
        if len(sel) == 0:
            continue
        t = int(ix.team_of[arcs.v[sel[0]]])
        keep[sel] = np.isin(arcs.h[sel], team_hosts(ix, t, arcs.h[sel]))
    return arcs.take(keep)


def team_hosts(ix: Index, t: int, hosts: np.ndarray) -> np.ndarray:
    """Hosts (from the members' feasible arc hosts ``hosts``) open to every member of team
    ``t`` at once: each member has an arc, the team fits, and they all share a week."""
    members = ix.teams[t]
    uniq, counts = np.unique(hosts, return_counts=True)
    cand = uniq[(counts == len(members)) & (ix.cap[uniq] >= len(members))]
    if len(cand) == 0:
        return cand
    return cand[team_week(ix, t, cand) != -1]


def team_week(ix: Index, t: int, hosts: np.ndarray) -> np.ndarray:
    """Earliest week shared by the whole team and each host (-1 none, -2 null week)."""
    members = ix.teams[t]
    mask = np.bitwise_and.reduce(ix.v_mask[members], axis=0)
    week = first_week(ix.h_mask[hosts] & mask[None, :])
    neither = ix.h_any_week[hosts] & bool(ix.v_any_week[members].all())
    return np.where(neither, -2, week)
