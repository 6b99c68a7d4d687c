"""Side constraints on a priced arc set (solver/match/priced_side.py): feasible, and the bound
and status it claims hold against the complete arc set's proven optimum."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import solver.match.api as api
from solver.match import solve_match_json
from solver.match.check import check_match_json

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from match_generate import generate  # noqa: E402


def _key(objective: dict) -> tuple[int, int, int]:
    return (-objective["placed"], objective["rank_cost"], objective["total_km"])


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_priced_side_bound_is_honest(monkeypatch, seed: int) -> None:
    doc = generate(200, seed=seed, teams=0.08, min_visitors=0.15, fixed=0.01, forbidden=0.01)
    doc["settings"].update(workers=1, seed=0, time_limit_s=20)
    complete = solve_match_json(doc)
    monkeypatch.setattr(api, "FULL_SCAN_PAIRS", 0)
    priced = solve_match_json(doc)
    assert priced["stats"]["arc_set"] == "priced" and priced["stats"]["fixing"] == "priced"
    assert check_match_json(doc, priced) == []
    # No solution is lexicographically better than the bound: not the complete run's either.
    assert _key(priced["bound"]) <= _key(complete["objective"])
    assert _key(priced["bound"]) <= _key(priced["objective"])
    if priced["status"] == "OPTIMAL":
        assert priced["bound"] == priced["objective"]
        if complete["status"] == "OPTIMAL":
            assert priced["objective"] == complete["objective"]


def test_neighbourhoods_never_worsen_and_stay_feasible(monkeypatch) -> None:
    """Small neighbourhoods (20 of 150 hosts), after the global model and alone: every result
    feasible (the checker), the neighbourhood search ran, the bound below the objective."""
    import solver.match.priced_side as ps

    doc = generate(300, seed=21, teams=0.1, min_visitors=0.2, fixed=0.01, forbidden=0.01)
    doc["settings"].update(workers=1, seed=0, time_limit_s=20)
    monkeypatch.setattr(api, "FULL_SCAN_PAIRS", 0)
    monkeypatch.setattr(ps, "NEIGHBOUR_HOSTS", 20)
    monkeypatch.setattr(ps, "PATTERN_SHARE", 0.0)  # else the pattern LP proves the rank first
    with_hoods = solve_match_json(doc)
    monkeypatch.setattr(ps, "GLOBAL_SHARE", 0.0)
    only_hoods = solve_match_json(doc)
    for result in (with_hoods, only_hoods):
        assert check_match_json(doc, result) == []
        assert result["stats"]["neighbourhoods"] >= 1
        assert _key(result["bound"]) <= _key(result["objective"])


def test_priced_side_keeps_previous_placements(monkeypatch) -> None:
    """With ``keep_previous`` the priced path (neighbourhoods included) keeps the kept level
    right after placed: as many placed and kept as the complete run's proven optimum."""
    doc = generate(200, seed=31, teams=0.08, min_visitors=0.15, fixed=0.01, forbidden=0.01)
    doc["settings"].update(workers=1, seed=0, time_limit_s=20)
    first = solve_match_json(doc)
    doc["previous"] = [[a["visitor"], a["host"]] for a in first["assignments"]][::2]
    doc["settings"]["keep_previous"] = True
    complete = solve_match_json(doc)
    monkeypatch.setattr(api, "FULL_SCAN_PAIRS", 0)
    priced = solve_match_json(doc)
    assert check_match_json(doc, priced) == []
    assert priced["stats"]["fixing"] == "priced"
    assert priced["objective"]["kept"] is not None
    if complete["status"] == "OPTIMAL":
        assert (priced["objective"]["placed"], priced["objective"]["kept"]) == (
            complete["objective"]["placed"], complete["objective"]["kept"])
