"""Rounds through the API: create, edit, open, close, reopen; audit and event rows."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import (
    assert_field_error,
    cheap_password_hashing,  # noqa: F401 - autouse
    create_round,
    nothing_stored,
    row_counts,
    rows,
)
from flask import Flask
from flask.testing import FlaskClient

from coordinator import db
from coordinator.models import AuditEntry, Event, Round, RoundStatus
from coordinator.services import rounds as round_service


def _grew_by_one(app: Flask, before: dict[str, int], *tables: str) -> None:
    after = row_counts(app)
    for name in before:
        expected = before[name] + (1 if name in tables else 0)
        assert after[name] == expected, (name, before[name], after[name])


def test_lifecycle_with_one_audit_row_per_action(app: Flask, coordinator_client: FlaskClient,
                                                 coordinator_user: dict[str, Any]) -> None:
    before = row_counts(app)
    created = create_round(coordinator_client, name="Runde 2027", response_days=7)
    assert created["status"] == "draft"
    assert created["counts"] == {"applications": 0, "hosts": 0, "seats": 0}
    # The creator is assigned to the round (coordinator.access): one round_coordinators row.
    _grew_by_one(app, before, "rounds", "audit_log", "events", "round_coordinators")
    round_id = created["id"]
    steps = [("PATCH", "", {"name": "Runde 2027 (ny)"}, "draft", ("audit_log",)),
             ("POST", "/open", None, "open", ("audit_log", "events")),
             ("POST", "/close", None, "closed", ("audit_log", "events")),
             ("POST", "/open", None, "open", ("audit_log", "events")),
             ("PATCH", "", {"weeks": ["2027-W37", "2027-W38", "2027-W39"]}, "open",
              ("audit_log",))]
    for method, suffix, body, status, tables in steps:
        before = row_counts(app)
        response = coordinator_client.open(f"/api/rounds/{round_id}{suffix}", method=method,
                                           json=body)
        assert response.status_code == 200, (method, suffix, response.json)
        assert response.json["status"] == status
        _grew_by_one(app, before, *tables)
    final = coordinator_client.get(f"/api/rounds/{round_id}").json
    assert final["name"] == "Runde 2027 (ny)"
    assert final["response_days"] == 7  # a PATCH leaves the fields it does not name alone
    assert final["weeks"] == ["2027-W37", "2027-W38", "2027-W39"]
    audit = rows(app, AuditEntry, AuditEntry.object_id == round_id)
    assert [entry.action for entry in sorted(audit, key=lambda e: e.id)] == [
        "round.create", "round.update", "round.open", "round.closed", "round.open",
        "round.update"]
    assert {entry.actor_id for entry in audit} == {coordinator_user["id"]}
    reopened = [e for e in audit if e.action == "round.open"][-1]
    assert reopened.before["status"] == "closed" and reopened.after["status"] == "open"
    kinds = [e.kind for e in sorted(rows(app, Event, Event.round_id == round_id),
                                    key=lambda e: e.id)]
    assert kinds == ["round.created", "round.open", "round.closed", "round.open"]
    listed = coordinator_client.get("/api/rounds").json
    assert [r["id"] for r in listed] == [round_id]


def test_illegal_moves_are_409_naming_the_current_state(
        app: Flask, coordinator_client: FlaskClient) -> None:
    round_id = create_round(coordinator_client)["id"]
    with nothing_stored(app, "draft -> closed"):
        response = coordinator_client.post(f"/api/rounds/{round_id}/close")
    assert response.status_code == 409
    assert "'draft'" in response.json["message"]
    assert response.json["state"] == "draft"
    assert response.json["allowed"] == ["open"]
    assert coordinator_client.post(f"/api/rounds/{round_id}/open").status_code == 200
    with nothing_stored(app, "open -> open"):
        response = coordinator_client.post(f"/api/rounds/{round_id}/open")
    assert response.status_code == 409
    assert "'open'" in response.json["message"]
    assert response.json["state"] == "open"
    assert coordinator_client.post("/api/rounds/424242/open").status_code == 404


@pytest.mark.parametrize("state", [RoundStatus.MATCHING, RoundStatus.DONE])
def test_a_round_in_a_later_state_cannot_be_edited_or_reopened(
        app: Flask, coordinator_client: FlaskClient, state: RoundStatus) -> None:
    round_id = create_round(coordinator_client)["id"]
    with app.app_context():
        db.session().get(Round, round_id).status = state
        db.session().commit()
    with nothing_stored(app):
        patch = coordinator_client.patch(f"/api/rounds/{round_id}", json={"name": "Ny"})
        reopen = coordinator_client.post(f"/api/rounds/{round_id}/open")
    assert patch.status_code == reopen.status_code == 409
    assert f"'{state}'" in patch.json["message"] and f"'{state}'" in reopen.json["message"]
    assert patch.json["state"] == state


def test_weeks_cannot_be_removed_once_open(app: Flask, coordinator_client: FlaskClient,
                                           open_round: dict[str, Any]) -> None:
    with nothing_stored(app):
        response = coordinator_client.patch(f"/api/rounds/{open_round['id']}",
                                            json={"weeks": ["2027-W37"]})
    assert_field_error(response, "weeks")


BAD_ROUNDS: list[tuple[str, dict[str, Any], str]] = [
    ("no weeks", {"weeks": []}, "weeks"),
    ("weeks missing", {"weeks": None}, "weeks"),
    ("a week twice", {"weeks": ["2027-W37", "2027-W37"]}, "weeks"),
    ("not a week", {"weeks": ["2027-37"]}, "weeks.0"),
    ("name with markup", {"name": "<script>x</script>"}, "name"),
    ("name too long", {"name": "x" * 201}, "name"),
    ("name blank", {"name": " "}, "name"),
    ("response days 0", {"response_days": 0}, "response_days"),
    ("response days a string", {"response_days": "5"}, "response_days"),
    ("default max km a bool", {"default_max_km": True}, "default_max_km"),
    ("a date that does not exist", {"applications_close_on": "2027-02-30"},
     "applications_close_on"),
    ("status set by the sender", {"status": "open"}, "status"),
]


def test_bad_rounds_are_422_and_store_nothing(app: Flask,
                                              coordinator_client: FlaskClient) -> None:
    existing = create_round(coordinator_client)["id"]
    for what, overrides, path in BAD_ROUNDS:
        body = {"name": "R", "weeks": ["2027-W37"], **overrides}
        with nothing_stored(app, what):
            created = coordinator_client.post("/api/rounds", json=body)
            patched = coordinator_client.patch(f"/api/rounds/{existing}", json=overrides)
        assert_field_error(created, path)
        assert_field_error(patched, path)


def test_a_failing_request_writes_neither_audit_nor_event(
        app: Flask, coordinator_client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    round_id = create_round(coordinator_client)["id"]

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the event outbox is broken")

    # The audit row is added first; the event fails after it: both must go.
    monkeypatch.setattr(round_service, "record_event", broken)
    with nothing_stored(app):
        response = coordinator_client.post(f"/api/rounds/{round_id}/open")
    assert response.status_code == 500
    assert response.json == {"code": 500, "status": "Internal Server Error",
                             "message": "internal error; nothing was stored"}
    assert rows(app, Round, Round.id == round_id)[0].status == "draft"
