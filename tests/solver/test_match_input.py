"""Bad input: every problem comes back by JSON path, never a traceback."""

from __future__ import annotations

import copy
import math

import pytest

from solver.errors import InvalidInput
from solver.match import solve_match_json
from solver.match.codec import decode_instance

BASE = {
    "format": "internship-match/1",
    "hosts": [
        {"id": "h1", "organisation": "Aarhus Kommune", "lat": 56.1567, "lon": 10.2108,
         "capacity": 2, "weeks": ["2027-W37"], "ranking": ["v1"]},
        {"id": "h2", "organisation": "Vejle Kommune", "lat": 55.71, "lon": 9.53, "capacity": 1},
    ],
    "visitors": [
        {"id": "v1", "organisation": "Odense Kommune", "lat": 55.3959, "lon": 10.3883,
         "max_km": 200, "weeks": ["2027-W37"], "ranking": ["h1"]},
        {"id": "v2", "organisation": "Aarhus Kommune", "lat": 55.40, "lon": 10.39},
    ],
}


def problems(mutate) -> list[str]:
    doc = copy.deepcopy(BASE)
    mutate(doc)
    with pytest.raises(InvalidInput) as info:
        decode_instance(doc) if "fixed" not in doc else solve_match_json(doc)
    return info.value.problems


def test_valid_base_decodes() -> None:
    inst = decode_instance(BASE)
    assert len(inst.hosts) == 2 and inst.visitors[1].max_km == 250


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["hosts"].append(dict(d["hosts"][0])), "hosts[2].id: duplicate id 'h1'"),
    (lambda d: d["visitors"][0]["ranking"].append("h9"), "visitors[0].ranking[1]: unknown host id 'h9'"),
    (lambda d: d["visitors"][0]["ranking"].append("h1"), "visitors[0].ranking[1]: 'h1' is ranked twice"),
    (lambda d: d["hosts"][0]["ranking"].append("v7"), "hosts[0].ranking[1]: unknown visitor id 'v7'"),
    (lambda d: d["hosts"][0].update(capacity=0), "hosts[0].capacity: must be >= 1"),
    (lambda d: d["hosts"][0].update(min_visitors=3), "hosts[0].min_visitors: must be <= capacity (2)"),
    (lambda d: d["visitors"][0].update(lat=91), "visitors[0].lat: must be between -90 and 90"),
    (lambda d: d["visitors"][0].update(lon=math.nan), "visitors[0].lon: must be a finite number"),
    (lambda d: d["visitors"][0].update(max_km=True), "visitors[0].max_km: must be a number, got bool"),
    (lambda d: d["hosts"][0].update(capacity=True), "hosts[0].capacity: must be a whole number, got True"),
    (lambda d: d["hosts"][0].update(capacity=1.5), "hosts[0].capacity: must be a whole number, got 1.5"),
    (lambda d: d["visitors"][0].update(max_km=0), "visitors[0].max_km: must be > 0"),
    (lambda d: d["visitors"][0].update(weeks=["2027-37"]), "visitors[0].weeks[0]: '2027-37' is not an ISO week"),
    (lambda d: d.update(settings={"alow_unranked": False}), "settings.alow_unranked: unknown setting"),
    (lambda d: d.update(settings={"unranked_cost": True}), "settings.unranked_cost: must be a whole number"),
    (lambda d: d.update(settings={"allow_unranked": 1}), "settings.allow_unranked: must be true or false"),
    (lambda d: d.update(settings={"objective": "fast"}), "settings.objective: must be one of"),
    (lambda d: d.update(forbidden=[["v1", "h9"]]), "forbidden[0][1]: unknown host id 'h9'"),
    (lambda d: d.update(previous=[["vx", "h1"]]), "previous[0][0]: unknown visitor id 'vx'"),
    (lambda d: d.update(fixed=[["v1"]]), "fixed[0]: must be a [visitor, host] pair"),
    (lambda d: d.update(format="internship-match/2"), "format: must be 'internship-match/1'"),
    (lambda d: d["visitors"][1].pop("lat"), "visitors[1].lat: is required"),
    (lambda d: d["visitors"][1].update(organisation=3), "visitors[1].organisation: must be a string"),
])
def test_bad_field_is_named(mutate, expected: str) -> None:
    assert any(p.startswith(expected) for p in problems(mutate)), problems(mutate)


def test_every_problem_is_reported_at_once() -> None:
    def many(d):
        d["hosts"][0]["capacity"] = 0
        d["visitors"][0]["lat"] = "north"
        d["settings"] = {"bogus": 1}
    assert len(problems(many)) == 3


@pytest.mark.parametrize("fixed, expected", [
    ([["v2", "h1"]], "own organisation"),
    ([["v1", "h2"], ["v2", "h2"]], "exceed its capacity 1"),
    ([["v1", "h1"], ["v1", "h2"]], "already fixed"),
])
def test_fixed_pair_breaking_a_hard_constraint(fixed, expected: str) -> None:
    assert any(expected in p for p in problems(lambda d: d.update(fixed=fixed)))


def test_fixed_pair_beyond_reach_or_weeks_or_forbidden() -> None:
    def far(d):
        d["visitors"][0]["max_km"] = 10
        d["visitors"][0]["weeks"] = ["2027-W40"]
        d["forbidden"] = [["v1", "h1"]]
        d["fixed"] = [["v1", "h1"]]
    found = " ".join(problems(far))
    assert "beyond max_km" in found and "share no week" in found and "forbidden" in found


def test_fixed_team_split_and_unranked() -> None:
    def split(d):
        d["settings"] = {"allow_unranked": False}
        d["visitors"][0]["team"] = d["visitors"][1]["team"] = "t"
        d["visitors"][1]["organisation"] = "X"
        d["fixed"] = [["v1", "h1"], ["v2", "h2"]]
    found = " ".join(problems(split))
    assert "a team stays together" in found and "allow_unranked is false" in found


def test_not_an_object() -> None:
    with pytest.raises(InvalidInput):
        decode_instance([1, 2])
