"""Reasons, reports, options (minimax, keep_previous, fixed) and determinism."""

from __future__ import annotations

import copy
import json

from test_match_support import random_instance

from solver.match import solve_match_json
from solver.match.check import check_match_json


def host(i: str, lat: float, lon: float, cap: int = 1, **kw) -> dict:
    return {"id": i, "organisation": f"org {i}", "lat": lat, "lon": lon, "capacity": cap, **kw}


def visitor(i: str, lat: float, lon: float, **kw) -> dict:
    return {"id": i, "organisation": f"org {i}", "lat": lat, "lon": lon, **kw}


def doc(hosts, visitors, **settings) -> dict:
    return {"format": "internship-match/1", "hosts": hosts, "visitors": visitors,
            "settings": {"workers": 1, "seed": 0, **settings}}


def reasons(result: dict, v: str) -> str:
    return " | ".join(next(u["reasons"] for u in result["unassigned"] if u["visitor"] == v))


def test_reason_distance_with_smallest_change() -> None:
    # Aarhus -> Odense is 85.4 km; 50 km is not enough, 86 would open it.
    r = solve_match_json(doc([host("h1", 56.1567, 10.2108)], [visitor("v1", 55.3959, 10.3883, max_km=50)]))
    text = reasons(r, "v1")
    assert "no host within 50 km" in text and "a max travel of 86 km would open 1 host" in text


def test_reason_weeks_and_own_organisation() -> None:
    r = solve_match_json(doc(
        [host("h1", 56.0, 10.0, weeks=["2027-W37"]), host("h2", 56.0, 10.01)],
        [visitor("v1", 56.0, 10.0, weeks=["2027-W38"]), visitor("v2", 56.0, 10.0, organisation="org h2")],
        allow_unranked=True))
    assert "v1" not in {u["visitor"] for u in r["unassigned"]}  # h2 takes any week
    r = solve_match_json(doc([host("h1", 56.0, 10.0, weeks=["2027-W37"])],
                             [visitor("v1", 56.0, 10.0, weeks=["2027-W38"])]))
    assert "shares a week" in reasons(r, "v1")
    r = solve_match_json(doc([host("h1", 56.0, 10.0)], [visitor("v1", 56.0, 10.0, organisation=" ORG  h1")]))
    assert "own organisation" in reasons(r, "v1")


def test_reason_full_with_visitors_who_ranked_higher() -> None:
    r = solve_match_json(doc(
        [host("h1", 56.0, 10.0), host("h2", 56.1, 10.0)],
        [visitor("a", 56.0, 10.0, ranking=["h1", "h2"]), visitor("b", 56.0, 10.0, ranking=["h2", "h1"]),
         visitor("c", 56.0, 10.0, ranking=["h2", "h1"])], allow_unranked=False))
    assert r["objective"]["placed"] == 2
    loser = r["unassigned"][0]["visitor"]
    text = reasons(r, loser)
    assert "are full with visitors who ranked them at least as high" in text
    assert "one more seat at" in text


def test_reason_team_and_min_visitors() -> None:
    r = solve_match_json(doc(
        [host("h1", 56.0, 10.0, cap=1), host("h2", 56.0, 10.0, cap=3, min_visitors=3)],
        [visitor("a", 56.0, 10.0, team="t"), visitor("b", 56.0, 10.0, team="t", max_km=0.5),
         visitor("c", 56.5, 10.0, max_km=5)]))
    assert r["status"] == "INFEASIBLE"  # nobody can be placed; valid, with reasons
    assert "team t (2 members) could not fit" in reasons(r, "a")
    assert "1 host with free seats stays closed: each needs at least 3 visitors" in reasons(r, "b")


def test_stats_and_stability() -> None:
    d = doc([host("h1", 56.0, 10.0, ranking=["b", "a"]), host("h2", 56.2, 10.0, ranking=["a"])],
            [visitor("a", 56.0, 10.0, ranking=["h1", "h2"]), visitor("b", 56.2, 10.0, ranking=["h2", "h1"])],
            allow_unranked=False)
    r = solve_match_json(d)
    assert r["objective"] == {"placed": 2, "rank_cost": 0, "total_km": 0}
    assert r["stats"]["load"] == {"h1": 1, "h2": 1}
    assert r["stats"]["rank_histogram"] == {"1": 2, "unranked": 0}
    assert r["stats"]["km_distribution"]["max"] == 0.0
    # a sits at h1 (its 1st choice) and b at h2 (its 1st choice): nobody prefers a swap.
    assert r["stability"]["blocking_pairs"] == 0


def test_minimax_rank_trades_total_for_the_worst() -> None:
    # Canonical: a->h1 (0) b->h2 (1) costs 1... with a tie-free design the minimax differs.
    hs = [host("h1", 56.0, 10.0), host("h2", 56.0, 10.0), host("h3", 56.0, 10.0)]
    vs = [visitor("a", 56.0, 10.0, ranking=["h1", "h2", "h3"]),
          visitor("b", 56.0, 10.0, ranking=["h1", "h3", "h2"]),
          visitor("c", 56.0, 10.0, ranking=["h2", "h1", "h3"])]
    canon = solve_match_json(doc(hs, vs, allow_unranked=False))
    mini = solve_match_json(doc(hs, vs, allow_unranked=False, objective="minimax_rank"))
    assert mini["objective"]["max_rank_cost"] <= max(a["rank"] - 1 for a in canon["assignments"])
    assert mini["objective"]["placed"] == canon["objective"]["placed"] == 3
    assert check_match_json(doc(hs, vs, allow_unranked=False, objective="minimax_rank"), mini) == []


def test_keep_previous_keeps_placements() -> None:
    hs = [host("h1", 56.0, 10.0), host("h2", 56.0, 10.0)]
    vs = [visitor("a", 56.0, 10.0, ranking=["h1", "h2"])]
    d = doc(hs, vs, keep_previous=True)
    d["previous"] = [["a", "h2"]]
    r = solve_match_json(d)
    assert r["assignments"][0]["host"] == "h2" and r["objective"]["kept"] == 1
    d["settings"]["keep_previous"] = False
    assert solve_match_json(d)["assignments"][0]["host"] == "h1"


def test_fixed_pair_is_held() -> None:
    hs = [host("h1", 56.0, 10.0), host("h2", 56.0, 10.0)]
    vs = [visitor("a", 56.0, 10.0, ranking=["h1", "h2"]), visitor("b", 56.0, 10.0, ranking=["h1"])]
    d = doc(hs, vs)
    d["fixed"] = [["b", "h2"]]
    r = solve_match_json(d)
    assert {(a["visitor"], a["host"]) for a in r["assignments"]} == {("a", "h1"), ("b", "h2")}


def test_deterministic() -> None:
    d = random_instance(42, n_visitors=9, n_hosts=5)
    first = solve_match_json(copy.deepcopy(d))
    for _ in range(2):
        again = solve_match_json(copy.deepcopy(d))
        for r in (first, again):
            r["stats"].pop("seconds", None)
        assert json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)


def test_progress_callback_reports_phases() -> None:
    from solver.match.api import solve_match
    from solver.match.codec import decode_instance

    seen = []
    d = random_instance(8, n_visitors=8, n_hosts=4)
    solve_match(decode_instance(d), progress=seen.append)
    assert seen[0].phase == "arcs" and seen[-1].phase == "done"
    assert all(p.elapsed_s >= 0 for p in seen)
    assert seen[-1].objective is not None and seen[-1].bound is not None


def test_tiny_time_limit_is_honest() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from match_generate import generate

    d = generate(400, seed=3, teams=0.1, min_visitors=0.2)
    d["settings"].update(workers=1, seed=0)
    r = solve_match_json(d, time_limit_s=0.05)
    assert check_match_json(d, r) == []
    if r["status"] == "FEASIBLE":
        assert r["bound"] != r["objective"]


def test_reason_names_the_ranked_hosts_when_the_rest_is_forbidden() -> None:
    # An applicant not open to other hosts: the coordinator forbids every host they did not
    # rank. Their only ranked host (Odense, 85 km) is beyond max_km 50, so the reason is the
    # ranked host's distance, not "every host ... is forbidden". Lone and team paths alike.
    hosts = [host("far", 55.3959, 10.3883, cap=2), host("near", 56.16, 10.21, cap=2)]
    for team in (None, "t"):
        visitors = [visitor("v1", 56.1567, 10.2108, max_km=50, ranking=["far"], team=team)]
        if team:
            visitors.append(visitor("v2", 56.1567, 10.2108, max_km=50, team=team))
        r = solve_match_json({**doc(hosts, visitors, allow_unranked=True),
                              "forbidden": [["v1", "near"]]})
        text = reasons(r, "v1")
        assert "none of the 1 host the visitor ranked is usable (1 beyond 50 km)" in text
        assert "not open to hosts they did not rank" in text
        assert "a max travel of 86 km would open 1 host they ranked" in text
        assert "every host within 50 km that shares a week is forbidden" not in text
    # Nothing ranked: the forbidden pairs are the cause, and the reason says so.
    r = solve_match_json({**doc(hosts, [visitor("v1", 56.1567, 10.2108, max_km=50)]),
                          "forbidden": [["v1", "near"]]})
    assert "every host within 50 km that shares a week is forbidden" in reasons(r, "v1")
