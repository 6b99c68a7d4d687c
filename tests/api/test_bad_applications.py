"""Bad applications: a 422 naming every bad field by path (or a 409), and not one row written."""

from __future__ import annotations

from typing import Any

from api_helpers import (
    assert_field_error,
    cheap_password_hashing,  # noqa: F401 - autouse
    create_round,
    json_errors,
    nothing_stored,
    post_application,
    post_host,
)
from flask import Flask
from flask.testing import FlaskClient
from testing_support import application_payload, host_payload

from coordinator import db
from coordinator.models import Host
from coordinator.services import intake


def _bad_applications(host: int) -> list[tuple[str, dict[str, Any], str]]:
    return [
        ("six rankings", {"host_choices": [host, 2, 3, 4, 5, 6]}, "host_choices"),
        ("a host that does not exist", {"host_choices": [host, 999_999]}, "host_choices.1"),
        ("the same host twice", {"host_choices": [host, host]}, "host_choices"),
        ("a host id of 0", {"host_choices": [0]}, "host_choices.0"),
        ("a host id beyond any integer column", {"host_choices": [2**70]}, "host_choices.0"),
        ("a host id as a string", {"host_choices": [str(host)]}, "host_choices.0"),
        ("a host id as a bool", {"host_choices": [True]}, "host_choices.0"),
        ("a host id as a float", {"host_choices": [float(host)]}, "host_choices.0"),
        ("rankings as an object", {"host_choices": {"1": host}}, "host_choices"),
        ("no ranking and not open to any", {"host_choices": [], "open_to_any": False},
         "host_choices"),
        ("open_to_any as a string", {"open_to_any": "yes"}, "open_to_any"),
        ("open_to_any as 1", {"open_to_any": 1}, "open_to_any"),
        ("team-mate is the applicant", {"team_mate_email": " MADS@Odense.example"},
         "team_mate_email"),
        ("manager is the applicant", {"manager_email": "Mads@odense.example"},
         "manager_email"),
        ("team-mate email not an email", {"team_mate_email": "kollega"}, "team_mate_email"),
        ("email not an email", {"email": "mads(at)odense.example"}, "email"),
        ("email with two @", {"email": "mads@@odense.example"}, "email"),
        ("email with a NUL byte", {"email": "mads\x00@odense.example"}, "email"),
        ("email missing", {"email": None}, "email"),
        ("manager email not an email", {"manager_email": "lone"}, "manager_email"),
        ("week outside the round", {"weeks": ["2027-W40"]}, "weeks"),
        ("week of another year", {"weeks": ["2026-W37"]}, "weeks"),
        ("week not a week", {"weeks": ["soon"]}, "weeks.0"),
        ("max_km a string", {"max_km": "200"}, "max_km"),
        ("max_km a bool", {"max_km": True}, "max_km"),
        ("max_km too small", {"max_km": 5}, "max_km"),
        ("max_km too large", {"max_km": 5000}, "max_km"),
        ("max_km with decimals", {"max_km": 120.5}, "max_km"),
        ("unknown municipality", {"municipality_code": "1000"}, "municipality_code"),
        ("place in Germany", {"municipality_code": None, "lat": 53.55, "lon": 9.99}, "lat"),
        ("name too long", {"name": "x" * 201}, "name"),
        ("learning goal too long", {"learning_goal": "x" * 2001}, "learning_goal"),
        ("manager name too long", {"manager_name": "x" * 201}, "manager_name"),
        ("script in the name", {"name": "<script>alert('x')</script>"}, "name"),
        ("markup in the learning goal", {"learning_goal": "Lær <a href=x>mere</a>"},
         "learning_goal"),
        ("comment markup", {"organisation": "Odense <!-- x -->"}, "organisation"),
        ("unknown org level", {"org_level": "kommune"}, "org_level"),
        ("language as a list", {"language": ["da"]}, "language"),
        ("field the API does not know", {"is_admin": True}, "is_admin"),
    ]


def test_each_bad_application_is_422_naming_its_field(
        app: Flask, client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    for what, overrides, path in _bad_applications(host_in_round["id"]):
        payload = application_payload([host_in_round["id"]], **overrides)
        with nothing_stored(app, what):
            response = post_application(client, open_round["id"], payload)
        assert response.status_code == 422, (what, response.get_data(True))
        assert_field_error(response, path)


def test_every_bad_field_is_named_at_once(app: Flask, client: FlaskClient,
                                          open_round: dict[str, Any],
                                          host_in_round: dict[str, Any]) -> None:
    payload = application_payload([host_in_round["id"]], name="", email="x", max_km="far",
                                  team_mate_email="Lone@odense.example",
                                  manager_email="lone@odense.example")
    del payload["organisation"]
    with nothing_stored(app):
        response = post_application(client, open_round["id"], payload)
    errors = json_errors(response)
    assert response.status_code == 422
    # Field errors and the whole-object checks (team-mate) come in one answer.
    assert {"name", "email", "max_km", "organisation"} <= set(errors)
    assert "Missing data for required field." in errors["organisation"]


def test_service_rules_name_each_bad_ranking(app: Flask, client: FlaskClient,
                                             coordinator_client: FlaskClient,
                                             open_round: dict[str, Any],
                                             host_in_round: dict[str, Any]) -> None:
    other = create_round(coordinator_client, name="Anden runde", weeks=["2027-W37"])
    assert coordinator_client.post(f"/api/rounds/{other['id']}/open").status_code == 200
    foreign = post_host(client, other["id"], host_payload()).json["id"]
    withdrawn = post_host(client, open_round["id"], host_payload()).json["id"]
    with app.app_context():
        session = db.session()
        intake.withdraw_host_offer(session, session.get(Host, withdrawn))
        session.commit()
    payload = application_payload([host_in_round["id"], foreign, withdrawn],
                                  weeks=["2027-W37", "2027-W39"])
    with nothing_stored(app):
        response = post_application(client, open_round["id"], payload)
    errors = json_errors(response)
    assert response.status_code == 422
    assert set(errors) == {"host_choices.1", "host_choices.2", "weeks"}
    assert str(foreign) in errors["host_choices.1"][0]
    assert "2027-W39" in errors["weeks"][0]


def test_the_same_person_twice_is_409_pointing_to_the_edit_link(
        app: Flask, client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    first = post_application(client, open_round["id"],
                             application_payload([host_in_round["id"]]))
    assert first.status_code == 201
    for email in ("mads@odense.example", "MADS@Odense.Example", "  mads@odense.example\t"):
        payload = application_payload([host_in_round["id"]], email=email, name="Mads N.")
        with nothing_stored(app, email):
            response = post_application(client, open_round["id"], payload)
        assert response.status_code == 409, (email, response.json)
        assert "edit link" in response.json["message"]
        assert response.json["field"] == "email"


def test_a_duplicate_that_raced_past_the_check_is_409_not_500(
        app: Flask, client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any], monkeypatch: Any) -> None:
    payload = application_payload([host_in_round["id"]])
    assert post_application(client, open_round["id"], payload).status_code == 201
    # As if a concurrent request committed between our check and our insert: only the
    # unique index of live applications stands in the way.
    monkeypatch.setattr(intake, "_live_application", lambda *args: None)
    with nothing_stored(app):
        response = post_application(client, open_round["id"], payload)
    assert response.status_code == 409, response.json
    assert "edit link" in response.json["message"]


def test_a_withdrawn_application_no_longer_blocks_a_new_one(
        app: Flask, client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    payload = application_payload([host_in_round["id"]])
    first = post_application(client, open_round["id"], payload)
    assert first.status_code == 201
    with app.app_context():
        from coordinator.models import Application

        session = db.session()
        intake.withdraw_application(session, session.get(Application, first.json["id"]))
        session.commit()
    again = post_application(client, open_round["id"], {**payload, "email": "Mads@Odense.example"})
    assert again.status_code == 201, again.json
    assert again.json["id"] != first.json["id"]


def test_submitting_to_a_round_that_is_not_open_is_409(
        app: Flask, client: FlaskClient, coordinator_client: FlaskClient,
        open_round: dict[str, Any], host_in_round: dict[str, Any]) -> None:
    draft = create_round(coordinator_client, name="Kladde")
    closed = open_round["id"]
    assert coordinator_client.post(f"/api/rounds/{closed}/close").status_code == 200
    for round_id, state in ((draft["id"], "draft"), (closed, "closed")):
        with nothing_stored(app, state):
            application = post_application(client, round_id,
                                           application_payload([host_in_round["id"]]))
            host = post_host(client, round_id, host_payload())
        for response in (application, host):
            assert response.status_code == 409, response.json
            assert response.json["status"] == "Conflict"
            assert f"'{state}'" in response.json["message"]
    # The hosts of a round that is not open are not offered to applicants either.
    assert client.get(f"/api/public/rounds/{closed}/hosts").status_code == 409


def test_an_unknown_round_is_404(app: Flask, client: FlaskClient,
                                 open_round: dict[str, Any]) -> None:
    with nothing_stored(app):
        response = post_application(client, 987_654, application_payload([1]))
        offer = post_host(client, 987_654, host_payload())
    assert response.status_code == offer.status_code == 404
    assert response.json["code"] == 404
