"""The checker catches broken schedules; propose_sessions; the two-process and fallback paths."""

from __future__ import annotations

import copy
import time

import numpy as np
import pytest
from test_workshops_behaviour import two_groups
from test_workshops_input import spec_example
from test_workshops_support import TOWNS, random_instance

from solver.errors import InvalidInput
from solver.workshops import solve as solve_module
from solver.workshops.api import solve_workshops_json
from solver.workshops.check import check_workshops_json
from solver.workshops.joint import JointSolution
from solver.workshops.propose import propose_sessions


def solved(doc: dict) -> dict:
    return solve_workshops_json(doc, time_limit_s=10, workers=1)


def test_checker_catches_each_broken_rule() -> None:
    doc = two_groups()
    good = solved(doc)
    assert check_workshops_json(doc, good) == []
    swapped = copy.deepcopy(good)
    swapped["schedule"][0]["prep"] = "follow-odense-1"
    assert any("is a followup session, not prep" in p for p in check_workshops_json(doc, swapped))
    tight = copy.deepcopy(doc)
    tight["sessions"][0]["capacity"] = 3
    assert any("exceed capacity" in p for p in check_workshops_json(tight, good))
    away = copy.deepcopy(doc)
    away["groups"][0]["people"][0]["unavailable"] = ["2027-08-26"]
    assert any("unavailable on 2027-08-26" in p for p in check_workshops_json(away, good))
    far = copy.deepcopy(doc)
    far["settings"]["max_km"] = 10
    assert any("max_km" in p for p in check_workshops_json(far, good))
    missing = copy.deepcopy(good)
    missing["schedule"].pop()
    problems = check_workshops_json(doc, missing)
    assert any("neither scheduled nor listed" in p for p in problems)
    assert any(p.startswith("objective:") for p in problems)
    boasting = copy.deepcopy(good)
    boasting["status"], boasting["bound"]["total_km"] = "OPTIMAL", good["objective"]["total_km"] + 5
    assert any("bound" in p for p in check_workshops_json(doc, boasting))


def test_two_process_halves_give_the_same_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = random_instance(5, n_groups=40, n_prep=4, n_follow=4, capacity=(100, 150))
    alone = solve_workshops_json(doc, time_limit_s=20, workers=1)
    monkeypatch.setattr(solve_module, "_PARALLEL_ARCS", 0)
    both = solve_workshops_json(doc, time_limit_s=20, workers=2)
    assert "2 processes" in both["stats"]["method"]
    assert check_workshops_json(doc, both) == []
    assert both["objective"] == alone["objective"] and both["status"] == alone["status"]


def test_joint_falls_back_to_cp_sat_when_the_mip_has_no_time(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = random_instance(2, n_groups=10, n_prep=3, n_follow=3, capacity=(5, 15), keep=True)
    reference = solved(doc)
    assert "joint" in reference["stats"]["method"]

    def timed_out(arcs, candidates, previous, fallback, deadline, improve=None):  # HiGHS timed out
        return JointSolution(fallback, False, len(candidates), len(previous or {}), 0)

    monkeypatch.setattr(solve_module, "solve_joint", timed_out)
    result = solved(doc)
    assert "CP-SAT (anytime)" in result["stats"]["method"]
    assert check_workshops_json(doc, result) == []
    assert result["objective"] == reference["objective"] and result["status"] == "OPTIMAL"


VENUES = [{"id": name, "name": name.title(), "lat": lat, "lon": lon} for name, lat, lon in TOWNS]
DATES = {"prep": ["2027-08-20", "2027-08-27"], "followup": ["2027-10-01", "2027-10-08"]}


def test_proposed_sessions_feed_the_scheduler() -> None:
    doc = random_instance(8, n_groups=12, n_prep=0, n_follow=0)
    for group in doc["groups"]:
        group["week"] = "2027-W37"
        for person in group["people"]:
            person["unavailable"] = []
    proposal = propose_sessions(doc["groups"], VENUES, DATES, k=2, capacity=40,
                                settings={"min_days_before": 7, "min_days_after": 7}, time_limit_s=20)
    kinds = [s["kind"] for s in proposal.sessions]
    assert 1 <= kinds.count("prep") <= 2 and 1 <= kinds.count("followup") <= 2
    doc["sessions"] = list(proposal.sessions)
    result = solved(doc)
    assert check_workshops_json(doc, result) == []
    assert result["objective"]["scheduled"] == 12
    # The scheduler cannot beat the proposal's own assignment on the sessions it proposed.
    assert result["objective"]["total_km"] <= proposal.total_km


def test_proposal_is_optimal_on_a_tiny_case_and_rejects_bad_input() -> None:
    groups = spec_example()["groups"]
    proposal = propose_sessions(groups, VENUES, DATES, k=1, capacity=10, time_limit_s=10)
    assert proposal.status == "OPTIMAL" and len(proposal.sessions) == 2
    km = np.array([proposal.total_km])
    assert km[0] > 0
    with pytest.raises(InvalidInput):
        propose_sessions(groups, [{"id": "x"}, {"id": "x"}], DATES, k=1, capacity=10)
    with pytest.raises(InvalidInput):
        propose_sessions(groups, VENUES, {"prep": ["2027-13-01"], "followup": []}, k=1, capacity=10)
    with pytest.raises(ValueError, match="raise k or capacity"):
        propose_sessions(groups, VENUES, DATES, k=1, capacity=1, time_limit_s=5)


def test_half_is_rescued_by_cp_sat_when_every_mip_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from solver.workshops import half
    from solver.workshops.mip import MipOutcome

    doc = random_instance(4, n_groups=15, n_prep=3, n_follow=3, capacity=(30, 60))
    reference = solved(doc)
    monkeypatch.setattr(half, "solve_assignment", lambda *a, **k: MipOutcome("UNKNOWN", None, 0, float("nan")))
    monkeypatch.setattr(half, "_round", lambda *a: None)
    result = solved(doc)
    assert "CP-SAT rescue" in result["stats"]["method"]
    assert check_workshops_json(doc, result) == []
    assert result["objective"] == reference["objective"]


def test_pools_split_a_place_whose_km_disagree() -> None:
    from solver.workshops.pooled import make_pools

    # Sessions 0 and 1 share place 0 but group 1 is charged differently: they must not pool.
    g, j = np.array([0, 0, 1, 1, 1]), np.array([0, 1, 0, 1, 2])
    cost = np.array([5, 5, 7, 9, 3])
    pools = make_pools(g, j, cost, np.array([0, 0, 1]))
    assert pools is None  # every session alone: nothing to pool
    pools = make_pools(g, j, np.array([5, 5, 7, 7, 3]), np.array([0, 0, 1]))
    assert pools is not None and pools.venue[0] == pools.venue[1] != pools.venue[2]
    assert sorted(pools.pair_mask.tolist()) == [1, 3, 3]  # (g0, v0), (g1, v0) both dates; (g1, v1)


@pytest.mark.parametrize(("seed", "capacity"), [(1, (20, 40)), (2, (10, 25)), (3, (12, 30)), (4, (5, 12))])
def test_pooled_models_agree_with_the_session_level_ones(seed, capacity, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several dates per venue: the pooled optimum (proven) equals the session-level optimum."""
    from solver.workshops import half, joint_pooled

    doc = random_instance(seed, n_groups=30, n_prep=6, n_follow=6, capacity=capacity, places=2)
    pooled = solved(doc)
    assert "pooled" in pooled["stats"]["method"]
    monkeypatch.setattr(half, "make_pools", lambda *a, **k: None)
    monkeypatch.setattr(joint_pooled, "make_pools", lambda *a, **k: None)
    plain = solved(doc)
    assert "pooled" not in plain["stats"]["method"]
    for result in (pooled, plain):
        assert check_workshops_json(doc, result) == []
        assert result["status"] == "OPTIMAL"
    assert pooled["objective"] == plain["objective"]


@pytest.mark.parametrize(("seed", "capacity"), [(1, (12, 30)), (5, (20, 40)), (7, (10, 25)), (9, (20, 40))])
def test_min_fill_by_open_patterns_agrees_with_the_session_level_model(
    seed, capacity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A venue whose groups cannot be seated within min_fill gets its open/closed patterns
    solved one by one (two venues on seed 9): the same optimum as the session-level model."""
    from solver.workshops import half, joint_pooled

    doc = random_instance(seed, n_groups=30, n_prep=6, n_follow=6, capacity=capacity, places=2, min_fill=True)
    pooled = solved(doc)
    assert "by pattern" in pooled["stats"]["method"]
    monkeypatch.setattr(half, "make_pools", lambda *a, **k: None)
    monkeypatch.setattr(joint_pooled, "make_pools", lambda *a, **k: None)
    plain = solved(doc)
    for result in (pooled, plain):
        assert check_workshops_json(doc, result) == []
        assert result["status"] == "OPTIMAL"
    assert pooled["objective"] == plain["objective"]
    assert pooled["bound"] == plain["bound"]


def test_coupled_case_with_small_sessions_leaves_the_pooled_model_in_time() -> None:
    """Small sessions and mixed group sizes: the pooled joint model's Hall rows say little
    about seating, so no-goods pile up; it gives up after a few and the session-level chain
    proves the optimum (before: 18 of 20 groups after 9.5 s of no-goods, FEASIBLE)."""
    doc = random_instance(63, n_groups=30, n_prep=6, n_follow=6, capacity=(5, 12), places=2)
    result = solved(doc)
    assert check_workshops_json(doc, result) == []
    assert result["status"] == "OPTIMAL" and result["objective"]["scheduled"] == 20


def test_highs_cutoff_finds_what_lies_below_it_and_nothing_else() -> None:
    """The proving rounds rely on it: with a cut-off above the optimum HiGHS returns the
    optimum; below it, nothing or a solution above the cut-off (never a wrong optimum)."""
    import itertools

    from solver.workshops.mip import LinearModel

    weights = np.array([3, 4, 5, 6, 7, 8, 9, 10])
    costs = np.array([4, 5, 7, 8, 9, 11, 12, 13])
    optimum = min(int(costs @ np.array(bits)) for bits in itertools.product((0, 1), repeat=8)
                  if weights @ np.array(bits) >= 20)

    def solve(cutoff: float):
        lm = LinearModel()
        x = lm.add_binaries(8)
        lm.add_row(x, weights, lower=20)
        lm.set_objective(x, costs.astype(float), maximize=False)
        return lm.solve(time.monotonic() + 10, cutoff=cutoff)

    above = solve(optimum + 3.5)
    assert above.status == "OPTIMAL" and int(costs @ above.values) == optimum
    below = solve(optimum - 0.5)
    assert below.status == "INFEASIBLE" or int(costs @ below.values) > optimum - 0.5


def test_coupled_case_falls_back_to_the_pooled_lp_rounding(monkeypatch: pytest.MonkeyPatch) -> None:
    """When no seated schedule is found in time, the pooled km LP's rounding is returned,
    feasible and unproven (no km bound is claimed for it)."""
    from solver.workshops import joint_pooled

    doc = random_instance(2, n_groups=30, n_prep=6, n_follow=6, capacity=(10, 25), places=2)
    monkeypatch.setattr(joint_pooled, "seat_all", lambda *a, **k: (None, [], True))
    result = solved(doc)
    assert check_workshops_json(doc, result) == []
    assert result["status"] == "FEASIBLE" and result["bound"]["total_km"] == 0
    assert result["objective"]["scheduled"] > 0 and "pooled" in result["stats"]["method"]
