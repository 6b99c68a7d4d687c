"""Edits and withdrawals (the services behind the edit links): one event each, or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import (
    cheap_password_hashing,  # noqa: F401 - autouse
    nothing_stored,
    post_application,
    row_counts,
    rows,
)
from flask import Flask
from flask.testing import FlaskClient
from testing_support import application_payload, host_payload

from coordinator import db
from coordinator.models import Application, Event, Host
from coordinator.schemas.intake import ApplicationIn, HostIn
from coordinator.services import intake
from coordinator.services.errors import Conflict, InvalidData


def _events(app: Flask, subject_id: int, subject_type: str) -> list[str]:
    found = rows(app, Event, Event.subject_id == subject_id, Event.subject_type == subject_type)
    return [event.kind for event in sorted(found, key=lambda e: e.id)]


@pytest.fixture
def application_id(client: FlaskClient, open_round: dict[str, Any],
                   host_in_round: dict[str, Any]) -> int:
    response = post_application(client, open_round["id"],
                                application_payload([host_in_round["id"]]))
    assert response.status_code == 201
    return response.json["id"]


def test_an_edit_writes_one_event_and_a_bad_edit_nothing(
        app: Flask, application_id: int, host_in_round: dict[str, Any]) -> None:
    good = ApplicationIn().load(application_payload([host_in_round["id"]], max_km=None,
                                                    learning_goal="Noget andet"))
    bad = ApplicationIn().load(application_payload([host_in_round["id"]],
                                                   weeks=["2027-W40"]))
    with app.app_context():
        session = db.session()
        application = session.get(Application, application_id)
        with nothing_stored(app), pytest.raises(InvalidData) as error:
            intake.update_application(session, application, bad)
        session.rollback()
        assert set(error.value.errors) == {"weeks"}
        before = row_counts(app)
        intake.update_application(session, session.get(Application, application_id), good)
        session.commit()
    assert row_counts(app) == {**before, "events": before["events"] + 1}
    [stored] = rows(app, Application, Application.id == application_id)
    assert stored.learning_goal == "Noget andet"
    assert stored.max_km == 200  # an edit without max_km keeps the one given before
    assert _events(app, application_id, "application") == [
        "application.submitted", "application.updated"]


def test_a_withdrawal_writes_one_event_once(app: Flask, application_id: int) -> None:
    with app.app_context():
        session = db.session()
        intake.withdraw_application(session, session.get(Application, application_id))
        session.commit()
        before = row_counts(app)
        intake.withdraw_application(session, session.get(Application, application_id))
        session.commit()
        assert row_counts(app) == before  # withdrawing again changes nothing
        with pytest.raises(Conflict):
            intake.update_application(session, session.get(Application, application_id), {})
        session.rollback()
    assert _events(app, application_id, "application") == [
        "application.submitted", "application.withdrawn"]


def test_host_edit_and_withdrawal_events(app: Flask, coordinator_client: FlaskClient,
                                         open_round: dict[str, Any],
                                         host_in_round: dict[str, Any]) -> None:
    host_id = host_in_round["id"]
    with app.app_context():
        session = db.session()
        intake.update_host_offer(session, session.get(Host, host_id),
                                 HostIn().load(host_payload(capacity=3, weeks=[])))
        session.commit()
        intake.withdraw_host_offer(session, session.get(Host, host_id))
        session.commit()
    [host] = rows(app, Host, Host.id == host_id)
    assert host.capacity == 3 and host.weeks == open_round["weeks"]
    assert host.status == "withdrawn"
    assert _events(app, host_id, "host") == ["host.submitted", "host.updated", "host.withdrawn"]
    # Once the round closes, nothing can be withdrawn or changed any more.
    assert coordinator_client.post(f"/api/rounds/{open_round['id']}/close").status_code == 200
    with app.app_context():
        session = db.session()
        with nothing_stored(app), pytest.raises(Conflict):
            intake.update_host_offer(session, session.get(Host, host_id), {})
