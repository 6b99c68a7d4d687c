"""Every kind of bad input is rejected with its JSON path (InvalidInput, CLI exit 2)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from solver.errors import InvalidInput
from solver.workshops.codec import parse_problem


def spec_example() -> dict[str, Any]:
    """The example instance of spec/solver-v1.md section 2."""
    return {
        "format": "internship-workshops/1",
        "groups": [
            {"id": "h1@2027-W37", "host": "h1", "week": "2027-W37",
             "people": [{"id": "h1", "lat": 56.15, "lon": 10.21, "unavailable": ["2027-08-24"]},
                        {"id": "v1", "lat": 55.40, "lon": 10.39, "unavailable": []}],
             "language": "da"},
        ],
        "sessions": [
            {"id": "prep-aarhus-1", "kind": "prep", "date": "2027-08-26", "lat": 56.15, "lon": 10.21,
             "capacity": 60, "language": "da"},
            {"id": "follow-odense-1", "kind": "followup", "date": "2027-10-07", "lat": 55.40,
             "lon": 10.39, "capacity": 60, "language": "da"},
        ],
        "settings": {"min_days_before": 7, "min_days_after": 7, "time_limit_s": 30},
    }


def _set(doc: dict, path: tuple, value: Any) -> dict:
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


CASES = [
    (("format",), "internship-match/1", "format:"),
    (("groups",), {}, "groups: must be a list"),
    (("sessions",), "x", "sessions: must be a list"),
    (("groups", 0, "id"), "", "groups[0].id: must be a non-empty string"),
    (("groups", 0, "week"), "2027-37", "groups[0].week:"),
    (("groups", 0, "week"), "2027-W54", "groups[0].week:"),
    (("groups", 0, "people"), [], "groups[0].people: must be a non-empty list"),
    (("groups", 0, "people", 0, "lat"), 91, "groups[0].people[0].lat: must be between -90 and 90"),
    (("groups", 0, "people", 0, "lat"), float("nan"), "groups[0].people[0].lat: must be a finite number"),
    (("groups", 0, "people", 0, "lon"), float("inf"), "groups[0].people[0].lon: must be a finite number"),
    (("groups", 0, "people", 0, "lon"), "10.2", "groups[0].people[0].lon: must be a finite number"),
    (("groups", 0, "people", 0, "lon"), True, "groups[0].people[0].lon: must be a finite number"),
    (("groups", 0, "people", 0, "unavailable"), "2027-08-24", "groups[0].people[0].unavailable: must be a list"),
    (("groups", 0, "people", 0, "unavailable", 0), "2027-02-30", "groups[0].people[0].unavailable[0]:"),
    (("groups", 0, "people", 0, "max_km"), -5, "groups[0].people[0].max_km: must be a positive number"),
    (("groups", 0, "people", 1, "id"), "h1", "groups[0].people[1].id: duplicate person id"),
    (("groups", 0, "language"), 7, "groups[0].language:"),
    (("sessions", 0, "kind"), "workshop", "sessions[0].kind: must be 'prep' or 'followup'"),
    (("sessions", 0, "date"), "26/08/2027", "sessions[0].date:"),
    (("sessions", 0, "date"), 20270826, "sessions[0].date:"),
    (("sessions", 0, "capacity"), -1, "sessions[0].capacity: must be an integer >= 0"),
    (("sessions", 0, "capacity"), 2.5, "sessions[0].capacity: must be an integer >= 0"),
    (("sessions", 0, "capacity"), "60", "sessions[0].capacity: must be an integer >= 0"),
    (("sessions", 0, "min_fill"), 61, "sessions[0].min_fill: must be at most capacity"),
    (("sessions", 0, "min_fill"), -1, "sessions[0].min_fill: must be an integer >= 0"),
    (("sessions", 1, "id"), "prep-aarhus-1", "sessions[1].id: duplicate id"),
    (("sessions", 1, "lat"), None, "sessions[1].lat: must be a finite number"),
    (("settings", "min_days_befor"), 7, "settings.min_days_befor: unknown setting"),
    (("settings", "min_days_before"), -1, "settings.min_days_before: must be an integer >= 0"),
    (("settings", "min_days_after"), "7", "settings.min_days_after: must be an integer >= 0"),
    (("settings", "time_limit_s"), 0, "settings.time_limit_s: must be a positive number"),
    (("settings", "workers"), 0, "settings.workers:"),
    (("settings", "max_km"), 0, "settings.max_km: must be a positive number"),
    (("settings", "min_fill"), 1.5, "settings.min_fill: must be an integer >= 0"),
    (("settings", "keep"), "yes", "settings.keep: must be true or false"),
    (("settings",), [], "settings: must be an object"),
    (("previous",), {"g": 1}, "previous: must be a list"),
    (("previous",), [{"group": "h1@2027-W37", "prep": "prep-aarhus-1"}], "previous[0].followup: is required"),
]


@pytest.mark.parametrize(("path", "value", "message"), CASES, ids=[c[2].split(":")[0] + "=" + repr(c[1]) for c in CASES])
def test_bad_field_is_named_by_its_path(path: tuple, value: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_problem(_set(spec_example(), path, value))
    assert any(p.startswith(message) for p in info.value.problems), info.value.problems


def test_duplicate_group_ids_and_every_fault_at_once() -> None:
    doc = spec_example()
    doc["groups"].append(copy.deepcopy(doc["groups"][0]))
    doc["sessions"][0]["capacity"] = -3
    doc["settings"]["colour"] = "blue"
    with pytest.raises(InvalidInput) as info:
        parse_problem(doc)
    problems = info.value.problems
    assert "groups[1].id: duplicate id 'h1@2027-W37'" in problems
    assert any(p.startswith("sessions[0].capacity") for p in problems)
    assert any(p.startswith("settings.colour") for p in problems)


def test_not_an_object() -> None:
    with pytest.raises(InvalidInput, match=r"\$: must be a JSON object"):
        parse_problem([])


def test_valid_example_and_defaults() -> None:
    problem = parse_problem(spec_example())
    assert problem.groups[0].size == 2
    assert problem.settings.workers == 2 and problem.settings.min_fill == 0
    assert problem.sessions[0].language == "da"
    # A session-level min_fill may stay unset while settings.min_fill exceeds a small capacity:
    doc = spec_example()
    doc["settings"]["min_fill"] = 100
    assert parse_problem(doc).sessions[0].min_fill == 100
