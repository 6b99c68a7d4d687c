"""The privacy API and CLI: who may export and erase, validation, and the download itself."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from coordinator import db
from coordinator.models import Application, AuditEntry

PERSON = "mads@odense.example"


@pytest.fixture
def applied(client: FlaskClient, open_round: dict[str, Any], host_in_round: dict[str, Any]) -> int:
    response = client.post(f"/api/public/rounds/{open_round['id']}/applications", json={
        "name": "Mads Nielsen", "email": PERSON, "organisation": "Odense Kommune",
        "org_level": "municipality", "municipality_code": "461",
        "learning_goal": "Skærmbesøg i hele kommunen.", "topics": ["velfærdsteknologi"],
        "host_choices": [host_in_round["id"]], "weeks": ["2027-W37"], "language": "da",
        "manager_name": "Lone Hansen", "manager_email": "lone@odense.example"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_export_needs_an_admin(app: Flask, coordinator_client: FlaskClient) -> None:
    url = f"/api/privacy/people/export?email={PERSON}"
    assert app.test_client().get(url).status_code == 401
    # It spans every round; a coordinator sees only their own rounds.
    assert coordinator_client.get(url).status_code == 403
    assert coordinator_client.get("/api/privacy/people/export").status_code == 403


def test_export_is_a_json_download_and_audited(
        app: Flask, admin_client: FlaskClient, applied: int) -> None:
    response = admin_client.get(f"/api/privacy/people/export?email={PERSON.upper()}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    assert [a["id"] for a in response.json["applications"]] == [applied]
    with app.app_context():
        audit = db.session().scalars(select(AuditEntry).where(
            AuditEntry.action == "privacy.export")).one()
        assert PERSON not in str(audit.after)


@pytest.mark.parametrize("query", ["", "?email=", "?email=not-an-address",
                                   "?email=" + "a" * 300 + "@x.dk"])
def test_export_validates_the_address(admin_client: FlaskClient, query: str) -> None:
    response = admin_client.get(f"/api/privacy/people/export{query}")
    assert response.status_code == 422
    assert "email" in str(response.json["errors"])


def test_erase_needs_an_admin(app: Flask, client: FlaskClient,
                              coordinator_client: FlaskClient, applied: int) -> None:
    assert app.test_client().post("/api/privacy/people/erase",
                                  json={"email": PERSON}).status_code == 401
    # A coordinator is refused before the body is even looked at.
    assert coordinator_client.post("/api/privacy/people/erase",
                                   json={"email": PERSON}).status_code == 403
    assert coordinator_client.post("/api/privacy/people/erase", json={}).status_code == 403
    with app.app_context():
        assert db.session().get(Application, applied).email == PERSON


@pytest.mark.parametrize("body", [{}, {"email": "nope"}, {"email": 7}, {"email": None}, []])
def test_erase_validates_the_body(admin_client: FlaskClient, body: Any) -> None:
    response = admin_client.post("/api/privacy/people/erase", json=body)
    assert response.status_code == 422, response.json


def test_erase_by_admin_then_again(app: Flask, admin_client: FlaskClient, applied: int) -> None:
    first = admin_client.post("/api/privacy/people/erase", json={"email": PERSON})
    assert first.status_code == 200, first.json
    assert first.json["applications"] == 1 and PERSON not in str(first.json)
    second = admin_client.post("/api/privacy/people/erase", json={"email": PERSON})
    assert second.status_code == 200 and second.json["applications"] == 0
    assert second.json["audit_id"] is None
    with app.app_context():
        application = db.session().get(Application, applied)
        assert application.email.endswith("@erased.invalid")
        assert application.name == "[erased]" and application.status == "submitted"


def test_cli_export_and_erase(app: Flask, runner: FlaskCliRunner, applied: int) -> None:
    exported = runner.invoke(args=["privacy", "export", PERSON])
    assert exported.exit_code == 0, exported.output
    assert f'"id": {applied}' in exported.output
    with app.app_context():
        assert db.session().scalars(select(AuditEntry).where(
            AuditEntry.action == "privacy.export")).one().after["via"] == "cli"
    refused = runner.invoke(args=["privacy", "erase", PERSON], input="n\n")
    assert refused.exit_code != 0
    erased = runner.invoke(args=["privacy", "erase", PERSON, "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "applications: 1" in erased.output and PERSON not in erased.output
    bad = runner.invoke(args=["privacy", "erase", "not-an-address", "--yes"])
    assert bad.exit_code == 2
    with app.app_context():
        assert db.session().get(Application, applied).name == "[erased]"
