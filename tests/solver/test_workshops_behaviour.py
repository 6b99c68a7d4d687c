"""Hard constraints at their edges, the options (max_km, min_fill, keep), reasons, load, determinism."""

from __future__ import annotations

import copy

from test_workshops_input import spec_example
from test_workshops_support import random_instance

from solver.workshops.api import solve_workshops_json
from solver.workshops.check import check_workshops_json


def solve(doc: dict, limit: float = 10) -> dict:
    result = solve_workshops_json(doc, time_limit_s=limit, workers=1)
    assert check_workshops_json(doc, result) == []
    return result


def add_group_like(doc: dict, index: int, host: str, suffix: str) -> None:
    """Append a copy of group `index` at `host` (week 37), its people's ids ending in `suffix`."""
    group = copy.deepcopy(doc["groups"][index])
    group.update(id=f"{host}@2027-W37", host=host)
    for person in group["people"]:
        person["id"] += suffix
    doc["groups"].append(group)


def two_groups() -> dict:
    doc = spec_example()
    add_group_like(doc, 0, "h2", "b")
    return doc


def test_spec_example_is_scheduled_optimally() -> None:
    result = solve(spec_example())
    assert result["status"] == "OPTIMAL"
    assert result["schedule"] == [{"group": "h1@2027-W37", "prep": "prep-aarhus-1",
                                   "followup": "follow-odense-1", "km": result["objective"]["total_km"]}]
    assert result["load"] == {"prep-aarhus-1": 2, "follow-odense-1": 2}
    assert result["bound"] == result["objective"] and result["cancelled"] == []


def test_prep_exactly_min_days_before_the_monday_is_allowed() -> None:
    doc = spec_example()
    doc["settings"]["min_days_before"] = 18  # 2027-08-26 is 18 days before Monday 2027-09-13
    assert solve(doc)["objective"]["scheduled"] == 1
    doc["settings"]["min_days_before"] = 19
    result = solve(doc)
    assert result["objective"]["scheduled"] == 0 and result["status"] == "INFEASIBLE"
    assert result["unscheduled"][0]["reasons"] == [
        "no prep session is at least 19 days before the visit week 2027-W37"
    ]


def test_followup_counts_from_the_sunday() -> None:
    doc = spec_example()
    doc["settings"]["min_days_after"] = 18  # 2027-10-07 is 18 days after Sunday 2027-09-19
    assert solve(doc)["objective"]["scheduled"] == 1
    doc["settings"]["min_days_after"] = 19
    assert solve(doc)["objective"]["scheduled"] == 0


def test_unavailable_member_reason_names_them() -> None:
    doc = spec_example()
    doc["groups"][0]["people"][1]["unavailable"] = ["2027-08-26"]
    result = solve(doc)
    assert result["unscheduled"][0]["reasons"] == [
        "a member is unavailable on every prep date that fits (v1)"
    ]


def test_language_must_match_where_both_give_one() -> None:
    doc = spec_example()
    doc["groups"][0]["language"] = "en"
    result = solve(doc)
    assert result["unscheduled"][0]["reasons"][0].startswith("no prep session early enough is in language")
    doc["sessions"][0]["language"] = None
    doc["sessions"][1]["language"] = "EN"  # compared case-insensitively
    assert solve(doc)["objective"]["scheduled"] == 1


def test_full_followup_reason_and_capacity() -> None:
    doc = two_groups()
    doc["sessions"][1]["capacity"] = 3  # room for one group of two only
    result = solve(doc)
    assert result["objective"]["scheduled"] == 1 and result["status"] == "OPTIMAL"
    assert result["unscheduled"][0]["reasons"] == ["every follow-up session that is late enough is full"]
    assert result["load"]["follow-odense-1"] == 2


def test_max_km_is_hard_per_person_and_global() -> None:
    doc = spec_example()
    doc["settings"]["max_km"] = 50  # v1 lives ~84 km from Aarhus
    result = solve(doc)
    assert result["objective"]["scheduled"] == 0
    assert "farther than max_km for v1" in result["unscheduled"][0]["reasons"][0]
    doc["groups"][0]["people"][1]["max_km"] = 120  # a person's own limit overrides the setting
    doc["groups"][0]["people"][0]["max_km"] = 120
    assert solve(doc)["objective"]["scheduled"] == 1


def test_min_fill_cancels_a_thin_session_and_says_so() -> None:
    doc = two_groups()
    for group in doc["groups"]:
        group["people"][0].update(lat=55.45, lon=10.35)  # everybody now lives near Odense
    near = dict(doc["sessions"][0], id="prep-odense", lat=55.40, lon=10.39, min_fill=5)
    doc["sessions"].append(near)  # cheaper for everybody but would run with 4 < 5 people
    result = solve(doc)
    assert result["objective"]["scheduled"] == 2
    assert result["cancelled"] == ["prep-odense"] and result["load"]["prep-odense"] == 0
    near["min_fill"] = 4
    result = solve(doc)
    assert result["load"]["prep-odense"] == 4 and result["cancelled"] == []


def test_keep_moves_as_few_groups_as_possible() -> None:
    doc = two_groups()
    doc["sessions"].append(dict(doc["sessions"][0], id="prep-odense", lat=55.40, lon=10.39))
    doc["previous"] = [
        {"group": "h1@2027-W37", "prep": "prep-aarhus-1", "followup": "follow-odense-1"},
        {"group": "h2@2027-W37", "prep": "prep-aarhus-1", "followup": "follow-odense-1"},
        {"group": "gone@2027-W40", "prep": "prep-aarhus-1", "followup": "follow-odense-1"},
    ]
    free = solve(doc)
    doc["settings"]["keep"] = True
    kept = solve(doc)
    assert kept["objective"]["kept"] == 2 and kept["status"] == "OPTIMAL"
    assert kept["objective"]["total_km"] >= free["objective"]["total_km"]
    assert {e["prep"] for e in kept["schedule"]} == {"prep-aarhus-1"}
    doc["sessions"][0]["capacity"] = 2  # a late change: only one group still fits in Aarhus
    moved = solve(doc)
    assert moved["objective"]["scheduled"] == 2 and moved["objective"]["kept"] == 1
    assert moved["bound"]["kept"] == 1


def test_no_groups_and_no_sessions() -> None:
    doc = spec_example()
    doc["groups"] = []
    result = solve(doc)
    assert result["objective"] == {"scheduled": 0, "total_km": 0} and result["status"] == "OPTIMAL"
    doc = spec_example()
    doc["sessions"] = []
    result = solve(doc)
    assert result["status"] == "INFEASIBLE" and result["load"] == {}


def test_deterministic_with_pinned_workers_and_seed() -> None:
    doc = random_instance(11, n_groups=30, n_prep=4, n_follow=4, capacity=(10, 30))
    first, second = solve(doc), solve(doc)
    for result in (first, second):
        result["stats"].pop("seconds")
    assert first == second


def test_coupled_halves_schedule_the_same_groups() -> None:
    # Three groups, prep room for two, follow-up room for two: which two matters to both halves.
    doc = two_groups()
    add_group_like(doc, 1, "h3", "c")
    doc["sessions"][0]["capacity"] = 4
    doc["sessions"][1]["capacity"] = 4
    result = solve(doc)
    assert result["objective"]["scheduled"] == 2 and result["status"] == "OPTIMAL"
    assert "joint" in result["stats"]["method"]
