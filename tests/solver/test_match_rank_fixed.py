"""Rank fixing by host patterns (solver/match/rank_fixed.py, on the pattern LP of patterns.py):
the unit arcs it keeps hold every solution at the optimal placed count and rank cost (brute
force over every feasible solution), and the side-constraint path that proves rank this way
reaches the same objective as the aggregated path it goes before."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from test_match_support import feasible_solutions, random_instance

from solver.errors import InvalidInput
from solver.match import arcs as arcs_mod
from solver.match import rank_fixed as rank_fixed_mod
from solver.match import solve_match_json
from solver.match.api import fixed_placement
from solver.match.check import check_match_json
from solver.match.codec import decode_instance, encode_result
from solver.match.duals import weights
from solver.match.fixed import check_fixed
from solver.match.index import Index, build_index
from solver.match.model import Objective
from solver.match.patterns import PatternBound, best_columns, pattern_bound
from solver.match.placement import Placement
from solver.match.rank_fixed import rank_fixing
from solver.match.relax import relax
from solver.match.report import build_result
from solver.match.units import UnitArcs, build_units
from solver.status import Status

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from match_generate import generate  # noqa: E402


class _Clock:
    def report(self, *args, **kwargs) -> None:
        pass


@dataclass
class _Tiny:
    """A tiny instance whose relaxation places the optimum's count, with every feasible
    solution enumerated and the pattern rounds run on every arc."""

    doc: dict
    ix: Index
    base: Placement
    load: np.ndarray
    fixed: Objective
    ua: UnitArcs
    solutions: list
    best: tuple
    found: PatternBound

    @property
    def placed(self) -> int:  # free visitors placed at the optimum
        return -self.best[0] - self.fixed.placed


def _tiny(seed: int, n_visitors: int, n_hosts: int) -> _Tiny | None:
    doc = random_instance(seed, n_visitors=n_visitors, n_hosts=n_hosts, extras=False)
    doc["settings"]["allow_unranked"] = True
    try:
        ix = build_index(decode_instance(doc))
        check_fixed(ix)
    except InvalidInput:
        return None
    solutions = list(feasible_solutions(doc))
    if not solutions:
        return None
    best = min(key for _combo, key in solutions)
    base, load = fixed_placement(ix)
    fixed = base.objective(ix)
    arcs = arcs_mod.all_arcs(ix)
    rel = relax(ix, arcs, base, load, weights(ix), priced=False)
    if rel.place.objective(ix).placed != -best[0]:
        return None
    ua = build_units(ix, arcs, base)
    found = pattern_bound(ix, ua, base, load, -best[0] - fixed.placed, [ua.used_by(rel.place)],
                          _Clock(), 5.0, 1, complete=True, place_it=False)
    if found is None:
        return None
    return _Tiny(doc, ix, base, load, fixed, ua, solutions, best, found)


@pytest.mark.parametrize("seed", range(60))
def test_rank_fixing_keeps_every_solution_at_the_optimum(seed: int) -> None:
    """Every feasible solution placing the optimum's count at its rank cost uses only kept
    unit arcs (whatever the pattern duals are: the test runs the rounds to a proof or not)."""
    case = _tiny(900 + seed, 6 + seed % 3, 3 + seed % 2)
    if case is None or case.found.duals is None:
        return
    ua, best = case.ua, case.best
    assert case.fixed.rank_cost + case.found.rank_bound <= best[1]
    keep = rank_fixing(case.ix, ua, case.load, case.found, best[1] - case.fixed.rank_cost)
    index = {(int(u), int(h)): i for i, (u, h) in enumerate(zip(ua.u, ua.h, strict=True))}
    checked = 0
    for combo, key in case.solutions:
        if key[:2] != best[:2]:
            continue
        for j, h in enumerate(combo):
            u = int(ua.unit_of[j])
            if h is None or u < 0:
                continue
            assert keep[index[(u, h)]], f"visitor {j} at host {h} is at the optimum but fixed out"
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("seed", range(40))
def test_columns_placement_is_feasible_and_below_the_target(seed: int) -> None:
    """Asked to beat a rank cost above the optimum, the columns' integer program returns a
    placement that passes the checker, places P and costs less than the target (or none)."""
    case = _tiny(1300 + seed, 7 + seed % 2, 4)
    if case is None:
        return
    ix, best = case.ix, case.best
    target = best[1] - case.fixed.rank_cost + 3
    place = best_columns(ix, case.ua, case.base, case.found, case.placed, target, 1, 5.0)
    if place is None:
        return
    obj = place.objective(ix)
    assert obj.placed == -best[0] and best[1] <= obj.rank_cost < case.fixed.rank_cost + target
    place.fix_team_weeks(ix)
    result = encode_result(build_result(ix, place, Status.FEASIBLE, None, {}, 0.0))
    assert check_match_json(case.doc, result) == []


def _side_doc(n: int, seed: int) -> dict:
    doc = generate(n, seed=seed, teams=0.08, min_visitors=0.15, fixed=0.01, forbidden=0.01)
    doc["settings"].update(workers=1, seed=0, time_limit_s=30)
    return doc


@pytest.mark.parametrize("seed", [1, 2])
def test_patterns_prove_rank_and_agree_with_the_aggregated_path(monkeypatch, seed: int) -> None:
    """300 visitors with teams and minimum fills, every arc built: rank is proven by the
    patterns, the km level on the kept arcs proves its optimum, and with the patterns turned
    off the aggregated path finds the same objective."""
    doc = _side_doc(300, seed)
    result = solve_match_json(doc)
    assert check_match_json(doc, result) == []
    assert result["stats"].get("rank_proof") == "patterns"
    assert result["status"] == "OPTIMAL" and result["bound"] == result["objective"]
    monkeypatch.setattr(rank_fixed_mod, "pattern_bound", lambda *args, **kwargs: None)
    other = solve_match_json(doc)
    assert "rank_proof" not in other["stats"]
    assert other["objective"] == result["objective"]


@pytest.mark.parametrize("limit", [1.0, 2.5])
def test_short_limits_stay_honest(limit: float) -> None:
    """300 visitors with side constraints and a limit too short for every phase: the result
    passes the checker and its bound is never lexicographically better than any solution
    the slower default run proves (the pattern rounds, the columns' program and the km proof
    each stop on time)."""
    doc = _side_doc(300, 3)
    proven = solve_match_json(doc)
    assert proven["status"] == "OPTIMAL"
    doc["settings"]["time_limit_s"] = limit
    result = solve_match_json(doc)
    assert check_match_json(doc, result) == []
    key = lambda part: (-part["placed"], part["rank_cost"], part["total_km"])  # noqa: E731
    assert key(result["bound"]) <= key(proven["objective"]) <= key(result["objective"])
    if result["status"] == "OPTIMAL":
        assert result["objective"] == proven["objective"]


def test_keep_previous_does_not_take_the_pattern_path() -> None:
    """With keep_previous the level after placed is the kept count, which the pattern LP does
    not bound: the rank fixing must not run (it would pin rank, not kept)."""
    doc = _side_doc(300, 1)
    first = solve_match_json(doc)
    previous = [[a["visitor"], a["host"]] for a in first["assignments"]][::3]
    doc["previous"] = previous
    doc["settings"]["keep_previous"] = True
    result = solve_match_json(doc)
    assert check_match_json(doc, result) == []
    assert "rank_proof" not in result["stats"]
    # The first solution keeps every previous pair at the most placed, so the optimum does.
    assert result["objective"]["kept"] <= len(previous)
    if result["status"] == "OPTIMAL":
        assert result["objective"]["placed"] == first["objective"]["placed"]
        assert result["objective"]["kept"] == len(previous)
