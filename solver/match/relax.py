"""The flow relaxation over every possible arc: exact, priced when the arcs are too many.

Teams are split into members (restricted to hosts the whole team can use) and minimum fills
are dropped, so the lexicographic optimum here bounds the real one. Without side constraints
it *is* the real one. With ``allow_unranked`` on a large instance only the ranked arcs, the
nearest unranked hosts and every team member's arcs are built; the rest are priced with the
potentials of :mod:`solver.match.duals` until none has a negative reduced cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solver.geo import EARTH_RADIUS_KM
from solver.match import arcs as arcs_mod
from solver.match.arcs import Arcs
from solver.match.duals import Weights, potentials, reduced
from solver.match.flow import lex_flow, minimax_threshold
from solver.match.index import Index, first_in_groups, in_sorted
from solver.match.placement import Placement

NEAREST_UNRANKED = 20
MAX_ROUNDS = 50
PRICE_PER_VISITOR = 60  # partial pricing: the most negative arcs of each visitor per round


@dataclass
class Relaxation:
    arcs: Arcs  # the flow's arcs: free visitors only, team-restricted
    folded: np.ndarray  # folded cost per arc, including -W_place
    chosen: np.ndarray
    place: Placement
    proven: bool  # optimal over every possible arc (not just ``arcs``)
    duals: np.ndarray | None
    rounds: int = 0

    @property
    def value(self) -> int:
        return int(self.folded[self.chosen].sum())


def _scan_visitors(ix: Index, base: Placement) -> np.ndarray:
    """Visitors whose arcs are priced rather than built: every free one."""
    return np.flatnonzero(base.host < 0)


def _with_mates(ix: Index, arcs: Arcs, known: np.ndarray | None = None) -> Arcs:
    """Add, for each arc of a team member, the arcs of all mates to the same host: the relaxation
    keeps a member arc only when the whole team can use that host (restrict_to_teams)."""
    member = np.flatnonzero(ix.team_of[arcs.v] >= 0)
    if len(member) == 0:
        return arcs
    pairs = {(int(m), int(h)) for i in member.tolist()
             for h in (int(arcs.h[i]),) for m in ix.teams[int(ix.team_of[arcs.v[i]])].tolist()}
    mv, mh = (np.array(x, dtype=np.int64) for x in zip(*sorted(pairs), strict=True))
    mates = arcs_mod.evaluate(ix, mv, mh)
    if known is not None:
        mates = mates.take(~in_sorted(ix.codes(mates.v, mates.h), known))
    return _unique(Arcs.concat([arcs, mates]), ix)


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere (one row per coordinate): chords from one matrix product."""
    p, q = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(p) * np.cos(q), np.cos(p) * np.sin(q), np.sin(p)], axis=1)


def _approx_km(ix: Index, vs: np.ndarray, uh: np.ndarray) -> np.ndarray:
    """A lower bound on the great-circle km of a visitor block to every host, from one matrix
    product: the chord (arcsin x >= x), within 0.1 % at Danish distances. Only a filter: the
    callers add a 1 km margin and evaluate survivors exactly."""
    dot = unit_vectors(ix.v_lat[vs], ix.v_lon[vs]) @ uh.T
    return 2 * EARTH_RADIUS_KM * np.sqrt(np.clip((1.0 - dot) / 2.0, 0.0, 1.0))


def _blocks(ix: Index, visitors: np.ndarray):
    step = max(1, arcs_mod.BLOCK_PAIRS // max(ix.n_hosts, 1))
    for start in range(0, len(visitors), step):
        yield visitors[start:start + step]


class ChordKm:
    """:func:`_approx_km` per visitor block, computed once for the pricing rounds of one
    :func:`relax` (10k x 5k: 4.5 s of the 13-19 s relaxation went to recomputing it on each of
    the 5 scans). float32 (200 MB at 10k x 5k): its rounding (< 0.01 km at Danish distances) is
    far inside the 1 km margin the filters add."""

    def __init__(self, ix: Index) -> None:
        self.ix, self.uh = ix, unit_vectors(ix.h_lat, ix.h_lon)
        self.blocks: dict[bytes, np.ndarray] = {}

    def of(self, vs: np.ndarray) -> np.ndarray:
        key = vs.tobytes()
        if key not in self.blocks:
            self.blocks[key] = _approx_km(self.ix, vs, self.uh).astype(np.float32)
        return self.blocks[key]


def _exact(ix: Index, vs: np.ndarray, mask: np.ndarray) -> Arcs:
    rows, cols = np.nonzero(mask)
    return arcs_mod.evaluate(ix, vs[rows], cols.astype(np.int64))


def initial_candidates(ix: Index, base: Placement) -> Arcs:
    """Ranked and previous arcs and the nearest unranked hosts of everybody (with the team
    mates' arcs to the same hosts); the rest is priced in :func:`relax`."""
    parts = [arcs_mod.ranked_arcs(ix)]
    if len(ix.previous_code):
        n_h = max(ix.n_hosts, 1)
        parts.append(arcs_mod.evaluate(ix, ix.previous_code // n_h, ix.previous_code % n_h))
    uh = unit_vectors(ix.h_lat, ix.h_lon)
    k = min(ix.n_hosts, 4 * NEAREST_UNRANKED)
    for vs in _blocks(ix, _scan_visitors(ix, base)):
        km = _approx_km(ix, vs, uh)
        km[km > ix.v_maxkm[vs, None] + 1.0] = np.inf
        near = np.argpartition(km, k - 1, axis=1)[:, :k] if k < ix.n_hosts else None
        mask = np.zeros(km.shape, dtype=bool)
        if near is None:
            mask[:] = True
        else:
            np.put_along_axis(mask, near, True, axis=1)
        block = _exact(ix, vs, mask & np.isfinite(km))
        block = block.take(block.rank == 0)
        parts.append(block.take(first_in_groups(block.v, (block.h, block.km), NEAREST_UNRANKED)))
    return _with_mates(ix, _unique(Arcs.concat(parts), ix))


def _unique(arcs: Arcs, ix: Index) -> Arcs:
    _, first = np.unique(ix.codes(arcs.v, arcs.h), return_index=True)
    return arcs.take(np.sort(first))


def scan(ix: Index, base: Placement, w: Weights, d: np.ndarray, below: int, known: Arcs,
         per_visitor: int | None = None, chords: ChordKm | None = None) -> Arcs:
    """Every feasible arc not in ``known`` whose reduced cost is < ``below`` (at most the
    ``per_visitor`` most negative of each visitor), plus its team mates' arcs to the same host.
    Unranked, non-previous arcs only: the others are in ``known`` from the start. ``chords``:
    the chord km of earlier scans with the same ``base``."""
    have = np.sort(ix.codes(known.v, known.h))
    chords = chords or ChordKm(ix)
    s = ix.inst.settings
    n_v = ix.n_visitors
    # rc = unranked_cost*W_rank + km - W_place + d[v] - d[h] < below  <=>  km < limit[v, h]
    base_v = (below - s.unranked_cost * w.rank + w.place) - d[1:n_v + 1]
    d_h = d[n_v + 1:n_v + 1 + ix.n_hosts].astype(np.float64)
    parts = []
    for vs in _blocks(ix, _scan_visitors(ix, base)):
        km = chords.of(vs)
        limit = base_v[vs].astype(np.float64)[:, None] + d_h[None, :]
        mask = (km <= ix.v_maxkm[vs, None] + 1.0) & (km < limit + 1.0)
        if not mask.any():
            continue
        block = _exact(ix, vs, mask)
        rc = reduced(d, n_v, block, w.fold(ix, block))
        keep = (rc < below) & ~in_sorted(ix.codes(block.v, block.h), have)
        block, rc = block.take(keep), rc[keep]
        if per_visitor is not None and len(block):
            block = block.take(first_in_groups(block.v, (rc,), per_visitor))
        parts.append(block)
    if not parts:
        return known.take(np.zeros(0, dtype=np.int64))
    return _with_mates(ix, _unique(Arcs.concat(parts), ix), have)


def relax(ix: Index, arcs: Arcs, base: Placement, load: np.ndarray, w: Weights, *,
          priced: bool, out_of_time: Callable[[], bool] = lambda: False) -> Relaxation:
    """The lexicographic flow optimum; with ``priced``, repeated until no omitted arc prices
    out negative (``proven``) or time runs out (then only the restricted optimum)."""
    caps = np.maximum(ix.cap - load, 0)
    minimax = ix.inst.settings.objective == "minimax_rank"
    rounds = 0
    chords = ChordKm(ix) if priced else None
    while True:
        dom = arcs_mod.restrict_to_teams(ix, arcs)
        dom = dom.take(base.host[dom.v] < 0)
        folded = w.fold(ix, dom)
        allowed = None
        if minimax:
            floor = int(base.cost[base.host >= 0].max(initial=0))
            t = minimax_threshold(dom, folded + w.place, ix.n_visitors, caps, floor, w.keep)
            allowed = dom.cost <= t
        chosen = lex_flow(dom, folded + w.place, ix.n_visitors, caps, allowed)
        place = base.copy()
        place.put(dom, np.flatnonzero(chosen))
        if minimax:  # thresholds are not priced: optimal over ``arcs`` only unless complete
            return Relaxation(dom, folded, chosen, place, not priced, None, rounds)
        d = potentials(ix.n_visitors, ix.n_hosts, dom, folded, chosen, caps)
        if not priced or d is None or rounds >= MAX_ROUNDS or out_of_time():
            proven = not priced or (d is not None and len(scan(ix, base, w, d, 0, arcs,
                                                                   chords=chords)) == 0)
            return Relaxation(dom, folded, chosen, place, proven, d, rounds)
        extra = scan(ix, base, w, d, 0, arcs, PRICE_PER_VISITOR, chords)
        if len(extra) == 0:
            return Relaxation(dom, folded, chosen, place, True, d, rounds)
        arcs = Arcs.concat([arcs, extra])
        rounds += 1
