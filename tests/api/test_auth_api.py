"""Signing in and out, 401 for anonymous callers, and the create-coordinator command."""

from __future__ import annotations

from typing import Any

from api_helpers import (
    cheap_password_hashing,  # noqa: F401 - autouse
    nothing_stored,
    rows,
)
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from testing_support import TEST_PASSWORD

from coordinator import db
from coordinator.models import User

COORDINATOR_ENDPOINTS = [
    ("GET", "/api/rounds", None),
    ("POST", "/api/rounds", {"name": "R", "weeks": ["2027-W37"]}),
    ("POST", "/api/rounds", {"name": "<b>bad</b>", "weeks": "nope"}),
    ("GET", "/api/rounds/{round}", None),
    ("PATCH", "/api/rounds/{round}", {"name": "Ny"}),
    ("PATCH", "/api/rounds/{round}", {"name": 7}),
    ("POST", "/api/rounds/{round}/open", None),
    ("POST", "/api/rounds/{round}/close", None),
    ("GET", "/api/rounds/{round}/hosts", None),
    ("GET", "/api/rounds/{round}/hosts?page=0&org_level=x", None),
    ("GET", "/api/rounds/{round}/applications?page_size=1000", None),
    ("GET", "/api/hosts/{host}", None),
    ("GET", "/api/applications/1", None),
    ("GET", "/api/auth/me", None),
]


def test_coordinator_endpoints_answer_401_json_to_anonymous_callers(
        app: Flask, coordinator_client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    anonymous = app.test_client()
    for method, template, body in COORDINATOR_ENDPOINTS:
        url = template.format(round=open_round["id"], host=host_in_round["id"])
        with nothing_stored(app, f"{method} {url}"):
            response = anonymous.open(url, method=method, json=body)
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.is_json
        assert response.json["code"] == 401
        assert response.json["status"] == "Unauthorized"


def test_an_anonymous_caller_never_gets_a_remembered_response(
        app: Flask, coordinator_client: FlaskClient) -> None:
    body = {"name": "Hemmelig", "weeks": ["2027-W37"]}
    headers = {"Idempotency-Key": "round-1"}
    assert coordinator_client.post("/api/rounds", json=body, headers=headers).status_code == 201
    with nothing_stored(app):
        response = app.test_client().post("/api/rounds", json=body, headers=headers)
    assert response.status_code == 401
    assert "Hemmelig" not in response.get_data(as_text=True)


def test_login_with_a_wrong_password_or_unknown_email_is_401(
        app: Flask, client: FlaskClient, coordinator_user: dict[str, Any]) -> None:
    for email, password in ((coordinator_user["email"], "wrong password!!"),
                            ("nobody@example.org", TEST_PASSWORD)):
        response = client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 401
        assert response.json["message"] == "wrong email or password"
    assert client.get("/api/auth/me").status_code == 401
    bad = client.post("/api/auth/login", json={"email": "not-an-email", "password": ""})
    assert bad.status_code == 422
    assert set(bad.json["errors"]["json"]) == {"email", "password"}


def test_login_me_and_logout(client: FlaskClient, coordinator_user: dict[str, Any]) -> None:
    response = client.post("/api/auth/login", json={
        "email": " COORD@Example.org\t", "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert response.json == {"id": coordinator_user["id"], "email": "coord@example.org",
                             "role": "coordinator"}
    assert "password" not in response.get_data(as_text=True)
    assert client.get("/api/auth/me").json["email"] == "coord@example.org"
    assert client.get("/api/rounds").status_code == 200
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/rounds").status_code == 401


def test_an_inactive_account_cannot_sign_in(app: Flask, client: FlaskClient,
                                            coordinator_user: dict[str, Any]) -> None:
    with app.app_context():
        db.session().get(User, coordinator_user["id"]).active = False
        db.session().commit()
    response = client.post("/api/auth/login", json={
        "email": coordinator_user["email"], "password": TEST_PASSWORD})
    assert response.status_code == 401


def test_create_coordinator_command(app: Flask, runner: FlaskCliRunner,
                                    client: FlaskClient) -> None:
    password = "a long enough passphrase"
    env = {"COORDINATOR_PASSWORD": password}
    result = runner.invoke(args=["users", "create-coordinator", "Ny@Example.org"], env=env)
    assert result.exit_code == 0, result.output
    assert "created coordinator" in result.output
    [user] = rows(app, User, User.email == "ny@example.org")
    assert user.role == "coordinator"
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash
    login = client.post("/api/auth/login", json={"email": "ny@example.org",
                                                 "password": password})
    assert login.status_code == 200

    duplicate = runner.invoke(args=["users", "create-coordinator", "ny@example.org"], env=env)
    assert duplicate.exit_code == 2
    assert "already exists" in duplicate.output

    short = runner.invoke(args=["users", "create-coordinator", "kort@example.org"],
                          env={"COORDINATOR_PASSWORD": "short"})
    assert short.exit_code == 2
    assert "at least 12" in short.output
    assert rows(app, User, User.email == "kort@example.org") == []

    admin = runner.invoke(args=["users", "create-coordinator", "--admin", "boss@example.org"],
                          env=env)
    assert admin.exit_code == 0, admin.output
    assert rows(app, User, User.email == "boss@example.org")[0].role == "admin"
    for stored in rows(app, User):
        assert stored.password_hash.startswith("$argon2")
        assert password not in stored.password_hash
