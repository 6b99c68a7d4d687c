"""The solver's claimed optimum equals brute force on tiny instances; every output is feasible."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_workshops_support import brute_force, random_instance

from solver.workshops.api import solve_workshops_json
from solver.workshops.check import check_workshops_json

VARIANTS = {
    "plain": {},
    "tight": {"capacity": (1, 5)},
    "min_fill": {"min_fill": True},
    "max_km": {"max_km": True},
    "keep": {"keep": True, "capacity": (2, 6)},
    # several sessions per town: the pooled models (solver/workshops/pooled.py, joint_pooled.py)
    "pooled": {"places": 1},
    "pooled_tight": {"places": 2, "capacity": (1, 6)},
    "pooled_min_fill": {"places": 1, "min_fill": True, "capacity": (2, 7)},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("seed", range(12))
def test_optimum_matches_brute_force(variant: str, seed: int) -> None:
    instance = random_instance(seed, n_groups=4, n_prep=2, n_follow=3, **VARIANTS[variant])
    result = solve_workshops_json(instance, time_limit_s=20, workers=1)
    assert check_workshops_json(instance, result) == []
    assert result["status"] in ("OPTIMAL", "INFEASIBLE")
    assert result["objective"] == brute_force(instance)
    assert result["bound"] == result["objective"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    n_groups=st.integers(0, 7),
    n_prep=st.integers(0, 3),
    n_follow=st.integers(0, 3),
    variant=st.sampled_from(sorted(VARIANTS)),
)
def test_every_output_is_feasible_and_claims_what_it_has(seed, n_groups, n_prep, n_follow, variant) -> None:
    instance = random_instance(seed, n_groups, n_prep, n_follow, **VARIANTS[variant])
    result = solve_workshops_json(instance, time_limit_s=10, workers=1)
    # The checker recomputes feasibility, every km, the objective, the load and the bound's sense.
    assert check_workshops_json(instance, result) == []
    for entry in result["unscheduled"]:
        assert entry["reasons"]


@pytest.mark.parametrize("seed", range(12))
def test_joint_lp_bound_is_never_below_the_optimum(seed: int) -> None:
    import time

    import numpy as np

    from solver.workshops.codec import parse_problem
    from solver.workshops.eligibility import build_arcs
    from solver.workshops.joint_lp import lp_start

    instance = random_instance(seed, n_groups=4, n_prep=2, n_follow=3, capacity=(1, 5))
    arcs = build_arcs(parse_problem(instance))
    n = len(arcs.sizes)
    has = [np.bincount(arcs.halves[k].g, minlength=n) > 0 for k in ("prep", "followup")]
    bound, start = lp_start(arcs, np.nonzero(has[0] & has[1])[0], time.monotonic() + 10)
    assert bound >= brute_force(instance)["scheduled"]
    if start is not None:  # the rounded start is a feasible schedule
        assert all((start["prep"] >= 0) == (start["followup"] >= 0))
