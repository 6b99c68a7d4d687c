"""The aggregated placed/rank bound (solver/match/aggregate.py) against brute force: it never
claims more than the true optimum, a completed solution is feasible at the value it claims,
and a proof is the optimum."""

from __future__ import annotations

import numpy as np
import pytest
from test_match_support import brute_force, random_instance

from solver.errors import InvalidInput
from solver.match import aggregate as aggregate_mod
from solver.match import arcs as arcs_mod
from solver.match import km_side as km_side_mod
from solver.match.aggregate import aggregate_bound
from solver.match.aggregate_km import aggregated_km
from solver.match.api import Clock, fixed_placement
from solver.match.check import check_match_json
from solver.match.codec import decode_instance, encode_result
from solver.match.duals import weights
from solver.match.fixed import check_fixed
from solver.match.flow import lex_flow
from solver.match.index import build_index
from solver.match.km_side import km_by_fixing, lagrange, with_km_bound
from solver.match.kmlp import km_level
from solver.match.relax import relax
from solver.match.report import build_result
from solver.match.units import build_units, place_units, repair
from solver.progress import no_progress
from solver.status import Status


def _aggregate(doc: dict, with_km: bool = False):
    ix = build_index(decode_instance(doc))
    check_fixed(ix)
    base, load = fixed_placement(ix)
    ua = build_units(ix, arcs_mod.all_arcs(ix), base)
    chosen = repair(ix, ua, None, load)
    clock = Clock(30, no_progress)
    agg = aggregate_bound(ix, ua, base, load, chosen, clock, 1, complete=True, seconds=10)
    if not with_km:
        return ix, agg
    rel = relax(ix, arcs_mod.all_arcs(ix), base, load, weights(ix), priced=False)
    km = with_km_bound(ix, agg.bound, rel, base, load, True, clock) if agg else None
    return ix, agg, km


def _proven_aggregate(seed: int, offset: int):
    """A small instance with unranked hosts allowed, canonical objective, whose aggregated
    bound proved placed and rank cost with a placement: (doc, ix, agg); None otherwise."""
    doc = random_instance(seed + offset, n_visitors=6 + seed % 3, n_hosts=3 + seed % 2)
    doc["settings"]["allow_unranked"] = True
    doc["settings"].pop("objective", None)
    doc["settings"].pop("keep_previous", None)
    try:
        ix, agg = _aggregate(doc)
    except InvalidInput:
        return None
    if agg is None or not agg.proven or agg.place is None:
        return None
    return doc, ix, agg


@pytest.mark.parametrize("seed", range(80))
def test_aggregated_bound_against_brute_force(seed: int) -> None:
    doc = random_instance(seed, n_visitors=6 + seed % 3, n_hosts=3 + seed % 2)
    doc["settings"]["allow_unranked"] = True
    try:
        ix, agg, km_bound = _aggregate(doc, with_km=True)
    except InvalidInput:
        return  # fixed pairs that break a hard constraint: covered elsewhere
    s = doc["settings"]
    if s.get("objective") == "minimax_rank" or s.get("keep_previous") or ix.n_visitors == \
            int((ix.fixed_host >= 0).sum()):
        assert agg is None  # levels it does not model, or nothing left to place
        return
    best = brute_force(doc)
    assert agg is not None and best is not None
    placed, rank = -best[0], best[1]  # brute_force's key: (-placed, rank, km)
    bound = agg.bound
    assert (-bound.placed, bound.rank_cost) <= (-placed, rank)
    # The Lagrangian km level: never above the least km of an optimal solution.
    assert (-km_bound.placed, km_bound.rank_cost, km_bound.total_km) <= tuple(best)
    if agg.place is not None:
        agg.place.fix_team_weeks(ix)  # as solve_match does before reporting
        result = encode_result(build_result(ix, agg.place, Status.FEASIBLE, None, {}, 0.0))
        assert check_match_json(doc, result) == []
        obj = agg.place.objective(ix)
        assert (obj.placed, obj.rank_cost) == agg.value
    if agg.proven:
        assert agg.value == (placed, rank)


def test_aggregated_bound_is_tight_where_the_flow_bound_is_not() -> None:
    # Two hosts of two seats; team {a, b} ranks one each, c and d rank one each. The flow
    # relaxation splits the team (rank cost 0); whole, the team costs one unranked member and
    # pushes c or d to an unranked seat: 20. The aggregated model keeps the team whole.
    def person(i: str, ranking: list[str], team: str | None = None) -> dict:
        return {"id": i, "organisation": i, "lat": 56.0, "lon": 10.0, "ranking": ranking,
                "team": team}
    doc = {"format": "internship-match/1",
           "hosts": [{"id": h, "organisation": h, "lat": 56.0, "lon": 10.0, "capacity": 2,
                      "ranking": []} for h in ("h1", "h2")],
           "visitors": [person("a", ["h1"], "t"), person("b", ["h2"], "t"), person("c", ["h1"]),
                        person("d", ["h2"])],
           "settings": {"allow_unranked": True, "workers": 1, "seed": 0}}
    ix, agg = _aggregate(doc)
    assert brute_force(doc)[:2] == (-4, 20)
    assert agg is not None and agg.proven and agg.value == (4, 20)
    assert (agg.bound.placed, agg.bound.rank_cost) == (4, 20)
    assert agg.place is not None and np.count_nonzero(agg.place.host >= 0) == 4


@pytest.mark.parametrize("seed", range(60))
def test_km_level_against_brute_force(seed: int) -> None:
    """With placed and rank cost proven, the km level's bound never exceeds the least km of an
    optimal solution, its solution keeps placed and rank cost and passes check, and what it
    calls proven is the optimum."""
    proven = _proven_aggregate(seed, 1000)
    if proven is None:
        return
    doc, ix, agg = proven
    base, load = fixed_placement(ix)
    ua = build_units(ix, arcs_mod.all_arcs(ix), base)
    fixed, found = base.objective(ix), agg.place.objective(ix)
    level = km_level(ix, ua, load, ua.used_by(agg.place), found.placed - fixed.placed,
                     found.rank_cost - fixed.rank_cost, Clock(30, no_progress), 1, 0, 10.0)
    best = brute_force(doc)
    assert best is not None and (found.placed, found.rank_cost) == (-best[0], best[1])
    assert level is not None
    assert fixed.total_km + level.bound <= best[2]
    place = place_units(ua, base, level.chosen)
    obj = place.objective(ix)
    assert (obj.placed, obj.rank_cost) == (found.placed, found.rank_cost)
    assert obj.total_km <= found.total_km
    place.fix_team_weeks(ix)
    result = encode_result(build_result(ix, place, Status.FEASIBLE, None, {}, 0.0))
    assert check_match_json(doc, result) == []
    if level.proven:
        assert obj.total_km == best[2]


@pytest.mark.parametrize("seed", range(60))
def test_aggregated_km_against_brute_force(seed: int) -> None:
    """The aggregated km level (Lagrangian seat prices, then Benders and Hall cuts) never
    bounds km above the optimum, and the placement it returns keeps placed and rank cost and
    passes check."""
    proven = _proven_aggregate(seed, 2000)
    if proven is None:
        return
    doc, ix, agg = proven
    base, load = fixed_placement(ix)
    ua = build_units(ix, arcs_mod.all_arcs(ix), base)
    rel = relax(ix, arcs_mod.all_arcs(ix), base, load, weights(ix), priced=False)
    clock = Clock(30, no_progress)
    lagrangian, prices, _ = lagrange(ix, agg.bound, rel, base, load, True, clock)
    best = brute_force(doc)
    assert best is not None and lagrangian.total_km <= best[2]
    if prices is None:
        return
    found = agg.place.objective(ix)
    fixed_place, fixed_km = km_by_fixing(ix, ua, base, load, agg, prices.astype(np.int64),
                                          agg.place, clock, 1)
    assert fixed_km is not None and fixed_km <= best[2]
    kept = fixed_place.objective(ix)
    assert (kept.placed, kept.rank_cost) == (found.placed, found.rank_cost)
    if fixed_km == kept.total_km:  # what the pipeline then calls proven
        assert kept.total_km == best[2]
    place, km_bound = aggregated_km(ix, ua, base, agg, prices.astype(np.int64), agg.place, clock,
                                    10.0, 1, 0)
    assert km_bound is None or km_bound <= best[2]
    obj = place.objective(ix)
    assert (obj.placed, obj.rank_cost) == (found.placed, found.rank_cost)
    assert obj.total_km <= found.total_km
    place.fix_team_weeks(ix)
    result = encode_result(build_result(ix, place, Status.FEASIBLE, None, {}, 0.0))
    assert check_match_json(doc, result) == []


@pytest.mark.parametrize("seed", range(0, 80, 2))
def test_aggregated_bound_with_teams_aggregated(seed: int, monkeypatch) -> None:
    """The same against brute force with the teams' unranked arcs aggregated too (the path
    above ``EXPLICIT_TEAM_ARCS``: Hall cuts per team size)."""
    monkeypatch.setattr(aggregate_mod, "EXPLICIT_TEAM_ARCS", -1)
    test_aggregated_bound_against_brute_force(seed)


@pytest.mark.parametrize("cap", [2, 3, 4, 6])
@pytest.mark.parametrize("seed", range(60))
def test_km_fixing_with_capped_arcs(seed: int, cap: int, monkeypatch) -> None:
    """The same with the km fixing capped below the incumbent's gap: its bound is then
    min(CP-SAT over the kept arcs, LB + T + 1), still never above the optimum."""
    monkeypatch.setattr(km_side_mod, "KM_FIXED_ARCS", cap)
    test_aggregated_km_against_brute_force(seed)


@pytest.mark.parametrize("first,cap", [(2, 4), (3, 6), (4, 8)])
@pytest.mark.parametrize("seed", range(60))
def test_km_fixing_in_two_rounds(seed: int, first: int, cap: int, monkeypatch) -> None:
    """The same when the incumbent's gap keeps more than the cap: a first round on fewer arcs,
    then one on the cap with its incumbent; each round's bound holds, never above the optimum."""
    monkeypatch.setattr(km_side_mod, "KM_FIRST_ARCS", first)
    monkeypatch.setattr(km_side_mod, "KM_FIXED_ARCS", cap)
    test_aggregated_km_against_brute_force(seed)


@pytest.mark.parametrize("seed", range(40))
def test_lagrange_search_finds_the_best_multiplier(seed: int) -> None:
    """The cutting-plane search over lam reaches max over integer lam in [0, KM_LAMBDA_MAX] of
    L(lam) - lam * R (every lam tried by a flow), and that bound never exceeds the optimum."""
    proven = _proven_aggregate(seed, 3000)
    if proven is None:
        return
    doc, ix, agg = proven
    base, load = fixed_placement(ix)
    rel = relax(ix, arcs_mod.all_arcs(ix), base, load, weights(ix), priced=False)
    km, _, _ = lagrange(ix, agg.bound, rel, base, load, True, Clock(30, no_progress))
    if rel.place.objective(ix).placed != agg.bound.placed:
        assert km.total_km == 0
        return
    a, fixed = rel.arcs, base.objective(ix)
    caps = np.maximum(ix.cap - load, 0)
    best_value = 0
    for lam in range(km_side_mod.KM_LAMBDA_MAX + 1):
        chosen = lex_flow(a, a.km + lam * a.cost, ix.n_visitors, caps)
        best_value = max(best_value, fixed.total_km + int(a.km[chosen].sum())
                         + lam * (fixed.rank_cost + int(a.cost[chosen].sum()) - agg.bound.rank_cost))
    assert km.total_km == best_value
    best = brute_force(doc)
    assert best is not None and km.total_km <= best[2]
