"""Coordinators list and read hosts and applications: pagination and filters."""

from __future__ import annotations

import json
from typing import Any

from api_helpers import (
    cheap_password_hashing,  # noqa: F401 - autouse
    post_application,
    post_host,
)
from flask import Flask
from flask.testing import FlaskClient
from testing_support import application_payload, host_payload

from coordinator import db
from coordinator.models import Application, Host
from coordinator.services import intake

HOSTS = [
    # organisation, level, municipality, title, topics
    ("Aarhus Kommune", "municipality", "751", "Skærmbesøg", ["Velfærdsteknologi", "ældre"]),
    ("Region Midtjylland", "region", "751", "ÅBEN data i Århus", ["data"]),
    ("Odense Kommune", "municipality", "461", "100% digital post", ["digitalisering"]),
    ("Skattestyrelsen", "state", "101", "Robotter i sagsbehandlingen", ["AI", "Ældre"]),
    ("Københavns Kommune", "municipality", "101", "Klimatilpasning", ["klima"]),
    ("Ærø Kommune", "municipality", "492", "Grøn ø", ["klima", "energi"]),
    ("Foreningen X", "other", "851", "Frivillige_netværk", ["frivillighed"]),
]


def _seed(client: FlaskClient, round_id: int) -> list[int]:
    ids = []
    for organisation, level, code, title, topics in HOSTS:
        response = post_host(client, round_id, host_payload(
            organisation=organisation, org_level=level, municipality_code=code,
            innovation_title=title, topics=topics))
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    return ids


def _ids(client: FlaskClient, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.json)
    return [item["id"] for item in response.json]


def test_hosts_are_paginated_with_an_x_pagination_header(
        coordinator_client: FlaskClient, open_round: dict[str, Any]) -> None:
    ids = _seed(coordinator_client, open_round["id"])
    url = f"/api/rounds/{open_round['id']}/hosts"
    first = coordinator_client.get(f"{url}?page=1&page_size=3")
    assert [h["id"] for h in first.json] == ids[:3]
    assert json.loads(first.headers["X-Pagination"]) == {
        "total": 7, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1,
        "next_page": 2}
    last = coordinator_client.get(f"{url}?page=3&page_size=3")
    assert [h["id"] for h in last.json] == ids[6:]
    assert json.loads(last.headers["X-Pagination"])["previous_page"] == 2
    assert _ids(coordinator_client, f"{url}?page=9&page_size=3") == []
    assert _ids(coordinator_client, url) == ids  # default page size holds them all
    assert first.json[0]["contact_email"] == "karen@aarhus.example"
    for bad in ("page=0", "page_size=0", "page_size=101", "page=x", "page=-1"):
        response = coordinator_client.get(f"{url}?{bad}")
        assert response.status_code == 422, bad
        assert response.json["errors"]["query"]


def test_host_filters(app: Flask, coordinator_client: FlaskClient,
                      open_round: dict[str, Any]) -> None:
    ids = _seed(coordinator_client, open_round["id"])
    with app.app_context():
        session = db.session()
        intake.withdraw_host_offer(session, session.get(Host, ids[4]))
        session.commit()
    url = f"/api/rounds/{open_round['id']}/hosts"
    cases = {
        "status=withdrawn": [ids[4]],
        "status=active&municipality_code=101": [ids[3]],
        "municipality_code=751": ids[:2],
        "municipality_code=0751": ids[:2],
        "municipality_code=999": [],
        "org_level=region": [ids[1]],
        "topic=%C3%86LDRE": [ids[0], ids[3]],  # "ÆLDRE": case folded beyond ASCII
        "topic=klima&org_level=municipality": [ids[4], ids[5]],
        "q=%C3%85RHUS": [ids[1]],  # "ÅRHUS" finds "Århus" on SQLite too
        "q=%C3%A6r%C3%B8": [ids[5]],  # "ærø" finds "Ærø Kommune"
        "q=100%25": [ids[2]],  # "%" is a character here, not a wildcard
        "q=%25": [ids[2]],
        "q=s_e": [],  # "_" is no wildcard either
        "q=kommune&org_level=municipality&topic=klima": [ids[4], ids[5]],
    }
    for query, expected in cases.items():
        assert _ids(coordinator_client, f"{url}?{query}") == expected, query
    paged = coordinator_client.get(f"{url}?q=kommune&page_size=2&page=2")
    assert [h["id"] for h in paged.json] == [ids[4], ids[5]]
    assert json.loads(paged.headers["X-Pagination"])["total"] == 4
    bad = coordinator_client.get(f"{url}?org_level=county")
    assert bad.status_code == 422 and "org_level" in bad.json["errors"]["query"]
    assert coordinator_client.get(f"{url}?q={'x' * 101}").status_code == 422
    for query in ("status=%00", "q=a%00", "topic=%00", "municipality_code=7%005"):
        response = coordinator_client.get(f"{url}?{query}")
        assert response.status_code == 422, query


def test_application_list_filters_and_reads(app: Flask, client: FlaskClient,
                                            coordinator_client: FlaskClient,
                                            open_round: dict[str, Any],
                                            host_in_round: dict[str, Any]) -> None:
    people = [("Mads Nielsen", "mads@odense.example", "461", ["velfærdsteknologi"]),
              ("Søren Ørsted", "soren@aalborg.example", "851", ["klima"]),
              ("Anna Berg", "anna@odense.example", "461", ["Klima", "data"])]
    ids = []
    for name, email, code, topics in people:
        response = post_application(client, open_round["id"], application_payload(
            [host_in_round["id"]], name=name, email=email, municipality_code=code,
            topics=topics, organisation="Aalborg Kommune" if code == "851" else "Odense Kommune"))
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    with app.app_context():
        session = db.session()
        intake.withdraw_application(session, session.get(Application, ids[0]))
        session.commit()
    url = f"/api/rounds/{open_round['id']}/applications"
    assert _ids(coordinator_client, url) == ids
    assert _ids(coordinator_client, f"{url}?status=submitted") == ids[1:]
    assert _ids(coordinator_client, f"{url}?municipality_code=461") == [ids[0], ids[2]]
    assert _ids(coordinator_client, f"{url}?topic=KLIMA") == ids[1:]
    assert _ids(coordinator_client, f"{url}?q=%C3%B8rsted") == [ids[1]]  # "ørsted"
    assert _ids(coordinator_client, f"{url}?q=odense") == [ids[0], ids[2]]  # organisation
    detail = coordinator_client.get(f"/api/applications/{ids[1]}").json
    assert detail["email"] == "soren@aalborg.example"
    assert detail["host_choices"] == [host_in_round["id"]]
    assert detail["status"] == "submitted" and detail["round_id"] == open_round["id"]
    counts = coordinator_client.get(f"/api/rounds/{open_round['id']}").json["counts"]
    assert counts == {"applications": 2, "hosts": 1, "seats": 2}


def test_unknown_records_are_404(coordinator_client: FlaskClient,
                                 open_round: dict[str, Any]) -> None:
    for url in ("/api/hosts/999", "/api/applications/999", "/api/rounds/999",
                "/api/rounds/999/hosts", "/api/rounds/999/applications"):
        response = coordinator_client.get(url)
        assert response.status_code == 404, url
        assert response.json["code"] == 404 and response.json["message"].endswith("not found")
    # Ids beyond an INTEGER column are no route at all (they made the database driver fail).
    huge = 10**20
    for method, url in (("GET", f"/api/hosts/{huge}"), ("GET", f"/api/rounds/{huge}"),
                        ("POST", f"/api/rounds/{huge}/open"),
                        ("GET", f"/api/rounds/{2**31}/applications"),
                        ("GET", f"/api/public/rounds/{huge}/hosts"),
                        ("POST", f"/api/public/rounds/{huge}/applications")):
        response = coordinator_client.open(url, method=method, json={})
        assert response.status_code == 404, url
        assert response.json["code"] == 404
