"""Bad host offers: a 422 naming every bad field by path, and not one row written."""

from __future__ import annotations

import json
from typing import Any

from api_helpers import (
    assert_field_error,
    cheap_password_hashing,  # noqa: F401 - autouse
    hosts_url,
    json_errors,
    nothing_stored,
    post_host,
)
from flask import Flask
from flask.testing import FlaskClient
from testing_support import host_payload

OUTSIDE = {"municipality_code": None}

# (what is wrong, overrides of a valid payload, the path the error must name)
BAD_HOSTS: list[tuple[str, dict[str, Any], str]] = [
    ("coordinates in Berlin", {**OUTSIDE, "lat": 52.52, "lon": 13.40}, "lat"),
    ("coordinates in Sweden", {**OUTSIDE, "lat": 59.33, "lon": 18.06}, "lat"),
    ("lat and lon swapped", {**OUTSIDE, "lat": 10.2, "lon": 56.1}, "lat"),
    ("latitude beyond the pole", {**OUTSIDE, "lat": 91.0, "lon": 10.0}, "lat"),
    ("lat without lon", {**OUTSIDE, "lat": 56.1}, "lon"),
    ("no place at all", {**OUTSIDE}, "municipality_code"),
    ("lat as a string", {**OUTSIDE, "lat": "56.1", "lon": 10.2}, "lat"),
    ("capacity 0", {"capacity": 0, "min_visitors": 1}, "capacity"),
    ("capacity 4", {"capacity": 4}, "capacity"),
    ("capacity negative", {"capacity": -1}, "capacity"),
    ("capacity a bool", {"capacity": True}, "capacity"),
    ("capacity a string", {"capacity": "2"}, "capacity"),
    ("capacity a float", {"capacity": 2.5}, "capacity"),
    ("capacity 2.0", {"capacity": 2.0}, "capacity"),
    ("capacity null", {"capacity": None}, "capacity"),
    ("capacity a list", {"capacity": [2]}, "capacity"),
    ("min above max", {"capacity": 2, "min_visitors": 3}, "min_visitors"),
    ("min 0", {"min_visitors": 0}, "min_visitors"),
    ("min a bool", {"min_visitors": False}, "min_visitors"),
    ("visit of one day", {"visit_days": 1}, "visit_days"),
    ("visit of six days", {"visit_days": 6}, "visit_days"),
    ("unknown municipality", {"municipality_code": "999"}, "municipality_code"),
    ("Christiansø is no municipality", {"municipality_code": "411"}, "municipality_code"),
    ("municipality as an int", {"municipality_code": 751}, "municipality_code"),
    ("municipality as letters", {"municipality_code": "abc"}, "municipality_code"),
    ("email without @", {"contact_email": "karen.aarhus.example"}, "contact_email"),
    ("email without domain", {"contact_email": "karen@"}, "contact_email"),
    ("email with a space inside", {"contact_email": "karen jensen@aarhus.example"},
     "contact_email"),
    ("email as a list", {"contact_email": ["karen@aarhus.example"]}, "contact_email"),
    ("email too long", {"contact_email": "k" * 250 + "@aarhus.example"}, "contact_email"),
    ("week outside the round", {"weeks": ["2027-W40"]}, "weeks"),
    ("week that does not exist", {"weeks": ["2027-W54"]}, "weeks.0"),
    ("week in another spelling", {"weeks": ["2027W37"]}, "weeks.0"),
    ("week in full-width digits", {"weeks": ["２０２７-W37"]}, "weeks.0"),
    ("week twice", {"weeks": ["2027-W37", "2027-W37"]}, "weeks"),
    ("weeks as a string", {"weeks": "2027-W37"}, "weeks"),
    ("organisation too long", {"organisation": "x" * 201}, "organisation"),
    ("title too long", {"innovation_title": "x" * 201}, "innovation_title"),
    ("description too long", {"innovation_description": "x" * 4001}, "innovation_description"),
    ("contact name too long", {"contact_name": "x" * 201}, "contact_name"),
    ("organisation blank", {"organisation": "   "}, "organisation"),
    ("organisation empty", {"organisation": ""}, "organisation"),
    ("organisation null", {"organisation": None}, "organisation"),
    ("organisation a number", {"organisation": 42}, "organisation"),
    ("organisation an object", {"organisation": {"name": "x"}}, "organisation"),
    ("script in the title", {"innovation_title": "<script>alert(1)</script>"},
     "innovation_title"),
    ("markup in the description", {"innovation_description": "Se <b>her</b>"},
     "innovation_description"),
    ("image tag in the contact name", {"contact_name": "<img src=x onerror=alert(1)>"},
     "contact_name"),
    ("NUL byte in the organisation", {"organisation": "Aarhus\x00Kommune"}, "organisation"),
    ("control character in the title", {"innovation_title": "Velfærd\x1b[31m"},
     "innovation_title"),
    ("lone surrogate in the description", {"innovation_description": "ok \ud800"},
     "innovation_description"),
    ("unknown org level", {"org_level": "county"}, "org_level"),
    ("unknown language", {"language": "de"}, "language"),
    ("eleven topics", {"topics": [f"emne {i}" for i in range(11)]}, "topics"),
    ("topic too long", {"topics": ["x" * 61]}, "topics.0"),
    ("topic with markup", {"topics": ["<i>ældre</i>"]}, "topics.0"),
    ("topic a number", {"topics": [7]}, "topics.0"),
    ("phone with letters", {"contact_phone": "call me maybe"}, "contact_phone"),
    ("phone with a trailing newline", {"contact_phone": "+45 12345678\n"}, "contact_phone"),
    ("field the API does not know", {"round_id": 7}, "round_id"),
    ("status set by the sender", {"status": "withdrawn"}, "status"),
]


def test_each_bad_host_offer_is_422_naming_its_field(app: Flask, client: FlaskClient,
                                                     open_round: dict[str, Any]) -> None:
    for what, overrides, path in BAD_HOSTS:
        with nothing_stored(app, what):
            response = post_host(client, open_round["id"], host_payload(**overrides))
        assert response.status_code == 422, (what, response.get_data(True))
        assert_field_error(response, path)


def test_nan_and_infinity_are_422(app: Flask, client: FlaskClient,
                                  open_round: dict[str, Any]) -> None:
    # Python's JSON reader accepts these non-standard literals; the schemas must not.
    valid = json.dumps(host_payload(municipality_code=None, lat=56.15, lon=10.2))
    cases = [
        (valid.replace("56.15", "NaN"), "lat"),
        (valid.replace("10.2", "Infinity"), "lon"),
        (valid.replace("10.2", "-Infinity"), "lon"),
        (valid.replace('"capacity": 2', '"capacity": NaN'), "capacity"),
        (valid.replace('"visit_days": 3', '"visit_days": Infinity'), "visit_days"),
    ]
    for body, path in cases:
        with nothing_stored(app):
            response = client.post(hosts_url(open_round["id"]), data=body,
                                   content_type="application/json")
        assert_field_error(response, path)


def test_empty_object_names_every_required_field(app: Flask, client: FlaskClient,
                                                 open_round: dict[str, Any]) -> None:
    with nothing_stored(app):
        response = post_host(client, open_round["id"], {})
    errors = json_errors(response)
    assert response.status_code == 422
    for field in ("organisation", "org_level", "innovation_title", "innovation_description",
                  "capacity", "contact_name", "contact_email"):
        assert errors[field] == ["Missing data for required field."], field


def test_several_bad_fields_are_all_named(app: Flask, client: FlaskClient,
                                          open_round: dict[str, Any]) -> None:
    payload = host_payload(capacity=9, contact_email="nope", organisation="<b>x</b>",
                           municipality_code="000", visit_days="3", extra=1)
    with nothing_stored(app):
        response = post_host(client, open_round["id"], payload)
    assert response.status_code == 422
    assert set(json_errors(response)) == {"capacity", "contact_email", "organisation",
                                          "municipality_code", "visit_days", "extra"}


def test_schema_level_rules_are_reported_together(app: Flask, client: FlaskClient,
                                                  open_round: dict[str, Any]) -> None:
    # min > capacity and a place outside Denmark are both whole-object rules.
    payload = host_payload(capacity=1, min_visitors=2, municipality_code=None,
                           lat=48.85, lon=2.35, weeks=["2027-W37", "2027-W37"])
    with nothing_stored(app):
        response = post_host(client, open_round["id"], payload)
    assert set(json_errors(response)) == {"min_visitors", "lat", "weeks"}


def test_a_valid_offer_is_trimmed_and_normalised(app: Flask, client: FlaskClient,
                                                 coordinator_client: FlaskClient,
                                                 open_round: dict[str, Any]) -> None:
    payload = host_payload(organisation="  Aarhus Kommune ", municipality_code="0751",
                           contact_email=" Karen@Aarhus.Example ", weeks=[],
                           contact_phone="+45 87 05 00 00")
    response = post_host(client, open_round["id"], payload)
    assert response.status_code == 201, response.json
    host = coordinator_client.get(f"/api/hosts/{response.json['id']}").json
    assert host["organisation"] == "Aarhus Kommune"
    assert host["municipality_code"] == "751"
    assert host["contact_email"] == "karen@aarhus.example"
    assert host["weeks"] == open_round["weeks"]  # none given: every week of the round
    assert 56 < host["lat"] < 56.3 and 10 < host["lon"] < 10.4
