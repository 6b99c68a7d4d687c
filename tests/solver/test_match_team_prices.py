"""Teams at seat prices (solver/match/team_prices.py): the optional flow is exact, every round's
kept placement is feasible (the independent checker), and the priced path stays honest."""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import solver.match.api as api
from solver.match import solve_match_json
from solver.match.check import check_match_json
from solver.match.codec import decode_instance, encode_result
from solver.match.duals import weights
from solver.match.flow import optional_flow
from solver.match.index import build_index
from solver.match.relax import initial_candidates, relax
from solver.match.report import build_result
from solver.match.team_prices import place_by_seat_prices
from solver.match.units import build_units
from solver.status import Status

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from match_generate import generate  # noqa: E402


class _Clock:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def report(self, *args, **kwargs) -> None:
        pass


@pytest.mark.parametrize("seed", range(6))
def test_optional_flow_is_the_brute_force_minimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_u, n_h = 4, 3
    pairs = [(u, h) for u in range(n_u) for h in range(n_h) if rng.random() < 0.7]
    au = np.array([p[0] for p in pairs], dtype=np.int64)
    ah = np.array([p[1] for p in pairs], dtype=np.int64)
    cost = rng.integers(-9, 6, len(pairs))
    caps = rng.integers(0, 3, n_h)
    got = optional_flow(n_u, n_h, au, ah, caps, cost)
    best = 0
    for pick in itertools.product([False, True], repeat=len(pairs)):
        sel = np.array(pick, dtype=bool)
        if (np.bincount(au[sel], minlength=n_u) <= 1).all() \
                and (np.bincount(ah[sel], minlength=n_h) <= caps).all():
            best = min(best, int(cost[sel].sum()))
    assert int(cost[got].sum()) == best
    assert (np.bincount(au[got], minlength=n_u) <= 1).all()
    assert (np.bincount(ah[got], minlength=n_h) <= caps).all()


def _triples(doc: dict) -> dict:
    """Join a lone visitor to some pairs (where it goes wherever the pair can): teams of 2 and
    3 together."""
    fixed = {p[0] for p in doc.get("fixed", [])}
    lone = [v for v in doc["visitors"] if v.get("team") is None and v["id"] not in fixed]
    teams = sorted({v["team"] for v in doc["visitors"] if v.get("team")}
                   - {v["team"] for v in doc["visitors"] if v["id"] in fixed})
    moved = set()
    for v, t in zip(lone[:len(teams) // 2], teams[::2], strict=False):
        mate = next(x for x in doc["visitors"] if x.get("team") == t)
        v.update({k: mate[k] for k in ("organisation", "org_level", "lat", "lon", "max_km",
                                       "weeks")}, team=t)
        moved.add(v["id"])
    doc["forbidden"] = [p for p in doc.get("forbidden", []) if p[0] not in moved]
    return doc


@pytest.mark.parametrize("seed, mixed, cap", [(41, False, None), (42, False, None),
                                             (43, True, None), (44, True, 4)])
def test_seat_price_placement_is_feasible(seed: int, mixed: bool, cap: int | None) -> None:
    """``cap`` 4 everywhere: the team flow counts 2 teams a host, a pair and a triple overfill
    it and one has to go."""
    doc = generate(300, seed=seed, teams=0.2, min_visitors=0.25, fixed=0.02, forbidden=0.01)
    if mixed:
        doc = _triples(doc)
    for host in doc["hosts"] if cap else []:
        host["capacity"] = cap
    ix = build_index(decode_instance(doc))
    base, load = api.fixed_placement(ix)
    w = weights(ix)
    rel = relax(ix, initial_candidates(ix, base), base, load, w, priced=True)
    ua = build_units(ix, rel.arcs, base)
    place = place_by_seat_prices(ix, rel, ua, base, load, w, _Clock(), 5.0)
    assert place is not None
    result = encode_result(build_result(ix, place, Status.FEASIBLE, None, {}, 0.0))
    assert check_match_json(doc, result) == []
    # Never better than the relaxation (a bound on every feasible placement).
    obj, floor = place.objective(ix), rel.place.objective(ix)
    assert (-obj.placed, obj.rank_cost) >= (-floor.placed, floor.rank_cost)


def test_priced_path_with_seat_prices_is_honest(monkeypatch) -> None:
    doc = _triples(generate(250, seed=45, teams=0.2, min_visitors=0.2, fixed=0.01,
                            forbidden=0.01))
    doc["settings"].update(workers=1, seed=0, time_limit_s=20)
    complete = solve_match_json(doc)
    monkeypatch.setattr(api, "FULL_SCAN_PAIRS", 0)
    priced = solve_match_json(doc)
    assert priced["stats"]["fixing"] == "priced"
    assert check_match_json(doc, priced) == []
    key = lambda o: (-o["placed"], o["rank_cost"], o["total_km"])  # noqa: E731
    assert key(priced["bound"]) <= key(complete["objective"])
    assert key(priced["bound"]) <= key(priced["objective"])
