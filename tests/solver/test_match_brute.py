"""What the solver calls OPTIMAL is optimal (brute force); every output passes the checker."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_match_support import brute_force, random_instance, result_key

from solver.errors import InvalidInput
from solver.match import solve_match_json
from solver.match.check import check_match_json


def _solve(doc: dict) -> dict | None:
    try:
        return solve_match_json(doc)
    except InvalidInput as exc:
        assert all(p.startswith("fixed") for p in exc.problems), exc.problems
        return None


@pytest.mark.parametrize("seed", range(60))
def test_optimal_matches_brute_force(seed: int) -> None:
    doc = random_instance(seed, n_visitors=6 + seed % 3, n_hosts=3 + seed % 2)
    result = _solve(doc)
    best = brute_force(doc)
    assert result is not None
    assert check_match_json(doc, result) == []
    if result["status"] in ("OPTIMAL", "INFEASIBLE"):
        assert result_key(result, doc) == best
    assert result_key(result, doc, "bound") <= best  # the bound is never worse than the optimum


@pytest.mark.parametrize("seed", range(20))
def test_fixed_pairs_brute_force(seed: int) -> None:
    doc = random_instance(1000 + seed, n_visitors=6, n_hosts=3)
    # Fix one pair the visitor can use on its own; bad ones must come back as input errors.
    doc["fixed"] = [[doc["visitors"][seed % 6]["id"], doc["hosts"][seed % 3]["id"]]]
    result = _solve(doc)
    if result is None:
        return
    assert check_match_json(doc, result) == []
    if result["status"] == "OPTIMAL":
        assert result_key(result, doc) == brute_force(doc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n_v=st.integers(0, 9), n_h=st.integers(1, 5),
       teams=st.booleans(), low=st.booleans())
def test_every_output_satisfies_the_checker(seed: int, n_v: int, n_h: int, teams: bool,
                                            low: bool) -> None:
    doc = random_instance(seed, n_visitors=n_v, n_hosts=n_h, teams=teams, min_visitors=low)
    result = _solve(doc)
    assert result is not None
    assert check_match_json(doc, result) == []
    unplaced = {v["id"] for v in doc["visitors"]} - {a["visitor"] for a in result["assignments"]}
    assert {u["visitor"] for u in result["unassigned"]} == unplaced
    assert all(u["reasons"] for u in result["unassigned"])


@pytest.mark.parametrize("seed", range(25))
def test_many_weeks_and_large_costs_brute_force(seed: int) -> None:
    """More than 64 distinct weeks (multi-word week masks), huge reach and unranked costs."""
    import random

    rng = random.Random(seed)
    weeks = [f"2027-W{w:02d}" for w in range(1, 53)] + [f"2028-W{w:02d}" for w in range(1, 30)]
    doc = random_instance(5000 + seed, n_visitors=6, n_hosts=3)
    for x in doc["hosts"] + doc["visitors"]:
        x["weeks"] = rng.sample(weeks, rng.randint(0, 3)) if rng.random() < 0.8 else ["2028-W29"]
    for v in doc["visitors"]:
        v["max_km"] = rng.choice([150, 20000])
    doc["settings"]["unranked_cost"] = rng.choice([0, 1000, 10**6])
    result = _solve(doc)
    if result is None:
        return
    assert check_match_json(doc, result) == []
    if result["status"] != "FEASIBLE":
        assert result_key(result, doc) == brute_force(doc)
