"""Side constraints with priced unranked arcs (``allow_unranked`` on a large instance).

The flow relaxation (:func:`solver.match.relax.relax`) was proven over every arc by pricing,
but only ~600k of the ~20M visitor-host pairs exist as arcs. Here:

* repair the relaxation into a feasible incumbent, re-solve its lone visitors by exact flow;
* CP-SAT on the unit arcs of least reduced cost (the relaxation's potentials), placed and rank
  cost as one level, with every second it can have (the km level is left to the flow polish:
  measured at 10k, CP-SAT's own km level spent 15 s for less than the polish gains in one);
* the lone visitors re-solved by exact flow once more around CP-SAT's teams and minimum fills.

The bound is the flow relaxation's (proven by pricing), so ``OPTIMAL`` only when the incumbent
reaches it. What this replaces: the generic fixing rounds re-priced every omitted arc below
the incumbent's gap after CP-SAT; at 10k with a gap of ~130 rank units that is nearly every
pair (measured: 9.4 GB and 188 s wall under a 60 s limit).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solver.match.cpsat import LEVEL_SHARE, solve_levels
from solver.match.duals import Weights
from solver.match.index import Index
from solver.match.model import Objective
from solver.match.placement import Placement, lex_key
from solver.match.polish import polish
from solver.match.relax import Relaxation
from solver.match.side import _fills_ok as fills_ok
from solver.match.side import _unit_reduced as unit_reduced
from solver.match.units import build_units, place_units, repair
from solver.status import Status

# Unit arcs per unit handed to CP-SAT, cheapest reduced cost first (ties: rank cost). The
# incumbent's arcs are always in.
ARCS_PER_UNIT = 3
# Seconds kept back after CP-SAT for the last flow polish, the reasons and the JSON (10k:
# polish ~1 s, reports and output ~1.5 s).
RESERVE_S = 4.0


class _Reserved:
    """The solver clock with ``reserve`` seconds held back at the end."""

    def __init__(self, clock: Any, reserve: float) -> None:
        self.clock, self.reserve = clock, reserve

    def remaining(self) -> float:
        return max(0.0, self.clock.remaining() - self.reserve)

    def elapsed(self) -> float:
        return self.clock.elapsed()

    def report(self, *args: Any, **kwargs: Any) -> None:
        self.clock.report(*args, **kwargs)


def solve_priced_side(ix: Index, rel: Relaxation, base: Placement, fixed_load: np.ndarray,
                      w: Weights, clock: Any, workers: int | None
                      ) -> tuple[Placement, Status, Objective | None, dict]:
    """Teams and minimum fills on a priced arc set: the best placement found, its status,
    the bound (the relaxation's when it was proven by pricing) and run statistics."""
    ua = build_units(ix, rel.arcs, base)
    chosen = repair(ix, ua, rel.place, fixed_load)
    place = place_units(ua, base, chosen)
    if fills_ok(ix, place):
        place = polish(ix, rel.arcs, place, w)
        chosen = ua.used_by(place)
    bound = rel.place.objective(ix) if rel.proven else None
    clock.report("repair", objective=place.objective(ix), bound=bound)
    info: dict = {"unit_arcs": len(ua.u), "fixing": "priced"}
    if bound is not None and lex_key(place.objective(ix)) == lex_key(bound) and fills_ok(ix, place):
        return place, Status.OPTIMAL, bound, info
    if not fills_ok(ix, place):
        # Fixed pairs leave a host under-filled: CP-SAT on every arc has to find the fill.
        sub = np.ones(len(ua.u), dtype=bool)
    else:
        sub = chosen.copy()
        if rel.duals is not None:
            urc = unit_reduced(ix, ua, w, rel)
            sub[np.lexsort((ua.cost, urc))[:ARCS_PER_UNIT * ua.n_units]] = True
        else:
            sub[np.lexsort((ua.km, ua.cost))[:ARCS_PER_UNIT * ua.n_units]] = True
    info.update(unit_arcs=int(sub.sum()))
    clock.report("fixing", objective=place.objective(ix), bound=bound, unit_arcs=int(sub.sum()))
    found, _proven, _cp_bound = solve_levels(ix, ua.subset(sub), base, fixed_load, chosen[sub],
                                             _Reserved(clock, RESERVE_S), workers,
                                             share=1.0 / LEVEL_SHARE["placed"], skip_km=True)
    # CP-SAT's proof covers the subset only: its bound says nothing about the other arcs.
    if lex_key(found.objective(ix)) < lex_key(place.objective(ix)):
        place = found
    if fills_ok(ix, place):
        place = polish(ix, rel.arcs, place, w)
    clock.report("polish", objective=place.objective(ix), bound=bound)
    status = (Status.OPTIMAL if bound is not None and lex_key(place.objective(ix)) == lex_key(bound)
              else Status.FEASIBLE)
    return place, status, bound, info
