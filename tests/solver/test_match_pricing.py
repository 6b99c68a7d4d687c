"""Pricing (unranked arcs not all built) and reduced-cost fixing give the exact optimum."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import solver.match.api as api
from solver.match import solve_match_json
from solver.match.check import check_match_json

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from match_generate import generate  # noqa: E402


@pytest.mark.parametrize("seed, teams, low", [(1, 0.0, 0.0), (2, 0.0, 0.0), (3, 0.1, 0.0),
                                              (4, 0.0, 0.2), (5, 0.1, 0.2)])
def test_priced_equals_complete(monkeypatch, seed: int, teams: float, low: float) -> None:
    doc = generate(160, seed=seed, teams=teams, min_visitors=low, fixed=0.02, forbidden=0.02)
    doc["settings"].update(workers=1, seed=0, time_limit_s=20)
    complete = solve_match_json(doc)
    monkeypatch.setattr(api, "FULL_SCAN_PAIRS", 0)
    priced = solve_match_json(doc)
    assert priced["stats"]["arc_set"] == "priced"
    assert check_match_json(doc, priced) == [] and check_match_json(doc, complete) == []
    if complete["status"] == priced["status"] == "OPTIMAL":
        assert priced["objective"] == complete["objective"]
    # Whatever is claimed, the bounds agree with the other run's solution.
    for a, b in ((priced, complete), (complete, priced)):
        assert a["bound"]["placed"] >= b["objective"]["placed"]


def test_side_constraints_proven_with_fixing() -> None:
    doc = generate(300, seed=7, teams=0.08, min_visitors=0.15, fixed=0.01, forbidden=0.01,
                   allow_unranked=False)
    doc["settings"].update(workers=1, seed=0, time_limit_s=30)
    result = solve_match_json(doc)
    assert check_match_json(doc, result) == []
    assert result["status"] == "OPTIMAL"
    assert result["bound"] == result["objective"]
