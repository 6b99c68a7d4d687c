"""schemathesis against /api/openapi.json, in-process through the WSGI app.

Every operation, signed in as a coordinator and anonymous, then stateful sequences along the
links schemathesis infers (POST /api/rounds -> GET/PATCH /api/rounds/{round_id} -> ...).
Checks: no 5xx, and every response documented: its status code, content type and body.

The spec's catch-all ``default`` response is dropped from the copy under test, so a status
code passes only when the operation documents it (``@blp.alt_response``); otherwise the
generic error schema would make every 4xx "conform".
"""

from __future__ import annotations

import copy
import tempfile
from typing import Any

import pytest
import schemathesis
from flask import Flask
from fuzz_helpers import cheap_password_hashing  # noqa: F401 - autouse
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from testing_support import TEST_PASSWORD, _truncate, host_payload

from coordinator import create_app, db
from coordinator.auth import create_user

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# Bounded and repeatable: the same cases on every run, a few minutes in all.
FUZZ = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck))


def strict_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without ``default`` responses: every status code must be documented."""
    spec = copy.deepcopy(spec)
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].pop("default", None)
    return spec


def app_spec() -> dict[str, Any]:
    """The spec as the app serves it, from an app that never opens its database."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "SECRET_KEY": "spec-only", "INSTANCE_PATH": instance,
                          "DATABASE_URL": f"sqlite:///{instance}/unused.sqlite3"})
        spec = app.test_client().get("/api/openapi.json").get_json()
        app.extensions["db_engine"].dispose()
    return spec


# Loaded at collection so every operation is a test of its own; the requests go to each
# test's own app (PostgreSQL and SQLite) through ``app=``.
schema = schemathesis.openapi.from_dict(strict_spec(app_spec()))


@pytest.fixture
def seeded(open_round: dict[str, Any], host_in_round: dict[str, Any]) -> None:
    """An open round with one host, so small ids find something (the fuzzer favours 1)."""


# Flask-Login's "strong" session protection ties the session to the User-Agent it signed in
# with: the cases are sent with the one the fixture signs in with.
AGENT = {"User-Agent": "schemathesis-fuzz"}


@pytest.fixture
def coordinator_cookies(app: Flask, coordinator_user: dict[str, Any]) -> dict[str, str]:
    """A signed-in session cookie, sent explicitly with every case.

    schemathesis sets and then deletes the cookies of the spec's security scheme on the
    client it is given, so a signed-in client would be signed out after the first case.
    """
    client = app.test_client()
    signed_in = client.post("/api/auth/login", headers=AGENT, json={
        "email": coordinator_user["email"], "password": coordinator_user["password"]})
    assert signed_in.status_code == 200, signed_in.json
    cookie = client.get_cookie("session")
    assert cookie is not None
    return {"session": cookie.value}


@schema.parametrize()
@FUZZ
def test_every_operation_as_coordinator(case: schemathesis.Case, app: Flask, seeded: None,
                                        coordinator_cookies: dict[str, str]) -> None:
    case.call_and_validate(app=app, session=app.test_client(), cookies=coordinator_cookies,
                           headers=AGENT, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_every_operation_anonymous(case: schemathesis.Case, app: Flask) -> None:
    case.call_and_validate(app=app, session=app.test_client(), checks=CHECKS)


def fresh_world(app: Flask) -> dict[str, str]:
    """Every table emptied (ids restart), a coordinator signed in, an open round with a host.

    Returns the coordinator's session cookie.
    """
    _truncate(app)
    with app.app_context():
        create_user(db.session(), "fuzz@example.org", TEST_PASSWORD)
        db.session().commit()
    client = app.test_client()
    signed_in = client.post("/api/auth/login", headers=AGENT, json={
        "email": "fuzz@example.org", "password": TEST_PASSWORD})
    assert signed_in.status_code == 200, signed_in.json
    created = client.post("/api/rounds", headers=AGENT, json={
        "name": "Fuzz round", "weeks": ["2027-W37", "2027-W38"]})
    assert created.status_code == 201, created.json
    opened = client.post(f"/api/rounds/{created.json['id']}/open", headers=AGENT)
    assert opened.status_code == 200, opened.json
    host = client.post(f"/api/public/rounds/{created.json['id']}/hosts/offers",
                       json=host_payload())
    assert host.status_code == 201, host.json
    cookie = client.get_cookie("session")
    assert cookie is not None
    return {"session": cookie.value}


def test_stateful_sequences_as_coordinator(app: Flask) -> None:
    """Call sequences along the links schemathesis infers from ids in responses and paths.

    These reach the objects the calls before created (a round made by POST /api/rounds,
    then opened, patched, closed...) where random ids mostly find nothing.
    """
    base = schema.as_state_machine()

    class CoordinatorSequences(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            # Each scenario starts from the same rows, so a replayed scenario (hypothesis
            # shrinking) sees the same ids and answers as the first run.
            self.cookies = fresh_world(app)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"app": app, "session": app.test_client(), "cookies": self.cookies,
                    "headers": AGENT}

        def validate_response(self, response: Any, case: schemathesis.Case,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    CoordinatorSequences.run(settings=settings(
        max_examples=40, stateful_step_count=8, derandomize=True, deadline=None,
        database=None, suppress_health_check=list(HealthCheck)))
