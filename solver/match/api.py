"""Entry points: pick the method by the instance, solve, explain, report."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from solver.match import arcs as arcs_mod
from solver.match.codec import decode_instance, encode_result
from solver.match.duals import weights
from solver.match.fixed import check_fixed
from solver.match.flow import CostOverflow
from solver.match.index import Index, build_index
from solver.match.model import MatchInstance, MatchResult, Objective
from solver.match.placement import Placement
from solver.match.polish import polish
from solver.match.priced_side import solve_priced_side
from solver.match.relax import initial_candidates, relax
from solver.match.report import build_result
from solver.match.side import solve_side
from solver.progress import Progress, ProgressCallback, no_progress
from solver.status import Status

DEFAULT_TIME_LIMIT_S = 60.0
# Above this many visitor-host combinations, unranked arcs are priced instead of all built.
FULL_SCAN_PAIRS = 4_000_000


class Clock:
    def __init__(self, limit_s: float, progress: ProgressCallback) -> None:
        self.start, self.limit_s, self.progress = time.monotonic(), limit_s, progress

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float:
        return max(0.0, self.limit_s - self.elapsed())

    def report(self, phase: str, objective: Objective | None = None,
               bound: Objective | None = None, **detail: Any) -> None:
        self.progress(Progress(phase=phase, elapsed_s=round(self.elapsed(), 3),
                               objective=objective.as_dict() if objective else None,
                               bound=bound.as_dict() if bound else None, detail=detail))


def fixed_placement(ix: Index) -> tuple[Placement, np.ndarray]:
    """Place every fixed visitor (and the team mates a fixed pair drags along)."""
    place = Placement.empty(ix.n_visitors)
    host = ix.fixed_host.copy()
    for members in ix.teams:
        hs = host[members]
        if (hs >= 0).any():
            host[members] = hs[hs >= 0][0]
    vs = np.flatnonzero(host >= 0)
    if len(vs):
        fixed_arcs = arcs_mod.evaluate(ix, vs, host[vs], ranked_only=False)
        place.put(fixed_arcs, np.arange(len(fixed_arcs)))
    load = np.bincount(place.host[vs], minlength=ix.n_hosts) if len(vs) else np.zeros(ix.n_hosts, np.int64)
    return place, load.astype(np.int64)


def has_side_constraints(ix: Index) -> bool:
    return bool(ix.teams) or bool((ix.min_visitors >= 2).any())


def solve_match(inst: MatchInstance, *, time_limit_s: float | None = None,
                workers: int | None = None, progress: ProgressCallback = no_progress) -> MatchResult:
    """Solve a decoded instance. ``time_limit_s``/``workers`` override the settings."""
    s = inst.settings
    clock = Clock(time_limit_s or s.time_limit_s or DEFAULT_TIME_LIMIT_S, progress)
    ix = build_index(inst)
    check_fixed(ix)
    base, load = fixed_placement(ix)
    w = weights(ix)
    priced = s.allow_unranked and ix.n_visitors * ix.n_hosts > FULL_SCAN_PAIRS
    arcs = initial_candidates(ix, base) if priced else arcs_mod.all_arcs(ix)
    clock.report("arcs", arcs=len(arcs), priced=priced)
    stats: dict[str, Any] = {"arcs": len(arcs), "arc_set": "priced" if priced else "complete"}
    try:
        rel = relax(ix, arcs, base, load, w, priced=priced,
                    out_of_time=lambda: clock.remaining() < 0.25 * clock.limit_s)
        stats.update(arcs=len(rel.arcs), pricing_rounds=rel.rounds)
    except CostOverflow:  # weights too large for one int64 flow: CP-SAT does the levels
        rel = None
    rel_obj = rel.place.objective(ix) if rel is not None and rel.proven else None
    if rel is not None and not has_side_constraints(ix):
        method = "min-cost flow" + (" + pricing" if priced else "")
        place, status, bound = rel.place, Status.OPTIMAL if rel.proven else Status.FEASIBLE, rel_obj
        clock.report("flow", objective=place.objective(ix), bound=bound)
    else:
        clock.report("flow relaxation", bound=rel_obj)
        method = "min-cost flow relaxation + CP-SAT"
        if priced and rel is not None and rel.duals is not None:
            # Never re-price every pair below the incumbent's gap (10k: nearly all 20M).
            place, status, bound, info = solve_priced_side(ix, rel, base, load, w, clock,
                                                           workers or s.workers)
        else:
            place, status, bound, info = solve_side(ix, arcs, rel, base, load, w, clock,
                                                    workers or s.workers, complete=not priced)
            if status != Status.OPTIMAL and rel is not None:
                place = polish(ix, rel.arcs, place, w)
        stats.update(info)
    place.fix_team_weeks(ix)
    stats["method"] = method
    result = build_result(ix, place, status, bound, stats, clock.elapsed())
    clock.report("done", objective=result.objective, bound=result.bound)
    return result


def solve_match_json(instance: dict, *, time_limit_s: float | None = None,
                     workers: int | None = None, progress: ProgressCallback = no_progress) -> dict:
    """JSON in, JSON out (spec/solver-v1.md section 1); raises InvalidInput on bad input."""
    inst = decode_instance(instance)
    return encode_result(solve_match(inst, time_limit_s=time_limit_s, workers=workers,
                                     progress=progress))
